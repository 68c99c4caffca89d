// The gRPC transport behind Client and serve(), loaded only when a plugin speaks gRPC: plugin definitions adapted
// to the transport's plugin shape.
import type { ChannelInterface } from '@grpc/grpc-js';
import type { ClientProtocol, ConnectTransportOptions, ServeTransportOptions, ServerProtocol } from '@plugwire/core';
import { connectGrpc, encodeFileDescriptorProto, fileDescriptorSet, serveGrpc, type GrpcBroker, type GrpcClientTransport, type GrpcPlugin, type GrpcServerKind, type GrpcServiceRegistrar } from '@plugwire/grpc-transport';
import type { TransportTls } from '@plugwire/net';
import type { PluginDefinition } from '../definition.js';
import { client } from './client.js';
import type { GrpcConnection, ProtoSchema, ServiceImplementation, ServiceLike } from './types.js';

/** A definition's gRPC client half as the transport's `client`; absent when the definition has none. */
function hostPlugin(definition: PluginDefinition<unknown, unknown>): Partial<GrpcPlugin> {
  const half = definition.grpc;
  if (!half) return {};
  return {
    client(broker: GrpcBroker, channel: ChannelInterface, signal: AbortSignal) {
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

/** What reflection describes besides the built-ins: proto-loader's encoded files and ts-proto schemas. */
interface Described {
  readonly files: Uint8Array[];
  readonly schemas: Set<ProtoSchema>;
}

/** Adds the services a server half returned, and keeps what describes them for reflection. */
function register(server: GrpcServiceRegistrar, result: void | ServiceImplementation | readonly ServiceImplementation[], described: Described): void {
  if (result === undefined) return;
  for (const s of Array.isArray(result) ? (result as readonly ServiceImplementation[]) : [result as ServiceImplementation]) {
    server.addService(s.service, s.implementation);
    described.files.push(...(s.descriptors ?? []));
    if (s.schema) described.schemas.add(s.schema);
  }
}

/** A ts-proto schema's file and those it imports, encoded, each schema once. */
async function encodeSchema(schema: ProtoSchema, seen: Set<ProtoSchema>): Promise<Uint8Array[]> {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const deps = await Promise.all((schema.dependencies ?? []).map((d) => encodeSchema(d, seen)));
  return [await encodeFileDescriptorProto(schema.fileDescriptor), ...deps.flat()];
}

/** The descriptor set reflection adds, encoded on its first call (ts-proto schemas need the protobuf runtime). */
async function describe(described: Described): Promise<Uint8Array[]> {
  const seen = new Set<ProtoSchema>();
  const fromSchemas = await Promise.all([...described.schemas].map((s) => encodeSchema(s, seen)));
  return [fileDescriptorSet([...described.files, ...fromSchemas.flat()])];
}

/** Serves plugins over gRPC. */
export function serve(
  options: Omit<ServeTransportOptions<GrpcPlugin>, 'plugins'> & { readonly plugins: Readonly<Record<string, Served>>; readonly maxReceiveMessageLength: number | undefined; readonly multiplex: boolean; readonly tls?: TransportTls; readonly grpcServer: GrpcServerKind },
): Promise<ServerProtocol> {
  // Filled while the plugins register; reflection reads it on its first call.
  const described: Described = { files: [], schemas: new Set() };
  const plugins = Object.fromEntries(
    Object.entries(options.plugins).map(([name, { definition, impl }]): [string, Partial<GrpcPlugin>] => {
      const half = definition.grpc;
      if (!half) return [name, {}];
      return [name, { server: async (broker, server) => register(server, await half.server(impl, broker, server), described) }];
    }),
  );
  return serveGrpc({ ...options, plugins, reflectionDescriptorSets: () => describe(described) });
}
