// Issue 11: plugwire beside the Python ports of go-plugin (python-plugin `pyplugin` 0.1.0 and pyvider-rpcplugin
// 0.5.5 from PyPI) on go-plugin's kv example over gRPC, AutoMTLS off: each port's host with its own plugin, each
// port's host with plugwire's TypeScript plugin, plugwire's host with each port's plugin, and plugwire with itself.
// Every host and plugin is its own process. The Python hosts time themselves (test/real/python/*_kv.py).
import { join } from 'node:path';
import { Client, silentLogger } from '@plugwire/plugin';
import { handshake, kv as kvPlugin, type KV } from '../examples/src/kv/definition.js';
import { runCommand } from '../examples/test/support.js';
import { ensureVenv, repoRoot, type Venv } from '../test/real/setup.js';
import type { BenchSection } from './types.js';

const RUNS = 3;
const OPS = 2000;
const value = new TextEncoder().encode('v');

interface Figures {
  launchMs: number;
  putsPerSec: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const ports = [
  { name: 'pyplugin', script: 'pyplugin_kv.py' },
  { name: 'pyvider', script: 'pyvider_kv.py' },
] as const;

async function pythonHost(venv: Venv, script: string, plugin: readonly string[]): Promise<Figures> {
  const args = [join(repoRoot, 'test/real/python', script), 'host', '--no-mtls', '--ops', String(OPS), '--', ...plugin];
  const r = await runCommand(venv.python, args, { ...process.env, PYTHONPATH: venv.gen }, 300_000);
  if (r.code !== 0) throw new Error(`${script} host failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { launch_ms: number; ops: number; ops_seconds: number; get: string };
  if (out.get !== 'world') throw new Error(`${script} host read ${JSON.stringify(out.get)}`);
  return { launchMs: out.launch_ms, putsPerSec: out.ops / out.ops_seconds };
}

async function tsHost(command: string, args: readonly string[], env: Record<string, string>): Promise<Figures> {
  const client = new Client({ handshake, plugins: { kv: kvPlugin }, allowedProtocols: ['grpc'], cmd: { command, args, env }, logger: silentLogger });
  try {
    const start = performance.now();
    const kv: KV = await client.dispense('kv');
    const launchMs = performance.now() - start;
    await kv.put('hello', new TextEncoder().encode('world'));
    const begin = performance.now();
    for (let i = 0; i < OPS; i++) await kv.put(`k${i % 16}`, value);
    return { launchMs, putsPerSec: OPS / ((performance.now() - begin) / 1000) };
  } finally {
    await client.kill();
  }
}

export default async function bench(): Promise<BenchSection> {
  const venv = await ensureVenv();
  const tsPlugin = [process.execPath, join(repoRoot, 'examples/dist/kv/plugin-grpc.js')];
  const pyEnv = { PYTHONPATH: venv.gen };
  const configs: Array<{ host: string; plugin: string; run: () => Promise<Figures> }> = [
    { host: 'plugwire (TS)', plugin: 'plugwire (TS)', run: () => tsHost(tsPlugin[0]!, tsPlugin.slice(1), {}) },
  ];
  for (const port of ports) {
    const pyPlugin = [venv.python, join(repoRoot, 'test/real/python', port.script), 'plugin'];
    configs.push(
      { host: port.name, plugin: port.name, run: () => pythonHost(venv, port.script, pyPlugin) },
      { host: port.name, plugin: 'plugwire (TS)', run: () => pythonHost(venv, port.script, tsPlugin) },
      { host: 'plugwire (TS)', plugin: port.name, run: () => tsHost(pyPlugin[0]!, pyPlugin.slice(1), pyEnv) },
    );
  }
  // Configurations take turns run by run, so machine noise hits them alike.
  const figures = configs.map((): Figures[] => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, c] of configs.entries()) figures[j]!.push(await c.run());
  }
  return {
    title: `peers: kv over gRPC, plugwire beside the Python ports of go-plugin (median of ${RUNS} runs, AutoMTLS off)`,
    rows: configs.map((c, j) => ({
      host: c.host,
      plugin: c.plugin,
      'launch→connected ms': Math.round(median(figures[j]!.map((f) => f.launchMs))),
      [`Put calls/s (${OPS} sequential)`]: Math.round(median(figures[j]!.map((f) => f.putsPerSec))),
    })),
    notes: [
      'pyplugin = python-plugin 0.1.0 (grpclib), pyvider = pyvider-rpcplugin 0.5.5 (grpcio), from PyPI in a venv outside the repo.',
      'Python hosts time start() in-process; plugwire times dispense(). Each row launches a fresh plugin process.',
    ],
  };
}
