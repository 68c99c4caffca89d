export { createMuxBroker } from './broker.js';
export type { MuxBroker, MuxBrokerOptions } from './broker.js';
export { encodeBrokerId, readBrokerId } from './id-header.js';
