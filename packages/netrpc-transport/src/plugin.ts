// The netrpc half of a plugin definition, and helpers for brokered net/rpc connections (callbacks).
import type { AbortOptions } from '@plugwire/core';
import type { MuxBroker } from '@plugwire/broker';
import { type RpcClient, createRpcClient } from './rpc-client.js';
import { type RpcServer, serveRpc } from './rpc-server.js';
import type { NetRpcService } from './service.js';

/**
 * How a plugin speaks netrpc (go-plugin's `Plugin` interface): the plugin process serves `server(broker)` as the
 * net/rpc service `Plugin`; the host wraps the net/rpc client of the dispensed connection with `client(...)`.
 */
export interface NetRpcPlugin<T = unknown> {
  /** The service the plugin serves for one dispense, its methods by Go name. */
  server(broker: MuxBroker): NetRpcService | Promise<NetRpcService>;
  /** The object the host's `dispense` returns, calling `Plugin.*` through `client`. */
  client(broker: MuxBroker, client: RpcClient): T | Promise<T>;
}

/**
 * Accepts the brokered connection `id` and serves `service` on it as `Plugin` (go-plugin's
 * `MuxBroker.AcceptAndServe`), e.g. a host serving a callback before passing `id` to the plugin.
 * @param broker - the connection's broker
 * @param id - an id from `broker.nextId()`
 * @param service - the methods to serve
 */
export async function acceptAndServe(broker: MuxBroker, id: number, service: NetRpcService, options: AbortOptions = {}): Promise<RpcServer> {
  const stream = await broker.accept(id, options);
  return serveRpc(stream, 'Plugin', service);
}

/**
 * Dials the brokered connection `id` and returns a net/rpc client on it (the other side of
 * {@link acceptAndServe}). Close it when done.
 * @param broker - the connection's broker
 * @param id - the id the other side accepts on
 */
export async function dialRpc(broker: MuxBroker, id: number, options: AbortOptions = {}): Promise<RpcClient> {
  return createRpcClient(await broker.dial(id, options));
}
