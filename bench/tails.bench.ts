// Issue 12, tails: where the p99 of the TS sides comes from. A TS host measures sequential 16-byte kv Gets in its own
// process and, for its slowest 1 % of calls, splits their time over the p50 into: its main thread waiting for a CPU
// (the run-queue delay of /proc/self/task/<pid>/schedstat, read before and after each call), GC pauses overlapping
// the call (PerformanceObserver 'gc'), and the rest (the peer, the kernel). A Go host (test/go/src/h2bench) measures
// the same Gets on a TS plugin, and the plugin reports its own GC pauses and run-queue wait (bench/tails-probe.mjs);
// the Go host on a Go plugin is the reference. Rounds are interleaved; each figure is the median over rounds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync, readSync, closeSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildGo, goAvailable } from '../test/support/go.js';
import { Client, silentLogger } from '@plugwire/plugin';
import { handshake, kv } from '../examples/src/kv/definition.js';
import { sameSessionRunner } from './h2.bench.js';
import { plugwireHost, tsPlugin, type Session } from './plugins.bench.js';
import { GO_WARMUP_ENV, WARMUP_CALLS, type BenchRatio, type BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.TAILS_BENCH_ROUNDS ?? 3);
const SEQ = 3000;
const probe = join(root, 'bench/tails-probe.mjs');
const schedstat = `/proc/self/task/${process.pid}/schedstat`;

/** One configuration's figures; the attribution columns are absent where the TS side is the plugin. */
interface Tails {
  p50us: number;
  p99us: number;
  p999us: number;
  /** Slowest 1 %: mean time over the p50, µs. */
  excessUs?: number;
  /** Share of that excess the host thread spent waiting for a CPU. */
  cpuWaitShare?: number;
  /** Share of that excess in GC pauses. */
  gcShare?: number;
  /** Scavenges per 10 000 calls (the TS side). */
  scavengesPer10k?: number;
  /** Longest scavenge (minor GC) of the TS side, ms. */
  maxScavengeMs?: number;
  /** Major GCs of the TS side while measured (for a TS plugin: over its whole run, start-up included). */
  majors?: number;
  /** The TS side's run-queue wait per ms it ran (how much the machine held it back). */
  waitPerRun?: number;
}

/** Run-queue wait of this thread in µs so far (Linux; 0 elsewhere), read with one pread per call. */
function runQueueClock(): { read(): number; close(): void } {
  if (!existsSync(schedstat)) return { read: () => 0, close: () => {} };
  const fd = openSync(schedstat, 'r');
  const buf = Buffer.alloc(128);
  return {
    read: () => Number(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ')[1]) / 1000,
    close: () => closeSync(fd),
  };
}

/** Sequential Gets on an open session from this (TS) host, with each slow call's time split by cause. */
async function hostTails(open: () => Promise<Session>): Promise<Tails> {
  const { kv, close } = await open();
  try {
    await kv.put('small', new Uint8Array(16));
    for (let i = 0; i < WARMUP_CALLS; i++) await kv.get('small');
    const gcs: { start: number; end: number; kind: number }[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0 });
    });
    observer.observe({ entryTypes: ['gc'] });
    const clock = runQueueClock();
    const waited = clock.read;
    const calls: { start: number; end: number; wait: number }[] = [];
    const run0 = waited();
    const t0 = performance.now();
    for (let i = 0; i < SEQ; i++) {
      const w = waited();
      const start = performance.now();
      await kv.get('small');
      const end = performance.now();
      calls.push({ start, end, wait: waited() - w });
    }
    const wallMs = performance.now() - t0;
    const waitMs = (waited() - run0) / 1000;
    clock.close();
    await new Promise((resolve) => setImmediate(resolve)); // GC entries are delivered asynchronously
    observer.disconnect();
    const us = (c: { start: number; end: number }) => (c.end - c.start) * 1000;
    const sorted = [...calls].sort((a, b) => us(a) - us(b));
    const p50 = us(sorted[SEQ / 2]!);
    const slow = sorted.slice(Math.floor(SEQ * 0.99));
    let excess = 0;
    let wait = 0;
    let gc = 0;
    for (const c of slow) {
      excess += us(c) - p50;
      wait += c.wait;
      for (const g of gcs) if (g.start < c.end && g.end > c.start) gc += (Math.min(g.end, c.end) - Math.max(g.start, c.start)) * 1000;
    }
    return {
      p50us: p50,
      p99us: us(sorted[Math.floor(SEQ * 0.99)]!),
      p999us: us(sorted[Math.floor(SEQ * 0.999)]!),
      excessUs: excess / slow.length,
      cpuWaitShare: Math.min(1, wait / excess),
      gcShare: Math.min(1, gc / excess),
      scavengesPer10k: (gcs.filter((g) => g.kind === 1).length * 10000) / SEQ,
      maxScavengeMs: Math.max(0, ...gcs.filter((g) => g.kind === 1).map((g) => g.end - g.start)),
      majors: gcs.filter((g) => g.kind !== 1).length,
      waitPerRun: waitMs / Math.max(1e-9, wallMs - waitMs),
    };
  } finally {
    await close();
  }
}

