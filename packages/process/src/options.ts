import type { ChildProcess } from 'node:child_process';
import { PluginError } from '@plugwire/core';
import type { AbortOptions, HandshakeConfig, LogLevel, Logger, ProtocolName } from '@plugwire/core';
import type { SecureConfig, VerifyOptions } from '@plugwire/trust';
import { DEFAULT_MAX_LINES_BEFORE_HANDSHAKE } from './noise.js';

/** Options of {@link launch}. */
export interface LaunchOptions extends AbortOptions {
  /** The plugin executable (a path, or a name looked up in `PATH`). */
  command: string;
  /** Arguments for the plugin. @default [] */
  args?: readonly string[];
  /** Working directory of the plugin. @default the host's */
  cwd?: string;
  /** Environment for the plugin; comes first, so the host's and plugwire's variables win. @default {} */
  env?: Readonly<Record<string, string>>;
  /** Magic cookie and legacy protocol version. */
  handshake: HandshakeConfig;
  /** The host's plugin-set versions; the plugin must choose one of them. */
  versions: readonly number[];
  /** Protocols the host accepts on the handshake line. */
  allowedProtocols: readonly ProtocolName[];
  /** How long to wait for the handshake line, in ms. @default 60000 */
  startTimeout?: number;
  /**
   * How many stdout lines that cannot be a handshake line (a dependency's banner, a warning) the plugin may write
   * before its handshake line; each is logged at `warn` and skipped. One more fails the launch with an error quoting
   * them. `0` is go-plugin's rule: the first line must be the handshake. @default 100
   */
  maxLinesBeforeHandshake?: number;
  /** The host logger; plugin stderr lines and lifecycle events go here. */
  logger: Logger;
  /** Receives a raw copy of the plugin's stderr. @default none */
  stderr?: NodeJS.WritableStream;
  /** Do not pass the host's environment to the plugin. @default false */
  skipHostEnv?: boolean;
  /** Lowest TCP port for the plugin. @default 10000 (when both ports are unset) */
  minPort?: number;
  /** Highest TCP port for the plugin. @default 25000 (when both ports are unset) */
  maxPort?: number;
  /** Directory for the plugin's unix sockets (`PLUGIN_UNIX_SOCKET_DIR`). @default unset */
  unixSocketDir?: string;
  /** Group for the plugin's unix sockets (`PLUGIN_UNIX_SOCKET_GROUP`). @default unset */
  unixSocketGroup?: string;
  /**
   * Ask for gRPC broker multiplexing (`PLUGIN_MULTIPLEX_GRPC=true`); a gRPC plugin that does not announce support
   * (handshake field 7) is then refused. @default false
   */
  multiplexGrpc?: boolean;
  /** PEM client certificate for AutoMTLS (`PLUGIN_CLIENT_CERT`). @default unset */
  clientCert?: string;
  /** Plugin stderr entries below this level are dropped; `off` skips parsing. @default 'trace' */
  logLevel?: LogLevel | 'off';
  /** Longest plugin stderr line parsed (go-plugin's `PluginLogBufferSize`). @default 65536 */
  logBufferSize?: number;
  /** How long `kill()` waits for the plugin to exit after the graceful step, in ms. @default 2000 */
  killTimeout?: number;
  /**
   * Kill the plugin when the host dies, even by SIGKILL. On Linux the plugin is started through util-linux's
   * `setpriv --pdeathsig KILL` (it execs the plugin in place: same pid, stdin and TTY); where there is no setpriv
   * (macOS, Windows, a container without util-linux) this does nothing, and only a managed Client's exit hooks or
   * the plugin's own watch on its parent stop it. Only the plugin process gets the signal: a wrapper that does not
   * `exec` leaves its children behind when the host is SIGKILLed (kill() still stops the whole tree). @default true
   */
  dieWithHost?: boolean;
  /**
   * Starts the plugin your own way (go-plugin's `RunnerFunc`): in a container, a sandbox, under another user. It gets
   * what would have been spawned and returns the started process, with stdout and stderr piped (stdin as you like);
   * the handshake, stderr mirroring, exit tracking and kill() then work as for a spawned plugin. The plugin must
   * still listen where the host can reach the address it prints. `dieWithHost` and the process group do not apply:
   * the runner owns how the process is tied to the host. @default spawn()
   */
  runner?: PluginRunner;
  /** Verify the plugin binary's checksum before running it (go-plugin's `SecureConfig`). @default no check */
  secureConfig?: SecureConfig;
  /**
   * Refuse to run the plugin unless its manifest is signed by one of these keys and every file it lists matches;
   * the plugin then runs from private copies of the checked files (see `@plugwire/trust`). @default no check
   */
  verify?: VerifyOptions;
  /** Accepted plugin versions, an npm semver range checked against the signed manifest (needs `verify`). @default any */
  version?: string;
}

