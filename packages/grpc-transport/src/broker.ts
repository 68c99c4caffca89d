import type * as grpc from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { PluginError, abortError, throwIfAborted, type AbortOptions, type Listener, type Logger } from '@plugwire/core';
import type { TransportTls } from '@plugwire/net';
import { openChannel, type GrpcClientTransport } from './channel.js';
import { ConnInfo } from './gen/grpc_broker.js';
import { createConnectionServer, type GrpcServerKind } from './grpc-server.js';
import type { StreamMux } from './mux.js';
import { serveOn, serveStreams, type ServingServer } from './serve-on.js';
import { openStreamChannel, type StreamChannel } from './stream-channel.js';
import type { GrpcBroker } from './types.js';

/** go-plugin waits this long for a ConnInfo when dialing, and keeps an unclaimed one this long. */
const CONN_INFO_WAIT_MS = 5000;
/** Unclaimed ConnInfos kept at most; more are dropped so a hostile peer cannot grow memory without bound. */
const MAX_UNCLAIMED = 1024;

/** The StartStream call, client or server side: both write and read ConnInfo. */
type BrokerStream = grpc.ClientDuplexStream<ConnInfo, ConnInfo> | grpc.ServerDuplexStream<ConnInfo, ConnInfo>;

/** Options of {@link createGrpcBroker}. */
export interface GrpcBrokerOptions {
  /** Makes a listener for `acceptAndServe` (the plugin's `createListener`, or a temp unix socket on the host). */
  readonly listen: () => Promise<Listener>;
  /** Logs dropped or odd messages. */
  readonly logger: Logger;
  /** Fires when everything must stop (plugin exited, connection aborted); dialed channels end their calls. */
  readonly stop: AbortSignal;
  /** Receive limit of the brokered servers. */
  readonly maxReceiveMessageLength: number;
  /** TLS of brokered connections, both ways (go-plugin uses the connection's TLS config). @default none */
  readonly tls?: TransportTls;
  /**
   * The client that carries calls on dialed channels.
   * @default 'h2'
   */
  readonly transport?: GrpcClientTransport;
  /**
   * The server that serves `acceptAndServe`'s services: plugwire's h2 server or grpc-js's.
   * @default 'h2'
   */
  readonly grpcServer?: GrpcServerKind;
  /**
   * Knock mode (go-plugin v1.6+ `GRPCBrokerMultiplex`): the session's stream mux, once established. Brokered
   * connections are then streams of the main connection, asked for by a knock, instead of sockets announced by
   * ConnInfo. @default undefined (ConnInfo exchange, as go-plugin v1.0.1)
   */
  readonly mux?: () => Promise<StreamMux>;
}

/** The broker plus what its owner (the client or server protocol) drives. */
export interface GrpcBrokerImpl extends GrpcBroker {
  /** Uses `stream` (the StartStream call) to send and receive ConnInfo; resolves when that stream ends. */
  bind(stream: BrokerStream): Promise<void>;
  /** Stops at once. */
  abort(reason: PluginError): void;
}

interface Pending {
  info?: ConnInfo;
  timer?: NodeJS.Timeout;
  waiter?: (info: ConnInfo) => void;
}

interface QueuedSend {
  info: ConnInfo;
  resolve: () => void;
  reject: (err: PluginError) => void;
}

/**
 * Creates go-plugin's GRPCBroker for one side of a connection: ConnInfo exchange, or knock multiplexing when
 * `options.mux` is given.
 * @param options - listener factory, logger, stop signal
 */
