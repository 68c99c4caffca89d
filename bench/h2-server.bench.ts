// Issue 12, the server half: a go-plugin (v1.0.1) Go host calling a 16-byte kv Get on a Node plugin served by
// @plugwire/h2's own gRPC server core (packages/h2/test/fixtures/kv-plugin.ts, no grpc-js), against the same Go
// host → Go plugin and → the grpc-js-served TS plugin; and TS↔TS with both lean halves (h2 client → h2 server core) against bare
// grpc-js on both sides. p50/p99 of 3000 sequential Gets and calls/s with 16 and 64 in flight (Go rows as measured
// by the Go host, test/go/src/h2bench); rounds are interleaved and each figure is the median over rounds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { createCaller, createH2Client } from '@plugwire/h2';
import { KVClient, KVService } from '../examples/src/gen/kv/kv.js';
import { buildGo, goAvailable } from '../test/support/go.js';
import { GO_WARMUP_ENV, WARMUP_CALLS, type BenchRatio, type BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.H2_BENCH_ROUNDS ?? 3);

interface Figures { p50us: number; p99us: number; cps16: number; cps64: number }

async function goHost(pluginCmd: string[], env: NodeJS.ProcessEnv = {}): Promise<Figures> {
  const bin = await buildGo('h2bench');
  // cwd: `--import tsx` resolves from it; go-plugin passes its environment on to the plugin.
  const child = spawn(bin, pluginCmd, { stdio: ['ignore', 'pipe', 'inherit'], cwd: root, env: { ...process.env, ...GO_WARMUP_ENV, ...env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim()) as Figures;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

type Get = () => Promise<unknown>;

/** The Go host's measurement, from a TS host: WARMUP_CALLS warm-up Gets, 3000 sequential, 32000 at 16 and at 64 in flight. */
async function measure(get: Get): Promise<Figures> {
  for (let i = 0; i < WARMUP_CALLS; i++) await get();
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = process.hrtime.bigint();
    await get();
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  lat.sort((a, b) => a - b);
  const cps = async (inflight: number): Promise<number> => {
    const start = performance.now();
    await Promise.all(Array.from({ length: inflight }, async () => {
      for (let i = 0; i < 32000 / inflight; i++) await get();
    }));
    return 32000 / ((performance.now() - start) / 1000);
  };
  const cps16 = await cps(16);
  return { p50us: lat[1500]!, p99us: lat[2970]!, cps16, cps64: await cps(64) };
}

/** Starts a KV server process that prints its socket (a go-plugin handshake line or a bare path) and measures a TS host on it. */
async function tsHost(cmd: string[], host: 'h2' | 'grpc-js'): Promise<Figures> {
  const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, BASIC_PLUGIN: 'hello' }, stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const socket = line.includes('|') ? line.split('|')[3]! : line;
  try {
    if (host === 'h2') {
      const conn = createH2Client(connect(socket));
      const caller = createCaller(conn);
      try {
        return await measure(() => caller.unary(KVService.get, { key: 'small' }));
      } finally {
        conn.abort();
      }
    }
    const client = new KVClient(`unix:${socket}`, credentials.createInsecure());
    try {
      return await measure(() => new Promise((resolve, reject) => client.get({ key: 'small' }, (err, res) => (err ? reject(err) : resolve(res)))));
    } finally {
      client.close();
    }
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

export default async function h2ServerBench(): Promise<BenchSection[]> {
  const title = 'gRPC server: Go host → TS plugin on the h2 server core vs Go↔Go (16-byte kv Get)';
  if (!goAvailable) return [{ title, rows: [], notes: ['skipped: Go toolchain not installed'] }];
  const goPlugin = await buildGo('explugin');
  const node = process.execPath;
  const corePlugin = [node, '--import', 'tsx', join(root, 'packages/h2/test/fixtures/kv-plugin.ts')];
  const bareServer = [node, join(root, 'examples/dist/kv/bare-server.js')];
  const configs: [string, () => Promise<Figures>][] = [
    ['Go host → Go plugin', () => goHost([goPlugin, 'kv', 'grpc'])],
    ['Go host → TS plugin (h2 server core)', () => goHost(corePlugin)],
    ['Go host → TS plugin (plugwire serve, h2 server: the default)', () => goHost([node, join(root, 'examples/dist/kv/plugin-grpc.js')])],
    ['Go host → TS plugin (plugwire serve, grpc-js server)', () => goHost([node, join(root, 'examples/dist/kv/plugin-grpc.js')], { PLUGWIRE_EXAMPLE_GRPC_SERVER: 'grpc-js' })],
    ['TS host (h2 caller) → TS plugin (h2 server core)', () => tsHost(corePlugin, 'h2')],
    ['bare grpc-js client → bare grpc-js server', () => tsHost(bareServer, 'grpc-js')],
  ];
  const results = new Map<string, Figures[]>(configs.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of configs) results.get(name)!.push(await run());
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
  const served = f.get(configs[2]![0])!;
  const js = f.get(configs[3]![0])!;
  const tsts = f.get(configs[4]![0])!;
  const bare = f.get(configs[5]![0])!;
  const ratios: BenchRatio[] = [
    { name: 'Go host → TS plugin (h2 server core) ÷ Go↔Go calls/s, 16 in flight', value: core.cps16 / gogo.cps16, target: 0.8, better: 'higher' },
    { name: 'Go host → TS plugin (h2 server core) ÷ Go↔Go calls/s, 64 in flight', value: core.cps64 / gogo.cps64, target: 0.8, better: 'higher' },
    { name: 'Go host → TS plugin (h2 server core) ÷ Go↔Go p99', value: core.p99us / gogo.p99us, target: 2, better: 'lower' },
    { name: 'Go host → TS plugin (plugwire serve on h2) ÷ Go↔Go calls/s, 16 in flight', value: served.cps16 / gogo.cps16, target: 0.8, better: 'higher' },
    { name: 'Go host → TS plugin (plugwire serve on h2) ÷ Go↔Go p99', value: served.p99us / gogo.p99us, target: 2, better: 'lower' },
    { name: 'plugwire serve: h2 server ÷ grpc-js server calls/s, 16 in flight (Go host)', value: served.cps16 / js.cps16, target: 1, better: 'higher' },
    { name: 'TS↔TS (h2 client, h2 server core) ÷ bare grpc-js calls/s, 16 in flight', value: tsts.cps16 / bare.cps16, target: 5, better: 'higher' },
  ];
  const notes = [
    `median of ${ROUNDS} interleaved rounds; 3000 sequential Gets for p50/p99, 32000 Gets per calls/s figure (Go rows measured by the Go host, TS rows by this process)`,
    'the h2 server core rows serve KV with serveGrpcConnection directly (ts-proto codecs, no grpc-js layer; run through tsx); the plugwire serve rows are examples/dist/kv/plugin-grpc.js on each gRPC server (grpc-js handler signatures)',
    'a CPU profile of the h2 server core plugin at these loads shows it ~60% idle: the Go host is the limit',
  ];
  return [{ title, rows, notes, ratios }];
}
