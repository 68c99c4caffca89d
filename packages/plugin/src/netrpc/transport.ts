// The netrpc transport behind Client and serve(): plugin definitions adapted to the transport's plugin shape.
import type { ClientProtocol, ConnectTransportOptions, ServeTransportOptions, ServerProtocol } from '@plugwire/core';
import { connectNetRpc, serveNetRpc, type NetRpcPlugin } from '@plugwire/netrpc-transport';
import type { TransportTls } from '@plugwire/net';
import type { PluginDefinition } from '../definition.js';
import type { NetRpcConnection } from './types.js';

function hostPlugin(definition: PluginDefinition<unknown, unknown>): Partial<NetRpcPlugin> {
  const half = definition.netrpc;
  if (!half) return {};
  return {
    client(broker, rpc) {
      const conn: NetRpcConnection = { broker, rpc, client: (service) => service.client(rpc) };
      return half.client(conn);
    },
  };
}

/** Connects to a plugin serving netrpc. */
export function connect(options: ConnectTransportOptions<PluginDefinition<unknown, unknown>> & { readonly multiplex?: boolean; readonly tls?: TransportTls }): Promise<ClientProtocol> {
  const plugins = Object.fromEntries(Object.entries(options.plugins).map(([name, d]) => [name, hostPlugin(d as PluginDefinition<unknown, unknown>)]));
  const { multiplex: _netrpcAlwaysMultiplexes, ...rest } = options;
  return connectNetRpc({ ...rest, plugins });
}

/** A served plugin: its definition and implementation. */
export interface Served {
  readonly definition: PluginDefinition<unknown, unknown>;
  readonly impl: unknown;
}

/** Serves plugins over netrpc. */
export function serve(
  options: Omit<ServeTransportOptions<NetRpcPlugin>, 'plugins'> & { readonly plugins: Readonly<Record<string, Served>>; readonly tls?: TransportTls },
): Promise<ServerProtocol> {
  const plugins = Object.fromEntries(
    Object.entries(options.plugins).map(([name, { definition, impl }]): [string, Partial<NetRpcPlugin>] => {
      const half = definition.netrpc;
      return [name, half ? { server: (broker) => half.server(impl, broker) } : {}];
    }),
  );
  return serveNetRpc({ ...options, plugins });
}
