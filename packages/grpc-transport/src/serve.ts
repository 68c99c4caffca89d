import { PluginError, type ServeTransportOptions, type ServerProtocol } from '@plugwire/core';
import type { TransportTls } from '@plugwire/net';
import { createGrpcBroker } from './broker.js';
import { GRPCBrokerService, type GRPCBrokerServer } from './gen/grpc_broker.js';
import { GRPCControllerService, type GRPCControllerServer } from './gen/grpc_controller.js';
import { GRPCStdioService } from './gen/grpc_stdio.js';
import { HealthService } from './gen/grpc/health/v1/health.js';
import { createHealthService } from './health.js';
import { createConnectionServer, GRPC_SERVER_KINDS, type GrpcServerKind } from './grpc-server.js';
import { addReflection } from './reflection.js';
import { listenMux, type MuxListener } from './mux-listener.js';
import { serveOn, serveStreams, type ServingServer } from './serve-on.js';
import { createStdioService } from './stdio-server.js';
import type { GrpcPlugin } from './types.js';

/**
 * Default receive limit of the plugin's servers: go-plugin keeps grpc-go's 4 MiB, and a 4 MiB payload plus its
 * protobuf framing must still pass, so allow a little more.
 */
export const DEFAULT_MAX_RECEIVE_MESSAGE_LENGTH = 4 * 1024 * 1024 + 64 * 1024;

/** Options of {@link serveGrpc}. */
export interface ServeGrpcOptions extends ServeTransportOptions<GrpcPlugin> {
  /**
   * Largest message the plugin's servers accept, in bytes; -1 for no limit.
   * @default 4 MiB + 64 KiB
   */
  readonly maxReceiveMessageLength?: number;
  /**
   * Encoded google.protobuf.FileDescriptorSets of the user's services (`protoc --include_imports
   * --descriptor_set_out=…`), so that gRPC reflection describes them too; the built-in services are always described.
   * A function is called on the first reflection call (after the plugins registered).
   * @default []
   */
  readonly reflectionDescriptorSets?: readonly Uint8Array[] | (() => Promise<readonly Uint8Array[]>);
  /**
   * TLS on the plugin's listener and its broker listeners and dials (AutoMTLS or the plugin's own TLS).
   * @default none (plaintext)
   */
  readonly tls?: TransportTls;
  /**
   * Multiplex the gRPC broker over the main connection (go-plugin v1.6+ knock mode): set when the host asked with
   * `PLUGIN_MULTIPLEX_GRPC`. The host's first connection becomes a yamux session carrying the main gRPC connection
   * and every brokered one. @default false
   */
  readonly multiplex?: boolean;
  /**
   * The gRPC server the plugin's services run on (and its brokered servers): `h2`, plugwire's own HTTP/2 server,
   * or `grpc-js`, @grpc/grpc-js's `Server`. Both call the same handlers with grpc-js's call objects.
   * @default 'h2'
   */
  readonly grpcServer?: GrpcServerKind;
}

interface ResolvedServeGrpcOptions {
  readonly limit: number;
  readonly kind: GrpcServerKind;
}

function validateServeGrpcOptions(options: ServeGrpcOptions): ResolvedServeGrpcOptions {
  const limit = options.maxReceiveMessageLength ?? DEFAULT_MAX_RECEIVE_MESSAGE_LENGTH;
  if (!Number.isInteger(limit) || (limit < 1 && limit !== -1) || limit > 0x7fffffff) {
    throw new PluginError('invalid_argument', `maxReceiveMessageLength must be a positive integer up to 2^31-1, or -1 for no limit; got ${limit}`);
  }
  const kind = options.grpcServer ?? 'h2';
  if (!GRPC_SERVER_KINDS.includes(kind)) {
    throw new PluginError('invalid_argument', `grpcServer must be 'h2' or 'grpc-js', got ${JSON.stringify(kind)}`);
  }
  return { limit, kind };
}

/**
 * The plugin side of go-plugin's gRPC protocol: serves health (`plugin` SERVING), reflection v1 and v1alpha,
 * GRPCBroker, GRPCController, GRPCStdio and every plugin's services on `options.listener`. `done` settles when
 * the host called `GRPCController/Shutdown`, or the server was closed or aborted; the listener (and its socket
 * file) is released by then.
 * @param options - plugins, listener, captured stdio, logger
 */
