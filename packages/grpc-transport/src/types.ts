import type * as grpc from '@grpc/grpc-js';
import type { AbortOptions, Broker } from '@plugwire/core';
import type { GrpcServiceRegistrar } from './h2-server/registry.js';

/**
 * go-plugin's `GRPCBroker` (without knock multiplexing): extra gRPC connections between host and plugin, each
 * named by an id that one side serves on ({@link GrpcBroker.acceptAndServe}) and the other dials
 * ({@link GrpcBroker.dial}). Works in both directions.
 */
export interface GrpcBroker extends Broker {
  /** A fresh id, counting up from 1. */
  nextId(): number;
  /**
   * Listens on a new socket, lets `register` add services to a fresh server on it (plugwire's h2 server or
   * grpc-js's, as the plugin serves: `server.addService(...)` works on both), and announces the socket to the other
   * side under `id`. Resolves once the announcement is sent and the server serves; the server runs until the broker
   * closes.
   */
  acceptAndServe(id: number, register: (server: GrpcServiceRegistrar) => void, options?: AbortOptions): Promise<void>;
  /**
   * Waits (at most 5 s, as go-plugin) for the other side to announce `id` and returns a channel to it.
   * Rejects with `timeout` (`timeout waiting for connection info`). The broker closes the channel when it closes.
   */
  dial(id: number, options?: AbortOptions): Promise<grpc.ChannelInterface>;
  /** Closes the broker, its servers and the channels it dialed; idempotent. */
  close(): Promise<void>;
}

/**
 * The gRPC half of a plugin definition; go-plugin's `GRPCPlugin`.
 * @typeParam T - what the host-side client factory returns (the user's interface)
 */
export interface GrpcPlugin<T = unknown> {
  /**
   * Plugin side: register the plugin's services on `server` with `server.addService(Definition, implementation)`;
   * `server` is plugwire's h2 server or grpc-js's `Server` (the `grpcServer` serve option), handlers get grpc-js's
   * call objects on both.
   */
  server(broker: GrpcBroker, server: GrpcServiceRegistrar): void | Promise<void>;
  /**
   * Host side: build the object the host calls, on `channel` (see `clientOn`). `signal` fires when the plugin
   * process exited or the connection closed (go-plugin's `doneCtx`).
   */
  client(broker: GrpcBroker, channel: grpc.ChannelInterface, signal: AbortSignal): T | Promise<T>;
}
