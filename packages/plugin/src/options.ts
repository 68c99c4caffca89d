import type { Writable } from 'node:stream';
import { LOG_LEVELS, PluginError, type HandshakeConfig, type Logger, type LogLevel, type ProtocolName } from '@plugwire/core';
import type { GrpcClientTransport } from '@plugwire/grpc-transport';
import type { TlsSettings } from '@plugwire/net';
import type { LaunchOptions, PluginRunner, ReattachConfig, SecureConfig, VerifyOptions } from '@plugwire/process';
import type { PluginSet } from './definition.js';
import { createTextLogger } from './text-logger.js';
import { LOG_LEVEL_ENV } from './plugin-logger.js';

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
export interface ClientOptions<P extends PluginSet = PluginSet> {
  /** Magic cookie and legacy protocol version; must match the plugin's. */
  readonly handshake: HandshakeConfig;
  /** Plugins for `handshake.protocolVersion`. Give this or `versionedPlugins` (or both). */
  readonly plugins?: P;
  /** Plugin sets by application protocol version; the plugin picks the highest it shares. */
  readonly versionedPlugins?: Readonly<Record<number, P>>;
  /** The plugin to launch: a command and arguments, or the full {@link CommandOptions}. Exactly one of `cmd` and `reattach`. */
  readonly cmd?: CommandOptions | readonly [string, ...string[]];
  /** A running plugin to attach to instead of launching one. */
  readonly reattach?: ReattachConfig;
  /**
   * Protocols the host accepts.
   * @default the protocols every plugin definition of a set has both halves for (go-plugin's `['netrpc']` for
   *   netrpc-only definitions)
   */
  readonly allowedProtocols?: readonly ProtocolName[];
  /** Milliseconds to wait for the handshake line. @default 60000 */
  readonly startTimeout?: number;
  /** Host logger; plugin log lines are mirrored into it. @default text lines on stderr at info */
  readonly logger?: Logger;
  /**
   * Plugin log entries below this level are dropped; `off` skips parsing. A plugwire plugin's own logger (from
   * `serve()`) writes at this level. @default 'trace'
   */
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
   * Group (name or gid) the plugin gives its unix sockets, making them group-writable (`PLUGIN_UNIX_SOCKET_GROUP`,
   * go-plugin v1.5+ `UnixSocketConfig.Group`); this process must be a member. @default unset
   */
  readonly unixSocketGroup?: string;
  /**
   * Multiplex the gRPC broker over the main connection (go-plugin v1.6+ `GRPCBrokerMultiplex`, knock mode): one
   * socket to the plugin instead of one per brokered service. A gRPC plugin that does not announce support is
   * refused with go-plugin's error; not allowed with `reattach`. @default false
   */
  readonly grpcBrokerMultiplex?: boolean;
  /**
   * The client that carries this host's gRPC calls to the plugin: `h2`, plugwire's lean HTTP/2 client, or
   * `grpc-js`'s own channel. Both hand the gRPC client half a grpc-js channel, so generated clients work on either.
   * @default 'h2'
   */
  readonly grpcTransport?: GrpcClientTransport;
  /**
   * go-plugin's `AutoMTLS`: the host makes an ephemeral certificate (P-521) at each launch, passes it in
   * `PLUGIN_CLIENT_CERT`, and connects with mutual TLS 1.2+, accepting only the certificate the plugin printed on
   * its handshake line. A plugin that prints none is refused. Not with `reattach` or `tls`. @default false
   */
  readonly autoMTLS?: boolean;
  /**
   * The host's own TLS (go-plugin's `TLSConfig`): key, certificate and CA to connect to a plugin that serves TLS
   * with its own certificates (also used on the host's gRPC broker listeners). @default none (plaintext)
   */
  readonly tls?: TlsSettings;
  /**
   * Run the plugin only if its manifest is signed by one of these ed25519 keys and every file it lists matches;
   * it then runs from private copies of the checked files (`@plugwire/trust`). Not with `reattach`. @default no check
   */
  readonly verify?: VerifyOptions;
  /** Accepted plugin versions (npm semver range, e.g. `^1.4.0`), read from the signed manifest; needs `verify`. @default any */
  readonly version?: string;
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
  /**
   * Starts the plugin your own way (go-plugin's `RunnerFunc`): gets the command, arguments, directory and full
   * environment, returns the started `ChildProcess` with stdout and stderr piped; the rest of the lifecycle is
   * unchanged. @default spawn()
   */
  readonly runner?: PluginRunner;
  /**
   * Kill the plugin when the host dies, even by SIGKILL (Linux: through util-linux's `setpriv --pdeathsig KILL`;
   * elsewhere nothing). @default true
   */
  readonly dieWithHost?: boolean;
  /** Stdout lines before the handshake that are logged and skipped (a banner); `0` is go-plugin's rule. @default 100 */
  readonly maxLinesBeforeHandshake?: number;
}

