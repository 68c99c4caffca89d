// Child process of bench/h2.bench.ts: connects to N TS gRPC kv plugins (plugwire Client, h2 transport), one call
// each, and prints the host's RSS and heap growth per connected plugin as JSON. Run with --expose-gc.
import { Client, silentLogger } from '@plugwire/plugin';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handshake, kv } from '../examples/src/kv/definition.js';

const n = Number(process.argv[2] ?? 50);
const plugin = join(fileURLToPath(new URL('..', import.meta.url)), 'examples/dist/kv/plugin-grpc.js');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const open = async () => {
  const client = new Client({ handshake, plugins: { kv }, cmd: { command: process.execPath, args: [plugin] }, allowedProtocols: ['grpc'], logger: silentLogger });
  const store = await client.dispense('kv');
  await store.get('x');
  return client;
};
// Warm-up: load every module and JIT the paths once, so the baseline holds the code, not the plugins.
await (await open()).kill();
gc();
await new Promise((r) => setTimeout(r, 200));
gc();
const base = process.memoryUsage();
const clients: Client<{ kv: typeof kv }>[] = [];
for (let i = 0; i < n; i += 10) clients.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, open))));
gc();
await new Promise((r) => setTimeout(r, 200));
gc();
const loaded = process.memoryUsage();
await Promise.all(clients.map((c) => c.kill()));
const MiB = 1024 * 1024;
console.log(
  JSON.stringify({
    plugins: n,
    baseMiB: base.rss / MiB,
    loadedMiB: loaded.rss / MiB,
    perPluginMiB: (loaded.rss - base.rss) / n / MiB,
    heapPerPluginKiB: (loaded.heapUsed - base.heapUsed) / n / 1024,
  }),
);
