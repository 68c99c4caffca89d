// Issues 2 and 4: launch → first call, p50/p99 of a 16-byte Get, calls/s with 16 in flight, 64 × 1 MiB Put, for the
// kv plugin over gRPC and over netrpc: plugwire TS host ↔ TS plugin, TS host → Go plugin, Go host → TS plugin, Go↔Go
// (go-plugin v1.0.1), and for gRPC bare grpc-js. Every host and plugin is its own process, as in real use.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Channel, credentials } from '@grpc/grpc-js';
import { Client, silentLogger, type ProtocolName } from '@plugwire/plugin';
import { client as grpcClient } from '@plugwire/plugin/grpc';
import { KVService } from '../examples/src/gen/kv/kv.js';
import { handshake, kv as kvPlugin, type KV } from '../examples/src/kv/definition.js';
import { buildGo, goAvailable } from '../test/support/go.js';
import { GO_WARMUP_ENV, WARMUP_CALLS, type BenchRatio, type BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The built TS kv plugin for `proto`. */
export const tsPlugin = (proto: ProtocolName) => join(root, `examples/dist/kv/plugin-${proto}.js`);
const bareServer = join(root, 'examples/dist/kv/bare-server.js');
const RUNS = 9;

/** What one configuration measures. */
export interface Figures { launchMs: number; p50us: number; p99us: number; callsPerSec: number; put64MiBms: number }
/** An open kv plugin and how to release it. */
export interface Session { kv: KV; close(): Promise<void> }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * Median launch → first call of each opener. The openers take turns, so that a noisy moment of this shared machine
 * hits all of them alike rather than one.
 */
export async function launches(opens: ReadonlyArray<() => Promise<Session>>): Promise<number[]> {
  const times = opens.map((): number[] => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, open] of opens.entries()) {
      const start = performance.now();
      const s = await open();
      await s.kv.get('missing');
      times[j]!.push(performance.now() - start);
      await s.close();
    }
  }
  return times.map(median);
}

/** p50/p99 of a 16-byte Get and calls/s with 16 in flight, on an open kv plugin. */
export async function callFigures(kv: KV): Promise<Pick<Figures, 'p50us' | 'p99us' | 'callsPerSec'>> {
  await kv.put('small', new Uint8Array(16));
  for (let i = 0; i < WARMUP_CALLS; i++) await kv.get('small');
  const lat: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = process.hrtime.bigint();
    await kv.get('small');
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  lat.sort((a, b) => a - b);
  const total = 20000;
  const start = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = 0; i < total / 16; i++) await kv.get('small');
  }));
  return { p50us: lat[1000]!, p99us: lat[1980]!, callsPerSec: total / ((performance.now() - start) / 1000) };
}

/** Latency, throughput and 64 MiB Put over one session; launch time measured separately. */
export async function measure(open: () => Promise<Session>, launchMs: number): Promise<Figures> {
  const { kv, close } = await open();
  const calls = await callFigures(kv);
  const big = new Uint8Array(1 << 20);
  const start = performance.now();
  for (let i = 0; i < 64; i++) await kv.put('big', big);
  const put64MiBms = performance.now() - start;
  await close();
  return { launchMs, ...calls, put64MiBms };
}

/** Opens the kv plugin from a plugwire host; `grpcBrokerMultiplex` for go-plugin v1.6+ plugins, `autoMTLS` for TLS. */
export function plugwireHost(
  proto: ProtocolName,
  command: string,
  args: string[],
  options: { grpcBrokerMultiplex?: boolean; autoMTLS?: boolean } = {},
): () => Promise<Session> {
  return async () => {
    const client = new Client({ handshake, plugins: { kv: kvPlugin }, cmd: { command, args }, allowedProtocols: [proto], logger: silentLogger, ...options });
    const kv = await client.dispense('kv');
    return { kv, close: () => client.kill() };
  };
}

