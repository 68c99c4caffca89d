// A scripted HTTP/2 server for hostile-input tests: it accepts one connection on a unix socket, checks the client
// preface, records the client's frames, and lets the test write any bytes back.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader, HpackEncoder, PREFACE, type Frame, type HeaderField } from '../src/index.js';
import { frame } from '../src/frame.js';

export interface RawPeer {
  /** The client's end, to hand to createH2Client. */
  readonly client: Socket;
  /** The server's end of the connection. */
  readonly socket: Socket;
  /** Frames the client sent, in order. */
  readonly frames: Frame[];
  /** Resolves once the client sent a frame matching `pred`. */
  waitFor(pred: (f: Frame) => boolean): Promise<Frame>;
  /** Writes a frame. */
  send(type: number, flags: number, streamId: number, payload?: Buffer): void;
  /** HPACK-encodes a header list with the server's encoder. */
  headers(fields: HeaderField[]): Buffer;
  /** Resolves when the server side sees the connection close. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export async function rawPeer(options: { read?: boolean } = {}): Promise<RawPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-h2-'));
  const path = join(dir, 's');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = createConnection(path);
  const socket = await accepted;
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  const reader = new FrameReader(1 << 24);
  let preface = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  if (options.read === false) socket.pause();
  socket.on('data', (chunk: Buffer) => {
    if (preface.length < PREFACE.length) {
      preface = Buffer.concat([preface, chunk]);
      if (preface.length < PREFACE.length) return;
      if (!preface.subarray(0, PREFACE.length).equals(PREFACE)) throw new Error('bad client preface');
      chunk = preface.subarray(PREFACE.length);
    }
    reader.push(chunk, (f) => {
      const copy = { ...f, payload: Buffer.from(f.payload) };
      frames.push(copy);
      for (const w of [...waiters]) {
        if (w.pred(copy)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(copy);
        }
      }
    });
  });
  const enc = new HpackEncoder(4096);
  return {
    client,
    socket,
    frames,
    closed,
    waitFor(pred) {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    send(type, flags, streamId, payload) {
      if (!socket.destroyed) socket.write(frame(type, flags, streamId, payload));
    },
    headers: (fields) => enc.encode(fields),
    async close() {
      socket.destroy();
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
