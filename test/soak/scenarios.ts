// The soak scenarios: each returns figures and whether it held. Thresholds live here, not in the unit tests.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, PluginError, silentLogger } from '@plugwire/plugin';
import { launch } from '@plugwire/process';
import { handshake, kv } from '../../examples/src/kv/definition.js';
import { buildGo, goSkipReason } from '../support/go.js';

/** The outcome of one scenario. */
export interface Result {
  readonly ok: boolean;
  readonly figures: string;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const KV_FIXTURE = join(root, 'examples/test/fixtures/misbehaving-kv.mjs');
const RAW_FIXTURE = join(root, 'packages/process/test/fixtures/plugin.mjs');
const HOST_DIE = join(root, 'packages/process/test/fixtures/host-die.mts');
const COOKIE = { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' };

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True while `pid` runs (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function fds(): number {
  return readdirSync('/proc/self/fd').length;
}

function newClient(proto: 'grpc' | 'netrpc', extra: Record<string, unknown> = {}): Client<{ kv: typeof kv }> {
  return new Client({ handshake, plugins: { kv }, cmd: { command: process.execPath, args: [KV_FIXTURE, proto] }, allowedProtocols: [proto], logger: silentLogger, ...extra });
}

/** `n` launch/kill cycles: no process, fd or socket directory left. */
export async function launchKill(n: number): Promise<Result> {
  const fdBefore = fds();
  const pids: number[] = [];
  const sockets: string[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const p = await launch({ command: process.execPath, args: [RAW_FIXTURE, 'serve'], handshake: COOKIE, versions: [1], allowedProtocols: ['netrpc'], logger: silentLogger });
    pids.push(p.pid);
    sockets.push(p.handshake.address);
    await p.kill();
  }
  const ms = performance.now() - start;
  await sleep(200);
  const leakedPids = pids.filter((pid) => alive(pid)).length;
  const leakedFds = fds() - fdBefore;
  const leakedDirs = sockets.filter((path) => existsSync(dirname(path))).length;
  return {
    ok: leakedPids === 0 && leakedFds <= 0 && leakedDirs === 0,
    figures: `${n} cycles in ${(ms / 1000).toFixed(1)} s (${(ms / n).toFixed(0)} ms each); leaked: ${leakedPids} processes, ${leakedFds} fds, ${leakedDirs} socket dirs`,
  };
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.99)] ?? 0;
}

/**
 * `n` calls at 16 in flight: growth of the memory outside the JS heap (RSS minus heap used) after warm-up (the
 * first tenth, at least 100k calls), must stay under 10 %; total RSS and p99 drift (first vs last tenth) are
 * reported. Runs too short for a warm-up only report the figures.
 */
export async function manyCalls(proto: 'grpc' | 'netrpc', n: number): Promise<Result> {
  const client = newClient(proto);
  try {
    const store = await client.dispense('kv');
    await store.put('k', new Uint8Array(64));
    const tenth = Math.max(1, Math.floor(n / 10));
    const warmup = Math.max(tenth, Math.min(100_000, n - 1));
    const judged = n >= 500_000;
    const first: number[] = [];
    const last: number[] = [];
    let rssWarm = 0;
    let outsideWarm = 0;
    let done = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (done < n) {
          const i = done++;
          const t = performance.now();
          await store.get('k');
          const dt = performance.now() - t;
          if (i < tenth) first.push(dt);
          else if (i >= n - tenth) last.push(dt);
          if (i === warmup) {
            global.gc?.();
            const m = process.memoryUsage();
            rssWarm = m.rss;
            outsideWarm = m.rss - m.heapUsed;
          }
          if (n >= 1_000_000 && i > 0 && i % Math.floor(n / 20) === 0) {
            // Long runs show the curve, to tell a plateau from a creep.
            const m = process.memoryUsage();
            console.log(`  ${proto} ${i} calls: rss ${mib(m.rss)} heap ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    global.gc?.();
    const end = process.memoryUsage();
    const rssEnd = end.rss;
    const growth = (rssEnd - rssWarm) / rssWarm;
    // The creep was memory outside the JS heap: that is what must stay flat.
    const outsideEnd = end.rss - end.heapUsed;
    const outsideGrowth = (outsideEnd - outsideWarm) / outsideWarm;
    const [p1, p2] = [p99(first), p99(last)];
    return {
      ok: !judged || outsideGrowth < 0.1,
      figures:
        `${n} calls in ${seconds.toFixed(1)} s (${Math.round(n / seconds)}/s); RSS ${mib(rssWarm)} after ${warmup} calls -> ${mib(rssEnd)} ` +
        `(${(growth * 100).toFixed(1)} %); outside the heap ${mib(outsideWarm)} -> ${mib(outsideEnd)} ` +
        `(${(outsideGrowth * 100).toFixed(1)} %${judged ? '' : ', not judged: too short'}); ` +
        `heap ${mib(process.memoryUsage().heapUsed)}; p99 ${p1.toFixed(2)} -> ${p2.toFixed(2)} ms`,
    };
  } finally {
    await client.kill();
  }
}

/** SIGKILL with 100 calls in flight: every one rejects with a PluginError (exited) within 1 s. */
export async function killInFlight(proto: 'grpc' | 'netrpc'): Promise<Result> {
  const client = newClient(proto);
  try {
    const store = await client.dispense('kv');
    const settled: Array<Promise<{ code: string; at: number }>> = Array.from({ length: 100 }, () =>
      store.get('hang').then(
        () => ({ code: 'resolved', at: performance.now() }),
        (e: unknown) => ({ code: e instanceof PluginError ? e.code : 'untyped', at: performance.now() }),
      ),
    );
    await store.get('k');
    const t0 = performance.now();
    process.kill(client.reattachConfig()!.pid, 'SIGKILL');
    const results = await Promise.all(settled);
    const slowest = Math.max(...results.map((r) => r.at - t0));
    const codes = [...new Set(results.map((r) => r.code))];
    return { ok: codes.length === 1 && codes[0] === 'exited' && slowest < 1000, figures: `100 calls rejected with ${codes.join(',')}; last after ${slowest.toFixed(0)} ms` };
  } finally {
    await client.kill();
  }
}

/** A frozen plugin: a call with a 300 ms signal rejects on time, kill() within killTimeout (2 s) + 0.5 s. */
export async function frozen(proto: 'grpc' | 'netrpc'): Promise<Result> {
  const client = newClient(proto);
  const store = await client.dispense('kv');
  process.kill(client.reattachConfig()!.pid, 'SIGSTOP');
  const t0 = performance.now();
  const err = await store.get('k', { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
  const callMs = performance.now() - t0;
  const t1 = performance.now();
  await client.kill();
  const killMs = performance.now() - t1;
  const typed = err instanceof PluginError;
  return { ok: typed && callMs < 800 && killMs < 2500, figures: `call rejected (${typed ? (err as PluginError).code : 'untyped'}) after ${callMs.toFixed(0)} ms; kill() took ${killMs.toFixed(0)} ms` };
}

async function hostThenDie(command: string, args: string[]): Promise<number> {
  const host = spawn(process.execPath, ['--import', 'tsx', HOST_DIE, JSON.stringify({ command, args })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: host.stdout! }), 'line')) as [string];
  host.kill('SIGKILL');
  await once(host, 'exit');
  return Number(line.split(' ')[1]);
}

/** The host SIGKILLed: its TS and Go plugins die too. */
export async function hostKilled(): Promise<Result> {
  const pids = [await hostThenDie(process.execPath, [RAW_FIXTURE, 'stubborn'])];
  let go = 'Go plugin: skipped (no Go toolchain)';
  if (goSkipReason() === undefined) {
    pids.push(await hostThenDie(await buildGo('proc/goplugin'), []));
    go = 'Go plugin included';
  }
  await sleep(1000);
  const orphans = pids.filter((pid) => alive(pid));
  for (const pid of orphans) process.kill(pid, 'SIGKILL');
  return { ok: orphans.length === 0, figures: `${orphans.length} orphans of ${pids.length} plugins (${go})` };
}

/** 5,000 calls cancelled by 0..5 ms signals: the connection answers afterwards, no unhandled rejection. */
export async function cancelBurst(proto: 'grpc' | 'netrpc', n: number): Promise<Result> {
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown): void => {
    unhandled.push(r);
  };
  process.on('unhandledRejection', onUnhandled);
  const client = newClient(proto);
  try {
    const store = await client.dispense('kv');
    await store.put('k', new Uint8Array([1]));
    const t0 = performance.now();
    const codes = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.get('k', { signal: AbortSignal.timeout(i % 6) }).then(
          () => 'ok',
          (e: unknown) => (e instanceof PluginError ? e.code : 'untyped'),
        ),
      ),
    );
    const lost = codes.filter((c) => c !== 'ok' && c !== 'aborted' && c !== 'timeout').length;
    const t1 = performance.now();
    const after = await store.get('k', { signal: AbortSignal.timeout(30_000) }).then(() => 'answers', (e: unknown) => `fails (${String(e)})`);
    return {
      ok: lost === 0 && after === 'answers' && unhandled.length === 0,
      figures: `${n} calls settled in ${(t1 - t0).toFixed(0)} ms, ${lost} lost; next call ${after} after ${(performance.now() - t1).toFixed(0)} ms; ${unhandled.length} unhandled rejections`,
    };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await client.kill();
  }
}
