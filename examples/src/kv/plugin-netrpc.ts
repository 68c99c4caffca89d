// The KV plugin served over netrpc: run it as `node examples/dist/kv/plugin-netrpc.js` from a host.
import { serve } from '@plugwire/plugin';
import { handshake, kv, memoryKV } from './definition.js';

await serve({ handshake, plugins: { kv: kv.implement(memoryKV()) }, protocol: 'netrpc' });
