import type { Writable } from 'node:stream';
import { PluginError, type HandshakeConfig, type Logger, type LogLevel, type ProtocolName } from '@plugwire/core';
import type { ReattachConfig, SecureConfig } from '@plugwire/process';
import type { PluginSet } from './definition.js';

/** The plugin executable to launch; go-plugin's `Cmd`. */
export interface CommandOptions {
  /** Executable path (launch Node plugins as `process.execPath` with the script as first argument). */
  readonly command: string;
  /** Arguments. @default [] */
  readonly args?: readonly string[];
  /** Extra environment, placed before the host's environment as go-plugin does. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. @default the host's */
  readonly cwd?: string;
}

/** Options of `new Client(...)`; go-plugin's `ClientConfig`. */
export interface ClientOptions<P extends PluginSet> {
  /** Magic cookie and legacy protocol version; must match the plugin's. */
  readonly handshake: HandshakeConfig;
  /** Plugins for `handshake.protocolVersion`. Give this or `versionedPlugins` (or both). */
  readonly plugins?: P;
  /** Plugin sets by application protocol version; the plugin picks the highest it shares. */
  readonly versionedPlugins?: Readonly<Record<number, P>>;
  /** The plugin to launch. Exactly one of `cmd` and `reattach`. */
  readonly cmd?: CommandOptions;
  /** A running plugin to attach to instead of launching one. */
  readonly reattach?: ReattachConfig;
  /** Protocols the host accepts. @default ['netrpc'] (as go-plugin) */
  readonly allowedProtocols?: readonly ProtocolName[];
  /** Milliseconds to wait for the handshake line. @default 60000 */
  readonly startTimeout?: number;
  /** Host logger; plugin log lines are mirrored into it. @default text lines on stderr at info */
  readonly logger?: Logger;
  /** Plugin log entries below this level are dropped; `off` skips parsing. @default 'trace' */
  readonly logLevel?: LogLevel | 'off';
  /** Receives a raw copy of the plugin's stderr. @default none */
  readonly stderr?: Writable;
  /** Receives what the plugin writes to its stdout after the handshake. @default discarded */
  readonly syncStdout?: Writable;
  /** Receives what the plugin writes to its stderr (besides log lines) after the handshake. @default discarded */
  readonly syncStderr?: Writable;
  /** Kill this client from `cleanupClients()` and when the host exits or gets SIGINT/SIGTERM. @default false */
  readonly managed?: boolean;
  /** Do not pass the host's environment to the plugin. @default false */
  readonly skipHostEnv?: boolean;
  /** Lowest TCP port the plugin may use (`PLUGIN_MIN_PORT`). @default 10000 */
  readonly minPort?: number;
  /** Highest TCP port the plugin may use (`PLUGIN_MAX_PORT`). @default 25000 */
  readonly maxPort?: number;
  /** Directory the plugin puts its unix sockets in (`PLUGIN_UNIX_SOCKET_DIR`). @default the plugin's temp dir */
  readonly unixSocketDir?: string;
  /** Checksum the executable must have before it is launched (go-plugin's `SecureConfig`). @default none */
  readonly secureConfig?: SecureConfig;
  /**
   * Milliseconds the connection (connect and a first ping) and each `dispense()` may take; past it they reject with
   * `timeout` (a plugin that accepted the connection but never answers). @default 20000
   */
  readonly connectTimeout?: number;
  /** Default deadline of every call on dispensed clients, in ms; past it the call rejects with `timeout`. @default none */
  readonly callTimeout?: number;
  /**
   * Milliseconds between checks that the plugin still answers (a gRPC health check, a yamux ping); a check unanswered
   * within `livenessTimeout` fails every pending call with `unavailable` saying the plugin stopped answering. @default 30000
   */
  readonly livenessInterval?: number;
  /** Milliseconds a liveness check may wait for its answer. @default 10000 */
  readonly livenessTimeout?: number;
}

/** Default of {@link ClientOptions.connectTimeout}. */
export const DEFAULT_CONNECT_TIMEOUT = 20_000;

function fail(message: string): never {
  throw new PluginError('invalid_argument', message);
}

/**
 * Checks client options and returns the plugin sets by version (legacy `plugins` under `handshake.protocolVersion`).
 * Throws a `PluginError` with code `invalid_argument` on any mistake.
 * @param options - what the user passed
 */
export function validateClientOptions<P extends PluginSet>(options: ClientOptions<P>): Map<number, P> {
  if (!options || typeof options !== 'object') fail('new Client() needs an options object');
  const { handshake } = options;
  if (!handshake?.magicCookieKey || !handshake.magicCookieValue) {
    fail('handshake.magicCookieKey and handshake.magicCookieValue must both be set, and match the plugin');
  }
  if ((options.cmd === undefined) === (options.reattach === undefined)) {
    fail('exactly one of cmd or reattach must be set');
  }
  if (options.cmd && !options.cmd.command) fail('cmd.command must name the plugin executable');
  if (options.reattach && options.secureConfig) fail('only one of reattach or secureConfig can be set');
  const sets = new Map<number, P>();
  for (const [key, set] of Object.entries(options.versionedPlugins ?? {})) {
    const version = Number(key);
    if (!Number.isInteger(version) || version < 0) fail(`versionedPlugins key ${JSON.stringify(key)} is not a protocol version`);
    sets.set(version, set);
  }
  if (options.plugins && !sets.has(handshake.protocolVersion)) sets.set(handshake.protocolVersion, options.plugins);
  if (sets.size === 0) fail('set plugins or versionedPlugins: the host needs at least one plugin set');
  for (const p of options.allowedProtocols ?? []) {
    if (p !== 'grpc' && p !== 'netrpc') fail(`allowedProtocols: unknown protocol ${JSON.stringify(p)}; use 'grpc' or 'netrpc'`);
  }
  for (const key of ['startTimeout', 'connectTimeout', 'callTimeout', 'livenessInterval', 'livenessTimeout'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) fail(`${key} must be a positive number of milliseconds`);
  }
  for (const port of [options.minPort, options.maxPort]) {
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) fail(`port ${port} is not in 0..65535`);
  }
  if ((options.minPort ?? 0) > (options.maxPort ?? 65535)) fail('minPort is greater than maxPort');
  return sets;
}
