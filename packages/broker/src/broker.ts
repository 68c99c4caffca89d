// go-plugin's MuxBroker over a yamux session: brokered streams carry a 4-byte little-endian id; the acceptor
// echoes it back as the ack.
import { PluginError, abortError, throwIfAborted, type AbortOptions, type Broker, type Logger } from '@plugwire/core';
import type { YamuxSession, YamuxStream } from '@plugwire/yamux';
import { encodeBrokerId, readBrokerId } from './id-header.js';
import { validateMuxBrokerOptions, type MuxBrokerOptions } from './options.js';

/** go-plugin's `MuxBroker`: extra streams between host and plugin, matched by id. */
export interface MuxBroker extends Broker {
  /** A fresh id (counting up from 1 on this side) for an `accept` here and a `dial` on the other side. */
  nextId(): number;
  /**
   * Waits (at most `acceptTimeout`) for the stream the other side dials with `id`, then writes the id back as
   * the ack. Rejects `timeout` (go-plugin: `timeout waiting for accept`), `closed`, or the signal's error.
   */
  accept(id: number, options?: AbortOptions): Promise<YamuxStream>;
  /**
   * Opens a stream, writes `id`, and checks the ack the other side's `accept(id)` echoes. Rejects `protocol`
   * (`bad ack: <got> (expected <id>)`), `unavailable` if the stream was closed unclaimed, `timeout`, or the
   * signal's error.
   */
  dial(id: number, options?: AbortOptions): Promise<YamuxStream>;
  /** Starts accepting every further stream of the session and sorting it by id; idempotent. */
  run(): void;
  /** Closes the broker and its session (as go-plugin's `MuxBroker.Close`); idempotent. */
  close(): Promise<void>;
  /** Aborts the broker and its session at once; pending calls reject with `reason`. */
  abort(reason?: unknown): void;
  /** Alias of {@link MuxBroker.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface Pending {
  stream?: YamuxStream;
  waiter?: { resolve(s: YamuxStream): void; reject(e: PluginError): void };
  timer?: NodeJS.Timeout;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new PluginError('invalid_argument', `broker id must be a uint32, got ${String(id)}`);
  }
}

class MuxBrokerImpl implements MuxBroker {
  private readonly session: YamuxSession;
  private readonly acceptTimeout: number;
  private readonly dialTimeout: number;
  private readonly logger: Logger;
  private readonly pending = new Map<number, Pending>();
  private lastId = 0;
  private running = false;
  private ended: PluginError | undefined;

  constructor(session: YamuxSession, options: MuxBrokerOptions) {
    this.session = session;
    const opts = validateMuxBrokerOptions(options);
    this.acceptTimeout = opts.acceptTimeout;
    this.dialTimeout = opts.dialTimeout;
    this.logger = opts.logger;
    void session.closed.then(() => this.shutdown(session.error ?? new PluginError('closed', 'broker session ended')));
  }

  nextId(): number {
    this.lastId = (this.lastId + 1) >>> 0;
    return this.lastId;
  }

  run(): void {
    if (this.running || this.ended) return;
    this.running = true;
    void (async () => {
      for (;;) {
        let stream: YamuxStream;
        try {
          stream = await this.session.accept();
        } catch {
          return; // the session ended
        }
        void this.sort(stream);
      }
    })();
  }

  /** Reads the id of an incoming stream and hands it to `accept(id)` (now or within `acceptTimeout`). */
  private async sort(stream: YamuxStream): Promise<void> {
    let id: number;
    try {
      id = await readBrokerId(stream, this.acceptTimeout, 'broker id');
    } catch (err) {
      this.logger.debug({ stream: stream.id, error: (err as Error).message }, 'broker: dropping a stream without an id');
      stream.reset();
      return;
    }
    if (this.ended) {
      stream.reset();
      return;
    }
    let p = this.pending.get(id);
    if (p?.waiter) {
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      p.waiter.resolve(stream);
      return;
    }
    if (p?.stream) {
      // go-plugin keeps one stream per id; a second one is refused (reset, so its dialer does not hang).
      this.logger.warn({ id }, 'broker: a second stream for the same id was refused');
      stream.reset();
      return;
    }
    p = { stream };
    this.pending.set(id, p);
    const entry = p;
    p.timer = setTimeout(() => {
      if (this.pending.get(id) === entry) this.pending.delete(id);
      this.logger.debug({ id }, 'broker: closing a stream nobody accepted');
      void stream.close();
    }, this.acceptTimeout);
    p.timer.unref();
  }

