import { Metadata, connectivityState, type ChannelInterface } from '@grpc/grpc-js';
import { dial, listenUnix, parseAddress, type TransportTls } from '@plugwire/net';
import { PluginError, abortError, throwIfAborted, type AbortOptions, type ClientProtocol, type ConnectTransportOptions } from '@plugwire/core';
import { createSession } from '@plugwire/yamux';
import { clientOn, openChannel, setCallTimeout, type GrpcClientTransport } from './channel.js';
import { createStreamMux, type StreamMux } from './mux.js';
import { openStreamChannel, type StreamChannel } from './stream-channel.js';
import { createGrpcBroker } from './broker.js';
import { toPluginError, unaryCall } from './errors.js';
import { GRPCBrokerClient } from './gen/grpc_broker.js';
import { GRPCControllerClient } from './gen/grpc_controller.js';
import { HealthClient } from './gen/grpc/health/v1/health.js';
import { GRPC_SERVICE_NAME } from './health.js';
import { DEFAULT_LIVENESS_INTERVAL, DEFAULT_LIVENESS_TIMEOUT, watchLiveness } from './liveness.js';
import { DEFAULT_MAX_RECEIVE_MESSAGE_LENGTH } from './serve.js';
import { mirrorStdio } from './stdio-client.js';
import type { GrpcPlugin } from './types.js';

/** How long close() waits for the plugin to answer Shutdown (go-plugin waits without limit; the host kills after). */
const SHUTDOWN_DEADLINE_MS = 5000;
/** How long close() lets the plugin's last output arrive after Shutdown was answered. */
const STDIO_FLUSH_MS = 1000;

/** Options of {@link connectGrpc}. */
export interface ConnectGrpcOptions extends ConnectTransportOptions<GrpcPlugin> {
  /**
   * Directory in which the host makes the private directories of its `broker.acceptAndServe` unix sockets.
   * @default the OS temp dir
   */
  readonly brokerSocketDir?: string;
  /**
   * TLS to the plugin and on the host's broker listeners (AutoMTLS with the plugin's certificate, or the host's
   * own TLS).
   * @default none (plaintext)
   */
  readonly tls?: TransportTls;
  /**
   * The client that carries the host's calls (health, controller, stdio, broker, the plugins' own clients):
   * plugwire's lean HTTP/2 client, or grpc-js's channel.
   * @default 'h2'
   */
  readonly transport?: GrpcClientTransport;
  /**
   * go-plugin v1.6+ `GRPCBrokerMultiplex`: one connection to the plugin carries a yamux session, whose first stream
   * is the main gRPC connection and whose later streams are brokered connections asked for by knocks. Only for a
   * plugin that announced support (7th handshake field). @default false
   */
  readonly multiplex?: boolean;
}

/**
 * The host side of go-plugin's gRPC protocol: connects to the plugin (no message size limit either way), opens
 * GRPCStdio and the GRPCBroker stream at once, and dispenses plugins through their `client`. `close()` closes
 * the broker, asks the plugin to stop (`GRPCController/Shutdown`, failure ignored) and closes the channel,
 * resolving `true` when the plugin answered, or dropped the live connection in answer (go-plugin's server stops
 * before its reply is sent), and `false` when it could not be asked. When `options.exited` fires, pending calls fail with `exited`.
 * @param options - address, plugins, logger, stdio targets, exit signal
 */
