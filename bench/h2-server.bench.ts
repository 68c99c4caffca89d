// Issue 12, the server half: a go-plugin (v1.0.1) Go host calling a 16-byte kv Get on a Node plugin served by
// @plugwire/h2's own gRPC server core (bench/h2-server-plugin.ts, no grpc-js), against the same Go host → Go plugin
// and → the grpc-js-served TS plugin. p50/p99 of 3000 sequential Gets and calls/s with 16 and 64 in flight, as
// measured by the Go host (test/go/src/h2bench); rounds are interleaved and each figure is the median over rounds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGo, goAvailable } from '../test/support/go.js';
import type { BenchRatio, BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.H2_BENCH_ROUNDS ?? 3);

interface Figures { p50us: number; p99us: number; cps16: number; cps64: number }

async function goHost(pluginCmd: string[]): Promise<Figures> {
  const bin = await buildGo('h2bench');
  const child = spawn(bin, pluginCmd, { stdio: ['ignore', 'pipe', 'inherit'], cwd: root }); // cwd: `--import tsx` resolves from it
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim()) as Figures;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export default async function h2ServerBench(): Promise<BenchSection[]> {
  const title = 'gRPC server: Go host → TS plugin on the h2 server core vs Go↔Go (16-byte kv Get)';
  if (!goAvailable) return [{ title, rows: [], notes: ['skipped: Go toolchain not installed'] }];
  const goPlugin = await buildGo('explugin');
  const node = process.execPath;
  const configs: [string, string[]][] = [
    ['Go host → Go plugin', [goPlugin, 'kv', 'grpc']],
    ['Go host → TS plugin (h2 server core)', [node, '--import', 'tsx', join(root, 'bench/h2-server-plugin.ts')]],
    ['Go host → TS plugin (grpc-js server, plugwire serve)', [node, join(root, 'examples/dist/kv/plugin-grpc.js')]],
  ];
  const results = new Map<string, Figures[]>(configs.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, cmd] of configs) results.get(name)!.push(await goHost(cmd));
  const f = new Map(
    [...results].map(([n, list]) => [
      n,
      { p50us: median(list.map((x) => x.p50us)), p99us: median(list.map((x) => x.p99us)), cps16: median(list.map((x) => x.cps16)), cps64: median(list.map((x) => x.cps64)) },
    ]),
  );
  const rows = [...f].map(([configuration, x]) => ({
    configuration,
    'p50 µs': x.p50us.toFixed(0),
    'p99 µs': x.p99us.toFixed(0),
    'calls/s (16)': Math.round(x.cps16),
    'calls/s (64)': Math.round(x.cps64),
  }));
  const gogo = f.get(configs[0]![0])!;
  const core = f.get(configs[1]![0])!;
  const js = f.get(configs[2]![0])!;
  const ratios: BenchRatio[] = [
    { name: 'Go host → TS plugin (h2 server core) ÷ Go↔Go calls/s, 16 in flight', value: core.cps16 / gogo.cps16, target: 0.8, better: 'higher' },
    { name: 'Go host → TS plugin (h2 server core) ÷ Go↔Go calls/s, 64 in flight', value: core.cps64 / gogo.cps64, target: 0.8, better: 'higher' },
    { name: 'Go host → TS plugin (h2 server core) ÷ Go↔Go p99', value: core.p99us / gogo.p99us, target: 2, better: 'lower' },
    { name: 'h2 server core ÷ grpc-js server calls/s, 16 in flight (Go host)', value: core.cps16 / js.cps16, target: 1, better: 'higher' },
  ];
  const notes = [
    `median of ${ROUNDS} interleaved rounds, figures from the Go host (3000 sequential Gets for p50/p99, 32000 Gets per calls/s figure)`,
    'the h2 server core row serves KV with serveGrpcConnection directly (ts-proto codecs, no grpc-js layer; run through tsx); the grpc-js row is examples/dist/kv/plugin-grpc.js',
    'a CPU profile of the h2 server core plugin at these loads shows it ~60% idle: the Go host is the limit',
  ];
  return [{ title, rows, notes, ratios }];
}
