// The KV plugin served over gRPC: run it as `node examples/dist/kv/plugin-grpc.js` from a host.
import { serve, type GrpcServerKind } from '@plugwire/plugin/serve';
import { handshake, kv, memoryKV } from './definition.js';

// The tests run the example on both gRPC servers: PLUGWIRE_EXAMPLE_GRPC_SERVER=grpc-js picks grpc-js's; unset,
// plugwire's own h2 server (the default) serves.
const grpcServer = (process.env.PLUGWIRE_EXAMPLE_GRPC_SERVER || undefined) as GrpcServerKind | undefined;
// No top-level await: the same file also bundles to one CommonJS file (examples/tsup.config.ts).
serve({ handshake, plugins: { kv: kv.implement(memoryKV()) }, grpcServer }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
