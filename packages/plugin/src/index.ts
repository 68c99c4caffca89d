// The package root: Client, serve() and definePlugin. It loads neither grpc-js nor the netrpc stack; the transport
// a plugin speaks is loaded when it is first used, and the helpers to write halves live in ./grpc and ./netrpc.
export { Client } from './client.js';
export { definePlugin } from './definition.js';
export type {
  ClientOf,
  ImplementationFactory,
  ImplementedPlugin,
  ImplementedPluginSet,
  PluginContext,
  PluginDefinition,
  PluginHalves,
  PluginSet,
} from './definition.js';
export { DEFAULT_MAX_PORT, DEFAULT_MIN_PORT, DEFAULT_START_TIMEOUT, validateClientOptions } from './options.js';
export type { ClientOptions, CommandOptions, ResolvedClientOptions } from './options.js';
export type { GrpcClientTransport, GrpcServerKind, GrpcServiceRegistrar } from '@plugwire/grpc-transport';
export { serve, validateServeOptions } from './serve.js';
export type { ResolvedServeOptions, ServeOptions, ServeTestOptions } from './serve.js';
export { listen } from '@plugwire/net';
export type { ListenOptions, TlsSettings } from '@plugwire/net';
export { createPluginLogger, LOG_LEVEL_ENV } from './plugin-logger.js';
export type { PluginLoggerOptions } from './plugin-logger.js';
export { createTextLogger } from './text-logger.js';
export type { GrpcConnection, GrpcHalves } from './grpc/types.js';
export type { NetRpcConnection, NetRpcHalves } from './netrpc/types.js';
export { cleanupClients, discover } from '@plugwire/process';
export type { PluginRunner, ReattachConfig, RunSpec, SecureConfig, VerifyOptions } from '@plugwire/process';
export { PluginError, silentLogger } from '@plugwire/core';
export type { AbortOptions, HandshakeConfig, Logger, LogLevel, PluginAddress, PluginErrorCode, ProtocolName } from '@plugwire/core';
