// A plugin defined once, without an implementation: host and plugin import the same definition; the plugin process
// binds an implementation with `implement()`. Only types come from the transports here, so importing this file
// (and the package root) loads neither grpc-js nor the netrpc stack.
import { PluginError, type Logger, type ProtocolName } from '@plugwire/core';
import type { GrpcHalves } from './grpc/types.js';
import type { NetRpcHalves } from './netrpc/types.js';

/**
 * The halves of a plugin for each protocol it speaks; give `grpc`, `netrpc`, or both.
 * @typeParam T - what the host's `dispense()` returns
 * @typeParam I - what the plugin process implements (usually `T`)
 */
export interface PluginHalves<T, I = T> {
  /** How the plugin speaks go-plugin's gRPC protocol. */
  readonly grpc?: GrpcHalves<T, I>;
  /** How the plugin speaks go-plugin's netrpc protocol (Go net/rpc with gob). */
  readonly netrpc?: NetRpcHalves<T, I>;
}

/** What `serve()` hands an implementation factory (see {@link PluginDefinition.implement}). */
export interface PluginContext {
  /** The plugin's logger: hclog JSON lines on stderr, at the level the host asked for; the host mirrors them. */
  readonly logger: Logger;
}

/** Builds a plugin's implementation once `serve()` knows its context (its logger). */
export type ImplementationFactory<I> = (context: PluginContext) => I | Promise<I>;

/** A plugin definition bound to its implementation, what the plugin process passes to `serve({ plugins })`. */
export interface ImplementedPlugin<T, I = T> {
  /** The definition. */
  readonly definition: PluginDefinition<T, I>;
  /** Makes the implementation. */
  readonly create: ImplementationFactory<I>;
}

/**
 * One plugin, defined once for both sides and both protocols (go-plugin's `Plugin` / `GRPCPlugin`): the host
 * dispenses an object implementing `T` from the client halves; the plugin process serves an implementation of `T`
 * through the server halves.
 * @typeParam T - the interface host and plugin share (what `dispense()` returns)
 * @typeParam I - what the plugin process implements, when it differs from `T` (e.g. grpc-js handlers)
 */
export interface PluginDefinition<T, I = T> extends PluginHalves<T, I> {
  /** The protocols for which both halves are present. */
  readonly protocols: readonly ProtocolName[];
  /**
   * Binds the implementation the plugin process serves. Give the object itself, or a function that receives the
   * plugin's {@link PluginContext} (its logger) and returns it. (A `T` that is itself a function must be given
   * through such a factory.)
   * @param implementation - the implementation, or a factory of it
   */
  implement(implementation: I | ImplementationFactory<I>): ImplementedPlugin<T, I>;
}

/** Plugins by the name the host dispenses them with (host side). */
export type PluginSet = Readonly<Record<string, PluginDefinition<unknown, unknown>>>;

/** Implemented plugins by name (plugin side). */
export type ImplementedPluginSet = Readonly<Record<string, ImplementedPlugin<unknown, unknown>>>;

/** The interface a plugin definition gives the host. */
export type ClientOf<D> = D extends PluginDefinition<infer T, infer _I> ? T : never;

function complete(half: { server?: unknown; client?: unknown } | undefined): boolean {
  return typeof half?.server === 'function' && typeof half.client === 'function';
}

/**
 * Defines a plugin for both sides, without an implementation.
 * ```ts
 * const greeter = definePlugin<Greeter>({ netrpc: { server: (impl) => GreeterRpc.implement({ Greet: (n) => impl.greet(n) }),
 *   client: (conn) => { const c = conn.client(GreeterRpc); return { greet: (n, o) => c.Greet(n, o) }; } } });
 * ```
 * @typeParam T - what the host's `dispense()` returns
 * @typeParam I - what the plugin process implements (default `T`)
 * @param halves - the server and client halves for gRPC and/or netrpc; each protocol given needs both
 * @throws PluginError `invalid_argument` when no protocol is given, or one lacks a half
 */
export function definePlugin<T, I = T>(halves: PluginHalves<T, I>): PluginDefinition<T, I> {
  if (typeof halves !== 'object' || halves === null) throw new PluginError('invalid_argument', 'definePlugin() needs { grpc, netrpc } halves');
  const protocols: ProtocolName[] = [];
  for (const name of ['grpc', 'netrpc'] as const) {
    const half = halves[name];
    if (half === undefined) continue;
    if (!complete(half)) {
      throw new PluginError('invalid_argument', `definePlugin(): ${name} needs both a server(impl, ...) and a client(conn) function`);
    }
    protocols.push(name);
  }
  if (protocols.length === 0) {
    throw new PluginError('invalid_argument', 'definePlugin() needs grpc: { server, client } or netrpc: { server, client } (or both)');
  }
  const definition: PluginDefinition<T, I> = Object.freeze({
    grpc: halves.grpc,
    netrpc: halves.netrpc,
    protocols: Object.freeze(protocols),
    implement(implementation: I | ImplementationFactory<I>): ImplementedPlugin<T, I> {
      if (implementation === undefined || implementation === null) {
        throw new PluginError('invalid_argument', 'implement() needs the implementation (or a function returning it)');
      }
      const create: ImplementationFactory<I> =
        typeof implementation === 'function' ? (implementation as ImplementationFactory<I>) : () => implementation;
      return Object.freeze({ definition, create });
    },
  });
  return definition;
}