export async function serveGrpc(options: ServeGrpcOptions): Promise<ServerProtocol> {
  const { listener, logger } = options;
  let resolved: ResolvedServeGrpcOptions;
  try {
    resolved = validateServeGrpcOptions(options);
  } catch (err) {
    await listener.close();
    throw err;
  }
  const { limit, kind } = resolved;
  const stop = new AbortController();
  const server = createConnectionServer(kind, limit);
  const registrar = server.registrar;
  const health = createHealthService();
  const stdio = createStdioService(options.stdout, options.stderr, logger);
  // Knock mode: the main server takes the streams of the host's one connection (see listenMux).
  const mainStreams = options.multiplex ? serveStreams(server, options.tls, logger) : undefined;
  let muxListener: MuxListener | undefined;
  if (mainStreams) {
    muxListener = listenMux(listener, mainStreams, logger, (err) => {
      // As go-plugin's server: the host never connected (an error), or its session ended (it went away).
      if (err.code === 'timeout') logger.error({ error: err.message }, 'grpc server');
      else logger.debug({ error: err.message }, 'grpc server');
      void close();
    });
  }
  const broker = createGrpcBroker({
    listen: options.createListener,
    logger,
    stop: stop.signal,
    maxReceiveMessageLength: limit,
    grpcServer: kind,
    ...(muxListener ? { mux: muxListener.mux } : {}),
    ...(options.tls && { tls: options.tls }),
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let closing: Promise<void> | undefined;
  let aborting: Promise<void> | undefined;
  let serving: ServingServer | undefined;
  const releaseListener = (): Promise<void> => (muxListener ? muxListener.close() : listener.close());

  const close = (): Promise<void> => {
    if (aborting) return aborting;
    closing ??= (async () => {
      stdio.close();
      health.close();
      await broker.close();
      if (serving) await serving.close();
      await releaseListener();
      stop.abort(new PluginError('closed', 'the plugin gRPC server is closed'));
      resolveDone();
    })();
    return closing;
  };
  const abort = (reason?: unknown): Promise<void> => {
    aborting ??= (async () => {
      const err = PluginError.from(reason ?? new PluginError('aborted', 'the plugin gRPC server was aborted'), 'aborted');
      stdio.close();
      health.close();
      broker.abort(err);
      stop.abort(err);
      if (serving) await serving.abort();
      await releaseListener();
      resolveDone();
    })();
    return aborting;
  };

  try {
    registrar.addService(HealthService, health.implementation);
    const brokerServer: GRPCBrokerServer = {
      startStream(call) {
        void broker.bind(call);
      },
    };
    registrar.addService(GRPCBrokerService, brokerServer);
    const controllerServer: GRPCControllerServer = {
      shutdown(_call, callback) {
        logger.debug({}, 'host asked the plugin to shut down');
        callback(null, {});
        // Answer first (go-plugin's Stop often cuts its own reply), then stop gracefully.
        setImmediate(() => void close());
      },
    };
    registrar.addService(GRPCControllerService, controllerServer);
    registrar.addService(GRPCStdioService, stdio.implementation);
    for (const [name, plugin] of Object.entries(options.plugins)) {
      if (typeof plugin.server !== 'function') {
        throw new PluginError('unimplemented', `"${name}" is not a GRPC-compatible plugin; give its definition a gRPC server half, or serve it over netrpc`);
      }
      try {
        await plugin.server(broker, registrar);
      } catch (err) {
        throw new PluginError('internal', `error registering "${name}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    // After the plugins registered: a plugin may add the descriptor sets of its services while registering.
    addReflection(registrar, options.reflectionDescriptorSets);
    serving = mainStreams ?? serveOn(server, listener, options.tls, logger);
  } catch (err) {
    await abort(err);
    throw PluginError.from(err);
  }
  listener.server.once('close', () => void close());

  return {
    protocol: 'grpc',
    address: listener.address,
    done,
    close,
    abort(reason?: unknown) {
      void abort(reason);
    },
    [Symbol.asyncDispose]: close,
  };
}
