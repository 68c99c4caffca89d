// Issue 12: the gRPC path against Go. A 16-byte kv Get: p50 and p99 of sequential calls and calls/s with 16 and 64
// in flight, for a TS host (plugwire h2 caller, grpc-js clients over h2, plain grpc-js) → Go plugin against a
// go-plugin Go host (test/go/src/h2bench), Go host → TS plugin against Go↔Go, TS↔TS against bare grpc-js; plugin
// start-up, idle RSS of a TS plugin, and host memory per connected plugin with 50 plugins. Rounds are interleaved
// and each figure is the median over rounds. Ratios are printed with the targets beside them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { createCaller, createH2Client } from '@plugwire/h2';
import { H2Channel } from '@plugwire/grpc-transport';
import type { RunSpec } from '@plugwire/plugin';
import { KVClient, KVService } from '../examples/src/gen/kv/kv.js';
import { buildGo, goAvailable } from '../test/support/go.js';
import { GO_WARMUP_ENV, WARMUP_CALLS, type BenchRatio, type BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsPlugin = (proto: 'grpc' | 'netrpc') => join(root, `examples/dist/kv/plugin-${proto}.js`);
const bareServer = join(root, 'examples/dist/kv/bare-server.js');
const ROUNDS = Number(process.env.H2_BENCH_ROUNDS ?? 3);
const SEQ = 3000;
const TOTAL = 32000;
const PLUGIN_ENV = { BASIC_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' };

interface Figures { p50us: number; p99us: number; p999us: number; cps16: number; cps64: number }
type Get = () => Promise<unknown>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Launches a plugin and reads its unix socket from the handshake line. */
async function launch(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ socket: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(command, args, { env: { ...process.env, ...PLUGIN_ENV, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.on('line', () => {});
  const socket = line.split('|')[3]!;
  return {
    socket,
    child,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      rmSync(socket, { force: true }); // a killed Go plugin leaves its socket file behind
    },
  };
}

async function measure(get: Get): Promise<Figures> {
  for (let i = 0; i < WARMUP_CALLS; i++) await get();
  const lat: number[] = [];
  for (let i = 0; i < SEQ; i++) {
    const t = process.hrtime.bigint();
    await get();
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  lat.sort((a, b) => a - b);
  const cps = async (inflight: number): Promise<number> => {
    const start = performance.now();
    await Promise.all(Array.from({ length: inflight }, async () => {
      for (let i = 0; i < TOTAL / inflight; i++) await get();
    }));
    return TOTAL / ((performance.now() - start) / 1000);
  };
  const cps16 = await cps(16);
  const cps64 = await cps(64);
  return { p50us: lat[SEQ / 2]!, p99us: lat[Math.floor(SEQ * 0.99)]!, p999us: lat[Math.floor(SEQ * 0.999)]!, cps16, cps64 };
}

/** A TS host configuration: connects to a socket, returns a Get and a close. */
type Host = (socket: string) => { get: Get; close(): void };

const h2Caller: Host = (socket) => {
  const conn = createH2Client(connect(socket));
  const caller = createCaller(conn);
  return { get: () => caller.unary(KVService.get, { key: 'small' }), close: () => conn.abort() };
};

function grpcJsClient(client: KVClient): Get {
  return () => new Promise((resolve, reject) => client.get({ key: 'small' }, (err, res) => (err ? reject(err) : resolve(res))));
}

const h2GrpcJs: Host = (socket) => {
  const channel = new H2Channel({ network: 'unix', address: socket });
  const client = new KVClient('unused', credentials.createInsecure(), { channelOverride: channel });
  return { get: grpcJsClient(client), close: () => channel.close() };
};

const grpcJs: Host = (socket) => {
  const client = new KVClient(`unix:${socket}`, credentials.createInsecure());
  return { get: grpcJsClient(client), close: () => client.close() };
};

async function tsHost(host: Host, plugin: () => Promise<{ socket: string; stop(): Promise<void> }>): Promise<Figures> {
  const p = await plugin();
  const h = host(p.socket);
  try {
    const put = createCaller(createH2Client(connect(p.socket)));
    await put.unary(KVService.put, { key: 'small', value: new Uint8Array(16) }).catch(() => undefined);
    return await measure(h.get);
  } finally {
    h.close();
    await p.stop();
  }
}

/** A TS host as users write it: `Client` → `dispense('kv')` → the typed promise client (straight on h2). */
async function dispensedHost(command: string, args: string[], grpcTransport: 'h2' | 'grpc-js', sameSession = false): Promise<Figures> {
  const { Client, silentLogger } = await import('@plugwire/plugin');
  const { handshake, kv: kvDefinition } = await import('../examples/src/kv/definition.js');
  const client = new Client({
    handshake,
    plugins: { kv: kvDefinition },
    cmd: { command, args },
    allowedProtocols: ['grpc'],
    grpcTransport,
    logger: silentLogger,
    // As go-plugin starts plugins: in the host's session. Client's own spawn gives the plugin a session of its own,
    // which on Linux with sched_autogroup puts it in a scheduling group of its own (see tails.bench.ts).
    ...(sameSession && { runner: sameSessionRunner }),
  });
  try {
    const kv = await client.dispense('kv');
    await kv.put('small', new Uint8Array(16));
    return await measure(() => kv.get('small'));
  } finally {
    await client.kill();
  }
}

/** Starts a plugin in the host's session and process group, as go-plugin's exec.Cmd does. */
export const sameSessionRunner = (spec: RunSpec): ChildProcess =>
  spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });

async function goHost(pluginCmd: string[], env: NodeJS.ProcessEnv = {}): Promise<Figures> {
  const bin = await buildGo('h2bench');
  const child = spawn(bin, pluginCmd, { env: { ...process.env, ...GO_WARMUP_ENV, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim()) as Figures;
}

function medianFigures(list: Figures[]): Figures {
  return {
    p50us: median(list.map((f) => f.p50us)),
    p99us: median(list.map((f) => f.p99us)),
    p999us: median(list.map((f) => f.p999us)),
    cps16: median(list.map((f) => f.cps16)),
    cps64: median(list.map((f) => f.cps64)),
  };
}

function row(name: string, f: Figures): Record<string, string | number> {
  return {
    configuration: name,
    'p50 µs': f.p50us.toFixed(0),
    'p99 µs': f.p99us.toFixed(0),
    'p999 µs': f.p999us.toFixed(0),
    'calls/s (16)': Math.round(f.cps16),
    'calls/s (64)': Math.round(f.cps64),
  };
}

const ratio = (name: string, value: number, target: number, better: 'higher' | 'lower'): BenchRatio => ({ name, value, target, better });

async function callsSection(goPlugin: string | undefined): Promise<BenchSection> {
  const node = process.execPath;
  const goKv = () => launch(goPlugin!, ['kv', 'grpc']);
  // The example plugin serves on plugwire's h2 server by default; grpc-js's server is the baseline.
  const server = (kind: 'h2' | 'grpc-js') => ({ PLUGWIRE_EXAMPLE_GRPC_SERVER: kind });
  const tsKv = () => launch(node, [tsPlugin('grpc')], server('h2'));
  const tsKvGrpcJs = () => launch(node, [tsPlugin('grpc')], server('grpc-js'));
  const bare = async () => {
    const child = spawn(node, [bareServer], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [path] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    return { socket: path, stop: async () => void (child.kill('SIGKILL'), await once(child, 'exit')) };
  };
  const configs: [string, () => Promise<Figures>][] = [
    ['TS host (h2 caller) ↔ TS plugin (h2 server)', () => tsHost(h2Caller, tsKv)],
    ['TS host (h2 caller) ↔ TS plugin (grpc-js server)', () => tsHost(h2Caller, tsKvGrpcJs)],
    ['bare grpc-js client ↔ bare grpc-js server', () => tsHost(grpcJs, bare)],
  ];
  if (goPlugin) {
    configs.unshift(
      ['TS host (h2 caller) → Go plugin', () => tsHost(h2Caller, goKv)],
      ['TS host (grpc-js client on h2) → Go plugin', () => tsHost(h2GrpcJs, goKv)],
      ['TS host (typed client, dispense, on h2) → Go plugin', () => dispensedHost(goPlugin, ['kv', 'grpc'], 'h2')],
      ['TS host (typed client, dispense, on h2) → Go plugin in the host\'s session', () => dispensedHost(goPlugin, ['kv', 'grpc'], 'h2', true)],
      ['TS host (typed client, dispense, on grpc-js) → Go plugin', () => dispensedHost(goPlugin, ['kv', 'grpc'], 'grpc-js')],
      ['TS host (grpc-js) → Go plugin', () => tsHost(grpcJs, goKv)],
      ['Go host → Go plugin', () => goHost([goPlugin, 'kv', 'grpc'])],
      ['Go host → TS plugin (h2 server)', () => goHost([node, tsPlugin('grpc')], server('h2'))],
      ['Go host → TS plugin (grpc-js server)', () => goHost([node, tsPlugin('grpc')], server('grpc-js'))],
    );
  }
  const results = new Map<string, Figures[]>(configs.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, run] of configs) results.get(name)!.push(await run());
  const f = new Map([...results].map(([n, list]) => [n, medianFigures(list)]));
  const rows = [...f].map(([n, fig]) => row(n, fig));
  const ratios: BenchRatio[] = [];
  const tsts = f.get('TS host (h2 caller) ↔ TS plugin (h2 server)')!;
  const bareF = f.get('bare grpc-js client ↔ bare grpc-js server')!;
  ratios.push(ratio('TS↔TS (h2 host, h2 server) ÷ bare grpc-js calls/s (16)', tsts.cps16 / bareF.cps16, 5, 'higher'));
  if (goPlugin) {
    const tsgo = f.get('TS host (h2 caller) → Go plugin')!;
    const viaJs = f.get('TS host (grpc-js client on h2) → Go plugin')!;
    const gogo = f.get('Go host → Go plugin')!;
    const gots = f.get('Go host → TS plugin (h2 server)')!;
    const typed = f.get('TS host (typed client, dispense, on h2) → Go plugin')!;
    const typedJs = f.get('TS host (typed client, dispense, on grpc-js) → Go plugin')!;
    const typedSame = f.get('TS host (typed client, dispense, on h2) → Go plugin in the host\'s session')!;
    ratios.push(
      ratio('TS host (h2) → Go plugin ÷ Go host calls/s, 16 in flight', tsgo.cps16 / gogo.cps16, 1, 'higher'),
      ratio('TS host (h2) → Go plugin ÷ Go host calls/s, 64 in flight', tsgo.cps64 / gogo.cps64, 1, 'higher'),
      ratio('TS host (h2) → Go plugin ÷ Go host p50', tsgo.p50us / gogo.p50us, 1, 'lower'),
      ratio('TS host (h2) → Go plugin ÷ Go host p99', tsgo.p99us / gogo.p99us, 2, 'lower'),
      ratio('TS host (grpc-js client on h2, as plugwire dispenses) ÷ Go host calls/s, 16', viaJs.cps16 / gogo.cps16, 1, 'higher'),
      ratio('TS host (grpc-js client on h2) ÷ Go host p99', viaJs.p99us / gogo.p99us, 2, 'lower'),
      ratio('typed client (dispense) on h2 → Go plugin ÷ Go host calls/s, 16 in flight', typed.cps16 / gogo.cps16, 1, 'higher'),
      ratio('typed client (dispense) on h2 → Go plugin ÷ Go host calls/s, 64 in flight', typed.cps64 / gogo.cps64, 1, 'higher'),
      ratio('typed client (dispense) on h2 → Go plugin ÷ Go host p50', typed.p50us / gogo.p50us, 1, 'lower'),
      ratio('typed client (dispense) on h2 → Go plugin ÷ Go host p99', typed.p99us / gogo.p99us, 2, 'lower'),
      ratio('typed client on h2 → Go plugin in the host\'s session (as go-plugin starts it) ÷ Go host calls/s, 16 in flight', typedSame.cps16 / gogo.cps16, 1, 'higher'),
      ratio('typed client on h2 → Go plugin in the host\'s session ÷ Go host calls/s, 64 in flight', typedSame.cps64 / gogo.cps64, 1, 'higher'),
      ratio('typed client on h2 → Go plugin in the host\'s session ÷ Go host p50', typedSame.p50us / gogo.p50us, 1, 'lower'),
      ratio('typed client on h2 → Go plugin in the host\'s session ÷ Go host p99', typedSame.p99us / gogo.p99us, 2, 'lower'),
      ratio('typed client (dispense) on grpc-js → Go plugin ÷ Go host p99', typedJs.p99us / gogo.p99us, 2, 'lower'),
      ratio('TS↔TS (h2 host, h2 server) ÷ Go↔Go p99', tsts.p99us / gogo.p99us, 2, 'lower'),
      ratio('Go host → TS plugin (h2 server) ÷ Go↔Go calls/s, 16 in flight', gots.cps16 / gogo.cps16, 0.8, 'higher'),
      ratio('Go host → TS plugin (h2 server) ÷ Go↔Go p99', gots.p99us / gogo.p99us, 2, 'lower'),
    );
  }
  const notes = [
    `median of ${ROUNDS} interleaved rounds; ${SEQ} sequential Gets for p50/p99/p999 after ${WARMUP_CALLS} warm-up Gets on every side (a Node side's p99 before that is V8's warm-up: see WARMUP_CALLS in bench/types.ts), ${TOTAL} Gets per calls/s figure`,
    'p99 on a shared machine is mostly time the host waited for a CPU, not GC: see the tails section (tails.bench.ts)',
  ];
  if (!goPlugin) notes.push('Go rows skipped: Go toolchain not installed');
  return { title: 'gRPC calls: 16-byte kv Get, lean h2 client vs grpc-js vs go-plugin (v1.0.1)', rows, notes, ratios };
}

/** Median ms from spawn to `ready` resolving, over `runs` turns taken alternately with the other openers. */
async function timed(opens: ReadonlyArray<() => Promise<() => Promise<void>>>, runs = 9): Promise<number[]> {
  const times = opens.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, open] of opens.entries()) {
      const t = performance.now();
      const close = await open();
      times[j]!.push(performance.now() - t);
      await close();
    }
  }
  return times.map(median);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startupSection(): Promise<BenchSection> {
  const node = process.execPath;
  const bareNode = async () => {
    const child = spawn(node, ['-e', '0'], { stdio: 'ignore' });
    await once(child, 'exit');
    return async () => {};
  };
  // A TS plugin: spawn → handshake line → connected → first call answered.
  const plugin = (proto: 'grpc' | 'netrpc') => async () => {
    const { Client, silentLogger } = await import('@plugwire/plugin');
    const { handshake, kv: kvDefinition } = await import('../examples/src/kv/definition.js');
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: node, args: [tsPlugin(proto)] }, allowedProtocols: [proto], logger: silentLogger });
    const kv = await client.dispense('kv');
    await kv.get('missing');
    return async () => void (await client.kill());
  };
  const bareGrpcServer = async () => {
    const child = spawn(node, [bareServer], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [path] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const client = new KVClient(`unix:${path}`, credentials.createInsecure());
    await grpcJsClient(client)();
    return async () => {
      client.close();
      child.kill('SIGKILL');
      await once(child, 'exit');
    };
  };
  await plugin('grpc')().then((c) => c()); // load the host side's modules before timing
  const [nodeMs, netrpcMs, grpcMs, bareMs] = await timed([bareNode, plugin('netrpc'), plugin('grpc'), bareGrpcServer]);

  // Idle RSS of TS plugins, after a first call and a second of rest.
  const idle: Record<string, number> = {};
  for (const proto of ['grpc', 'netrpc'] as const) {
    const { Client, silentLogger } = await import('@plugwire/plugin');
    const { handshake, kv: kvDefinition } = await import('../examples/src/kv/definition.js');
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: node, args: [tsPlugin(proto)] }, allowedProtocols: [proto], logger: silentLogger });
    const kv = await client.dispense('kv');
    await kv.get('x');
    await new Promise((r) => setTimeout(r, 1000));
    const pid = client.reattachConfig()!.pid;
    idle[proto] = rssMiB(pid);
    await client.kill();
  }
  const rows = [
    { configuration: 'bare `node -e 0`', 'ms': nodeMs!.toFixed(1) },
    { configuration: 'netrpc TS plugin launch → first call', 'ms': netrpcMs!.toFixed(1) },
    { configuration: 'bare Node grpc-js server launch → first call', 'ms': bareMs!.toFixed(1) },
    { configuration: 'gRPC TS plugin launch → first call (h2 host)', 'ms': grpcMs!.toFixed(1) },
    { configuration: 'idle gRPC TS plugin RSS (MiB)', 'ms': idle.grpc!.toFixed(1) },
    { configuration: 'idle netrpc TS plugin RSS (MiB)', 'ms': idle.netrpc!.toFixed(1) },
  ];
  const ratios = [
    ratio('netrpc TS plugin launch → first call minus `node -e 0` (ms)', netrpcMs! - nodeMs!, 25, 'lower'),
    ratio('gRPC TS plugin launch → first call minus bare grpc-js server process (ms)', grpcMs! - bareMs!, 10, 'lower'),
    ratio('idle gRPC TS plugin RSS (MiB)', idle.grpc!, 50, 'lower'),
    ratio('idle netrpc TS plugin RSS (MiB)', idle.netrpc!, 50, 'lower'),
  ];
  const notes = [
    `Node ${process.version}: ${typeof ((await import('node:module')) as { enableCompileCache?: unknown }).enableCompileCache === 'function' ? 'module.enableCompileCache available' : 'no module.enableCompileCache (Node 22.1+), so the compile cache was not tried'}`,
  ];
  return { title: 'Plugin start-up and idle memory (medians of 9 alternating launches)', rows, notes, ratios };
}

async function hostMemorySection(): Promise<BenchSection> {
  const script = join(root, 'bench/h2-host-memory.ts');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, '50'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  const r = JSON.parse(out.trim()) as { plugins: number; baseMiB: number; loadedMiB: number; perPluginMiB: number; heapPerPluginKiB: number };
  return {
    title: 'Host memory with 50 connected TS gRPC plugins (h2 transport)',
    rows: [
      { measure: 'host RSS before (MiB)', value: r.baseMiB.toFixed(1) },
      { measure: `host RSS with ${r.plugins} plugins connected (MiB)`, value: r.loadedMiB.toFixed(1) },
      { measure: 'RSS per plugin (MiB)', value: r.perPluginMiB.toFixed(2) },
      { measure: 'JS heap per plugin (KiB)', value: r.heapPerPluginKiB.toFixed(0) },
    ],
    ratios: [ratio('host RSS per connected plugin (MiB)', r.perPluginMiB, 2, 'lower')],
  };
}

export default async function h2Bench(): Promise<BenchSection[]> {
  const goPlugin = goAvailable ? await buildGo('explugin') : undefined;
  return [await callsSection(goPlugin), await startupSection(), await hostMemorySection()];
}
