// Issue 12, start-up and idle memory of a TS plugin, in each way a plugin can be shipped: launch → first call
// (host side: spawn, handshake line, connect, first Get answered), the plugin's CPU time until then (all its threads,
// from /proc/<pid>/task/*/schedstat: less noisy than wall time on a shared machine) and its RSS after a first call
// and a second of rest. Layouts: the package layout (examples/dist, packages from node_modules), the ESM bundle
// (examples/dist-bundled), one CommonJS file (examples/dist-cjs), a V8 startup snapshot built here from the
// netrpc-only plugin, and, when a Node 22+ binary is around, Node's compile cache. Baselines: `node -e 0` and a
// bare grpc-js server process (examples/src/kv/bare-server.ts, package layout and one file) answering a first Get.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { Client, silentLogger } from '@plugwire/plugin';
import { KVClient } from '../examples/src/gen/kv/kv.js';
import { handshake, kv } from '../examples/src/kv/definition.js';
import type { BenchRatio, BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = join(root, 'examples');
const RUNS = Number(process.env.BOOT_BENCH_RUNS ?? 7);
const RSS_RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

type Kind = 'node' | 'bare-grpc' | 'netrpc' | 'grpc';
interface Config {
  readonly label: string;
  readonly kind: Kind;
  readonly node: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}
interface Launch {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rssMiB: number;
}

/** CPU time of every thread of `pid` so far, in ms (Linux), or NaN. */
function cpuMs(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, t) => sum + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6, 0);
  } catch {
    return NaN;
  }
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const rest = () => new Promise((r) => setTimeout(r, 1000));

/** CPU time of a bare Node process that does nothing, all threads (getrusage at exit), in ms. */
function bareCpuMs(node: string): number {
  const script = "process.on('exit', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000)); })";
  return Number(execFileSync(node, ['-e', script]).toString());
}

async function launch(c: Config, idle: boolean): Promise<Launch> {
  const start = performance.now();
  if (c.kind === 'node') {
    await once(spawn(c.node, c.args, { stdio: 'ignore' }), 'exit');
    return { ms: performance.now() - start, cpuMs: NaN, rssMiB: NaN };
  }
  if (c.kind === 'bare-grpc') {
    const child = spawn(c.node, c.args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...c.env } });
    const [path] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const client = new KVClient(`unix:${path}`, credentials.createInsecure());
    try {
      await new Promise((resolve, reject) => client.get({ key: 'missing' }, (err, res) => (err ? reject(err) : resolve(res))));
      const ms = performance.now() - start;
      const cpu = cpuMs(child.pid!);
      if (idle) await rest();
      return { ms, cpuMs: cpu, rssMiB: idle ? rssMiB(child.pid!) : NaN };
    } finally {
      client.close();
      child.kill('SIGKILL');
      await once(child, 'exit');
      if (existsSync(path)) unlinkSync(path);
    }
  }
  const client = new Client({ handshake, plugins: { kv }, cmd: { command: c.node, args: [...c.args], ...(c.env && { env: c.env }) }, allowedProtocols: [c.kind], logger: silentLogger });
  try {
    await (await client.dispense('kv')).get('missing');
    const ms = performance.now() - start;
    const pid = client.reattachConfig()!.pid;
    const cpu = cpuMs(pid);
    if (idle) await rest();
    return { ms, cpuMs: cpu, rssMiB: idle ? rssMiB(pid) : NaN };
  } finally {
    await client.kill();
  }
}

/** The newest Node ≥ 22.1 to try the compile cache with: this one, or one .ci/install-node put in the cache. */
function node22(): string | undefined {
  const major = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [a = 0, b = 0] = major(process.version);
  if (a > 22 || (a === 22 && b >= 1)) return process.execPath;
  const dir = join(homedir(), '.cache/plugwire/node');
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir)
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && existsSync(join(dir, v, 'bin/node')))
    .filter((v) => {
      const [x = 0, y = 0] = major(v);
      return x > 22 || (x === 22 && y >= 1);
    })
    .sort((x, y) => major(y)[0]! - major(x)[0]! || major(y)[1]! - major(x)[1]!);
  return found[0] && join(dir, found[0], 'bin/node');
}

/**
 * Builds a V8 startup snapshot of the netrpc-only kv plugin (examples/src/kv/plugin-snapshot.ts bundled to one
 * CommonJS file, node:tls swapped for examples/tls-lazy.cjs since the snapshot builder cannot hold it), the recipe
 * of examples/README.md. Returns the blob, or the reason it could not be built.
 */
