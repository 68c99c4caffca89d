// The KV plugin served over netrpc: run it as `node examples/dist/kv/plugin-netrpc.js` from a host.
import { serve } from '@plugwire/plugin/serve';
import { handshake, kv, memoryKV } from './definition.js';

// No top-level await: the same file also bundles to one CommonJS file (examples/tsup.config.ts).
serve({ handshake, plugins: { kv: kv.implement(memoryKV()) }, protocol: 'netrpc' }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
