import { PluginError, type HandshakeConfig, type Listener, type Logger, type ProtocolName, type ServerProtocol } from '@plugwire/core';
import { checkMagicCookie, formatHandshake, negotiateVersion, parseGoBool, parseProtocolVersions } from '@plugwire/handshake';
import { encodeHandshakeCert, generateIdentity, listen, pluginAutoMtls, userTls, type ListenOptions, type TlsSettings, type TransportTls } from '@plugwire/net';
import type { ReattachConfig } from '@plugwire/process';
import type { GrpcServerKind } from '@plugwire/grpc-transport';
import type { ImplementedPluginSet } from './definition.js';
import { createPluginLogger } from './plugin-logger.js';
import { captureStdio } from './stdio.js';

/** Test mode (go-plugin's `ServeTestConfig`): no cookie check, no handshake line, no process exit. */
export interface ServeTestOptions {
  /** Stops the server when aborted. @default none */
  readonly signal?: AbortSignal;
  /** Receives what a host needs to attach (`new Client({ reattach })`). @default none */
  readonly onReattachConfig?: (config: ReattachConfig) => void;
}

/** Options of {@link serve}; go-plugin's `ServeConfig`. */
export interface ServeOptions<P extends ImplementedPluginSet = ImplementedPluginSet> {
  /** Magic cookie and legacy protocol version; must match the host's. */
  readonly handshake: HandshakeConfig;
  /** Plugins served for `handshake.protocolVersion` (`{ kv: kv.implement(impl) }`). Give this or `versionedPlugins`. */
  readonly plugins?: P;
  /** Plugin sets by application protocol version; the highest one the host also has is served. */
  readonly versionedPlugins?: Readonly<Record<number, P>>;
  /** Protocol to serve. @default 'grpc' when every plugin of the negotiated set has gRPC halves, else 'netrpc' */
  readonly protocol?: ProtocolName;
  /** Where to listen. @default unix socket in PLUGIN_UNIX_SOCKET_DIR or the temp dir (TCP on Windows) */
  readonly listen?: ListenOptions;
  /** Largest gRPC message the plugin accepts, in bytes; -1 for no limit. @default 4 MiB + 64 KiB (grpc-go's 4 MiB plus framing) */
  readonly maxReceiveMessageLength?: number;
  /**
   * The server a gRPC plugin serves with: `h2`, plugwire's own HTTP/2 gRPC server, or `grpc-js`, @grpc/grpc-js's
   * `Server`. Both run the same service definitions and handlers (grpc-js's call objects).
   * @default 'h2'
   */
  readonly grpcServer?: GrpcServerKind;
  /** The plugin's logger, also handed to implementation factories. @default hclog JSON on the real stderr at the host's level ({@link createPluginLogger}) */
  readonly logger?: Logger;
  /** Exit the process (status 0) once the host asked the plugin to stop. @default true (false in test mode) */
  readonly exitOnShutdown?: boolean;
  /** Run in test mode (see {@link ServeTestOptions}). @default not in test mode */
  readonly test?: ServeTestOptions;
  /**
   * The plugin's own TLS (go-plugin's `TLSProvider`), called once at start; the host must then connect with its
   * `tls` option. Takes precedence over AutoMTLS. @default none: AutoMTLS when the host sets `PLUGIN_CLIENT_CERT`
   *   (a fresh certificate printed on the handshake line, only the host's certificate accepted), else plaintext
   */
  readonly tls?: () => TlsSettings | Promise<TlsSettings>;
  /** Environment to read the host's settings from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** {@link ServeOptions} checked, with every default applied: what `serve()` works from. */
export interface ResolvedServeOptions<P extends ImplementedPluginSet = ImplementedPluginSet> {
  /** Magic cookie and legacy protocol version. */
  readonly handshake: HandshakeConfig;
  /** Plugin sets by application protocol version. */
  readonly sets: ReadonlyMap<number, P>;
  /** The protocol asked for, or undefined to choose from the negotiated set. */
  readonly protocol: ProtocolName | undefined;
  /** Where to listen. */
  readonly listen: ListenOptions;
  /** Largest gRPC message accepted, or undefined for the gRPC transport's default. */
  readonly maxReceiveMessageLength: number | undefined;
  /** The gRPC server to serve with. */
  readonly grpcServer: GrpcServerKind;
  /** The plugin's logger. */
  readonly logger: Logger;
  /** Whether to exit the process after shutdown. */
  readonly exitOnShutdown: boolean;
  /** Test mode, or undefined. */
  readonly test: ServeTestOptions | undefined;
  /** The environment. */
  readonly env: NodeJS.ProcessEnv;
  /** The plugin's own TLS provider, or undefined. */
  readonly tls: (() => TlsSettings | Promise<TlsSettings>) | undefined;
}

function fail(message: string): never {
  throw new PluginError('invalid_argument', message);
}

/**
 * Checks `serve()` options once and applies every default.
 * @param options - what the plugin passed
 * @throws PluginError `invalid_argument` naming the mistake
 */
export function validateServeOptions<P extends ImplementedPluginSet>(options: ServeOptions<P>): ResolvedServeOptions<P> {
  if (!options || typeof options !== 'object') fail('serve() needs an options object');
  if (!options.handshake?.magicCookieKey || !options.handshake.magicCookieValue) {
    fail('handshake.magicCookieKey and handshake.magicCookieValue must both be set, and match the host');
  }
  const sets = new Map<number, P>();
  for (const [key, set] of Object.entries(options.versionedPlugins ?? {})) {
    const version = Number(key);
    if (!Number.isInteger(version) || version < 0) fail(`versionedPlugins key ${JSON.stringify(key)} is not a protocol version`);
    sets.set(version, set);
  }
  if (options.plugins) sets.set(options.handshake.protocolVersion, options.plugins);
  if (sets.size === 0) fail('serve() needs plugins or versionedPlugins');
  for (const set of sets.values()) {
    for (const [name, p] of Object.entries(set)) {
      if (typeof p?.create !== 'function' || !p.definition) fail(`plugin ${JSON.stringify(name)}: pass definition.implement(impl), not the definition itself`);
      if (options.protocol && !p.definition.protocols.includes(options.protocol)) {
        fail(`plugin ${JSON.stringify(name)} has no ${options.protocol} halves; serve it over ${p.definition.protocols.join(' or ')}`);
      }
    }
  }
  if (options.protocol !== undefined && options.protocol !== 'grpc' && options.protocol !== 'netrpc') {
    fail(`protocol ${JSON.stringify(options.protocol)} is not 'grpc' or 'netrpc'`);
  }
  if (options.grpcServer !== undefined && options.grpcServer !== 'h2' && options.grpcServer !== 'grpc-js') {
    fail(`grpcServer must be 'h2' or 'grpc-js', got ${JSON.stringify(options.grpcServer)}`);
  }
  if (options.tls !== undefined && typeof options.tls !== 'function') fail('tls must be a function returning the plugin\'s TLS settings');
  const env = options.env ?? process.env;
  return {
    tls: options.tls,
    handshake: options.handshake,
    sets,
    protocol: options.protocol,
    listen: options.listen ?? {},
    maxReceiveMessageLength: options.maxReceiveMessageLength,
    grpcServer: options.grpcServer ?? 'h2',
    logger: options.logger ?? createPluginLogger({ env }),
    exitOnShutdown: options.test ? false : (options.exitOnShutdown ?? true),
    test: options.test,
    env,
  };
}

function pickProtocol(set: ImplementedPluginSet, wanted: ProtocolName | undefined): ProtocolName {
  if (wanted) return wanted;
  return Object.values(set).every((p) => p.definition.protocols.includes('grpc')) ? 'grpc' : 'netrpc';
}

/**
 * Serves plugins to a host; go-plugin's `Serve`. Checks the magic cookie (a mismatch prints go-plugin's message and
 * exits 1), negotiates the version, builds the implementations (factories get the plugin's logger), listens,
 * prints the handshake line, then syncs stdout/stderr to the host and runs until the host asks the plugin to stop.
 * After the handshake, `console.log` and other writes to `process.stdout`/`process.stderr` go to the host through
 * go-plugin's stdio sync (the host's `syncStdout`/`syncStderr`), not to the terminal; log with the logger instead.
 * Resolves once stopped (after exiting the process, unless `exitOnShutdown` is false or in test mode). Loads only
 * the transport it serves: a netrpc plugin never loads grpc-js.
 * @param options - see {@link ServeOptions}
 */
export async function serve<P extends ImplementedPluginSet>(options: ServeOptions<P>): Promise<void> {
  const o = validateServeOptions(options);
  const { env, test, logger } = o;
  if (!test) {
    const problem = checkMagicCookie(o.handshake, env);
    if (problem !== undefined) {
      process.stderr.write(problem);
      process.exit(1);
    }
  }
  const stdio = captureStdio();
  const clientVersions = test ? [] : parseProtocolVersions(env.PLUGIN_PROTOCOL_VERSIONS, (msg) => stdio.realStderr(msg));
  const serverVersions = [...o.sets.keys()];
  const version = test ? Math.max(...serverVersions) : negotiateVersion(clientVersions, serverVersions);
  const set = o.sets.get(version) ?? ({} as P);
  const protocol = pickProtocol(set, o.protocol);
  const served = Object.fromEntries(
    await Promise.all(Object.entries(set).map(async ([name, p]) => [name, { definition: p.definition, impl: await p.create({ logger }) }] as const)),
  );

  const createListener = (): Promise<Listener> => listen(o.listen, env);
  const listener = await createListener();
  logger.debug({ address: listener.address.address, network: listener.address.network }, 'plugin address');

  // go-plugin v1.6+: a non-empty PLUGIN_MULTIPLEX_GRPC gets the 7th handshake field; a true one (Go's ParseBool)
  // turns on knock multiplexing of a gRPC plugin's broker over its main connection.
  const multiplexEnv = test ? undefined : env.PLUGIN_MULTIPLEX_GRPC;
  const multiplex = protocol === 'grpc' && multiplexEnv !== undefined && parseGoBool(multiplexEnv) === true;
  let server: ServerProtocol;
  let serverCert: string | undefined;
  try {
    // go-plugin: the plugin's TLSProvider wins; otherwise the host's PLUGIN_CLIENT_CERT turns on AutoMTLS.
    let tls: TransportTls | undefined;
    const clientCert = test ? undefined : env.PLUGIN_CLIENT_CERT;
    if (o.tls) tls = userTls(await o.tls());
    else if (clientCert) {
      const identity = generateIdentity();
      tls = pluginAutoMtls(identity, clientCert);
      serverCert = encodeHandshakeCert(identity.der);
    }
    const common = { plugins: served, listener, createListener, logger, stdout: test ? undefined : stdio.stdout, stderr: test ? undefined : stdio.stderr, ...(tls && { tls }) };
    server =
      protocol === 'grpc'
        ? await (await import('./grpc/transport.js')).serve({ ...common, multiplex, maxReceiveMessageLength: o.maxReceiveMessageLength, grpcServer: o.grpcServer })
        : await (await import('./netrpc/transport.js')).serve(common);
  } catch (err) {
    await listener.close();
    logger.error({ error: String(err) }, 'plugin init error');
    throw PluginError.from(err);
  }

  const stopOnSignal = () => void server.close();
  test?.signal?.addEventListener('abort', stopOnSignal, { once: true });
  const onInterrupt = () => logger.trace({}, 'plugin received interrupt signal, ignoring');
  const onTerminate = () => void server.close().finally(() => process.exit(143));
  let parentWatch: NodeJS.Timeout | undefined;

  if (test) {
    test.onReattachConfig?.({ protocol, protocolVersion: version, address: listener.address, pid: process.pid, test: true });
  } else {
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onTerminate);
    // go-plugin leaves a plugin running when its host dies; plugwire stops when it is re-parented.
    const parent = process.ppid;
    parentWatch = setInterval(() => {
      if (process.ppid !== parent) void server.close();
    }, 1000).unref();
    process.stdout.write(
      formatHandshake({
        protocolVersion: version,
        network: listener.address.network,
        address: listener.address.address,
        protocol,
        ...(serverCert !== undefined && { serverCert }),
        muxSupported: multiplexEnv !== undefined && multiplexEnv !== '',
      }),
    );
    stdio.start();
  }

