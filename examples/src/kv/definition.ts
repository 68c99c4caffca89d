// The KV plugin defined once, for host and plugin and for both protocols.
import { definePlugin } from '@plugwire/plugin/serve';
import { kvGrpc } from './grpc.js';
import type { KV } from './kv.js';
import { kvNetRpc } from './netrpc.js';

export { handshake, memoryKV, type KV } from './kv.js';

/** go-plugin's KV example over gRPC and netrpc. */
export const kv = definePlugin<KV>({ grpc: kvGrpc, netrpc: kvNetRpc });
