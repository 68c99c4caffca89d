export { PluginError, abortError, throwIfAborted } from './errors.js';
export { EXIT_GRACE_MS, waitForExit } from './exit-grace.js';
export type { PluginErrorCode, PluginErrorDetails, PluginErrorOptions } from './errors.js';
export { LOG_LEVELS, silentLogger } from './logger.js';
export type { LogFn, LogLevel, Logger } from './logger.js';
export type { AbortOptions, Resource } from './resource.js';
export { CORE_PROTOCOL_VERSION } from './protocol.js';
export type {
  Broker,
  ClientProtocol,
  HandshakeConfig,
  PluginAddress,
  ProtocolName,
  ServerProtocol,
} from './protocol.js';
export type { ConnectTransportOptions, Listener, ServeTransportOptions } from './transport.js';
