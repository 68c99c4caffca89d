// The raw-bytes test service of test-service.ts (Unary, ServerStream, ClientStream, Bidi, steered by request
// metadata: x-status, x-message, x-sleep-ms, x-count, x-echo, x-data-bin) served by this package's own gRPC
// server core, on a loopback TCP port or a unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveGrpcConnection, type GrpcServerCall, type GrpcServerConnection, type GrpcServerHandler, type GrpcServerOptions, type HeaderField } from '../src/index.js';

const get = (call: GrpcServerCall, name: string): string | undefined => call.metadata.find(([n]) => n === name)?.[1];

function replyMetadata(call: GrpcServerCall): HeaderField[] {
  const out: HeaderField[] = [];
  const echo = get(call, 'x-echo');
  if (echo !== undefined) out.push(['x-echo', echo]);
  const bin = get(call, 'x-data-bin');
  if (bin !== undefined) out.push(['x-data-bin', bin]);
  return out;
}

function trailer(call: GrpcServerCall): HeaderField[] {
  return [['x-trailer', get(call, 'x-echo') ?? 'none']];
}

/** Ends `call` with the status its metadata asks for; true when it did. */
function failed(call: GrpcServerCall): boolean {
  const s = get(call, 'x-status');
  if (s === undefined) return false;
  call.end({ code: Number(s), details: `${get(call, 'x-message') ?? ''} \u2713`, metadata: trailer(call) });
  return true;
}

function sleep(call: GrpcServerCall): Promise<void> {
  const ms = Number(get(call, 'x-sleep-ms') ?? 0);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    call.signal.addEventListener('abort', () => clearTimeout(t), { once: true });
  });
}

function collect(call: GrpcServerCall, done: (messages: Buffer[]) => void): void {
  const messages: Buffer[] = [];
  call.listen({ onMessage: (m) => messages.push(Buffer.from(m)), onEnd: () => done(messages) });
}

const send = (call: GrpcServerCall, m: Buffer): Promise<void> => new Promise((resolve, reject) => call.sendMessage(m, (err) => (err ? reject(err) : resolve())));

export const serverHandlers: Record<string, GrpcServerHandler> = {
  '/h2test.Test/Unary': (call) =>
    collect(call, ([req]) => {
      void sleep(call).then(() => {
        if (call.signal.aborted) return;
        call.sendHeaders(replyMetadata(call));
        if (failed(call)) return;
        call.sendMessage(req ?? Buffer.alloc(0));
        call.end({ code: 0, metadata: trailer(call) });
      });
    }),
  '/h2test.Test/ServerStream': (call) =>
    collect(call, ([req]) => {
      void sleep(call).then(async () => {
        if (call.signal.aborted) return;
        call.sendHeaders(replyMetadata(call));
        const n = Number(get(call, 'x-count') ?? 3);
        try {
          for (let i = 0; i < n && !call.signal.aborted; i++) await send(call, req ?? Buffer.alloc(0));
        } catch {
          return;
        }
        if (!failed(call)) call.end({ code: 0, metadata: trailer(call) });
      });
    }),
  '/h2test.Test/ClientStream': (call) =>
    collect(call, (parts) => {
      if (failed(call)) return;
      const count = Buffer.alloc(4);
      count.writeUInt32BE(parts.length);
      call.sendMessage(Buffer.concat([count, ...parts]));
      call.end({ code: 0 });
    }),
  '/h2test.Test/Bidi': (call) =>
    call.listen({
      onMessage: (m) => call.sendMessage(m),
      onEnd: () => {
        if (!failed(call)) call.end({ code: 0 });
      },
    }),
};

/** A server of the test service on our gRPC core. */
export interface OwnServer {
  /** TCP port (or 0 on a unix socket). */
  readonly port: number;
  /** The unix socket path, when listening on one. */
  readonly path: string | undefined;
  readonly server: Server;
  /** Connections served so far (open or closed). */
  readonly connections: GrpcServerConnection[];
  /** Gracefully closes every connection (GOAWAY) and the listener. */
  goAway(): Promise<void>;
  /** Aborts every connection and closes the listener. */
  kill(): Promise<void>;
}

export async function startOwnServer(options?: GrpcServerOptions, where: 'tcp' | 'unix' = 'tcp', handlers = serverHandlers): Promise<OwnServer> {
  const connections: GrpcServerConnection[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    connections.push(serveGrpcConnection(socket, (p) => handlers[p], options));
  });
  let dir: string | undefined;
  let path: string | undefined;
  if (where === 'unix') {
    dir = mkdtempSync(join(tmpdir(), 'pw-h2s-'));
    path = join(dir, 's');
    await new Promise<void>((resolve) => server.listen(path, resolve));
  } else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const stopListening = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
  return {
    port,
    path,
    server,
    connections,
    async goAway() {
      await Promise.all([...connections.map((c) => c.close()), stopListening()]);
    },
    async kill() {
      for (const c of connections) c.abort();
      await Promise.all([...connections.map((c) => c.closed), stopListening()]);
    },
  };
}
