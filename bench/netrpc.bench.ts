// Issue 4's figures for netrpc (net/rpc + gob over yamux): p50/p99 of a 16-byte Get, Gets per second with 16 in
// flight, and 64 × 1 MiB Put, for plugwire TS↔TS (in process, unix socket), TS host → Go plugin (go-plugin v1.0.1)
// and Go↔Go (go-plugin v1.0.1 host and plugin).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { type ClientProtocol, type Listener, silentLogger } from '@plugwire/core';
import { type GobDynamic, gob } from '@plugwire/gob';
import { type NetRpcPlugin, connectNetRpc, method, serveNetRpc } from '@plugwire/netrpc-transport';
import { buildGo, goAvailable } from '../test/support/go.js';
import type { BenchSection } from './types.js';

interface KV {
  put(key: string, value: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
}
interface Figures {
  p50us: number;
  p99us: number;
  callsPerSec: number;
  put64MiBms: number;
}

const PutArgs = gob.map(gob.string, gob.interface);

function kvPlugin(): NetRpcPlugin<KV> {
  const store = new Map<string, Uint8Array>();
  return {
    server: () => ({
      Put: method(PutArgs, gob.interface, (args) => {
        const key = gob.unwrap(args.get('key'));
        const value = gob.unwrap(args.get('value'));
        if (typeof key !== 'string' || !(value instanceof Uint8Array)) throw new Error('kv: bad Put');
        store.set(key, value);
        return null;
      }),
      Get: method(gob.string, gob.bytes, (key) => store.get(key) ?? new Uint8Array()),
    }),
    client: (_b, rpc) => ({
      put: async (key, value) => {
        await rpc.call('Plugin.Put', gob.value(PutArgs, new Map<string, GobDynamic>([['key', key], ['value', value]])));
      },
      get: (key) => rpc.call('Plugin.Get', gob.value(gob.string, key), { reply: gob.bytes }),
    }),
  };
}

async function measure(kv: KV): Promise<Figures> {
  await kv.put('k16', new Uint8Array(16));
  for (let i = 0; i < 300; i++) await kv.get('k16');
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = process.hrtime.bigint();
    await kv.get('k16');
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  lat.sort((a, b) => a - b);
  const total = 32000;
  let start = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = 0; i < total / 16; i++) await kv.get('k16');
    }),
  );
  const callsPerSec = total / ((performance.now() - start) / 1000);
  const big = new Uint8Array(1 << 20);
  start = performance.now();
  for (let i = 0; i < 64; i++) await kv.put('big', big);
  const put64MiBms = performance.now() - start;
  return { p50us: lat[1500] ?? NaN, p99us: lat[2970] ?? NaN, callsPerSec, put64MiBms };
}

async function unixListener(): Promise<Listener> {
  const dir = mkdtempSync(join(tmpdir(), 'plugwire-bench-'));
  const path = join(dir, 'plugin.sock');
  const server = createServer();
  server.listen(path);
  await once(server, 'listening');
  return {
    server,
    address: { network: 'unix', address: path },
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}

async function tsToTs(): Promise<Figures> {
  const server = await serveNetRpc({ plugins: { kv: kvPlugin() }, listener: await unixListener(), createListener: unixListener, logger: silentLogger });
  const client = await connectNetRpc({ address: server.address, plugins: { kv: kvPlugin() }, logger: silentLogger });
  try {
    return await measure((await client.dispense('kv')) as KV);
  } finally {
    await client.close();
    await server.close();
  }
}

async function tsToGo(plugin: string): Promise<Figures> {
  const child: ChildProcess = spawn(plugin, [], {
    env: { ...process.env, PLUGWIRE_NETRPC_TEST: 'netrpc', PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  child.stdout?.resume();
  let client: ClientProtocol | undefined;
  try {
    client = await connectNetRpc({ address: { network: 'unix', address: line.split('|')[3] ?? '' }, plugins: { kv: kvPlugin() }, logger: silentLogger });
    return await measure((await client.dispense('kv')) as KV);
  } finally {
    await client?.close();
    if (child.exitCode === null) await once(child, 'exit');
  }
}

async function goToGo(plugin: string): Promise<Figures> {
  const bench = await buildGo('netrpcfix/bench-go');
  const { stdout } = await promisify(execFile)(bench, [plugin]);
  const r = JSON.parse(stdout) as { p50_us: number; p99_us: number; calls_per_s: number; put_mib_s: number };
  return { p50us: r.p50_us, p99us: r.p99_us, callsPerSec: r.calls_per_s, put64MiBms: (64 / r.put_mib_s) * 1000 };
}

function row(name: string, f: Figures): Record<string, string | number> {
  return {
    setup: name,
    'p50 µs (16 B Get)': Math.round(f.p50us),
    'p99 µs': Math.round(f.p99us),
    'calls/s (16 in flight)': Math.round(f.callsPerSec),
    '64 × 1 MiB Put ms': Math.round(f.put64MiBms),
    'Put MiB/s': Math.round(64 / (f.put64MiBms / 1000)),
  };
}

export default async function (): Promise<BenchSection> {
  const rows = [row('plugwire TS host ↔ TS plugin (in process)', await tsToTs())];
  const notes = ['Target: TS↔TS calls/s above Go↔Go calls/s.'];
  if (goAvailable) {
    const plugin = await buildGo('netrpcfix/plugin-go');
    rows.push(row('plugwire TS host → Go plugin (go-plugin v1.0.1)', await tsToGo(plugin)));
    rows.push(row('Go host ↔ Go plugin (go-plugin v1.0.1)', await goToGo(plugin)));
  } else notes.push('Go rows skipped: Go and go-plugin sources are not installed.');
  return { title: 'netrpc: net/rpc + gob over yamux', rows, notes };
}