export async function connectGrpc(options: ConnectGrpcOptions): Promise<ClientProtocol> {
  throwIfAborted(options.signal, 'gRPC connect');
  const { logger, exited } = options;
  const stop = new AbortController();
  const onExited = (): void => {
    stop.abort(new PluginError('exited', 'the plugin process exited; pending calls were cancelled', { cause: exited?.reason }));
  };
  if (exited?.aborted) throw new PluginError('exited', 'the plugin process exited before the host could connect', { cause: exited.reason });
  exited?.addEventListener('abort', onExited, { once: true });

  let channel: ChannelInterface;
  let mux: StreamMux | undefined;
  let main: StreamChannel | undefined;
  try {
    if (options.multiplex) {
      const address = parseAddress(options.address);
      const socket = await dial(address, options.signal ? { signal: options.signal } : {});
      if (address.network === 'tcp') {
        socket.setKeepAlive(true);
        socket.setNoDelay(true); // as Go sets on every TCP connection: no Nagle delay under the yamux frames
      }
      logger.debug({ address: options.address.address }, 'client muxer connected');
      mux = createStreamMux(createSession(socket, 'client', { logger }), undefined, logger);
      const m = mux;
      main = await openStreamChannel(() => m.open(), undefined, stop.signal, logger, options.tls);
      channel = main.channel;
    } else {
      channel = openChannel(options.address, stop.signal, options.tls, options.transport);
    }
  } catch (err) {
    exited?.removeEventListener('abort', onExited);
    if (mux) mux.session.abort(err);
    throw PluginError.from(err, 'unavailable');
  }
  if (options.callTimeout !== undefined) setCallTimeout(channel, options.callTimeout);
  const sessionMux = mux;
  const broker = createGrpcBroker({
    listen: () => listenUnix(options.brokerSocketDir !== undefined ? { dir: options.brokerSocketDir } : {}),
    logger,
    stop: stop.signal,
    maxReceiveMessageLength: DEFAULT_MAX_RECEIVE_MESSAGE_LENGTH,
    ...(options.tls && { tls: options.tls }),
    ...(options.transport && { transport: options.transport }),
    ...(sessionMux ? { mux: () => Promise.resolve(sessionMux) } : {}),
  });
  // Errors are ignored as go-plugin does: a plugin without GRPCBroker still works.
  void broker.bind(clientOn(GRPCBrokerClient, channel).startStream());
  const stdio = mirrorStdio(channel, options.syncStdout, options.syncStderr, logger, stop.signal);
  const controller = clientOn(GRPCControllerClient, channel);
  const health = clientOn(HealthClient, channel);

  let closing: Promise<boolean> | undefined;
  const finish = (reason: PluginError): void => {
    exited?.removeEventListener('abort', onExited);
    stop.abort(reason);
    stdio.cancel();
    channel.close();
    void main?.close();
    if (sessionMux) void sessionMux.session.close();
  };
  watchLiveness(
    (signal) => unaryCall((cb) => health.check({ service: GRPC_SERVICE_NAME }, cb), { signal }).catch((err: unknown) => {
      // Any status is an answer: only silence means the plugin stopped answering.
      if (signal.aborted) throw err;
    }),
    { interval: options.livenessInterval ?? DEFAULT_LIVENESS_INTERVAL, timeout: options.livenessTimeout ?? DEFAULT_LIVENESS_TIMEOUT },
    stop.signal,
    (err) => {
      logger.error({ error: err.message }, 'plugin stopped answering');
      broker.abort(err);
      finish(err);
      closing ??= Promise.resolve(false);
    },
  );

  const protocol: ClientProtocol = {
    protocol: 'grpc',

    async dispense(name: string, opts: AbortOptions = {}) {
      throwIfAborted(opts.signal, 'dispense');
      if (stop.signal.aborted) throw PluginError.from(stop.signal.reason, 'closed');
      const plugin = Object.hasOwn(options.plugins, name) ? options.plugins[name] : undefined;
      if (!plugin) throw new PluginError('not_found', `unknown plugin type: ${name}`);
      if (typeof plugin.client !== 'function') {
        throw new PluginError('unimplemented', `plugin ${JSON.stringify(name)} doesn't support gRPC; give its definition a gRPC client half, or use netrpc`);
      }
      const client: unknown = await plugin.client(broker, channel, stop.signal);
      if (opts.signal?.aborted) throw abortError(opts.signal, 'dispense');
      return client;
    },

    async ping(opts: AbortOptions = {}) {
      if (stop.signal.aborted) throw PluginError.from(stop.signal.reason, 'closed');
      await unaryCall((cb) => health.check({ service: GRPC_SERVICE_NAME }, cb), { signal: opts.signal, exited: stop.signal });
    },

    close() {
      closing ??= (async () => {
        await broker.close();
        let answered = false;
        if (!stop.signal.aborted) {
          // go-plugin's own server stops before its reply leaves, so a connection that was up and then drops
          // in answer to Shutdown counts as acknowledged, as go-plugin's host (which ignores the error) sees it.
          const wasReady = channel.getConnectivityState(false) === connectivityState.READY;
          try {
            await unaryCall((cb) => controller.shutdown({}, new Metadata(), { deadline: Date.now() + SHUTDOWN_DEADLINE_MS }, cb), { exited: stop.signal });
            answered = true;
          } catch (err) {
            const code = toPluginError(err, stop.signal).code;
            answered = wasReady && (code === 'unavailable' || code === 'exited');
            logger.debug({ error: toPluginError(err).message }, 'plugin did not answer Shutdown');
          }
        }
        if (answered) {
          // The plugin ends its stdio stream as it stops; let its last output through.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([stdio.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, STDIO_FLUSH_MS)))]);
          clearTimeout(timer);
        }
        finish(new PluginError('closed', 'the plugin connection is closed'));
        return answered;
      })();
      return closing;
    },

    abort(reason?: unknown) {
      const err = PluginError.from(reason ?? new PluginError('aborted', 'the plugin connection was aborted'), 'aborted');
      broker.abort(err);
      finish(err);
      closing ??= Promise.resolve(false);
    },

    async [Symbol.asyncDispose]() {
      await protocol.close();
    },
  };
  return protocol;
}
