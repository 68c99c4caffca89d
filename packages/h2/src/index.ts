export { H2Connection, createH2Client } from './connection.js';
export { H2Endpoint, H2Stream } from './endpoint.js';
export type { EndpointLimits } from './endpoint.js';
export type { StreamFailure, StreamHandler } from './connection.js';
export { validateH2ClientOptions } from './options.js';
export type { H2ClientOptions, ResolvedH2ClientOptions } from './options.js';
export { GrpcCall, startCall, timeoutHeader } from './grpc-call.js';
export type { GrpcCallListener, GrpcCallOptions } from './grpc-call.js';
export { createCaller, unaryCall } from './grpc-client.js';
export type { CallOptions, FailureHook, GrpcCaller, MethodDefinition } from './grpc-client.js';
export { Status, statusError, statusFromHttp, statusFromReset } from './status.js';
export type { GrpcStatus } from './status.js';
export type { HeaderField } from './hpack/dynamic-table.js';
export { HpackDecoder } from './hpack/decoder.js';
export type { DecodedBlock } from './hpack/decoder.js';
export { HpackEncoder } from './hpack/encoder.js';
export { FrameError, FrameReader, PREFACE } from './frame.js';
export type { Frame } from './frame.js';
export { serveGrpcConnection, parseTimeout, percentEncode } from './grpc-server.js';
export type {
  GrpcServerCall,
  GrpcServerCallListener,
  GrpcServerConnection,
  GrpcServerHandler,
  GrpcServerStatus,
} from './grpc-server.js';
export { validateGrpcServerOptions } from './server-options.js';
export type { GrpcServerOptions, ResolvedGrpcServerOptions } from './server-options.js';
export { H2ServerConnection } from './server-connection.js';
export type { OnRequest } from './server-connection.js';