/** Default of {@link ClientOptions.connectTimeout}, in ms. */
export const DEFAULT_CONNECT_TIMEOUT = 20_000;

/** Default lowest TCP port of a plugin (go-plugin's). */
export const DEFAULT_MIN_PORT = 10_000;
/** Default highest TCP port of a plugin (go-plugin's). */
export const DEFAULT_MAX_PORT = 25_000;
/** Default wait for the handshake line, in ms. */
export const DEFAULT_START_TIMEOUT = 60_000;

/** {@link ClientOptions} checked, with every default applied: what `Client` passes down. */
export interface ResolvedClientOptions<P extends PluginSet = PluginSet> {
  /** Magic cookie and legacy protocol version. */
  readonly handshake: HandshakeConfig;
  /** Plugin sets by application protocol version (`plugins` under `handshake.protocolVersion`). */
  readonly sets: ReadonlyMap<number, P>;
  /** What `launch()` gets (without its signal); undefined with `reattach`. */
  readonly launch: Omit<LaunchOptions, 'signal'> | undefined;
  /** The running plugin to attach to; undefined with `cmd`. */
  readonly reattach: ReattachConfig | undefined;
  /** Protocols the host accepts. */
  readonly allowedProtocols: readonly ProtocolName[];
  /** The host logger. */
  readonly logger: Logger;
  /** Where the plugin's synced stdout goes. */
  readonly syncStdout: Writable | undefined;
  /** Where the plugin's synced stderr goes. */
  readonly syncStderr: Writable | undefined;
  /** Whether `cleanupClients()` kills this client. */
  readonly managed: boolean;
  /** Whether the gRPC broker is multiplexed over the main connection (when the plugin supports it). */
  readonly grpcBrokerMultiplex: boolean;
  /** The client that carries the host's gRPC calls. */
  readonly grpcTransport: GrpcClientTransport;
  /** Whether AutoMTLS is on (a fresh identity per launch). */
  readonly autoMTLS: boolean;
  /** The host's own TLS, when given. */
  readonly tls: TlsSettings | undefined;
  /** Deadline of the connection and of each dispense, in ms. */
  readonly connectTimeout: number;
  /** What the transport gets: default call deadline and liveness check (each undefined for the transport's default). */
  readonly calls: {
    /** Default deadline of every call, in ms; undefined: none. */
    readonly callTimeout?: number;
    /** How often an idle connection is checked, in ms; undefined: the transport's default. */
    readonly livenessInterval?: number;
    /** How long a liveness check may take before pending calls fail, in ms; undefined: the transport's default. */
    readonly livenessTimeout?: number;
  };
}

function fail(message: string): never {
  throw new PluginError('invalid_argument', message);
}

function port(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > 65535) fail(`${name} ${String(value)} is not a port number (0..65535)`);
  return value;
}

function commandOf(cmd: ClientOptions['cmd']): CommandOptions | undefined {
  if (cmd === undefined) return undefined;
  if (Array.isArray(cmd)) {
    const [command, ...args] = cmd as readonly string[];
    return { command: command ?? '', args };
  }
  return cmd as CommandOptions;
}

/** Protocols a host with these sets can speak: per set, those every definition has both halves for. */
export function protocolsOf(sets: Iterable<PluginSet>): ProtocolName[] {
  const out = new Set<ProtocolName>();
  for (const set of sets) {
    for (const p of ['grpc', 'netrpc'] as const) {
      if (Object.values(set).every((d) => d.protocols.includes(p))) out.add(p);
    }
  }
  return [...out];
}

/**
 * Checks client options once and applies every default; `Client` passes the result down unchanged.
 * @param options - what the user passed
 * @throws PluginError `invalid_argument` naming the mistake
 */
