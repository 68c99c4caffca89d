export { createMuxBroker } from './broker.js';
export type { MuxBroker } from './broker.js';
export { validateMuxBrokerOptions } from './options.js';
export type { MuxBrokerOptions, ResolvedMuxBrokerOptions } from './options.js';
export { encodeBrokerId, readBrokerId } from './id-header.js';
