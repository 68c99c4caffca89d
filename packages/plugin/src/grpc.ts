// `@plugwire/plugin/grpc`: what gRPC halves are written with. Importing it loads grpc-js.
export { client } from './grpc/client.js';
export type { ClientOptions } from './grpc/client.js';
export { implement, partial } from './grpc/implement.js';
export type {
  GrpcConnection,
  GrpcHalves,
  HandlerContext,
  ImplementOptions,
  MessageSource,
  MethodLike,
  PromiseClient,
  ProtoSchema,
  RequestOf,
  ResponseOf,
  ServiceHandlers,
  ServiceImplementation,
  ServiceLike,
  ServiceOf,
} from './grpc/types.js';
export type { GrpcBroker } from '@plugwire/grpc-transport';
