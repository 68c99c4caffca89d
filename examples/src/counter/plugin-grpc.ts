// The counter plugin served over gRPC: run it as `node examples/dist/counter/plugin-grpc.js` from a host.
import { serve } from '@plugwire/plugin';
import { counter, handshake, memoryCounter } from './definition.js';

await serve({ handshake, plugins: { counter: counter.implement(memoryCounter()) } });
