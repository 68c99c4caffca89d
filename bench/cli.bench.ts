// Issue 13: how long `plugwire doctor` and `plugwire call` take as a user runs them (the whole command: Node start,
// plugin launch, handshake, checks, shutdown), and where doctor's time goes (its per-step timings, from --json).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGo, buildGoModern, goAvailable } from '../test/support/go.js';
import type { BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'node_modules/.bin/plugwire');
const RUNS = 5;
const COOKIE = ['--cookie', 'BASIC_PLUGIN=hello'];

interface Timed {
  ms: number;
  stdout: string;
}

function plugwire(args: string[]): Promise<Timed> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd: root, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null && (err as { code?: unknown }).code !== 0) reject(new Error(`plugwire ${args.join(' ')} failed: ${stderr || stdout}`));
      else resolve({ ms: performance.now() - start, stdout });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Step {
  id: string;
  ms: number;
}

async function doctorRow(name: string, command: string[]): Promise<Record<string, string | number>> {
  const walls: number[] = [];
  const steps = new Map<string, number[]>();
  for (let i = 0; i < RUNS; i++) {
    const run = await plugwire(['doctor', '--json', ...COOKIE, '--', ...command]);
    walls.push(run.ms);
    for (const s of (JSON.parse(run.stdout) as { steps: Step[] }).steps) steps.set(s.id, [...(steps.get(s.id) ?? []), s.ms]);
  }
  const step = (id: string) => (steps.has(id) ? Math.round(median(steps.get(id) as number[])) : '-');
  return {
    plugin: name,
    'doctor wall ms': Math.round(median(walls)),
    'launch→handshake ms': step('start'),
    'health/ping ms': step('health'),
    'reflection ms': step('services'),
    'shutdown ms': step('shutdown'),
  };
}

export default async function bench(): Promise<BenchSection[]> {
  const ts = (file: string) => [process.execPath, join(root, 'examples/dist/kv', file)];
  const configs: Array<[string, string[]]> = [
    ['TS kv, gRPC', ts('plugin-grpc.js')],
    ['TS kv, netrpc', ts('plugin-netrpc.js')],
  ];
  if (goAvailable) {
    const [old, modern] = await Promise.all([buildGo('explugin'), buildGoModern('explugin')]);
    configs.push(['Go kv v1.0.1, gRPC', [old, 'kv', 'grpc']], ['Go kv v1.8, gRPC', [modern, 'kv', 'grpc']], ['Go kv v1.8, netrpc', [modern, 'kv', 'netrpc']]);
  }
  const doctor: Array<Record<string, string | number>> = [];
  for (const [name, command] of configs) doctor.push(await doctorRow(name, command));

  const help: number[] = [];
  for (let i = 0; i < RUNS; i++) help.push((await plugwire(['--help'])).ms);
  const calls: Array<Record<string, string | number>> = [{ command: 'plugwire --help (Node start + CLI load)', 'wall ms': Math.round(median(help)) }];
  if (goAvailable) {
    const modern = await buildGoModern('explugin');
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await plugwire(['call', ...COOKIE, '--', modern, 'kv', 'grpc', 'proto.KV/Put', '{"key":"k","value":"dg=="}', 'proto.KV/Get', '{"key":"k"}']);
      times.push(run.ms);
    }
    calls.push({ command: 'plugwire call Put+Get, Go v1.8 plugin (reflection)', 'wall ms': Math.round(median(times)) });
  }
  return [
    {
      title: `plugwire doctor: whole command and its steps (median of ${RUNS})`,
      notes: ['reflection ms includes loading @grpc/reflection in a TS plugin on the first reflection call'],
      rows: doctor,
    },
    { title: `plugwire command wall time (median of ${RUNS})`, rows: calls },
  ];
}
