// `@plugwire/plugin/netrpc`: what netrpc halves are written with (typed net/rpc services, gob types, broker
// helpers). Loads no grpc-js.
export { acceptAndServe, dial, method, service } from './netrpc/service.js';
export type {
  ArgOf,
  MethodHandlers,
  MethodType,
  MethodTypes,
  NetRpcConnection,
  NetRpcHalves,
  ReplyOf,
  ServiceDescription,
  TypedRpcClient,
} from './netrpc/types.js';
export { gob } from '@plugwire/gob';
export type { GobDynamic, GobType } from '@plugwire/gob';
export type { MuxBroker } from '@plugwire/broker';
export type { MethodContext, NetRpcService, RpcClient, RpcServer } from '@plugwire/netrpc-transport';
