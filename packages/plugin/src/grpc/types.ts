// Types of the gRPC halves and of the promise client / handler helpers. Type-only: importing it loads no grpc-js.
import type { Metadata, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { AbortOptions } from '@plugwire/core';
import type { GrpcPlugin } from '@plugwire/grpc-transport';

/**
 * A grpc-js service definition: ts-proto's `XxxService` (`outputServices=grpc-js`), the `service` of a generated
 * client constructor, or a service of `@grpc/proto-loader`'s package definition.
 */
export type ServiceLike<S> = S extends { readonly service: infer D }
  ? { readonly service: { readonly [K in keyof D]: MethodLike } }
  : { readonly [K in keyof S]: MethodLike };

/** What plugwire reads of a method definition (grpc-js's `MethodDefinition` has it). */
export interface MethodLike {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** Whether the client sends a stream. */
  readonly requestStream: boolean;
  /** Whether the server answers with a stream. */
  readonly responseStream: boolean;
}

/** The service definition inside a {@link ServiceLike}. */
export type ServiceOf<S> = S extends { readonly service: infer D } ? D : S;

/** The request message type of a method definition. */
export type RequestOf<M> = M extends { requestSerialize: (value: infer Req) => unknown } ? Req : never;

/** The response message type of a method definition. */
export type ResponseOf<M> = M extends { responseDeserialize: (bytes: Buffer) => infer Res } ? Res : never;

/** Messages sent on a client or bidirectional stream: any (async) iterable. */
export type MessageSource<T> = AsyncIterable<T> | Iterable<T>;

/**
 * A service's methods as promises and async iterables, named as in the definition (ts-proto: `get`; proto-loader:
 * `Get`). Unary: `(request, { signal }) => Promise<response>`; server streaming: `(request, { signal }) =>
 * AsyncIterable<response>`; client streaming: `(requests, { signal }) => Promise<response>`; bidirectional:
 * `(requests, { signal }) => AsyncIterable<response>`. Every failure is a `PluginError` (`grpcStatus` set for a
 * gRPC status; `exited` when the plugin died, `aborted`/`timeout` for the signal).
 */
export type PromiseClient<S> = {
  readonly [K in keyof S]: S[K] extends { requestStream: true; responseStream: true }
    ? (requests: MessageSource<RequestOf<S[K]>>, options?: AbortOptions) => AsyncIterable<ResponseOf<S[K]>>
    : S[K] extends { requestStream: true }
      ? (requests: MessageSource<RequestOf<S[K]>>, options?: AbortOptions) => Promise<ResponseOf<S[K]>>
      : S[K] extends { responseStream: true }
        ? (request: RequestOf<S[K]>, options?: AbortOptions) => AsyncIterable<ResponseOf<S[K]>>
        : (request: RequestOf<S[K]>, options?: AbortOptions) => Promise<ResponseOf<S[K]>>;
};

/** What a server handler gets besides its request. */
export interface HandlerContext {
  /** Fires when the caller cancels the call or the connection drops. */
  readonly signal: AbortSignal;
  /** The call's request metadata. */
  readonly metadata: Metadata;
}

/**
 * Server handlers of a service, one per method, in the promise shapes of {@link PromiseClient}. A thrown error
 * reaches the caller as a gRPC status: a `PluginError`'s `grpcStatus` (or an error's numeric gRPC `code`), else
 * UNKNOWN, with the error's message.
 */
export type ServiceHandlers<S> = {
  readonly [K in keyof S]: S[K] extends { requestStream: true; responseStream: true }
    ? (requests: AsyncIterable<RequestOf<S[K]>>, context: HandlerContext) => AsyncIterable<ResponseOf<S[K]>>
    : S[K] extends { requestStream: true }
      ? (requests: AsyncIterable<RequestOf<S[K]>>, context: HandlerContext) => ResponseOf<S[K]> | Promise<ResponseOf<S[K]>>
      : S[K] extends { responseStream: true }
        ? (request: RequestOf<S[K]>, context: HandlerContext) => AsyncIterable<ResponseOf<S[K]>>
        : (request: RequestOf<S[K]>, context: HandlerContext) => ResponseOf<S[K]> | Promise<ResponseOf<S[K]>>;
};

/** A service with its grpc-js implementation, ready for `server.addService(service, implementation)`. */
export interface ServiceImplementation {
  /** The grpc-js service definition. */
  readonly service: ServiceDefinition;
  /** The callback-style implementation grpc-js calls. */
  readonly implementation: UntypedServiceImplementation;
  /**
   * Encoded google.protobuf.FileDescriptorProtos describing the service (its file and the files it imports), which
   * `serve()` hands to gRPC reflection: a `@grpc/proto-loader` definition's own; empty for other code.
   */
  readonly descriptors: readonly Uint8Array[];
  /** ts-proto's schema of the service's file (`implement()`'s `schema` option), encoded for reflection when asked. */
  readonly schema?: ProtoSchema;
}

/**
 * The schema ts-proto generates with `outputSchema=true` (its `protoMetadata` export): the file's descriptor and
 * those of the files it imports.
 */
export interface ProtoSchema {
  /** The file's google.protobuf.FileDescriptorProto, as an object. */
  readonly fileDescriptor: object;
  /** The schemas of the files it imports. */
  readonly dependencies?: readonly ProtoSchema[];
}

/** Options of `implement()`. */
export interface ImplementOptions {
  /**
   * The schema of ts-proto code (its `protoMetadata`, generated with `outputSchema=true`), so that gRPC reflection
   * describes the service. Not needed for `@grpc/proto-loader` definitions, which carry their file descriptors.
   * @default none: descriptors are read from the definition when it has them
   */
  readonly schema?: ProtoSchema;
}

/** The arguments the gRPC transport's own plugin `client` gets: broker, channel, exit signal. */
type ClientArgs = Parameters<GrpcPlugin['client']>;

/** What the gRPC client half gets: the connection to the plugin (the transport's `client` arguments, by name). */
export interface GrpcConnection {
  /** The plugin's gRPC channel (owned by the connection: do not close it). */
  readonly channel: ClientArgs[1];
  /** go-plugin's `GRPCBroker`: extra connections in either direction (callbacks). */
  readonly broker: ClientArgs[0];
  /** Fires when the plugin process exited or the connection closed (go-plugin's `doneCtx`). */
  readonly signal: ClientArgs[2];
  /**
   * A promise client of `service` on the plugin's channel (see {@link PromiseClient}).
   * @param service - the generated service definition
   */
  client<S extends object>(service: S & ServiceLike<S>): PromiseClient<ServiceOf<S>>;
}

/**
 * The gRPC halves of a plugin definition; go-plugin's `GRPCPlugin`.
 * @typeParam T - what the host's `dispense()` returns
 * @typeParam I - what the plugin process implements (default `T`)
 */
export interface GrpcHalves<T, I = T> {
  /**
   * Plugin side: serves `impl`. Return the services to add (from `implement(Service, handlers)`), or add them to
   * `server` yourself.
   * @param impl - the implementation bound with `definition.implement()`
   * @param transport - what the gRPC transport's own plugin `server` gets: the broker (extra connections to the
   *   host, for callbacks) and the plugin's gRPC server (plugwire's h2 server or grpc-js's, as the `grpcServer`
   *   serve option chose; `server.addService(...)` works on both)
   */
  server(
    impl: I,
    ...transport: Parameters<GrpcPlugin['server']>
  ): void | ServiceImplementation | readonly ServiceImplementation[] | Promise<void | ServiceImplementation | readonly ServiceImplementation[]>;
  /**
   * Host side: the object `dispense()` returns, implementing `T` over the connection.
   * @param conn - channel, broker, exit signal and the promise-client helper
   */
  client(conn: GrpcConnection): T | Promise<T>;
}
