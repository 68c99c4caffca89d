// Types of the netrpc halves and typed net/rpc service descriptions. Type-only: importing it loads nothing.
import type { AbortOptions } from '@plugwire/core';
import type { GobType } from '@plugwire/gob';
import type { MethodContext, NetRpcPlugin, NetRpcService, RpcClient } from '@plugwire/netrpc-transport';

/** One net/rpc method's Go types: `func (s *T) Name(arg A, reply *R) error`. */
export interface MethodType<A, R> {
  /** Go type of the argument. */
  readonly arg: GobType<A>;
  /** Go type of the reply. */
  readonly reply: GobType<R>;
}

/** Method types by Go name (exported, so capitalised). */
export type MethodTypes = Readonly<Record<string, MethodType<unknown, unknown>>>;

/** The argument type of a method type. */
export type ArgOf<M> = M extends MethodType<infer A, unknown> ? A : never;
/** The reply type of a method type. */
export type ReplyOf<M> = M extends MethodType<unknown, infer R> ? R : never;

/** Server handlers of a described service: one per method, `(arg, context) => reply`. */
export type MethodHandlers<M> = {
  readonly [K in keyof M]: (arg: ArgOf<M[K]>, context: MethodContext) => ReplyOf<M[K]> | Promise<ReplyOf<M[K]>>;
};

/** A typed client of a described service: `Get(arg, { signal })` calls `Plugin.Get`. */
export type TypedRpcClient<M> = {
  readonly [K in keyof M]: (arg: ArgOf<M[K]>, options?: AbortOptions) => Promise<ReplyOf<M[K]>>;
};

/** A net/rpc service described once: both its server handlers and its typed client derive from it. */
export interface ServiceDescription<M extends MethodTypes> {
  /** The Go service name calls are addressed to (`Plugin` for go-plugin's dispensed plugins and callbacks). */
  readonly name: string;
  /** The methods' Go types. */
  readonly methods: M;
  /**
   * The service to serve, from one handler per method.
   * @param handlers - the handlers, typed from the description
   */
  implement(handlers: MethodHandlers<M>): NetRpcService;
  /**
   * A typed client calling `name.Method` on `rpc`.
   * @param rpc - a net/rpc client (the dispensed connection, or one from `dial(broker, id)`)
   */
  client(rpc: RpcClient): TypedRpcClient<M>;
}

/** The arguments the netrpc transport's own plugin `client` gets: broker, net/rpc client. */
type ClientArgs = Parameters<NetRpcPlugin['client']>;

/** What the netrpc client half gets: the dispensed connection to the plugin (the transport's `client` arguments, by name). */
export interface NetRpcConnection {
  /** The net/rpc client of this dispensed plugin (calls `Plugin.*`). */
  readonly rpc: ClientArgs[1];
  /** go-plugin's `MuxBroker`: extra connections in either direction (callbacks). */
  readonly broker: ClientArgs[0];
  /**
   * A typed client of `service` on this connection.
   * @param service - from `service(name, methods)`
   */
  client<M extends MethodTypes>(service: ServiceDescription<M>): TypedRpcClient<M>;
}

/**
 * The netrpc halves of a plugin definition; go-plugin's `Plugin` (`Server` / `Client`).
 * @typeParam T - what the host's `dispense()` returns
 * @typeParam I - what the plugin process implements (default `T`)
 */
export interface NetRpcHalves<T, I = T> {
  /**
   * Plugin side: the service served as `Plugin` for each dispense (from `Service.implement(handlers)`).
   * @param impl - the implementation bound with `definition.implement()`
   * @param transport - what the netrpc transport's own plugin `server` gets: the broker (extra connections to the
   *   host, for callbacks)
   */
  server(impl: I, ...transport: Parameters<NetRpcPlugin['server']>): ReturnType<NetRpcPlugin['server']>;
  /**
   * Host side: the object `dispense()` returns, implementing `T` over the connection.
   * @param conn - the net/rpc client, the broker and the typed-client helper
   */
  client(conn: NetRpcConnection): T | Promise<T>;
}
