import type { Socket } from 'node:net';
import { PluginError, type Listener, type Logger } from '@plugwire/core';
import { createSession } from '@plugwire/yamux';
import { createStreamMux, type StreamMux } from './mux.js';
import type { StreamServer } from './serve-on.js';

/** go-plugin's server muxer waits this long for the host's one connection. */
const FIRST_CONNECTION_WAIT_MS = 5000;

/** The plugin's side of a multiplexed connection: the session (once the host connected) and its release. */
export interface MuxListener {
  /** Resolves with the stream mux once the host's connection arrived; rejects after 5 s without one. */
  readonly mux: () => Promise<StreamMux>;
  /** Closes the session and the listener (removing its socket file); idempotent. */
  close(): Promise<void>;
}

/**
 * Serves a multiplexing plugin's main listener as go-plugin's `GRPCServerMuxer`: the host's first connection becomes a
 * yamux server session, whose streams go to `main` unless a broker knock claimed them; later raw connections are
 * refused. Without a connection within 5 s `onFail` gets go-plugin's error, and so it does when the session ends
 * before the server closed (the host went away; go-plugin's server then stops too).
 * @param listener - the plugin's main listener
 * @param main - the main gRPC server
 * @param logger - the plugin's logger
 * @param onFail - called when no host connected in time, or the session ended under the server
 */
export function listenMux(listener: Listener, main: StreamServer, logger: Logger, onFail: (err: PluginError) => void): MuxListener {
  let session: StreamMux | undefined;
  let settle!: { resolve: (m: StreamMux) => void; reject: (e: PluginError) => void };
  const ready = new Promise<StreamMux>((resolve, reject) => (settle = { resolve, reject }));
  ready.catch(() => undefined);
  const timer = setTimeout(() => {
    const err = new PluginError('timeout', 'error establishing yamux session: timed out waiting for connection to be established');
    settle.reject(err);
    onFail(err);
  }, FIRST_CONNECTION_WAIT_MS);
  timer.unref();

  const onConnection = (socket: Socket): void => {
    if (session) {
      socket.destroy();
      return;
    }
    clearTimeout(timer);
    logger.debug({ address: listener.address.address }, 'initial server connection accepted');
    const yamux = createSession(socket, 'server', { logger });
    session = createStreamMux(yamux, (stream) => main.inject(stream), logger);
    settle.resolve(session);
    void yamux.closed.then(() => {
      if (!closing) onFail(new PluginError('closed', `error accepting a multiplexed connection: the yamux session ended (${yamux.error?.message ?? 'closed'})`));
    });
  };
  listener.server.on('connection', onConnection);

  let closing: Promise<void> | undefined;
  return {
    mux: () => ready,
    close() {
      closing ??= (async () => {
        clearTimeout(timer);
        settle.reject(new PluginError('closed', 'the plugin gRPC server is closed'));
        listener.server.off('connection', onConnection);
        if (session) await session.session.close();
        await listener.close();
      })();
      return closing;
    },
  };
}