export function validateClientOptions<P extends PluginSet>(options: ClientOptions<P>): ResolvedClientOptions<P> {
  if (!options || typeof options !== 'object') fail('new Client() needs an options object');
  const { handshake } = options;
  if (!handshake?.magicCookieKey || !handshake.magicCookieValue) {
    fail('handshake.magicCookieKey and handshake.magicCookieValue must both be set, and match the plugin');
  }
  if ((options.cmd === undefined) === (options.reattach === undefined)) fail('exactly one of cmd or reattach must be set');
  const cmd = commandOf(options.cmd);
  if (cmd && (typeof cmd.command !== 'string' || cmd.command === '')) fail('cmd.command must name the plugin executable');
  if (options.reattach && options.secureConfig) fail('only one of reattach or secureConfig can be set');
  if (options.grpcTransport !== undefined && options.grpcTransport !== 'h2' && options.grpcTransport !== 'grpc-js') {
    fail(`grpcTransport must be 'h2' or 'grpc-js', got ${JSON.stringify(options.grpcTransport)}`);
  }
  if (options.reattach && options.grpcBrokerMultiplex) fail('gRPC broker multiplexing is not supported with Reattach config');
  if (options.reattach && options.autoMTLS) fail('autoMTLS cannot be used with reattach: the first host\'s certificates are gone; use tls');
  if (options.autoMTLS && options.tls) fail('set autoMTLS or tls, not both');
  if (options.reattach && (options.verify || options.version)) fail('verify and version check a plugin before it is launched; they cannot be used with reattach');
  if (options.reattach && options.runner) fail('runner starts a plugin; it cannot be used with reattach');
  if (options.version !== undefined && !options.verify) fail('version needs verify: the plugin declares its version in its signed manifest');

  const sets = new Map<number, P>();
  for (const [key, set] of Object.entries(options.versionedPlugins ?? {})) {
    const version = Number(key);
    if (!Number.isInteger(version) || version < 0) fail(`versionedPlugins key ${JSON.stringify(key)} is not a protocol version`);
    sets.set(version, set);
  }
  if (options.plugins && !sets.has(handshake.protocolVersion)) sets.set(handshake.protocolVersion, options.plugins);
  if (sets.size === 0) fail('set plugins or versionedPlugins: the host needs at least one plugin set');
  for (const [version, set] of sets) {
    for (const [name, d] of Object.entries(set)) {
      if (!Array.isArray(d?.protocols)) fail(`plugin ${JSON.stringify(name)} (version ${version}) is not a definition from definePlugin()`);
    }
  }

  for (const p of options.allowedProtocols ?? []) {
    if (p !== 'grpc' && p !== 'netrpc') fail(`allowedProtocols: unknown protocol ${JSON.stringify(p)}; use 'grpc' or 'netrpc'`);
  }
  const allowedProtocols = options.allowedProtocols ?? protocolsOf(sets.values());
  if (allowedProtocols.length === 0) fail('the plugin definitions share no protocol; give each both halves of gRPC or of netrpc, or set allowedProtocols');

  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
  for (const key of ['startTimeout', 'connectTimeout', 'callTimeout', 'livenessInterval', 'livenessTimeout'] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) fail(`${key} must be a positive number of milliseconds`);
  }
  const minPort = port('minPort', options.minPort, DEFAULT_MIN_PORT);
  const maxPort = port('maxPort', options.maxPort, DEFAULT_MAX_PORT);
  if (minPort > maxPort) fail(`minPort ${minPort} is greater than maxPort ${maxPort} (defaults ${DEFAULT_MIN_PORT}..${DEFAULT_MAX_PORT}); set both`);
  const logLevel = options.logLevel ?? 'trace';
  if (logLevel !== 'off' && !LOG_LEVELS.includes(logLevel)) fail(`logLevel ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}, off`);
  const logger = options.logger ?? createTextLogger();

  const launch: Omit<LaunchOptions, 'signal'> | undefined = cmd && {
    command: cmd.command,
    args: cmd.args ?? [],
    cwd: cmd.cwd,
    // The plugin's own logger writes at the level the host keeps.
    env: { [LOG_LEVEL_ENV]: logLevel, ...cmd.env },
    handshake,
    versions: [...sets.keys()],
    allowedProtocols,
    startTimeout,
    logger,
    logLevel,
    stderr: options.stderr,
    skipHostEnv: options.skipHostEnv ?? false,
    minPort,
    maxPort,
    unixSocketDir: options.unixSocketDir,
    unixSocketGroup: options.unixSocketGroup,
    multiplexGrpc: options.grpcBrokerMultiplex ?? false,
    secureConfig: options.secureConfig,
    verify: options.verify,
    version: options.version,
    runner: options.runner,
    dieWithHost: options.dieWithHost ?? true,
    maxLinesBeforeHandshake: options.maxLinesBeforeHandshake,
  };
  return {
    handshake,
    sets,
    launch,
    reattach: options.reattach,
    allowedProtocols,
    logger,
    syncStdout: options.syncStdout,
    syncStderr: options.syncStderr,
    managed: options.managed ?? false,
    grpcBrokerMultiplex: options.grpcBrokerMultiplex ?? false,
    grpcTransport: options.grpcTransport ?? 'h2',
    autoMTLS: options.autoMTLS ?? false,
    tls: options.tls,
    connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    calls: {
      ...(options.callTimeout !== undefined && { callTimeout: options.callTimeout }),
      ...(options.livenessInterval !== undefined && { livenessInterval: options.livenessInterval }),
      ...(options.livenessTimeout !== undefined && { livenessTimeout: options.livenessTimeout }),
    },
  };
}
