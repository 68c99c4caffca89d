// Issue 12: what bundling a plugin to one file (examples/dist-bundled, tsup with every dependency inlined) saves over
// the same kv plugin run from the package layout (examples/dist, plugwire and grpc-js resolved from node_modules):
// launch → first Get and idle RSS, with a bare `node -e 0` beside them. Launches alternate, figures are medians.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, silentLogger } from '@plugwire/plugin';
import { handshake, kv } from '../examples/src/kv/definition.js';
import type { BenchRatio, BenchSection } from './types.js';

const examples = fileURLToPath(new URL('../examples', import.meta.url));
const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

type Proto = 'grpc' | 'netrpc';
const plugins: ReadonlyArray<readonly [string, Proto]> = [
  ['plugin-netrpc-only.js', 'netrpc'],
  ['plugin-netrpc.js', 'netrpc'],
  ['plugin-grpc.js', 'grpc'],
];
const layouts = ['dist', 'dist-bundled'] as const;

/** Launch → first Get in ms, and the plugin's RSS in MiB after a first call and a second of rest. */
async function launch(file: string, proto: Proto): Promise<[number, number]> {
  const start = performance.now();
  const client = new Client({ handshake, plugins: { kv }, cmd: { command: process.execPath, args: [file] }, allowedProtocols: [proto], logger: silentLogger });
  try {
    await (await client.dispense('kv')).get('missing');
    const ms = performance.now() - start;
    await new Promise((r) => setTimeout(r, 1000));
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${client.reattachConfig()!.pid}/status`, 'utf8'));
    return [ms, m ? Number(m[1]) / 1024 : NaN];
  } finally {
    await client.kill();
  }
}

async function bareNode(): Promise<number> {
  const start = performance.now();
  await once(spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }), 'exit');
  return performance.now() - start;
}

export default async function bundleBench(): Promise<BenchSection> {
  const ms = new Map<string, number[]>();
  const rss = new Map<string, number[]>();
  const node: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(await bareNode());
    for (const [file, proto] of plugins) {
      for (const layout of layouts) {
        const [t, r] = await launch(join(examples, layout, 'kv', file), proto);
        const key = `${layout}/kv/${file}`;
        ms.set(key, [...(ms.get(key) ?? []), t]);
        rss.set(key, [...(rss.get(key) ?? []), r]);
      }
    }
  }
  const rows: Array<Record<string, string>> = [{ plugin: 'bare `node -e 0`', 'launch → first Get (ms)': median(node).toFixed(1), 'idle RSS (MiB)': '' }];
  const ratios: BenchRatio[] = [];
  for (const [file] of plugins) {
    for (const layout of layouts) {
      const key = `${layout}/kv/${file}`;
      rows.push({ plugin: key, 'launch → first Get (ms)': median(ms.get(key)!).toFixed(1), 'idle RSS (MiB)': median(rss.get(key)!).toFixed(1) });
    }
    const saved = (m: Map<string, number[]>) => median(m.get(`dist/kv/${file}`)!) - median(m.get(`dist-bundled/kv/${file}`)!);
    ratios.push({ name: `${file}: idle RSS bundled minus package layout (MiB)`, value: -saved(rss), target: 0, better: 'lower' });
    ratios.push({ name: `${file}: launch → first Get bundled minus package layout (ms)`, value: -saved(ms), target: 0, better: 'lower' });
  }
  return {
    title: `Bundled plugin vs package layout: launch → first Get and idle RSS (medians of ${RUNS} alternating launches)`,
    rows,
    ratios,
    notes: ['examples/tsup.config.ts builds dist-bundled/: every dependency inlined, host-only code tree-shaken, the gRPC half in its own chunk'],
  };
}
