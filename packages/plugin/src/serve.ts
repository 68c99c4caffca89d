import { PluginError, type HandshakeConfig, type Listener, type Logger, type ProtocolName, type ServerProtocol } from '@plugwire/core';
import { serveGrpc } from '@plugwire/grpc-transport';
import { checkMagicCookie, formatHandshake, negotiateVersion, parseGoBool, parseProtocolVersions } from '@plugwire/handshake';
import { createHclogLogger } from '@plugwire/logging';
import { serveNetRpc } from '@plugwire/netrpc-transport';
import type { ReattachConfig } from '@plugwire/process';
import { supportsGrpc, type PluginSet } from './definition.js';
import { listen, type ListenOptions } from '@plugwire/net';
import { captureStdio } from './stdio.js';

/** Test mode (go-plugin's `ServeTestConfig`): no cookie check, no handshake line, no process exit. */
export interface ServeTestOptions {
  /** Stops the server when aborted. */
  readonly signal?: AbortSignal;
  /** Receives what a host needs to attach (`new Client({ reattach })`). */
  readonly onReattachConfig?: (config: ReattachConfig) => void;
}

/** Options of {@link serve}; go-plugin's `ServeConfig`. */
export interface ServeOptions<P extends PluginSet> {
  /** Magic cookie and legacy protocol version; must match the host's. */
  readonly handshake: HandshakeConfig;
  /** Plugins served for `handshake.protocolVersion`. Give this or `versionedPlugins` (or both). */
  readonly plugins?: P;
  /** Plugin sets by application protocol version; the highest one the host also has is served. */
  readonly versionedPlugins?: Readonly<Record<number, P>>;
  /** Protocol to serve. @default 'grpc' when the negotiated set's first plugin has `grpcServer`, else 'netrpc' */
  readonly protocol?: ProtocolName;
  /** Where to listen. @default unix socket in PLUGIN_UNIX_SOCKET_DIR or the temp dir (TCP on Windows) */
  readonly listen?: ListenOptions;
  /** Largest gRPC message the plugin accepts, in bytes. @default 64 MiB */
  readonly maxReceiveMessageLength?: number;
  /** The plugin's logger. @default hclog JSON lines on the real stderr, which the host mirrors */
  readonly logger?: Logger;
  /** Exit the process (status 0) once the host asked the plugin to stop. @default true (false in test mode) */
  readonly exitOnShutdown?: boolean;
  /** Run in test mode (see {@link ServeTestOptions}). */
  readonly test?: ServeTestOptions;
  /** Environment to read the host's settings from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

function pluginSets<P extends PluginSet>(options: ServeOptions<P>): Map<number, P> {
  const sets = new Map<number, P>();
  for (const [key, set] of Object.entries(options.versionedPlugins ?? {})) sets.set(Number(key), set);
  if (options.plugins) sets.set(options.handshake.protocolVersion, options.plugins);
  if (sets.size === 0) throw new PluginError('invalid_argument', 'serve() needs plugins or versionedPlugins');
  return sets;
}

function pickProtocol(set: PluginSet, wanted: ProtocolName | undefined): ProtocolName {
  if (wanted) return wanted;
  const first = Object.values(set)[0];
  return supportsGrpc(first) ? 'grpc' : 'netrpc';
}

/**
 * Serves plugins to a host; go-plugin's `Serve`. Checks the magic cookie (a mismatch prints go-plugin's message and
 * exits 1), negotiates the version, listens, prints the handshake line, then syncs stdout/stderr to the host and
 * runs until the host asks the plugin to stop. Resolves then (after exiting the process, unless `exitOnShutdown` is
 * false or in test mode).
 */
export async function serve<P extends PluginSet>(options: ServeOptions<P>): Promise<void> {
  const env = options.env ?? process.env;
  const test = options.test;
  if (!test) {
    const problem = checkMagicCookie(options.handshake, env);
    if (problem !== undefined) {
      process.stderr.write(problem);
      process.exit(1);
    }
  }
  const stdio = captureStdio();
  const logger = options.logger ?? createHclogLogger({ output: { write: stdio.realStderr } });
  const sets = pluginSets(options);
  const clientVersions = test ? [] : parseProtocolVersions(env.PLUGIN_PROTOCOL_VERSIONS, (msg) => stdio.realStderr(msg));
  const serverVersions = [...sets.keys()];
  const version = test ? Math.max(...serverVersions) : negotiateVersion(clientVersions, serverVersions);
  const plugins = sets.get(version) ?? ({} as P);
  const protocol = pickProtocol(plugins, options.protocol);

  const createListener = (): Promise<Listener> => listen(options.listen ?? {}, env);
  const listener = await createListener();
  logger.debug({ address: listener.address.address, network: listener.address.network }, 'plugin address');

  // go-plugin v1.6+: a non-empty PLUGIN_MULTIPLEX_GRPC gets the 7th handshake field; a true one (Go's ParseBool)
  // turns on knock multiplexing of a gRPC plugin's broker over its main connection.
  const multiplexEnv = test ? undefined : env.PLUGIN_MULTIPLEX_GRPC;
  const multiplex = protocol === 'grpc' && multiplexEnv !== undefined && parseGoBool(multiplexEnv) === true;
  let server: ServerProtocol;
  try {
    const common = { plugins, listener, createListener, logger, ...(test ? {} : { stdout: stdio.stdout, stderr: stdio.stderr }) };
    server =
      protocol === 'grpc'
        ? await serveGrpc({ ...common, multiplex, maxReceiveMessageLength: options.maxReceiveMessageLength ?? 64 << 20 })
        : await serveNetRpc(common);
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
  if (!test && (options.exitOnShutdown ?? true)) {
    // Let stdout/stderr drain before exiting, as Go's Serve returning from main does.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(0);
  }
}