  async accept(id: number, options?: AbortOptions): Promise<YamuxStream> {
    checkId(id);
    const signal = options?.signal;
    throwIfAborted(signal, 'broker accept');
    if (this.ended) throw this.ended;
    const existing = this.pending.get(id);
    let stream: YamuxStream;
    if (existing?.stream) {
      this.pending.delete(id);
      if (existing.timer) clearTimeout(existing.timer);
      stream = existing.stream;
    } else if (existing?.waiter) {
      throw new PluginError('invalid_argument', `broker: id ${id} is already being accepted; accept each id once`);
    } else {
      stream = await new Promise<YamuxStream>((resolve, reject) => {
        const entry: Pending = {};
        const done = (): void => {
          if (entry.timer) clearTimeout(entry.timer);
          signal?.removeEventListener('abort', onAbort);
          if (this.pending.get(id) === entry) this.pending.delete(id);
        };
        const onAbort = (): void => {
          done();
          reject(abortError(signal as AbortSignal, 'broker accept'));
        };
        entry.waiter = {
          resolve: (s) => {
            done();
            resolve(s);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        };
        entry.timer = setTimeout(() => {
          done();
          reject(new PluginError('timeout', `broker: timeout waiting for accept of id ${id}: the other side did not dial it within ${this.acceptTimeout} ms`));
        }, this.acceptTimeout);
        this.pending.set(id, entry);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    if (stream.destroyed) {
      throw new PluginError('closed', `broker: the stream for id ${id} was reset before it was accepted; dial again`);
    }
    // The ack: the id echoed back tells the dialer the stream is claimed.
    stream.write(encodeBrokerId(id));
    return stream;
  }

  async dial(id: number, options?: AbortOptions): Promise<YamuxStream> {
    checkId(id);
    throwIfAborted(options?.signal, 'broker dial');
    if (this.ended) throw this.ended;
    const stream = await this.session.open(options);
    stream.write(encodeBrokerId(id));
    let ack: number;
    try {
      ack = await readBrokerId(stream, this.dialTimeout, 'ack', options?.signal);
    } catch (err) {
      stream.reset();
      throw err;
    }
    if (ack !== id) {
      stream.reset();
      throw new PluginError('protocol', `broker: bad ack: ${ack} (expected ${id}); the other side is not a go-plugin MuxBroker for this id`);
    }
    return stream;
  }

  private shutdown(reason: PluginError): void {
    if (this.ended) return;
    this.ended = reason;
    for (const p of [...this.pending.values()]) {
      if (p.timer) clearTimeout(p.timer);
      p.waiter?.reject(reason);
      p.stream?.reset();
    }
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.shutdown(new PluginError('closed', 'broker is closed'));
    await this.session.close();
  }

  abort(reason?: unknown): void {
    const err = reason === undefined ? new PluginError('closed', 'broker was aborted') : PluginError.from(reason, 'closed');
    this.shutdown(err);
    this.session.abort(err);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates go-plugin's MuxBroker on a yamux session. Call `run()` once the session's fixed streams (netrpc's
 * control, stdout, stderr) are accepted, so that every further stream goes to the broker.
 * @param session - the yamux session; the broker's `close()` closes it, as go-plugin's does
 * @param options - timeouts (go-plugin's by default)
 * @throws PluginError `invalid_argument` for a bad option
 */
export function createMuxBroker(session: YamuxSession, options: MuxBrokerOptions = {}): MuxBroker {
  return new MuxBrokerImpl(session, options);
}
