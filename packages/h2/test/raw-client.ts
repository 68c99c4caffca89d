// A scripted HTTP/2 client for the server's hostile-input tests: it connects to a gRPC server core served on a
// unix socket, sends the preface (unless told not to), records the server's frames (header blocks decoded), and
// lets the test write any frames.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader, HpackDecoder, HpackEncoder, PREFACE, serveGrpcConnection, type Frame, type GrpcServerConnection, type GrpcServerHandler, type GrpcServerOptions, type HeaderField } from '../src/index.js';
import { Flag, FrameType, frame, settingsFrame } from '../src/frame.js';

/** A frame from the server, with its header block decoded (HEADERS only, single-frame blocks). */
export type ServerFrame = Frame & { fields?: HeaderField[] };

export interface RawClient {
  readonly socket: Socket;
  /** The server's end of the socket. */
  readonly serverSocket: Socket;
  /** The server side of the connection. */
  readonly conn: GrpcServerConnection;
  readonly frames: ServerFrame[];
  waitFor(pred: (f: ServerFrame) => boolean): Promise<ServerFrame>;
  send(type: number, flags: number, streamId: number, payload?: Buffer): void;
  /** HPACK-encodes a header list with the client's encoder. */
  headers(fields: HeaderField[]): Buffer;
  /** Opens a gRPC request stream: HEADERS with a POST to `path` plus `extra` fields. */
  request(streamId: number, path: string, extra?: HeaderField[], endStream?: boolean): void;
  /** Sends one length-prefixed message as DATA. */
  message(streamId: number, body: Buffer, end?: boolean): void;
  /** Resolves when the client socket closed. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export const REQUEST = (path: string): HeaderField[] => [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', path],
  [':authority', 'localhost'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
];

export async function rawClient(
  handlers: Record<string, GrpcServerHandler>,
  options: GrpcServerOptions = {},
  { preface = true, read = true }: { preface?: boolean; read?: boolean } = {},
): Promise<RawClient> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-h2c-'));
  const path = join(dir, 's');
  let conn!: GrpcServerConnection;
  let serverSocket!: Socket;
  const server: Server = createServer((s) => {
    serverSocket = s;
    conn = serveGrpcConnection(s, (p) => handlers[p], options);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const socket = createConnection(path);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  while (!conn) await new Promise((r) => setImmediate(r));
  const frames: ServerFrame[] = [];
  const waiters: { pred: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  const reader = new FrameReader(1 << 24);
  const dec = new HpackDecoder(4096, 1 << 20);
  const enc = new HpackEncoder(4096);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  if (!read) socket.pause();
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk, (f) => {
      const copy: ServerFrame = { ...f, payload: Buffer.from(f.payload) };
      if (f.type === FrameType.HEADERS && f.flags & Flag.END_HEADERS) copy.fields = dec.decode(copy.payload).fields;
      frames.push(copy);
      for (const w of [...waiters]) {
        if (w.pred(copy)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(copy);
        }
      }
    });
  });
  const write = (b: Buffer): void => {
    if (!socket.destroyed) socket.write(b);
  };
  if (preface) {
    write(PREFACE);
    write(settingsFrame([]));
  }
  const client: RawClient = {
    socket,
    serverSocket,
    conn,
    frames,
    closed,
    waitFor(pred) {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    send: (type, flags, streamId, payload) => write(frame(type, flags, streamId, payload)),
    headers: (fields) => enc.encode(fields),
    request(streamId, p, extra = [], endStream = false) {
      write(frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, enc.encode([...REQUEST(p), ...extra])));
    },
    message(streamId, body, end = true) {
      const m = Buffer.alloc(5 + body.length);
      m.writeUInt32BE(body.length, 1);
      body.copy(m, 5);
      write(frame(FrameType.DATA, end ? Flag.END_STREAM : 0, streamId, m));
    },
    async close() {
      socket.destroy();
      conn.abort();
      await conn.closed;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return client;
}

/** The value of `name` in a decoded header block. */
export const field = (f: ServerFrame | undefined, name: string): string | undefined => f?.fields?.find(([n]) => n === name)?.[1];
