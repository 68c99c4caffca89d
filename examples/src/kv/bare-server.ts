// The benchmark baseline: the KV service on bare grpc-js, no plugwire. Prints its socket path as the first line.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KVService, type KVServer } from '../gen/kv/kv.js';

const data = new Map<string, Uint8Array>();
const service: KVServer = {
  get: (call, callback) => callback(null, { value: data.get(call.request.key) ?? new Uint8Array() }),
  put: (call, callback) => {
    data.set(call.request.key, call.request.value);
    callback(null, {});
  },
};
const server = new Server({ 'grpc.max_receive_message_length': 64 << 20 });
server.addService(KVService, service);
const path = join(tmpdir(), `bare-kv-${process.pid}.sock`);
// A socket file left by an earlier process with the same pid would make the bind fail (EADDRINUSE).
rmSync(path, { force: true });
server.bindAsync(`unix:${path}`, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write(`${path}\n`);
});
process.on('SIGTERM', () => {
  server.forceShutdown();
  rmSync(path, { force: true }); // grpc-js leaves the unix socket file behind
});
