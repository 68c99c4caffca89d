// yamux throughput: 64 MiB over one stream, TS -> TS, TS -> Go, Go -> TS, Go -> Go, and a raw unix-socket pipe in
// Node as the baseline. Imports the built @plugwire/yamux; builds the Go programs from test/go/src/yamuxfix.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createSession, type YamuxOptions, type YamuxSession } from '@plugwire/yamux';
import { socketPair } from '@plugwire/yamux/testing';
import { buildGo } from '../test/support/go.js';
import type { BenchSection } from './types.js';

const SIZE = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const RUNS = 9;
const chunk = Buffer.alloc(CHUNK, 7);

/** Writes SIZE bytes in 64 KiB chunks honouring backpressure, then ends. */
async function pump(w: Writable): Promise<void> {
  for (let sent = 0; sent < SIZE; sent += CHUNK) {
    if (!w.write(chunk)) await new Promise((resolve) => w.once('drain', resolve));
  }
  await new Promise<void>((resolve) => w.end(resolve));
}

function count(r: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    r.on('data', (c: Buffer) => (n += c.length));
    r.once('end', () => resolve(n));
    r.once('error', reject);
  });
}

async function rawNode(): Promise<number> {
  const p = await socketPair();
  const start = performance.now();
  const [, n] = await Promise.all([pump(p.a), count(p.b)]);
  const ms = performance.now() - start;
  p.cleanup();
  if (n !== SIZE) throw new Error(`raw: got ${n}`);
  return ms;
}

/** Go's fixed receive window (what plugwire's yamux advertised before its window grew): the "before" rows. */
const FIXED: YamuxOptions = { maxStreamWindowSize: 256 * 1024 };

async function tsToTs(options?: YamuxOptions): Promise<number> {
  const p = await socketPair();
  const client = createSession(p.a, 'client', options);
  const server = createSession(p.b, 'server', options);
  const start = performance.now();
  const accepted = server.accept().then(count);
  const s = await client.open();
  const [, n] = await Promise.all([pump(s), accepted]);
  const ms = performance.now() - start;
  await Promise.all([client.close(), server.close()]);
  p.cleanup();
  if (n !== SIZE) throw new Error(`ts->ts: got ${n}`);
  return ms;
}

interface GoPeer {
  session: YamuxSession;
  ctrl(line: string): Promise<string>;
  close(): Promise<void>;
}

function firstLine(r: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        r.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    r.on('data', onData);
    r.once('error', reject);
  });
}

async function startGoPeer(bin: string, options?: YamuxOptions): Promise<GoPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'yamux-bench-go-'));
  const path = join(dir, 'p.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const proc = spawn(bin, ['-sock', path, '-role', 'server'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const socket = await connected;
  server.close();
  const session = createSession(socket, 'client', options);
  const ctrl = await session.open();
  ctrl.write('ctrl\n');
  return {
    session,
    async ctrl(line) {
      const reply = firstLine(ctrl);
      ctrl.write(`${line}\n`);
      return reply;
    },
    async close() {
      session.abort();
      proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function tsToGo(peer: GoPeer): Promise<number> {
  const start = performance.now();
  const s = await peer.session.open();
  s.write('discard\n');
  const reply = firstLine(s);
  await pump(s);
  const n = Number(await reply);
  const ms = performance.now() - start;
  if (n !== SIZE + 0) throw new Error(`ts->go: Go got ${n}`);
  return ms;
}

async function goToTs(peer: GoPeer): Promise<number> {
  const start = performance.now();
  const accepted = peer.session.accept().then(count);
  await peer.ctrl(`open-zeros ${SIZE}`);
  const n = await accepted;
  const ms = performance.now() - start;
  if (n !== SIZE) throw new Error(`go->ts: got ${n}`);
  return ms;
}

const run = promisify(execFile);

async function goToGo(bin: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const { stdout } = await run(bin, ['-size', String(SIZE)], { env: { ...process.env, ...env } });
  return Number(stdout.trim()) / 1e6;
}

function row(name: string, ms: number, raw: number): Record<string, string | number> {
  const mbps = SIZE / (1024 * 1024) / (ms / 1000);
  return { path: name, 'best ms': Math.round(ms), 'MiB/s': Math.round(mbps), 'vs raw Node socket': `${Math.round((raw / ms) * 100)}%` };
}

export default async function (): Promise<BenchSection> {
  const [peerBin, gogoBin] = await Promise.all([buildGo('yamuxfix/peer'), buildGo('yamuxfix/gogo')]);
  const peer = await startGoPeer(peerBin);
  const fixedPeer = await startGoPeer(peerBin, FIXED);
  // Each configuration once per round, rounds interleaved: a busy moment of the shared machine hits all alike.
  const times = { raw: [] as number[], tsTs: [] as number[], tsTsFixed: [] as number[], tsGo: [] as number[], goTs: [] as number[], goTsFixed: [] as number[], goGo: [] as number[], goGo1: [] as number[] };
  try {
    for (let i = 0; i < RUNS; i++) {
      times.raw.push(await rawNode());
      times.tsTs.push(await tsToTs());
      times.tsTsFixed.push(await tsToTs(FIXED));
      times.tsGo.push(await tsToGo(peer));
      times.goTs.push(await goToTs(peer));
      times.goTsFixed.push(await goToTs(fixedPeer));
      times.goGo.push(await goToGo(gogoBin));
      times.goGo1.push(await goToGo(gogoBin, { GOMAXPROCS: '1' }));
    }
  } finally {
    await Promise.all([peer.close(), fixedPeer.close()]);
  }
  const b = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.min(...v)])) as Record<keyof typeof times, number>;
  return {
    title: `yamux: ${SIZE / (1024 * 1024)} MiB over one stream (unix socket, best of ${RUNS} interleaved rounds)`,
    rows: [
      row('raw unix socket (Node)', b.raw, b.raw),
      row('TS -> TS', b.tsTs, b.raw),
      row('TS -> TS, fixed 256 KiB window (before)', b.tsTsFixed, b.raw),
      row('TS -> Go', b.tsGo, b.raw),
      row('Go -> TS', b.goTs, b.raw),
      row('Go -> TS, fixed 256 KiB window (before)', b.goTsFixed, b.raw),
      row('Go -> Go', b.goGo, b.raw),
      row('Go -> Go (GOMAXPROCS=1)', b.goGo1, b.raw),
    ],
    notes: [
      `TS -> TS is ${Math.round((b.raw / b.tsTs) * 100)}% of raw Node (target: at least 50%).`,
      'TS receivers grow the stream window from 256 KiB up to maxStreamWindowSize (16 MiB) while the reader keeps up;',
      '"fixed 256 KiB window" rows set maxStreamWindowSize to 262144, which is Go\'s window and plugwire\'s before.',
      'TS -> Go is held to Go\'s fixed 256 KiB window. Every row runs both ends in one process (Go -> TS: two).',
      'The machine is shared: figures vary by +-50% between runs; compare rows of one run only.',
    ],
    ratios: [{ name: 'yamux TS -> TS throughput ÷ Go -> Go', value: b.goGo / b.tsTs, target: 1, better: 'higher' }],
  };
}
