import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PluginError, type Listener, type Logger } from '@plugwire/core';
import { secureServerSocket, type TransportTls } from '@plugwire/net';
import type { ConnectionServer } from './grpc-server.js';

/** How long a graceful stop waits for running calls before cutting them. */
const GRACE_MS = 2000;

/** A gRPC server (plugwire's h2 or grpc-js's) serving on a listener or on handed-in streams. */
export interface ServingServer {
  /** Stops accepting, lets running calls finish (at most 2 s), then closes the listener. Idempotent. */
  close(): Promise<void>;
  /** Stops at once and closes the listener. Idempotent. */
  abort(): Promise<void>;
}

/**
 * Serves `server` on the already-listening `listener`: every accepted socket is handed to the server (grpc-js's
 * through its connection injector), so the transport never binds an address itself and the listener (and its
 * unix socket file) stays owned by whoever made it.
 * With `tls`, each socket first completes a TLS handshake (ALPN h2) that checks the client's certificate; a
 * failed handshake drops the socket before the server sees it.
 * @param server - a server with its services added
 * @param listener - the listening socket
 * @param tls - TLS for accepted connections (AutoMTLS or the user's) @default none (plaintext)
 * @param logger - where refused connections are reported @default none
 */
export function serveOn(server: ConnectionServer, listener: Listener, tls?: TransportTls, logger?: Logger): ServingServer {
  const sockets = new Set<Socket>();
  let stopping = false;
  // Stays attached until the listener is closed: a socket accepted while stopping must be destroyed, because an
  // unread socket never notices its peer hanging up and would keep the listener's close() waiting forever.
  const onConnection = (socket: Socket): void => {
    if (stopping) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (tls === undefined) {
      server.serve(socket);
      return;
    }
    secureServerSocket(socket, tls, { alpn: ['h2'] }).then(
      (secured) => {
        if (stopping) secured.destroy();
        else server.serve(secured);
      },
      (err: unknown) => logger?.warn({ error: PluginError.from(err).message }, 'refused a gRPC connection whose TLS handshake failed'),
    );
  };
  listener.server.on('connection', onConnection);

  let closing: Promise<void> | undefined;
  let aborting: Promise<void> | undefined;
  const finish = async (): Promise<void> => {
    stopping = true;
    // Sockets that never became an HTTP/2 session are not known to grpc-js.
    for (const socket of sockets) socket.destroy();
    await listener.close();
    listener.server.off('connection', onConnection);
  };
  const abort = (): Promise<void> => {
    aborting ??= (async () => {
      server.abort();
      await finish();
    })();
    return aborting;
  };
  return {
    close() {
      closing ??= (async () => {
        stopping = true;
        // grpc-js's tryShutdown callback alone is not enough: since Node 24, closing grpc-js's HTTP/2 server
        // already closes its sessions, so grpc-js reports them closed at once while their streams (the last stdio
        // output) are still sending. A session is only done when its socket closed.
        const socketsClosed = Promise.all([...sockets].map((socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())))));
        const shutDown = server.shutdown();
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, GRACE_MS)));
        await Promise.race([Promise.all([shutDown, socketsClosed]), graceOver]);
        clearTimeout(timer);
        await abort();
      })();
      return closing;
    },
    abort,
  };
}

/** A gRPC server serving connections handed to it one by one (multiplexed yamux streams). */
export interface StreamServer extends ServingServer {
  /** Serves one connection (an HTTP/2 connection over `stream`); destroys it when the server is stopping. */
  inject(stream: Duplex): void;
}

/**
 * Serves `server` on the streams given to `inject` (knock-mode broker streams, or the main connection of a
 * multiplexing plugin): both servers accept any `Duplex`.
 * With `tls`, each stream first completes a TLS handshake (ALPN h2): go-plugin puts TLS on each multiplexed
 * connection, not on the session under them.
 * @param server - a server with its services added
 * @param tls - TLS of each connection @default none (plaintext)
 * @param logger - where refused connections are reported @default none
 */
export function serveStreams(server: ConnectionServer, tls?: TransportTls, logger?: Logger): StreamServer {
  const streams = new Set<Duplex>();
  let stopping = false;
  let closing: Promise<void> | undefined;
  let aborting: Promise<void> | undefined;
  const abort = (): Promise<void> => {
    aborting ??= (async () => {
      stopping = true;
      server.abort();
      for (const stream of streams) stream.destroy();
      streams.clear();
    })();
    return aborting;
  };
  return {
    inject(stream) {
      if (stopping) {
        stream.destroy();
        return;
      }
      streams.add(stream);
      stream.once('close', () => streams.delete(stream));
      if (tls === undefined) {
        server.serve(stream);
        return;
      }
      secureServerSocket(stream, tls, { alpn: ['h2'] }).then(
        (secured) => {
          if (stopping) secured.destroy();
          else server.serve(secured);
        },
        (err: unknown) => logger?.warn({ error: PluginError.from(err).message }, 'refused a multiplexed gRPC connection whose TLS handshake failed'),
      );
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, GRACE_MS);
          void server.shutdown().then(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await abort();
      })();
      return closing;
    },
    abort,
  };
}
