import { Metadata, connectivityState, type Channel } from '@grpc/grpc-js';
import { PluginError, abortError, throwIfAborted, type AbortOptions, type ClientProtocol, type ConnectTransportOptions } from '@plugwire/core';
import { clientOn, openChannel } from './channel.js';
import { createGrpcBroker } from './broker.js';
import { toPluginError, unaryCall } from './errors.js';
import { GRPCBrokerClient } from './gen/grpc_broker.js';
import { GRPCControllerClient } from './gen/grpc_controller.js';
import { HealthClient } from './gen/grpc/health/v1/health.js';
import { GRPC_SERVICE_NAME } from './health.js';
import { listenUnixTemp } from './listen.js';
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
   * Directory of the unix sockets the host listens on for `broker.acceptAndServe`.
   * @default the OS temp dir
   */
  readonly brokerSocketDir?: string;
}

/**
 * The host side of go-plugin's gRPC protocol: connects to the plugin (no message size limit either way), opens
 * GRPCStdio and the GRPCBroker stream at once, and dispenses plugins through their `grpcClient`. `close()` closes
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

  let channel: Channel;
  try {
    channel = openChannel(options.address, stop.signal, { ...(options.callTimeout !== undefined && { callTimeout: options.callTimeout }) });
  } catch (err) {
    exited?.removeEventListener('abort', onExited);
    throw err;
  }
  const broker = createGrpcBroker({
    listen: () => listenUnixTemp(options.brokerSocketDir),
    logger,
    stop: stop.signal,
    maxReceiveMessageLength: DEFAULT_MAX_RECEIVE_MESSAGE_LENGTH,
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
      if (typeof plugin.grpcClient !== 'function') {
        throw new PluginError('invalid_argument', `plugin ${JSON.stringify(name)} doesn't support gRPC; give its definition a grpcClient or use netrpc`);
      }
      const client: unknown = await plugin.grpcClient(broker, channel, stop.signal);
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
