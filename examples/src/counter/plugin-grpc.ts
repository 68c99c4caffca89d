// The counter plugin served over gRPC: run it as `node examples/dist/counter/plugin-grpc.js` from a host.
import { serve, type GrpcServerKind } from '@plugwire/plugin';
import { counter, handshake, memoryCounter } from './definition.js';

// The tests run the example on both gRPC servers: PLUGWIRE_EXAMPLE_GRPC_SERVER=grpc-js picks grpc-js's; unset,
// plugwire's own h2 server (the default) serves.
const grpcServer = (process.env.PLUGWIRE_EXAMPLE_GRPC_SERVER || undefined) as GrpcServerKind | undefined;
await serve({ handshake, plugins: { counter: counter.implement(memoryCounter()) }, grpcServer });
