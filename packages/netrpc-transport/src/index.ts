export { method } from './service.js';
export type { AnyNetRpcMethod, MethodContext, NetRpcMethod, NetRpcService } from './service.js';
export { createRpcClient } from './rpc-client.js';
export type { CallOptions, RpcClient } from './rpc-client.js';
export { serveRpc, serveRpcServices } from './rpc-server.js';
export type { RpcServer, ServeRpcOptions } from './rpc-server.js';
