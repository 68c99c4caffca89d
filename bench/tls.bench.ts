// Issue 9: what AutoMTLS costs. The kv plugin over gRPC and over netrpc, TLS off vs on (AutoMTLS: P-521
// certificates made at each launch, mutual TLS 1.3 on the connection): launch → first call, p50/p99 of a 16-byte
// Get, calls/s with 16 in flight, for plugwire TS host ↔ TS plugin, TS host → Go plugin, Go host → TS plugin and
// Go↔Go (go-plugin v1.0.1 host, exbench). Every host and plugin is its own process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { ProtocolName } from '@plugwire/plugin';
import { buildGo, goAvailable } from '../test/support/go.js';
import { callFigures, launches, plugwireHost, tsPlugin, type Session } from './plugins.bench.js';
import { GO_WARMUP_ENV, type BenchSection } from './types.js';

const RUNS = 7;

interface Figures { launchMs: number; p50us: number; p99us: number; callsPerSec: number }

async function measure(open: () => Promise<Session>, launchMs: number): Promise<Figures> {
  const { kv, close } = await open();
  const calls = await callFigures(kv);
  await close();
  return { launchMs, ...calls };
}

const tsHost = (proto: ProtocolName, autoMTLS: boolean, command: string, args: string[]) => plugwireHost(proto, command, args, { autoMTLS });

async function goHost(proto: ProtocolName, autoMTLS: boolean, pluginCmd: string[]): Promise<Figures> {
  const exbench = await buildGo('exbench');
  const env = { ...process.env, ...GO_WARMUP_ENV, ...(autoMTLS ? { EXBENCH_AUTOMTLS: '1' } : {}) };
  const child = spawn(exbench, [proto, String(RUNS), ...pluginCmd], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out.trim()) as Figures;
}

function row(name: string, tls: boolean, f: Figures): Record<string, string | number> {
  return {
    configuration: name,
    TLS: tls ? 'AutoMTLS' : 'off',
    'launch→first call ms': f.launchMs.toFixed(1),
    'p50 µs': f.p50us.toFixed(0),
    'p99 µs': f.p99us.toFixed(0),
    'calls/s (16 in flight)': Math.round(f.callsPerSec),
  };
}

async function section(proto: ProtocolName, goPlugin: string | undefined): Promise<BenchSection> {
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  const pairs: Array<[string, (tls: boolean) => () => Promise<Session>]> = [
    ['plugwire TS host ↔ TS plugin', (tls) => tsHost(proto, tls, process.execPath, [tsPlugin(proto)])],
    ...(goPlugin ? [['plugwire TS host → Go plugin', (tls: boolean) => tsHost(proto, tls, goPlugin, ['kv', proto])] as [string, (tls: boolean) => () => Promise<Session>]] : []),
  ];
  for (const [name, open] of pairs) {
    const [offLaunch, onLaunch] = await launches([open(false), open(true)]);
    const off = await measure(open(false), offLaunch!);
    const on = await measure(open(true), onLaunch!);
    rows.push(row(name, false, off), row(name, true, on));
    notes.push(`${name}: AutoMTLS adds ${(on.launchMs - off.launchMs).toFixed(1)} ms to launch, p50 ${pct(on.p50us, off.p50us)}, calls/s ${pct(on.callsPerSec, off.callsPerSec)}`);
  }
  if (goPlugin) {
    for (const [name, cmd] of [['go-plugin Go host → TS plugin', [process.execPath, tsPlugin(proto)]], ['go-plugin Go host ↔ Go plugin', [goPlugin, 'kv', proto]]] as const) {
      const off = await goHost(proto, false, [...cmd]);
      const on = await goHost(proto, true, [...cmd]);
      rows.push(row(name, false, off), row(name, true, on));
      notes.push(`${name}: AutoMTLS adds ${(on.launchMs - off.launchMs).toFixed(1)} ms to launch, p50 ${pct(on.p50us, off.p50us)}, calls/s ${pct(on.callsPerSec, off.callsPerSec)}`);
    }
  } else {
    notes.push('Go rows skipped: Go toolchain not installed');
  }
  return { title: `TLS off vs AutoMTLS, ${proto}: kv plugin, host and plugin in separate processes`, rows, notes };
}

const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)} %`;

export default async function tlsBench(): Promise<BenchSection[]> {
  const goPlugin = goAvailable ? await buildGo('explugin') : undefined;
  return [await section('grpc', goPlugin), await section('netrpc', goPlugin)];
}
