// Test helpers: a real unix-socket pair carrying a TS client session and a TS server session.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createFrameDecoder, createSession, type DecodedFrame, type YamuxOptions, type YamuxSession } from '../src/index.js';

export interface SocketPair {
  readonly a: Socket;
  readonly b: Socket;
  readonly path: string;
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

export interface SessionPair {
  readonly client: YamuxSession;
  readonly server: YamuxSession;
  readonly sockets: SocketPair;
  close(): Promise<void>;
}

/** A client and a server session talking over a unix socket pair. */
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

/** Reads to the end, hashing as it goes (no big buffer). */
export async function hashAll(stream: Readable): Promise<{ bytes: number; sha: string }> {
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

export interface RawPeer {
  readonly session: YamuxSession;
  readonly raw: Socket;
  /** Frames the session sent so far. */
  readonly frames: DecodedFrame[];
  /** Resolves with the first frame (already sent or still to come) matching `match`. */
  frame(match: (f: DecodedFrame) => boolean): Promise<DecodedFrame>;
  send(...bytes: Buffer[]): void;
  cleanup(): Promise<void>;
}

/** A TS session facing a raw socket the test writes frames to by hand. */
export async function rawPeer(role: 'client' | 'server', options?: YamuxOptions): Promise<RawPeer> {
  const pair = await socketPair();
  const session = createSession(pair.a, role, options);
  const frames: DecodedFrame[] = [];
  const waiters: Array<{ match: (f: DecodedFrame) => boolean; resolve: (f: DecodedFrame) => void }> = [];
  const decoder = createFrameDecoder(
    (f) => {
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.match(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    },
    { maxDataLength: 16 << 20 },
  );
  pair.b.on('data', (c: Buffer) => decoder.push(c));
  pair.b.on('error', () => {});
  return {
    session,
    raw: pair.b,
    frames,
    frame(match) {
      const seen = frames.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    send(...bytes) {
      for (const b of bytes) pair.b.write(b);
    },
    async cleanup() {
      session.abort();
      await session.closed;
      pair.cleanup();
    },
  };
}