async function bareGrpc(): Promise<Session> {
  const child = spawn(process.execPath, [bareServer], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [path] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const channel = new Channel(`unix:${path}`, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  const client = grpcClient(KVService, channel);
  const kv: KV = {
    put: async (key, value) => void (await client.put({ key, value })),
    get: async (key) => (await client.get({ key })).value,
  };
  return {
    kv,
    close: async () => {
      channel.close();
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Runs test/go/src/exbench (a go-plugin Go host; `exbench` picks the build, v1.0.1 by default). */
export async function goHost(proto: ProtocolName, pluginCmd: string[], exbench?: string): Promise<Figures> {
  exbench ??= await buildGo('exbench');
  const child = spawn(exbench, [proto, String(RUNS), ...pluginCmd], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...GO_WARMUP_ENV } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim()) as Figures;
}

/** One table row. */
export function row(name: string, f: Figures): Record<string, string | number> {
  return {
    configuration: name,
    'launch→first call ms': f.launchMs.toFixed(1),
    'p50 µs': f.p50us.toFixed(0),
    'p99 µs': f.p99us.toFixed(0),
    'calls/s (16 in flight)': Math.round(f.callsPerSec),
    '64×1 MiB Put ms': f.put64MiBms.toFixed(0),
  };
}

async function grpcSection(goPlugin: string | undefined): Promise<BenchSection> {
  const tsHost = plugwireHost('grpc', process.execPath, [tsPlugin('grpc')]);
  const [bareLaunch, tstsLaunch] = await launches([bareGrpc, tsHost]);
  const bare = await measure(bareGrpc, bareLaunch!);
  const tsts = await measure(tsHost, tstsLaunch!);
  const rows = [row('bare grpc-js (baseline)', bare), row('plugwire TS host ↔ TS plugin', tsts)];
  const ratios: BenchRatio[] = [];
  const notes = [
    `TS↔TS vs bare grpc-js: p50 ${pct(tsts.p50us, bare.p50us)}, calls/s ${pct(tsts.callsPerSec, bare.callsPerSec)} (target: within 5 %)`,
    `TS plugin launch → first call minus bare Node grpc-js process: ${(tsts.launchMs - bare.launchMs).toFixed(1)} ms (target: at most 30 ms)`,
  ];
  if (goPlugin) {
    const toGo = plugwireHost('grpc', goPlugin, ['kv', 'grpc']);
    const tsgo = await measure(toGo, (await launches([toGo]))[0]!);
    const gots = await goHost('grpc', [process.execPath, tsPlugin('grpc')]);
    const gogo = await goHost('grpc', [goPlugin, 'kv', 'grpc']);
    rows.push(row('plugwire TS host → Go plugin', tsgo), row('go-plugin Go host → TS plugin', gots), row('go-plugin Go host ↔ Go plugin', gogo));
    notes.push(`TS host → Go plugin launch vs Go host: ${(tsgo.launchMs / gogo.launchMs).toFixed(2)} × (target: at most 1.5 ×)`);
    ratios.push(putRatio('gRPC TS host (h2) → Go plugin', tsgo, gogo), ...p99Ratios('gRPC', tsts, tsgo, gots, gogo));
  }
  return { title: 'gRPC: kv plugin, host and plugin in separate processes', rows, notes, ratios };
}

async function netrpcSection(goPlugin: string | undefined): Promise<BenchSection> {
  const tsHost = plugwireHost('netrpc', process.execPath, [tsPlugin('netrpc')]);
  const tsts = await measure(tsHost, (await launches([tsHost]))[0]!);
  const rows = [row('plugwire TS host ↔ TS plugin', tsts)];
  const notes: string[] = [];
  const ratios: BenchRatio[] = [];
  if (goPlugin) {
    const toGo = plugwireHost('netrpc', goPlugin, ['kv', 'netrpc']);
    const tsgo = await measure(toGo, (await launches([toGo]))[0]!);
    const gots = await goHost('netrpc', [process.execPath, tsPlugin('netrpc')]);
    const gogo = await goHost('netrpc', [goPlugin, 'kv', 'netrpc']);
    rows.push(row('plugwire TS host → Go plugin', tsgo), row('go-plugin Go host → TS plugin', gots), row('go-plugin Go host ↔ Go plugin', gogo));
    notes.push(`TS↔TS vs Go↔Go calls/s: ${pct(tsts.callsPerSec, gogo.callsPerSec)} (target: TS↔TS faster)`);
    ratios.push(
      { name: 'netrpc TS host ↔ TS plugin calls/s (16 in flight) ÷ Go↔Go', value: tsts.callsPerSec / gogo.callsPerSec, target: 1, better: 'higher' },
      putRatio('netrpc TS host → Go plugin', tsgo, gogo),
      putRatio('netrpc Go host → TS plugin', gots, gogo),
      putRatio('netrpc TS host ↔ TS plugin', tsts, gogo),
      ...p99Ratios('netrpc', tsts, tsgo, gots, gogo),
    );
  }
  return { title: 'netrpc: kv plugin (Put takes map[string]interface{}), host and plugin in separate processes', rows, notes, ratios };
}

/** Issue 12: the p99 of every configuration with a TS side at most 2 × Go↔Go's. */
function p99Ratios(proto: string, tsts: Figures, tsgo: Figures, gots: Figures, gogo: Figures): BenchRatio[] {
  const r = (name: string, f: Figures): BenchRatio => ({ name: `${proto} ${name} ÷ Go↔Go p99`, value: f.p99us / gogo.p99us, target: 2, better: 'lower' });
  return [r('TS host ↔ TS plugin', tsts), r('TS host → Go plugin', tsgo), r('Go host → TS plugin', gots)];
}

/** 64 × 1 MiB Put throughput of a configuration ÷ Go↔Go's (Go↔Go's time ÷ its time): at least 1. */
const putRatio = (name: string, f: Figures, gogo: Figures): BenchRatio => ({
  name: `${name} 64×1 MiB Put throughput ÷ Go↔Go`,
  value: gogo.put64MiBms / f.put64MiBms,
  target: 1,
  better: 'higher',
});

const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)} %`;

export default async function pluginsBench(): Promise<BenchSection[]> {
  const goPlugin = goAvailable ? await buildGo('explugin') : undefined;
  const sections = [await grpcSection(goPlugin), await netrpcSection(goPlugin)];
  if (!goPlugin) for (const s of sections) (s.notes as string[]).push('Go rows skipped: Go toolchain not installed');
  return sections;
}
