// Issue 2's figures: launch → first call, p50/p99 of a 16-byte Get, calls/s with 16 in flight, 64 × 1 MiB Put, for
// plugwire TS↔TS, TS host → Go plugin, Go host → TS plugin, Go↔Go (go-plugin v1.0.1), and bare grpc-js.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { Client, silentLogger, unary } from '@plugwire/plugin';
import { KVClient } from '../examples/src/gen/kv/kv.js';
import { handshake, kvGrpcPlugin, type KV } from '../examples/src/kv/shared.js';
import { buildGo, goAvailable } from '../test/support/go.js';
import type { BenchSection } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsPlugin = join(root, 'examples/dist/kv/plugin-grpc.js');
const bareServer = join(root, 'examples/dist/kv/bare-server.js');
const RUNS = 5;

interface Figures { launchMs: number; p50us: number; p99us: number; callsPerSec: number; put64MiBms: number }
interface Session { kv: KV; close(): Promise<void> }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function measure(open: () => Promise<Session>): Promise<Figures> {
  const launches: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const s = await open();
    await s.kv.get('missing');
    launches.push(performance.now() - start);
    await s.close();
  }
  const { kv, close } = await open();
  await kv.put('small', new Uint8Array(16));
  for (let i = 0; i < 200; i++) await kv.get('small');
  const lat: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = process.hrtime.bigint();
    await kv.get('small');
    lat.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  lat.sort((a, b) => a - b);
  const total = 20000;
  let start = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = 0; i < total / 16; i++) await kv.get('small');
  }));
  const callsPerSec = total / ((performance.now() - start) / 1000);
  const big = new Uint8Array(1 << 20);
  start = performance.now();
  for (let i = 0; i < 64; i++) await kv.put('big', big);
  const put64MiBms = performance.now() - start;
  await close();
  return { launchMs: median(launches), p50us: lat[1000]!, p99us: lat[1980]!, callsPerSec, put64MiBms };
}

function plugwireHost(command: string, args: string[]): () => Promise<Session> {
  return async () => {
    const client = new Client({ handshake, plugins: { kv: kvGrpcPlugin() }, cmd: { command, args }, allowedProtocols: ['grpc'], logger: silentLogger });
    const kv = await client.dispense('kv');
    return { kv, close: () => client.kill() };
  };
}

async function bareGrpc(): Promise<Session> {
  const child = spawn(process.execPath, [bareServer], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [path] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const client = new KVClient(`unix:${path}`, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  const kv: KV = {
    put: async (key, value) => void (await unary(client.put.bind(client), { key, value })),
    get: async (key) => (await unary(client.get.bind(client), { key })).value,
  };
  return {
    kv,
    close: async () => {
      client.close();
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function goHost(pluginCmd: string[]): Promise<Figures> {
  const exbench = await buildGo('exbench');
  const child = spawn(exbench, ['grpc', String(RUNS), ...pluginCmd], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim()) as Figures;
}

function row(name: string, f: Figures): Record<string, string | number> {
  return {
    configuration: name,
    'launch→first call ms': f.launchMs.toFixed(1),
    'p50 µs': f.p50us.toFixed(0),
    'p99 µs': f.p99us.toFixed(0),
    'calls/s (16 in flight)': Math.round(f.callsPerSec),
    '64×1 MiB Put ms': f.put64MiBms.toFixed(0),
  };
}

export default async function grpcBench(): Promise<BenchSection> {
  const rows: Array<Record<string, string | number>> = [];
  const bare = await measure(bareGrpc);
  const tsts = await measure(plugwireHost(process.execPath, [tsPlugin]));
  rows.push(row('bare grpc-js (baseline)', bare), row('plugwire TS host ↔ TS plugin', tsts));
  const notes = [
    `TS↔TS vs bare grpc-js: p50 ${((tsts.p50us / bare.p50us - 1) * 100).toFixed(1)} %, calls/s ${((tsts.callsPerSec / bare.callsPerSec - 1) * 100).toFixed(1)} % (target: within 5 %)`,
    `TS plugin launch → first call minus bare Node grpc-js process: ${(tsts.launchMs - bare.launchMs).toFixed(1)} ms (target: at most 30 ms)`,
  ];
  if (goAvailable) {
    const goPlugin = await buildGo('explugin');
    const tsgo = await measure(plugwireHost(goPlugin, ['kv', 'grpc']));
    const gots = await goHost([process.execPath, tsPlugin]);
    const gogo = await goHost([goPlugin, 'kv', 'grpc']);
    rows.push(row('plugwire TS host → Go plugin', tsgo), row('go-plugin Go host → TS plugin', gots), row('go-plugin Go host ↔ Go plugin', gogo));
    notes.push(`TS host → Go plugin launch vs Go host: ${(tsgo.launchMs / gogo.launchMs).toFixed(2)} × (target: at most 1.5 ×)`);
  } else {
    notes.push('Go rows skipped: Go toolchain not installed');
  }
  return { title: 'gRPC: kv plugin, one host and one plugin process', rows, notes };
}
