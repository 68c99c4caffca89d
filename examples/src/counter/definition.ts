// The counter plugin defined once, for host and plugin and for both protocols.
import { definePlugin } from '@plugwire/plugin';
import type { Counter } from './counter.js';
import { counterGrpc } from './grpc.js';
import { counterNetRpc } from './netrpc.js';

export { handshake, memoryCounter, type AddHelper, type Counter } from './counter.js';

/** go-plugin's bidirectional example over gRPC and netrpc. */
export const counter = definePlugin<Counter>({ grpc: counterGrpc, netrpc: counterNetRpc });
