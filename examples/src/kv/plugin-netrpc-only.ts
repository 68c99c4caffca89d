// A KV plugin defined for netrpc only: it never loads grpc-js or protobuf code (see bench/startup.bench.ts).
import { definePlugin, serve } from '@plugwire/plugin/serve';
import { handshake, memoryKV, type KV } from './kv.js';
import { kvNetRpc } from './netrpc.js';

const kv = definePlugin<KV>({ netrpc: kvNetRpc });
// No top-level await: the same file also bundles to one CommonJS file (examples/tsup.config.ts).
serve({ handshake, plugins: { kv: kv.implement(memoryKV()) } }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
