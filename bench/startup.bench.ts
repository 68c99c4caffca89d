// Issue 7: what a netrpc plugin pays at start-up. Launch → first call of the kv plugin over netrpc, served from a
// netrpc-only definition (imports @plugwire/plugin and /netrpc: grpc-js and protobuf code are never loaded) and
// from the full definition (its gRPC halves import the generated code, grpc-js and protobuf load at start-up: what
// every plugin paid while the package root re-exported both transports). Plus a bare `import()` of the entry points.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, definePlugin, silentLogger } from '@plugwire/plugin';
import { handshake, type KV } from '../examples/src/kv/kv.js';
import { kvNetRpc } from '../examples/src/kv/netrpc.js';
import type { BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 9;
const kv = definePlugin<KV>({ netrpc: kvNetRpc });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function launchToFirstCall(file: string): Promise<number> {
  const start = performance.now();
  const client = new Client({ handshake, plugins: { kv }, cmd: [process.execPath, join(root, 'examples/dist/kv', file)], logger: silentLogger });
  await (await client.dispense('kv')).get('missing');
  const ms = performance.now() - start;
  await client.kill();
  return ms;
}

function importMs(specifier: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(root, 'examples') }).toString());
}

export default async function startupBench(): Promise<BenchSection> {
  const plugins = [
    ['netrpc-only definition (no grpc-js)', 'plugin-netrpc-only.js'],
    ['full definition, served over netrpc (loads grpc-js)', 'plugin-netrpc.js'],
  ] as const;
  const times = plugins.map((): number[] => []);
  // Taken in turns, so a noisy moment of the shared machine hits both alike.
  for (let i = 0; i < RUNS; i++) for (const [j, [, file]] of plugins.entries()) times[j]!.push(await launchToFirstCall(file));
  const imports = ['@plugwire/plugin', '@plugwire/plugin/netrpc', '@plugwire/plugin/grpc'].map((s) => ({ s, ms: median(Array.from({ length: 5 }, () => importMs(s))) }));
  const launch = times.map(median);
  return {
    title: 'start-up: netrpc kv plugin launch → first call, and entry point import times',
    rows: [
      ...plugins.map(([what], j) => ({ measure: 'launch → first Get (median of 9)', what, ms: launch[j]!.toFixed(1) })),
      ...imports.map(({ s, ms }) => ({ measure: 'import() in a fresh node (median of 5)', what: s, ms: ms.toFixed(1) })),
    ],
    notes: [`grpc-js kept out of a netrpc plugin's start-up saves ${(launch[1]! - launch[0]!).toFixed(1)} ms per launch here`],
  };
}