export function createGrpcBroker(options: GrpcBrokerOptions): GrpcBrokerImpl {
  const { logger, stop } = options;
  let lastId = 0;
  let stream: BrokerStream | undefined;
  let closedReason: PluginError | undefined;
  let streamLost: PluginError | undefined;
  let closing: Promise<void> | undefined;
  const pending = new Map<number, Pending>();
  const queue: QueuedSend[] = [];
  const servers = new Set<ServingServer>();
  const channels = new Set<grpc.ChannelInterface>();
  const streamChannels = new Set<StreamChannel>();
  const acks = new Map<number, (info: ConnInfo) => void>();
  let dialLock: Promise<unknown> = Promise.resolve();

  const write = (s: BrokerStream, item: QueuedSend): void => {
    s.write(item.info, (err?: unknown) => {
      if (err) item.reject(new PluginError('unavailable', `cannot send connection info to the other side: ${String(err)}`, { cause: err }));
      else item.resolve();
    });
  };

  const send = (info: ConnInfo, signal?: AbortSignal): Promise<void> => {
    if (closedReason) return Promise.reject(closedReason);
    throwIfAborted(signal, 'broker accept');
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = queue.indexOf(item);
        if (i >= 0) queue.splice(i, 1);
        reject(abortError(signal as AbortSignal, 'broker accept'));
      };
      const item: QueuedSend = {
        info,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Until the host opens StartStream there is nowhere to send: wait, as go-plugin does. Once the stream
      // is gone (the peer has no GRPCBroker, or dropped it) waiting could never end.
      if (stream) write(stream, item);
      else if (streamLost) item.reject(streamLost);
      else queue.push(item);
    });
  };

  const receive = (info: ConnInfo): void => {
    const id = info.serviceId;
    if (info.knock?.knock) {
      if (info.knock.ack) {
        const waiter = acks.get(id);
        if (waiter) waiter(info);
        else logger.debug({ id }, 'dropping a knock acknowledgement nobody waits for');
        return;
      }
      const answer = (error: string): void => {
        stream?.write({ serviceId: id, network: '', address: '', knock: { knock: true, ack: true, error } });
      };
      // Without knock mode on this side, answer so a multiplexing peer fails fast instead of timing out.
      if (!options.mux) answer('gRPC broker multiplexing is not enabled');
      else void options.mux().then((m) => answer(m.acceptKnock(id)), (err: unknown) => answer(PluginError.from(err).message));
      return;
    }
    const entry = pending.get(id);
    if (entry?.waiter) {
      entry.waiter(info);
      return;
    }
    if (entry) {
      logger.debug({ id }, 'dropping extra broker connection info for an id not yet dialed');
      return;
    }
    if (pending.size >= MAX_UNCLAIMED) {
      logger.warn({ id }, 'too many unclaimed broker connection infos, dropping');
      return;
    }
    const timer = setTimeout(() => pending.delete(id), CONN_INFO_WAIT_MS);
    timer.unref();
    pending.set(id, { info, timer });
  };

  const waitForInfo = (id: number, signal?: AbortSignal): Promise<ConnInfo> => {
    const entry = pending.get(id);
    if (entry?.info) {
      clearTimeout(entry.timer);
      pending.delete(id);
      return Promise.resolve(entry.info);
    }
    if (entry?.waiter) {
      return Promise.reject(new PluginError('invalid_argument', `broker id ${id} is already being dialed; dial each id once`));
    }
    return new Promise<ConnInfo>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        stop.removeEventListener('abort', onStop);
        pending.delete(id);
      };
      const onAbort = (): void => {
        done();
        reject(abortError(signal as AbortSignal, 'broker dial'));
      };
      const onStop = (): void => {
        done();
        reject(PluginError.from(stop.reason, 'closed'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new PluginError('timeout', `timeout waiting for connection info (broker id ${id}); the other side must acceptAndServe this id within 5 s`));
      }, CONN_INFO_WAIT_MS);
      pending.set(id, {
        waiter: (info) => {
          done();
          resolve(info);
        },
        timer,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      stop.addEventListener('abort', onStop, { once: true });
    });
  };

  const shutdown = (reason: PluginError): void => {
    closedReason ??= reason;
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      pending.delete(id);
    }
    for (const item of queue.splice(0)) item.reject(closedReason);
    const waiters = [...acks.values()];
    acks.clear();
    for (const waiter of waiters) waiter({ serviceId: 0, network: '', address: '', knock: undefined });
    const s = stream;
    stream = undefined;
    if (s) {
      if ('cancel' in s) s.cancel();
      else s.end();
    }
  };

  // Waiters listen to `stop` themselves; here the broker drops everything else.
  const onStop = (): void => {
    shutdown(PluginError.from(stop.reason, 'closed'));
    for (const server of servers) void server.abort();
    for (const channel of channels) channel.close();
    for (const sc of streamChannels) void sc.close();
  };
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });

  /** Knocks for `id` and waits (5 s) for the acknowledgement; go-plugin's `knock`, with its error texts. */
  const knock = async (id: number, signal?: AbortSignal): Promise<void> => {
    const ack = new Promise<ConnInfo>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        acks.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(abortError(signal as AbortSignal, 'broker dial'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new PluginError('timeout', `timeout waiting for multiplexing knock handshake on id ${id}`));
      }, CONN_INFO_WAIT_MS);
      acks.set(id, (info) => {
        done();
        if (closedReason) reject(closedReason);
        else resolve(info);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await send({ serviceId: id, network: '', address: '', knock: { knock: true, ack: false, error: '' } }, signal);
    } catch (err) {
      acks.get(id)?.({ serviceId: id, network: '', address: '', knock: undefined });
      ack.catch(() => undefined);
      throw err;
    }
    const reply = await ack;
    if (!reply.knock?.knock || !reply.knock.ack) {
      throw new PluginError('protocol', `handshake failed for multiplexing on id ${id}; expected knock and ack, but got ${JSON.stringify(reply.knock ?? null)}`);
    }
    if (reply.knock.error !== '') throw new PluginError('unavailable', `failed to knock for id ${id}: ${reply.knock.error}`);
  };

  /** Knock, then open the stream the other side gives to `id`: one at a time, as go-plugin requires. */
  const knockAndOpen = (m: StreamMux, id: number, signal?: AbortSignal): Promise<Duplex> => {
    const attempt = dialLock.then(async () => {
      try {
        await knock(id, signal);
      } catch (err) {
        const e = PluginError.from(err);
        throw new PluginError(e.code, `failed to knock before dialling client: ${e.message}`, { cause: err });
      }
      return m.open();
    });
    dialLock = attempt.catch(() => undefined);
    return attempt;
  };

  return {
    nextId() {
      lastId = (lastId + 1) >>> 0;
      return lastId;
    },

    async acceptAndServe(id, register, opts: AbortOptions = {}) {
      if (closedReason) throw closedReason;
      throwIfAborted(opts.signal, 'broker accept');
      if (options.mux) {
        const m = await options.mux();
        if (closedReason) throw closedReason;
        const server = createConnectionServer(options.grpcServer ?? 'h2', options.maxReceiveMessageLength);
        try {
          register(server.registrar);
        } catch (err) {
          server.abort();
          throw PluginError.from(err);
        }
        const served = serveStreams(server, options.tls, logger);
        const unlisten = m.listen(id, (s) => served.inject(s));
        const close = served.close;
        const abort = served.abort;
        servers.add({
          close: () => (unlisten(), close()),
          abort: () => (unlisten(), abort()),
        });
        return;
      }
      const listener = await options.listen();
      const server = createConnectionServer(options.grpcServer ?? 'h2', options.maxReceiveMessageLength);
      const serving = serveOn(server, listener, options.tls, logger);
      servers.add(serving);
      try {
        register(server.registrar);
        await send({ serviceId: id, network: listener.address.network, address: listener.address.address, knock: undefined }, opts.signal);
      } catch (err) {
        servers.delete(serving);
        await serving.abort();
        throw PluginError.from(err);
      }
      // A close that raced with the send would otherwise leave this server running.
      if (closedReason) {
        servers.delete(serving);
        await serving.abort();
        throw closedReason;
      }
    },

    async dial(id, opts: AbortOptions = {}) {
      if (closedReason) throw closedReason;
      throwIfAborted(opts.signal, 'broker dial');
      if (options.mux) {
        const m = await options.mux();
        const first = await knockAndOpen(m, id, opts.signal);
        if (closedReason) {
          first.destroy();
          throw closedReason;
        }
        const sc = await openStreamChannel(() => knockAndOpen(m, id), first, stop, logger, options.tls, () => streamChannels.delete(sc));
        streamChannels.add(sc);
        return sc.channel;
      }
      const info = await waitForInfo(id, opts.signal);
      if (closedReason) throw closedReason;
      const channel = openChannel(info, stop, options.tls, options.transport);
      channels.add(channel);
      return channel;
    },

    bind(s) {
      if (closedReason) {
        if ('cancel' in s) s.cancel();
        else s.end();
        return Promise.resolve();
      }
      stream = s;
      streamLost = undefined;
      for (const item of queue.splice(0)) write(s, item);
      return new Promise<void>((resolve) => {
        let finished = false;
        const finish = (): void => {
          if (finished) return;
          finished = true;
          s.off('data', receive);
          if (stream === s) {
            stream = undefined;
            streamLost = new PluginError('unavailable', 'the gRPC broker stream to the other side ended; brokered connections cannot be announced');
            for (const item of queue.splice(0)) item.reject(streamLost);
          }
          // The plugin ends its half when the host ends or drops the stream.
          if (!('cancel' in s)) s.end();
          resolve();
        };
        s.on('data', receive);
        s.on('error', (err: unknown) => {
          logger.debug({ error: String(err) }, 'gRPC broker stream ended');
          finish();
        });
        s.on('end', finish);
        s.on('close', finish);
      });
    },

    close() {
      closing ??= (async () => {
        shutdown(new PluginError('closed', 'the gRPC broker is closed'));
        for (const channel of channels) channel.close();
        channels.clear();
        await Promise.all([...streamChannels].map((sc) => sc.close()));
        streamChannels.clear();
        await Promise.all([...servers].map((s) => s.close()));
        servers.clear();
      })();
      return closing;
    },

    abort(reason) {
      shutdown(reason);
      for (const channel of channels) channel.close();
      channels.clear();
      for (const sc of streamChannels) void sc.close();
      streamChannels.clear();
      for (const server of servers) void server.abort();
      servers.clear();
    },
  };
}