/** What a {@link PluginRunner} is asked to start. */
export interface RunSpec {
  /** The plugin command, as given. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Its working directory, if one was given. */
  readonly cwd: string | undefined;
  /** The full environment the plugin needs (cookie, versions, ports, ...). */
  readonly env: Readonly<Record<string, string>>;
}

/** Starts a plugin process; see {@link LaunchOptions.runner}. */
export type PluginRunner = (spec: RunSpec) => ChildProcess;

/** Defaults of {@link LaunchOptions}. */
export const DEFAULT_START_TIMEOUT = 60_000;
/** go-plugin waits this long for a gracefully closed plugin to exit before killing it. */
export const DEFAULT_KILL_TIMEOUT = 2_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PluginError('invalid_argument', `${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function lineCount(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_LINES_BEFORE_HANDSHAKE;
  if (!Number.isInteger(value) || value < 0) {
    throw new PluginError('invalid_argument', `maxLinesBeforeHandshake must be a whole number of lines (0 or more), got ${String(value)}`);
  }
  return value;
}

/** {@link LaunchOptions} with defaults applied. */
export interface ValidLaunchOptions extends LaunchOptions {
  startTimeout: number;
  maxLinesBeforeHandshake: number;
  killTimeout: number;
}

/**
 * Checks {@link LaunchOptions} and applies defaults.
 * @throws PluginError `invalid_argument` naming the bad option
 */
export function validateLaunchOptions(options: LaunchOptions): ValidLaunchOptions {
  if (typeof options !== 'object' || options === null) {
    throw new PluginError('invalid_argument', 'launch() needs an options object');
  }
  if (typeof options.command !== 'string' || options.command === '') {
    throw new PluginError('invalid_argument', 'command must be the path or name of the plugin executable');
  }
  if (options.args !== undefined && !options.args.every((a) => typeof a === 'string')) {
    throw new PluginError('invalid_argument', 'args must be strings');
  }
  if (!Array.isArray(options.versions) || options.versions.length === 0) {
    throw new PluginError('invalid_argument', 'versions must list at least one plugin protocol version');
  }
  if (!Array.isArray(options.allowedProtocols) || options.allowedProtocols.length === 0) {
    throw new PluginError('invalid_argument', 'allowedProtocols must list at least one of "grpc", "netrpc"');
  }
  if (typeof options.logger !== 'object' || options.logger === null) {
    throw new PluginError('invalid_argument', 'logger is required (console works)');
  }
  if (options.version !== undefined && options.verify === undefined) {
    throw new PluginError('invalid_argument', 'version needs verify: the plugin declares its version in its signed manifest');
  }
  if (options.verify !== undefined && (!Array.isArray(options.verify.publicKeys) || options.verify.publicKeys.length === 0)) {
    throw new PluginError('invalid_argument', 'verify.publicKeys must list at least one trusted public key');
  }
  return {
    ...options,
    startTimeout: positive('startTimeout', options.startTimeout, DEFAULT_START_TIMEOUT),
    killTimeout: positive('killTimeout', options.killTimeout, DEFAULT_KILL_TIMEOUT),
    maxLinesBeforeHandshake: lineCount(options.maxLinesBeforeHandshake),
  };
}