async function buildSnapshot(dir: string): Promise<string | Error> {
  try {
    const { build } = await import('esbuild');
    const entry = join(dir, 'plugin-snapshot.cjs');
    const shim = join(examples, 'tls-lazy.cjs');
    await build({
      entryPoints: [join(examples, 'src/kv/plugin-snapshot.ts')],
      outfile: entry,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'error',
      alias: { 'node:tls': shim, tls: shim },
      external: ['@grpc/grpc-js', '@plugwire/grpc-transport', '@plugwire/h2', '@bufbuild/protobuf'],
      absWorkingDir: examples,
    });
    const blob = join(dir, 'plugin.blob');
    execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', entry], { cwd: dir, stdio: 'pipe' });
    return blob;
  } catch (err) {
    return err as Error;
  }
}

export default async function bootBench(): Promise<BenchSection> {
  const node = process.execPath;
  const dir = mkdtempSync(join(tmpdir(), 'plugwire-boot-bench-'));
  const cache = join(dir, 'compile-cache');
  const file = (layout: string, name: string) => join(examples, layout, 'kv', name);
  try {
    const snapshot = await buildSnapshot(dir);
    const configs: Config[] = [
      { label: 'bare `node -e 0`', kind: 'node', node, args: ['-e', '0'] },
      { label: 'bare grpc-js server, package layout', kind: 'bare-grpc', node, args: [file('dist', 'bare-server.js')] },
      { label: 'bare grpc-js server, one CommonJS file', kind: 'bare-grpc', node, args: [file('dist-cjs', 'bare-server.cjs')] },
      { label: 'netrpc plugin, package layout', kind: 'netrpc', node, args: [file('dist', 'plugin-netrpc-only.js')] },
      { label: 'netrpc plugin, ESM bundle', kind: 'netrpc', node, args: [file('dist-bundled', 'plugin-netrpc-only.js')] },
      { label: 'netrpc plugin, one CommonJS file', kind: 'netrpc', node, args: [file('dist-cjs', 'plugin-netrpc-only.cjs')] },
      ...(typeof snapshot === 'string' ? [{ label: 'netrpc plugin, V8 startup snapshot', kind: 'netrpc' as const, node, args: ['--snapshot-blob', snapshot] }] : []),
      { label: 'gRPC plugin, package layout', kind: 'grpc', node, args: [file('dist', 'plugin-grpc.js')] },
      { label: 'gRPC plugin, ESM bundle', kind: 'grpc', node, args: [file('dist-bundled', 'plugin-grpc.js')] },
      { label: 'gRPC plugin, one CommonJS file', kind: 'grpc', node, args: [file('dist-cjs', 'plugin-grpc.cjs')] },
    ];
    const n22 = node22();
    if (n22 && n22 !== node) {
      const env = { NODE_COMPILE_CACHE: cache };
      const v = execFileSync(n22, ['--version']).toString().trim();
      configs.push(
        { label: `Node ${v}: bare \`node -e 0\``, kind: 'node', node: n22, args: ['-e', '0'] },
        { label: `Node ${v}: bare grpc-js server, one CommonJS file`, kind: 'bare-grpc', node: n22, args: [file('dist-cjs', 'bare-server.cjs')], env },
        { label: `Node ${v}: netrpc plugin, package layout`, kind: 'netrpc', node: n22, args: [file('dist', 'plugin-netrpc-only.js')] },
        { label: `Node ${v}: netrpc plugin, package layout + compile cache`, kind: 'netrpc', node: n22, args: [file('dist', 'plugin-netrpc-only.js')], env },
        { label: `Node ${v}: netrpc plugin, one CommonJS file`, kind: 'netrpc', node: n22, args: [file('dist-cjs', 'plugin-netrpc-only.cjs')] },
        { label: `Node ${v}: netrpc plugin, one CommonJS file + compile cache`, kind: 'netrpc', node: n22, args: [file('dist-cjs', 'plugin-netrpc-only.cjs')], env },
        { label: `Node ${v}: gRPC plugin, one CommonJS file + compile cache`, kind: 'grpc', node: n22, args: [file('dist-cjs', 'plugin-grpc.cjs')], env },
      );
    }
    for (const c of configs) if (c.kind !== 'node') await launch(c, false); // warm the page cache and the compile cache
    const launches = configs.map((): Launch[] => []);
    // Taken in turns, so a noisy moment of the shared machine hits every configuration alike.
    for (let i = 0; i < RUNS; i++) for (const [j, c] of configs.entries()) launches[j]!.push(await launch(c, false));
    const rss = configs.map((): number[] => []);
    for (let i = 0; i < RSS_RUNS; i++) for (const [j, c] of configs.entries()) if (c.kind !== 'node') rss[j]!.push((await launch(c, true)).rssMiB);

    const ms = new Map(configs.map((c, j) => [c.label, median(launches[j]!.map((l) => l.ms))]));
    const cpu = new Map(configs.map((c, j) => [c.label, c.kind === 'node' ? median(Array.from({ length: RUNS }, () => bareCpuMs(c.node))) : median(launches[j]!.map((l) => l.cpuMs))]));
    const idle = new Map(configs.map((c, j) => [c.label, median(rss[j]!)]));
    const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(1));
    const rows = configs.map((c) => ({
      configuration: c.label,
      'launch → first call (ms)': fmt(ms.get(c.label)),
      'CPU until then (ms)': fmt(cpu.get(c.label)),
      'idle RSS (MiB)': fmt(idle.get(c.label)),
    }));
    const ratios: BenchRatio[] = [];
    const target = (name: string, value: number | undefined, t: number) => value !== undefined && !Number.isNaN(value) && ratios.push({ name, value, target: t, better: 'lower' });
    const over = (a: string, b: string) => ms.get(a)! - ms.get(b)!;
    for (const [layout, bare] of [
      ['package layout', 'bare grpc-js server, package layout'],
      ['one CommonJS file', 'bare grpc-js server, one CommonJS file'],
    ] as const) {
      target(`[${layout}] netrpc TS plugin launch → first call minus \`node -e 0\` (ms)`, over(`netrpc plugin, ${layout}`, 'bare `node -e 0`'), 25);
      target(`[${layout}] gRPC TS plugin launch → first call minus a bare grpc-js server process (ms)`, over(`gRPC plugin, ${layout}`, bare), 10);
      target(`[${layout}] idle netrpc TS plugin RSS (MiB)`, idle.get(`netrpc plugin, ${layout}`), 50);
      target(`[${layout}] idle gRPC TS plugin RSS (MiB)`, idle.get(`gRPC plugin, ${layout}`), 50);
    }
    if (typeof snapshot === 'string') {
      target('[V8 startup snapshot] netrpc TS plugin launch → first call minus `node -e 0` (ms)', over('netrpc plugin, V8 startup snapshot', 'bare `node -e 0`'), 25);
      target('[V8 startup snapshot] idle netrpc TS plugin RSS (MiB)', idle.get('netrpc plugin, V8 startup snapshot'), 50);
    }
    const n22Label = configs.find((c) => c.node !== node)?.label.split(':')[0];
    if (n22Label) {
      target(`[${n22Label}, one CommonJS file + compile cache] netrpc TS plugin launch → first call minus \`node -e 0\` (ms)`, over(`${n22Label}: netrpc plugin, one CommonJS file + compile cache`, `${n22Label}: bare \`node -e 0\``), 25);
      target(`[${n22Label}, one CommonJS file + compile cache] gRPC TS plugin launch → first call minus a bare grpc-js server process (ms)`, over(`${n22Label}: gRPC plugin, one CommonJS file + compile cache`, `${n22Label}: bare grpc-js server, one CommonJS file`), 10);
    }
    const cpuOver = (a: string, b: string) => `${a}: ${(cpu.get(a)! - cpu.get(b)!).toFixed(1)} ms`;
    const notes = [
      `plugin CPU over its baseline (less noisy than wall time): ${[
        cpuOver('netrpc plugin, package layout', 'bare `node -e 0`'),
        cpuOver('netrpc plugin, one CommonJS file', 'bare `node -e 0`'),
        ...(typeof snapshot === 'string' ? [cpuOver('netrpc plugin, V8 startup snapshot', 'bare `node -e 0`')] : []),
        cpuOver('gRPC plugin, package layout', 'bare grpc-js server, package layout'),
        cpuOver('gRPC plugin, one CommonJS file', 'bare grpc-js server, one CommonJS file'),
      ].join('; ')} (the bare \`node -e 0\` CPU is its own getrusage at exit)`,
      `Node ${process.version}; medians of ${RUNS} launches taken in turns (RSS: ${RSS_RUNS}, after a first call and 1 s of rest); figures are noisy on a shared machine, compare rows of one run`,
      'one CommonJS file (examples/dist-cjs, tsup format cjs, every dependency inlined; the netrpc-only plugin leaves the gRPC packages out) is what examples/README.md recommends',
      typeof snapshot === 'string'
        ? 'V8 startup snapshot: examples/src/kv/plugin-snapshot.ts bundled to one CommonJS file (node:tls loaded lazily), `node --build-snapshot`, started with `node --snapshot-blob`'
        : `V8 startup snapshot not measured: ${snapshot.message.split('\n')[0]}`,
      n22 ? `compile cache: NODE_COMPILE_CACHE set for the plugin, warmed by one launch before timing (${n22})` : 'compile cache not measured: no Node ≥ 22.1 (module.enableCompileCache) here or in ~/.cache/plugwire/node',
    ];
    return { title: 'Plugin start-up and idle memory by shipping layout (issue 12)', rows, ratios, notes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
