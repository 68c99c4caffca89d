// The netrpc-only KV plugin written to also run from a V8 startup snapshot: bundled to one CommonJS file and built
// with `node --snapshot-blob kv.blob --build-snapshot plugin-snapshot.cjs`, then started as
// `node --snapshot-blob kv.blob`. Everything is loaded while the snapshot is built; serve() runs when it starts.
// bench/boot.bench.ts builds and measures it (node:tls must be loaded lazily: Node's snapshot builder cannot hold it).
import { startupSnapshot } from 'node:v8';
import { definePlugin, serve } from '@plugwire/plugin/serve';
import { handshake, memoryKV, type KV } from './kv.js';
import { kvNetRpc } from './netrpc.js';

const kv = definePlugin<KV>({ netrpc: kvNetRpc });
const main = (): void => {
  serve({ handshake, plugins: { kv: kv.implement(memoryKV()) } }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
};
if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.setDeserializeMainFunction(main);
else main();
