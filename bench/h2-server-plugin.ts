// A go-plugin (v1.0.1 handshake) KV plugin served by @plugwire/h2's gRPC server core directly, no grpc-js and no
// plugwire plugin runtime: the Node side of bench/h2-server.bench.ts. It answers /proto.KV/Get and Put with the
// generated ts-proto codecs, the health check go-plugin pings, and Controller.Shutdown; the broker stream is
// accepted and held open. Run it from a go-plugin host (BASIC_PLUGIN=hello in the environment).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveGrpcConnection, type GrpcServerCall, type GrpcServerConnection, type GrpcServerHandler } from '@plugwire/h2';
import { KVService } from '../examples/src/gen/kv/kv.js';

const data = new Map<string, Uint8Array>();
const OK = { code: 0 };

/** A unary handler from a request → response function, as a grpc-js-like layer would wire it. */
function unary<Req, Res>(decode: (b: Buffer) => Req, encode: (r: Res) => Buffer, fn: (req: Req) => Res): GrpcServerHandler {
  return (call: GrpcServerCall) => {
    let request: Req | undefined;
    call.listen({
      onMessage(m) {
        request = decode(m);
      },
      onEnd() {
        if (request === undefined) return call.end({ code: 13, details: 'no request message' });
        call.sendMessage(encode(fn(request)));
        call.end(OK);
      },
    });
  };
}

const empty = Buffer.alloc(0);
const servers = new Set<GrpcServerConnection>();
const handlers: Record<string, GrpcServerHandler> = {
  [KVService.get.path]: unary(KVService.get.requestDeserialize, KVService.get.responseSerialize, (req) => ({ value: data.get(req.key) ?? new Uint8Array() })),
  [KVService.put.path]: unary(KVService.put.requestDeserialize, KVService.put.responseSerialize, (req) => {
    data.set(req.key, req.value);
    return {};
  }),
  // grpc.health.v1 HealthCheckResponse{status: SERVING}
  '/grpc.health.v1.Health/Check': unary((b) => b, (b: Buffer) => b, () => Buffer.from([0x08, 0x01])),
  '/plugin.GRPCBroker/StartStream': (call) => call.listen({ onMessage() {}, onEnd: () => call.end(OK) }),
  '/plugin.GRPCController/Shutdown': unary((b) => b, (b: Buffer) => b, () => {
    setImmediate(stop);
    return empty;
  }),
};

if (process.env.BASIC_PLUGIN !== 'hello') {
  process.stderr.write('This binary is a plugin. These are not meant to be executed directly.\n');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'pw-h2-kv-'));
const path = join(dir, 'plugin.sock');
const server = createServer((socket) => {
  const conn = serveGrpcConnection(socket, (p) => handlers[p], { maxReceiveMessageLength: 64 << 20 });
  servers.add(conn);
  void conn.closed.then(() => servers.delete(conn));
});
function stop(): void {
  for (const c of servers) c.abort();
  server.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.listen(path, () => process.stdout.write(`1|1|unix|${path}|grpc|\n`));
