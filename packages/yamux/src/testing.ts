// `@plugwire/yamux/testing`: helpers for tests of yamux and of what runs over it (plugwire's broker uses them too):
// real unix-socket pairs and sessions on them, deterministic payloads, and stream readers/writers.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createSession, type YamuxOptions, type YamuxSession } from './index.js';

/** Two connected unix sockets (see {@link socketPair}). */
export interface SocketPair {
  /** The connecting side. */
  readonly a: Socket;
  /** The accepted side. */
  readonly b: Socket;
  /** The socket file's path. */
  readonly path: string;
  /** Destroys both sockets and removes the socket file's directory. */
  cleanup(): void;
}

/** Two connected unix sockets. */
export async function socketPair(): Promise<SocketPair> {
  const dir = mkdtempSync(join(tmpdir(), 'yamux-'));
  const path = join(dir, 's.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const a = connect(path);
  await new Promise<void>((resolve) => a.once('connect', resolve));
  const b = await accepted;
  server.close(); // stops listening; the accepted connection lives on
  return {
    a,
    b,
    path,
    cleanup() {
      a.destroy();
      b.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client and a server yamux session on one socket pair (see {@link sessionPair}). */
export interface SessionPair {
  /** The client session (odd stream ids). */
  readonly client: YamuxSession;
  /** The server session (even stream ids). */
  readonly server: YamuxSession;
  /** The sockets under them. */
  readonly sockets: SocketPair;
  /** Closes both sessions and the sockets. */
  close(): Promise<void>;
}

/**
 * A client and a server session talking over a unix socket pair.
 * @param options - both sessions' options
 * @param serverOptions - the server session's, when they differ
 */
export async function sessionPair(options?: YamuxOptions, serverOptions?: YamuxOptions): Promise<SessionPair> {
  const sockets = await socketPair();
  const client = createSession(sockets.a, 'client', options);
  const server = createSession(sockets.b, 'server', serverOptions ?? options);
  return {
    client,
    server,
    sockets,
    async close() {
      await Promise.all([client.close(), server.close()]);
      sockets.cleanup();
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift32), the same generator as the Go fixture's. */
export function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  if (i < size) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(x, 0);
    tail.copy(buf, i, 0, size - i);
  }
  return buf;
}

/** The hex SHA-256 of `buf`. */
export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Reads a stream to its end; resolves with everything it carried. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  // Not `for await`: its iterator destroys the stream at the end, which would reset a half-open yamux stream.
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  return Buffer.concat(parts);
}

/** What {@link hashAll} read. */
export interface StreamDigest {
  /** How many bytes the stream carried. */
  readonly bytes: number;
  /** Their hex SHA-256. */
  readonly sha: string;
}

/** Reads to the end, hashing as it goes (no big buffer). */
export async function hashAll(stream: Readable): Promise<StreamDigest> {
  const h = createHash('sha256');
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => {
      h.update(c);
      bytes += c.length;
    });
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  return { bytes, sha: h.digest('hex') };
}

/** Writes `data` in 64 KiB chunks honouring backpressure, then ends. */
export async function writeAll(stream: Writable, data: Buffer, end = true): Promise<void> {
  for (let at = 0; at < data.length; at += 64 * 1024) {
    if (!stream.write(data.subarray(at, Math.min(data.length, at + 64 * 1024)))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          stream.off('error', onErr);
          resolve();
        };
        const onErr = (e: Error): void => {
          stream.off('drain', onDrain);
          reject(e);
        };
        stream.once('drain', onDrain);
        stream.once('error', onErr);
      });
    }
  }
  if (end) await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

/** Active timers right now (to check nothing leaks). */
export function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Lines of a stream, one at a time (see {@link lineReader}). */
export interface LineReader {
  /** The next line, without its newline; rejects once the stream ended or failed. */
  next(): Promise<string>;
}

/** Splits a readable into lines; `next()` resolves with the next one. */
export function lineReader(stream: Readable): LineReader {
  let buf = '';
  const lines: string[] = [];
  const waiters: Array<{ resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  let ended: Error | undefined;
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w.resolve(line);
      else lines.push(line);
    }
  });
  const onEnd = (err?: Error): void => {
    ended = err ?? new Error('stream ended');
    for (const w of waiters.splice(0)) w.reject(ended);
  };
  stream.on('end', () => onEnd());
  stream.on('error', onEnd);
  return {
    next() {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}
