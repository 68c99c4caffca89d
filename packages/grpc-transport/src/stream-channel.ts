import type * as grpc from '@grpc/grpc-js';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Listener, Logger } from '@plugwire/core';
import { listenUnix, type TransportTls } from '@plugwire/net';
import { openChannel } from './channel.js';

/** A grpc-js channel whose connections are streams of a multiplexed session, and what releases it. */
export interface StreamChannel {
  /** The channel; calls on it end when `stop` fires. */
  readonly channel: grpc.ChannelInterface;
  /** Closes the channel, its streams and its private socket; idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a grpc-js channel over streams from `open` (grpc-js cannot dial a custom transport): the channel connects to
 * a private unix socket (`@plugwire/net`'s `listenUnix`: a fresh 0700 directory) and every connection made there is joined to one new stream, so
 * a reconnect opens (and, for a broker id, knocks for) a new stream, as go-plugin's dialer does.
 * @param open - opens the stream for the next connection
 * @param first - an already opened stream for the first connection (so that dial errors surface at once)
 * @param stop - fires when calls on the channel must end
 * @param logger - logs failed stream opens
 * @param tls - TLS of each connection, end to end through the relay over its stream (go-plugin puts TLS on each
 *   multiplexed connection, not on the session) @default none
 * @param onClose - called once the channel and its socket are released
 */
export async function openStreamChannel(
  open: () => Promise<Duplex>,
  first: Duplex | undefined,
  stop: AbortSignal,
  logger: Logger,
  tls?: TransportTls,
  onClose?: () => void,
): Promise<StreamChannel> {
  const sockets = new Set<Socket | Duplex>();
  let spare = first;
  let closed = false;
  const onConnection = (socket: Socket): void => {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const taken = spare;
    spare = undefined;
    (taken ? Promise.resolve(taken) : open()).then(
      (stream) => {
        if (closed || socket.destroyed) {
          stream.destroy();
          return;
        }
        sockets.add(stream);
        stream.once('close', () => {
          sockets.delete(stream);
          socket.destroy();
        });
        // grpc-js ending its connection ends the stream through the pipe (a FIN, not a reset the peer may no
        // longer expect); only a connection that broke resets it.
        socket.once('close', () => {
          if (!stream.writableEnded) stream.destroy();
        });
        stream.on('error', () => socket.destroy());
        socket.on('error', () => stream.destroy());
        socket.pipe(stream);
        stream.pipe(socket);
      },
      (err: unknown) => {
        logger.debug({ error: String(err) }, 'cannot open a multiplexed stream for a gRPC connection');
        socket.destroy();
      },
    );
  };
  let listener: Listener;
  try {
    listener = await listenUnix();
  } catch (err) {
    first?.destroy();
    throw err;
  }
  listener.server.on('connection', onConnection);
  const channel = openChannel(listener.address, stop, tls);
  // Whoever closes the channel (a brokered channel is the user's to close) releases the socket and streams too.
  const closeChannel = channel.close.bind(channel);
  channel.close = () => void close();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      stop.removeEventListener('abort', onStop);
      closeChannel();
      spare?.destroy();
      spare = undefined;
      for (const s of sockets) s.destroy();
      sockets.clear();
      listener.server.off('connection', onConnection);
      await listener.close();
      onClose?.();
    })();
    return closing;
  };
  const onStop = (): void => void close();
  if (stop.aborted) void close();
  else stop.addEventListener('abort', onStop, { once: true });
  // Connect now, so that the stream opened for the first connection is used at once.
  channel.getConnectivityState(true);
  return { channel, close };
}
