import type { Duplex } from 'node:stream';
import { PluginError, type Logger } from '@plugwire/core';
import type { YamuxSession, YamuxStream } from '@plugwire/yamux';

/**
 * go-plugin's GRPCBroker multiplexing ("knock" mode, go-plugin v1.6+) over the one yamux session of a plugin
 * connection: streams the other side opens after a knock for a broker id go to that id's server; other streams go to
 * the main gRPC server (plugin side), or are refused (host side, where go-plugin has no default listener).
 */
export interface StreamMux {
  /** The session (host: yamux client, plugin: yamux server). */
  readonly session: YamuxSession;
  /** Routes the stream that follows a knock for `id` to `serve`; returns the function that unregisters it. */
  listen(id: number, serve: (stream: Duplex) => void): () => void;
  /** Answers a knock for `id`: '' when a server listens on it, else go-plugin's error text for the ack. */
  acceptKnock(id: number): string;
  /** Opens a stream to the other side (after this side's knock was acknowledged, or for the main connection). */
  open(): Promise<YamuxStream>;
}

/** Knocked ids waiting for their stream, at most: more knocks than that without streams is a confused peer. */
const MAX_KNOCKED = 64;

/**
 * Starts routing the streams `session` accepts.
 * @param session - the yamux session over the plugin's main connection
 * @param fallback - where streams without a knock go (the plugin's main gRPC server); none on the host
 * @param logger - logs refused streams
 */
export function createStreamMux(session: YamuxSession, fallback: ((stream: Duplex) => void) | undefined, logger: Logger): StreamMux {
  const servers = new Map<number, (stream: Duplex) => void>();
  const knocked: number[] = [];

  void (async () => {
    for (;;) {
      let stream: YamuxStream;
      try {
        stream = await session.accept();
      } catch {
        return; // the session ended
      }
      const id = knocked.shift();
      const serve = id === undefined ? fallback : servers.get(id);
      if (serve) {
        serve(stream);
      } else {
        logger.debug({ id }, id === undefined ? 'refusing a multiplexed stream opened without a knock' : 'refusing a multiplexed stream for a broker id nobody serves any more');
        stream.reset();
      }
    }
  })();

  return {
    session,
    listen(id, serve) {
      servers.set(id, serve);
      return () => {
        if (servers.get(id) === serve) servers.delete(id);
      };
    },
    acceptKnock(id) {
      if (!servers.has(id)) return `no listener for id ${id}`;
      if (knocked.length >= MAX_KNOCKED) return `too many knocks without a stream (id ${id})`;
      knocked.push(id);
      return '';
    },
    async open() {
      try {
        return await session.open();
      } catch (err) {
        throw PluginError.from(err, 'unavailable');
      }
    },
  };
}
