// Typed net/rpc services: service('Plugin', { Get: method(gob.string, gob.bytes) }) → handlers and a client.
import { PluginError, type AbortOptions } from '@plugwire/core';
import { gob, type GobType } from '@plugwire/gob';
import { acceptAndServe as serveOnBroker, dialRpc, method as handlerOf, type NetRpcService, type RpcClient, type RpcServer } from '@plugwire/netrpc-transport';
import type { MuxBroker } from '@plugwire/broker';
import type { MethodHandlers, MethodType, MethodTypes, ServiceDescription, TypedRpcClient } from './types.js';

/**
 * One net/rpc method's Go argument and reply types.
 * @param arg - Go type of the argument, e.g. `gob.string`
 * @param reply - Go type of the reply, e.g. `gob.bytes`
 */
export function method<A, R>(arg: GobType<A>, reply: GobType<R>): MethodType<A, R> {
  return Object.freeze({ arg, reply });
}

/**
 * Describes a net/rpc service once; its `implement(handlers)` gives the server side and `client(rpc)` (or
 * `conn.client(description)`) the typed client, so method names and Go types are written in one place.
 * ```ts
 * const KVRpc = service('Plugin', { Get: method(gob.string, gob.bytes) });
 * ```
 * @param name - the Go service name; go-plugin serves dispensed plugins and broker callbacks as `Plugin`
 * @param methods - method types by Go name (exported, so capitalised)
 */
export function service<M extends MethodTypes>(name: string, methods: M): ServiceDescription<M> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new PluginError('invalid_argument', `service name ${JSON.stringify(name)} is not a Go identifier`);
  for (const key of Object.keys(methods)) {
    if (!/^[A-Z][A-Za-z0-9_]*$/.test(key)) {
      throw new PluginError('invalid_argument', `method ${JSON.stringify(key)}: net/rpc serves exported methods only; capitalise it`);
    }
  }
  return Object.freeze({
    name,
    methods,
    implement(handlers: MethodHandlers<M>): NetRpcService {
      const out: Record<string, ReturnType<typeof handlerOf>> = {};
      for (const [key, type] of Object.entries(methods)) {
        const handler = (handlers as Record<string, unknown>)[key];
        if (typeof handler !== 'function') throw new PluginError('invalid_argument', `implement(): no handler for ${name}.${key}`);
        out[key] = handlerOf(type.arg as GobType, type.reply as GobType, handler as Parameters<typeof handlerOf>[2]);
      }
      return Object.freeze(out);
    },
    client(rpc: RpcClient): TypedRpcClient<M> {
      const out: Record<string, unknown> = {};
      for (const [key, type] of Object.entries(methods)) {
        const serviceMethod = `${name}.${key}`;
        out[key] = (arg: unknown, options: AbortOptions = {}) =>
          rpc.call(serviceMethod, gob.value(type.arg as GobType, arg as never), { ...options, reply: type.reply as GobType });
      }
      return Object.freeze(out) as TypedRpcClient<M>;
    },
  });
}

/**
 * Serves `service` as `Plugin` on the brokered connection `id` once the other side dials it (go-plugin's
 * `MuxBroker.AcceptAndServe`), e.g. the host's callback service before it passes `id` to the plugin. Close the
 * returned server when done.
 * @param broker - the connection's broker
 * @param id - an id from `broker.nextId()`
 * @param service - the handlers (from `description.implement(...)`)
 * @param options - cancels the wait for the other side
 */
export function acceptAndServe(broker: MuxBroker, id: number, service: NetRpcService, options: AbortOptions = {}): Promise<RpcServer> {
  return serveOnBroker(broker, id, service, options);
}

/**
 * Dials the brokered connection `id` (the other side of {@link acceptAndServe}) and returns a net/rpc client on
 * it; wrap it with `description.client(rpc)`. Close it when done.
 * @param broker - the connection's broker
 * @param id - the id the other side serves on
 * @param options - cancels the dial
 */
export function dial(broker: MuxBroker, id: number, options: AbortOptions = {}): Promise<RpcClient> {
  return dialRpc(broker, id, options);
}
