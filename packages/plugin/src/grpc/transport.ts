// The gRPC transport behind Client and serve(), loaded only when a plugin speaks gRPC: plugin definitions adapted
// to the transport's plugin shape.
import type { ChannelInterface, Server } from '@grpc/grpc-js';
import type { ClientProtocol, ConnectTransportOptions, ServeTransportOptions, ServerProtocol } from '@plugwire/core';
import { connectGrpc, fileDescriptorSet, serveGrpc, type GrpcBroker, type GrpcClientTransport, type GrpcPlugin } from '@plugwire/grpc-transport';
import type { TransportTls } from '@plugwire/net';
import type { PluginDefinition } from '../definition.js';
import { client } from './client.js';
import type { GrpcConnection, ServiceImplementation, ServiceLike } from './types.js';

/** A definition's gRPC client half as the transport's `grpcClient`; absent when the definition has none. */
function hostPlugin(definition: PluginDefinition<unknown, unknown>): Partial<GrpcPlugin> {
  const half = definition.grpc;
  if (!half) return {};
  return {
    grpcClient(broker: GrpcBroker, channel: ChannelInterface, signal: AbortSignal) {
      const conn: GrpcConnection = {
        broker,
        channel,
        signal,
        client: <S extends object>(service: S & ServiceLike<S>) => client<S>(service, channel, { signal }),
      };
      return half.client(conn);
    },
  };
}

/** Connects to a plugin serving gRPC. */
export function connect(
  options: ConnectTransportOptions<PluginDefinition<unknown, unknown>> & { readonly multiplex: boolean; readonly tls?: TransportTls; readonly transport?: GrpcClientTransport },
): Promise<ClientProtocol> {
  const plugins = Object.fromEntries(Object.entries(options.plugins).map(([name, d]) => [name, hostPlugin(d as PluginDefinition<unknown, unknown>)]));
  return connectGrpc({ ...options, plugins });
}

/** A served plugin: its definition and implementation. */
export interface Served {
  readonly definition: PluginDefinition<unknown, unknown>;
  readonly impl: unknown;
}

/** Adds the services a server half returned, and keeps their file descriptors (as sets) for reflection. */
function register(server: Server, result: void | ServiceImplementation | readonly ServiceImplementation[], sets: Uint8Array[]): void {
  if (result === undefined) return;
  for (const s of Array.isArray(result) ? (result as readonly ServiceImplementation[]) : [result as ServiceImplementation]) {
    server.addService(s.service, s.implementation);
    if (s.descriptors?.length) sets.push(fileDescriptorSet(s.descriptors));
  }
}

/** Serves plugins over gRPC. */
export function serve(
  options: Omit<ServeTransportOptions<GrpcPlugin>, 'plugins'> & { readonly plugins: Readonly<Record<string, Served>>; readonly maxReceiveMessageLength: number | undefined; readonly multiplex: boolean; readonly tls?: TransportTls },
): Promise<ServerProtocol> {
  // Filled while the plugins register, before the transport adds reflection (which reads it on its first call).
  const sets: Uint8Array[] = [];
  const plugins = Object.fromEntries(
    Object.entries(options.plugins).map(([name, { definition, impl }]): [string, Partial<GrpcPlugin>] => {
      const half = definition.grpc;
      if (!half) return [name, {}];
      return [name, { grpcServer: async (broker, server) => register(server, await half.server(impl, broker, server), sets) }];
    }),
  );
  return serveGrpc({ ...options, plugins, reflectionDescriptorSets: sets });
}
