// A raw-bytes test service with the four call kinds, served by grpc-js here and by grpc-go in
// test/go/src/h2fix/server. Behaviour is steered by request metadata so both servers act alike:
// - x-status / x-message: end the call with that status (trailers carry x-trailer: <x-echo>)
// - x-sleep-ms: wait (until cancelled) before answering
// - x-count: how many times ServerStream repeats the request
// - x-echo: echoed back in response headers and trailers
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '../src/index.js';

const id = (b: Buffer): Buffer => b;

function def(name: string, requestStream: boolean, responseStream: boolean): MethodDefinition<Buffer, Buffer> & grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/h2test.Test/${name}`,
    requestStream,
    responseStream,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  };
}

/** The service definition (grpc-js shape, so it also serves as the h2 method table). */
export const TestService = {
  unary: def('Unary', false, false),
  serverStream: def('ServerStream', false, true),
  clientStream: def('ClientStream', true, false),
  bidi: def('Bidi', true, true),
} as const;

function header(md: grpc.Metadata, name: string): string | undefined {
  const v = md.get(name)[0];
  return v === undefined ? undefined : String(v);
}

function replyMetadata(md: grpc.Metadata): grpc.Metadata {
  const out = new grpc.Metadata();
  const echo = header(md, 'x-echo');
  if (echo !== undefined) out.set('x-echo', echo);
  const bin = md.get('x-data-bin')[0];
  if (bin !== undefined) out.set('x-data-bin', bin as Buffer);
  return out;
}

function failure(md: grpc.Metadata): Partial<grpc.StatusObject> | undefined {
  const s = header(md, 'x-status');
  if (s === undefined) return undefined;
  const trailer = new grpc.Metadata();
  trailer.set('x-trailer', header(md, 'x-echo') ?? 'none');
  // The suffix is not ASCII, so the server must percent-encode grpc-message and the client decode it.
  return { code: Number(s), details: `${header(md, 'x-message') ?? ''} \u2713`, metadata: trailer };
}

function sleep(md: grpc.Metadata, call: { on(ev: 'cancelled', f: () => void): unknown }): Promise<void> {
  const ms = Number(header(md, 'x-sleep-ms') ?? 0);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    call.on('cancelled', () => clearTimeout(t));
  });
}

/** grpc-js handlers implementing the test service. */
export const testHandlers: grpc.UntypedServiceImplementation = {
  unary(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
    void sleep(call.metadata, call).then(() => {
      call.sendMetadata(replyMetadata(call.metadata));
      const f = failure(call.metadata);
      if (f) return cb(f as grpc.ServiceError);
      cb(null, call.request, (() => {
        const t = new grpc.Metadata();
        t.set('x-trailer', header(call.metadata, 'x-echo') ?? 'none');
        return t;
      })());
    });
  },
  serverStream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
    void sleep(call.metadata, call).then(async () => {
      const n = Number(header(call.metadata, 'x-count') ?? 3);
      for (let i = 0; i < n && !call.cancelled; i++) {
        if (!call.write(call.request)) await new Promise((r) => call.once('drain', r));
      }
      const f = failure(call.metadata);
      if (f) return call.destroy(Object.assign(new Error(f.details), f));
      call.end();
    });
  },
  clientStream(call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
    const parts: Buffer[] = [];
    call.on('data', (b: Buffer) => parts.push(b));
    call.on('end', () => {
      const f = failure(call.metadata);
      if (f) return cb(f as grpc.ServiceError);
      // Answer: message count (4 bytes) then the concatenation.
      const count = Buffer.alloc(4);
      count.writeUInt32BE(parts.length);
      cb(null, Buffer.concat([count, ...parts]));
    });
  },
  bidi(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
    call.on('data', (b: Buffer) => call.write(b));
    call.on('end', () => {
      const f = failure(call.metadata);
      if (f) return call.destroy(Object.assign(new Error(f.details), f));
      call.end();
    });
  },
};

/** Starts a grpc-js server with the test service on a loopback port. */
export async function startGrpcJsServer(): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  server.addService(TestService as unknown as grpc.ServiceDefinition, testHandlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, server };
}
