// The counter plugin served over netrpc: run it as `node examples/dist/counter/plugin-netrpc.js` from a host.
import { serve } from '@plugwire/plugin';
import { counterPlugin, handshake, memoryCounter } from './shared.js';

await serve({ handshake, plugins: { counter: counterPlugin(memoryCounter()) }, protocol: 'netrpc' });
