// `npm run demo`: a TypeScript host launches the example plugins, over gRPC and over netrpc, and calls them.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCounterHost } from './counter/host.js';
import { runKvHost } from './kv/host.js';

const dist = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => console.log(line);
const node = process.execPath;

console.log('plugwire demo: a TypeScript host launching plugins as subprocesses and calling them\n');
for (const protocol of ['grpc', 'netrpc']) {
  await runKvHost(node, [join(dist, `kv/plugin-${protocol}.js`)], log);
  console.log();
  await runCounterHost(node, [join(dist, `counter/plugin-${protocol}.js`)], log);
  console.log();
}
console.log('demo done');
