import { PluginError } from '@plugwire/core';
import type { HandshakeConfig } from '@plugwire/core';

/** Comma-separated plugin protocol versions the host supports (go-plugin's `PLUGIN_PROTOCOL_VERSIONS`). */
export const ENV_PROTOCOL_VERSIONS = 'PLUGIN_PROTOCOL_VERSIONS';
/** Lowest TCP port the plugin may listen on. */
export const ENV_MIN_PORT = 'PLUGIN_MIN_PORT';
/** Highest TCP port the plugin may listen on. */
export const ENV_MAX_PORT = 'PLUGIN_MAX_PORT';
/** The host's AutoMTLS client certificate, PEM. */
export const ENV_CLIENT_CERT = 'PLUGIN_CLIENT_CERT';
/** Directory in which the plugin creates its unix sockets (go-plugin's `EnvUnixSocketDir`). */
export const ENV_UNIX_SOCKET_DIR = 'PLUGIN_UNIX_SOCKET_DIR';
/** Group (name or gid) the plugin gives its unix sockets (go-plugin's `EnvUnixSocketGroup`). */
export const ENV_UNIX_SOCKET_GROUP = 'PLUGIN_UNIX_SOCKET_GROUP';
/** Set by a host that wants gRPC broker multiplexing (go-plugin's `envMultiplexGRPC`). */
export const ENV_MULTIPLEX_GRPC = 'PLUGIN_MULTIPLEX_GRPC';

const DEFAULT_MIN_PORT = 10000;
const DEFAULT_MAX_PORT = 25000;

/** What {@link clientEnv} needs to build a plugin's environment. */
export interface ClientEnvOptions {
  /** Magic cookie and legacy protocol version the host and plugin share. */
  handshake: HandshakeConfig;
  /** The host's plugin-set versions, sent as `PLUGIN_PROTOCOL_VERSIONS` in this order. */
  versions: readonly number[];
  /** The user's environment for the plugin; it comes first, so anything later with the same name wins. */
  env?: Readonly<Record<string, string>>;
  /** Leave out the host's own environment. @default false */
  skipHostEnv?: boolean;
  /** The host's environment. @default process.env */
  hostEnv?: NodeJS.ProcessEnv;
  /** Lowest TCP port for the plugin. @default 10000 (when both ports are 0 or unset) */
  minPort?: number;
  /** Highest TCP port for the plugin. @default 25000 (when both ports are 0 or unset) */
  maxPort?: number;
  /** Directory for the plugin's unix sockets; unset by default. */
  unixSocketDir?: string;
  /** Group for the plugin's unix sockets; unset by default. */
  unixSocketGroup?: string;
  /** Ask for gRPC broker multiplexing. @default false */
  multiplexGrpc?: boolean;
  /** PEM client certificate for AutoMTLS; unset by default. */
  clientCert?: string;
}

function checkPort(name: string, value: number | undefined): number {
  const port = value ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PluginError('invalid_argument', `${name} must be an integer port from 0 to 65535, got ${String(value)}`);
  }
  return port;
}

/**
 * Builds the plugin's environment in go-plugin's order (PROTOCOL.md §1.1): the user's variables, the host's
 * (unless `skipHostEnv`), the magic cookie, the port range, the protocol versions, then the optional
 * multiplexing, client certificate, socket group and socket directory variables. Later entries win.
 * @param o - what to put in the environment
 * @throws PluginError `invalid_argument` for a bad port, port range or version
 */
export function clientEnv(o: ClientEnvOptions): Record<string, string> {
  let minPort = checkPort('minPort', o.minPort);
  let maxPort = checkPort('maxPort', o.maxPort);
  if (minPort === 0 && maxPort === 0) {
    minPort = DEFAULT_MIN_PORT;
    maxPort = DEFAULT_MAX_PORT;
  }
  if (minPort > maxPort) {
    throw new PluginError('invalid_argument', `minPort ${minPort} is greater than maxPort ${maxPort}; swap them`);
  }
  for (const v of o.versions) {
    if (!Number.isSafeInteger(v)) {
      throw new PluginError('invalid_argument', `plugin protocol versions must be integers, got ${String(v)}`);
    }
  }
  const { magicCookieKey, magicCookieValue } = o.handshake;
  if (magicCookieKey === '' || magicCookieKey.includes('=') || magicCookieKey.includes('\0')) {
    throw new PluginError(
      'invalid_argument',
      `handshake.magicCookieKey must be a non-empty environment variable name without "=", got ${JSON.stringify(magicCookieKey)}`,
    );
  }
  const env: Record<string, string> = {};
  const add = (key: string, value: string | undefined): void => {
    if (value !== undefined) env[key] = value;
  };
  for (const [k, v] of Object.entries(o.env ?? {})) add(k, v);
  if (!o.skipHostEnv) {
    for (const [k, v] of Object.entries(o.hostEnv ?? process.env)) add(k, v);
  }
  add(magicCookieKey, magicCookieValue);
  add(ENV_MIN_PORT, String(minPort));
  add(ENV_MAX_PORT, String(maxPort));
  add(ENV_PROTOCOL_VERSIONS, o.versions.join(','));
  if (o.multiplexGrpc) add(ENV_MULTIPLEX_GRPC, 'true');
  if (o.clientCert !== undefined) add(ENV_CLIENT_CERT, o.clientCert);
  if (o.unixSocketGroup !== undefined) add(ENV_UNIX_SOCKET_GROUP, o.unixSocketGroup);
  if (o.unixSocketDir !== undefined) add(ENV_UNIX_SOCKET_DIR, o.unixSocketDir);
  return env;
}
