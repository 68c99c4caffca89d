// The KV plugin served over netrpc: run it as `node examples/dist/kv/plugin-netrpc.js` from a host.
import { serve } from '@plugwire/plugin';
import { handshake, kvPlugin, memoryKV } from './shared.js';

await serve({ handshake, plugins: { kv: kvPlugin(memoryKV()) }, protocol: 'netrpc' });
