// The KV plugin served over gRPC: run it as `node examples/dist/kv/plugin-grpc.js` from a host.
import { serve } from '@plugwire/plugin';
import { handshake, kv, memoryKV } from './definition.js';

await serve({ handshake, plugins: { kv: kv.implement(memoryKV()) } });
