// yamux throughput: 64 MiB over one stream, TS -> TS, TS -> Go, Go -> TS, Go -> Go, and a raw unix-socket pipe in
// Node as the baseline. Imports the built @plugwire/yamux; builds the Go programs from test/go/src/yamuxfix.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createSession, type YamuxSession } from '@plugwire/yamux';
import { socketPair } from '@plugwire/yamux/testing';
import { buildGo } from '../test/support/go.js';
import type { BenchSection } from './types.js';

const SIZE = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const RUNS = 5;
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

async function best(run: () => Promise<number>): Promise<number> {
  let ms = Infinity;
  for (let i = 0; i < RUNS; i++) ms = Math.min(ms, await run());
  return ms;
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

async function tsToTs(): Promise<number> {
  const p = await socketPair();
  const client = createSession(p.a, 'client');
  const server = createSession(p.b, 'server');
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

async function startGoPeer(bin: string): Promise<GoPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'yamux-bench-go-'));
  const path = join(dir, 'p.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const proc = spawn(bin, ['-sock', path, '-role', 'server'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const socket = await connected;
  server.close();
  const session = createSession(socket, 'client');
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
  const raw = await best(rawNode);
  const tsTs = await best(tsToTs);
  const peer = await startGoPeer(peerBin);
  let tsGo: number;
  let goTs: number;
  try {
    tsGo = await best(() => tsToGo(peer));
    goTs = await best(() => goToTs(peer));
  } finally {
    await peer.close();
  }
  const goGo = await best(() => goToGo(gogoBin));
  const goGo1 = await best(() => goToGo(gogoBin, { GOMAXPROCS: '1' }));
  return {
    title: `yamux: ${SIZE / (1024 * 1024)} MiB over one stream (unix socket, best of ${RUNS})`,
    rows: [row('raw unix socket (Node)', raw, raw), row('TS -> TS', tsTs, raw), row('TS -> Go', tsGo, raw), row('Go -> TS', goTs, raw), row('Go -> Go', goGo, raw),
      row('Go -> Go (GOMAXPROCS=1)', goGo1, raw),
    ],
    notes: [
      'Target: TS -> TS at least 50% of the raw Node socket, and at least Go -> Go.',
      `TS -> TS is ${Math.round((raw / tsTs) * 100)}% of raw Node and ${(goGo / tsTs).toFixed(2)}x Go -> Go.`,
      'Every row runs both ends in one process. The machine is shared: figures vary by +-50% between runs.',
    ],
  };
}