  try {
    await server.done;
  } finally {
    clearInterval(parentWatch);
    test?.signal?.removeEventListener('abort', stopOnSignal);
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
    await server.close();
    stdio.stop();
  }
  if (o.exitOnShutdown) {
    // Let stdout/stderr drain before exiting, as Go's Serve returning from main does.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(0);
  }
}

// As the `@plugwire/plugin/serve` entry, this file also gives what a plugin needs beside serve(), and nothing of the
// host side: importing it loads neither Client nor @plugwire/process, so a plugin has less to load at start than from
// the package root (bench/boot.bench.ts). The same functions as the root's; a host keeps importing the root.
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
export { createPluginLogger, LOG_LEVEL_ENV } from './plugin-logger.js';
export type { PluginLoggerOptions } from './plugin-logger.js';
export type { GrpcConnection, GrpcHalves } from './grpc/types.js';
export type { NetRpcConnection, NetRpcHalves } from './netrpc/types.js';
export type { ListenOptions, TlsSettings } from '@plugwire/net';
export type { GrpcServerKind, GrpcServiceRegistrar } from '@plugwire/grpc-transport';
export { PluginError, silentLogger } from '@plugwire/core';
export type { AbortOptions, HandshakeConfig, Logger, LogLevel, PluginErrorCode, ProtocolName } from '@plugwire/core';
