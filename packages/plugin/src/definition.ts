import type { ChannelInterface, Server } from '@grpc/grpc-js';
import type { MuxBroker } from '@plugwire/broker';
import { PluginError } from '@plugwire/core';
import type { GrpcBroker } from '@plugwire/grpc-transport';
import type { NetRpcService, RpcClient } from '@plugwire/netrpc-transport';

/**
 * One plugin, defined once for both sides and both protocols: the plugin process uses the server halves, the host
 * the client halves, which return an object implementing `T` (the user's interface). Give the gRPC pair, the
 * netrpc pair, or both.
 */
export interface PluginDefinition<T> {
  /** Plugin side, gRPC: registers the implementation's services on `server`. */
  readonly grpcServer?: (broker: GrpcBroker, server: Server) => void | Promise<void>;
  /** Host side, gRPC: returns the object the host calls, built on `channel` (see `clientOn`). */
  readonly grpcClient?: (broker: GrpcBroker, channel: ChannelInterface, signal: AbortSignal) => T | Promise<T>;
  /** Plugin side, netrpc: returns the service served as `Plugin`. */
  readonly server?: (broker: MuxBroker) => NetRpcService | Promise<NetRpcService>;
  /** Host side, netrpc: returns the object the host calls, built on the net/rpc client. */
  readonly client?: (broker: MuxBroker, client: RpcClient) => T | Promise<T>;
}

/** Plugins by the name the host dispenses them with. */
export type PluginSet = Readonly<Record<string, PluginDefinition<unknown>>>;

/** The interface a plugin definition gives the host. */
export type ClientOf<D> = D extends PluginDefinition<infer T> ? T : never;

/**
 * Defines a plugin for both sides. Checks that at least one protocol has both halves.
 * @param definition - the server and client halves for gRPC and/or netrpc
 */
export function definePlugin<T>(definition: PluginDefinition<T>): PluginDefinition<T> {
  const grpc = definition.grpcServer !== undefined || definition.grpcClient !== undefined;
  const netrpc = definition.server !== undefined || definition.client !== undefined;
  if (!grpc && !netrpc) {
    throw new PluginError('invalid_argument', 'definePlugin needs grpcServer/grpcClient (gRPC) or server/client (netrpc)');
  }
  return Object.freeze({ ...definition });
}

/** Whether the definition can be served over gRPC. */
export function supportsGrpc(definition: PluginDefinition<unknown> | undefined): boolean {
  return typeof definition?.grpcServer === 'function';
}