/**
 * A plugwire host whose plugin runs in the host's session, as go-plugin starts plugins (Client's own spawn gives it a
 * session of its own: on Linux with sched_autogroup, a scheduling group of its own).
 */
function sameSession(proto: 'grpc' | 'netrpc', command: string, args: string[]): () => Promise<Session> {
  return async () => {
    const client = new Client({ handshake, plugins: { kv }, cmd: { command, args }, allowedProtocols: [proto], logger: silentLogger, runner: sameSessionRunner });
    const store = await client.dispense('kv');
    return { kv: store, close: () => client.kill() };
  };
}

/** The Go host (h2bench) on a plugin; a TS plugin is started with the probe and reports its own GC and waits. */
async function goHostTails(proto: 'grpc' | 'netrpc', pluginCmd: string[], tsSide: boolean): Promise<Tails> {
  const bin = await buildGo('h2bench');
  const out = join(tmpdir(), `plugwire-tails-${process.pid}-${Date.now()}.json`);
  const cmd = tsSide ? [pluginCmd[0]!, '--import', probe, ...pluginCmd.slice(1)] : pluginCmd;
  const child = spawn(bin, cmd, { env: { ...process.env, ...GO_WARMUP_ENV, H2BENCH_PROTOCOL: proto, PLUGWIRE_TAILS_OUT: out }, stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  await once(child, 'exit');
  const f = JSON.parse(text.trim()) as { p50us: number; p99us: number; p999us: number; cps16: number };
  const tails: Tails = { p50us: f.p50us, p99us: f.p99us, p999us: f.p999us };
  if (tsSide && existsSync(out)) {
    // The probe covers the plugin's whole run: the warm-up, the sequential Gets and 64 000 concurrent ones.
    const p = JSON.parse(readFileSync(out, 'utf8')) as { scavenges: number; majors: number; maxScavengeMs: number; runMs: number; waitMs: number };
    rmSync(out, { force: true });
    tails.scavengesPer10k = (p.scavenges * 10000) / (SEQ + WARMUP_CALLS + 64000);
    tails.maxScavengeMs = p.maxScavengeMs;
    tails.majors = p.majors;
    tails.waitPerRun = p.waitMs / Math.max(1e-9, p.runMs);
  }
  return tails;
}

function autogroup(): string {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1' ? 'on' : 'off';
  } catch {
    return 'not available';
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (x: number | undefined, digits = 0) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(digits));
const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : `${(x * 100).toFixed(0)} %`);

function medianTails(list: Tails[]): Tails {
  const m = (k: keyof Tails) => {
    const xs = list.map((t) => t[k]).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  const out: Tails = { p50us: m('p50us')!, p99us: m('p99us')!, p999us: m('p999us')! };
  for (const k of ['excessUs', 'cpuWaitShare', 'gcShare', 'scavengesPer10k', 'maxScavengeMs', 'majors', 'waitPerRun'] as const) {
    const v = m(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export default async function tailsBench(): Promise<BenchSection[]> {
  const title = 'Tails: 16-byte kv Get, where the slowest 1 % of a TS side comes from';
  const node = process.execPath;
  const configs: [string, 'grpc' | 'netrpc', () => Promise<Tails>][] = [
    ['TS host (typed client, h2) ↔ TS plugin, gRPC', 'grpc', () => hostTails(plugwireHost('grpc', node, [tsPlugin('grpc')]))],
    ['TS host ↔ TS plugin, netrpc', 'netrpc', () => hostTails(plugwireHost('netrpc', node, [tsPlugin('netrpc')]))],
  ];
  const goPlugin = goAvailable ? await buildGo('explugin') : undefined;
  if (goPlugin) {
    configs.unshift(
      ['TS host (typed client, h2) → Go plugin, gRPC', 'grpc', () => hostTails(plugwireHost('grpc', goPlugin, ['kv', 'grpc']))],
      ['TS host (typed client, h2) → Go plugin in the host\'s session, gRPC', 'grpc', () => hostTails(sameSession('grpc', goPlugin, ['kv', 'grpc']))],
      ['Go host → TS plugin (plugwire serve), gRPC', 'grpc', () => goHostTails('grpc', [node, tsPlugin('grpc')], true)],
      ['Go host → TS plugin (h2 server core), gRPC', 'grpc', () => goHostTails('grpc', [node, '--import', 'tsx', join(root, 'packages/h2/test/fixtures/kv-plugin.ts')], true)],
      ['Go host → Go plugin, gRPC', 'grpc', () => goHostTails('grpc', [goPlugin, 'kv', 'grpc'], false)],
      ['TS host → Go plugin, netrpc', 'netrpc', () => hostTails(plugwireHost('netrpc', goPlugin, ['kv', 'netrpc']))],
      ['TS host → Go plugin in the host\'s session, netrpc', 'netrpc', () => hostTails(sameSession('netrpc', goPlugin, ['kv', 'netrpc']))],
      ['Go host → TS plugin, netrpc', 'netrpc', () => goHostTails('netrpc', [node, tsPlugin('netrpc')], true)],
      ['Go host → Go plugin, netrpc', 'netrpc', () => goHostTails('netrpc', [goPlugin, 'kv', 'netrpc'], false)],
    );
  }
  const results = new Map<string, Tails[]>(configs.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, , run] of configs) results.get(name)!.push(await run());
  const f = new Map([...results].map(([n, list]) => [n, medianTails(list)]));
  const rows = [...f].map(([configuration, t]) => ({
    configuration,
    'p50 µs': fmt(t.p50us),
    'p99 µs': fmt(t.p99us),
    'p999 µs': fmt(t.p999us),
    'slowest 1 %: µs over p50': fmt(t.excessUs),
    'of it: host waiting for a CPU': pct(t.cpuWaitShare),
    'of it: GC': pct(t.gcShare),
    'TS side: scavenges / 10k calls': fmt(t.scavengesPer10k, 1),
    'TS side: longest scavenge ms': fmt(t.maxScavengeMs, 2),
    'TS side: major GCs': fmt(t.majors),
    'TS side: run-queue wait per ms run': fmt(t.waitPerRun, 2),
  }));
  const ratios: BenchRatio[] = [];
  if (goPlugin) {
    for (const [name, proto] of configs) {
      const gogo = f.get(`Go host → Go plugin, ${proto === 'grpc' ? 'gRPC' : 'netrpc'}`)!;
      if (name.startsWith('Go host → Go')) continue;
      ratios.push({ name: `${name} ÷ Go↔Go p99`, value: f.get(name)!.p99us / gogo.p99us, target: 2, better: 'lower' });
    }
  }
  const notes = [
    `median of ${ROUNDS} interleaved rounds of ${SEQ} sequential Gets (after ${WARMUP_CALLS} warm-up Gets, as every side gets)`,
    '"host waiting for a CPU": run-queue delay of the host main thread during each slow call (schedstat); "GC": GC pauses overlapping it; the rest is the peer or the kernel',
    'Go host rows are measured by the Go host; for a TS plugin the plugin reports its GC and run-queue wait over the whole run (bench/tails-probe.mjs)',
    `"in the host's session": started as go-plugin starts plugins (a Client runner); Client's own spawn gives the plugin a session of its own, on Linux a scheduling group of its own when sched_autogroup is on (here: ${autogroup()})`,
  ];
  if (!goPlugin) notes.push('Go rows skipped: Go toolchain not installed');
  return [{ title, rows, notes, ratios }];
}
