// The yamux session: frames in (via the pure decoder) and out, stream bookkeeping, go-away, ping, keepalive.
import type { Duplex } from 'node:stream';
import { PluginError, abortError, throwIfAborted, type AbortOptions, type Resource } from '@plugwire/core';
import { Flag, FrameType, GoAwayCode, HEADER_SIZE, INITIAL_STREAM_WINDOW, MAX_STREAM_ID } from './constants.js';
import { createFrameDecoder, type DecodedFrame } from './decoder.js';
import { encodeHeader, type FrameHeader } from './frame.js';
import { validateYamuxOptions, type ResolvedYamuxOptions, type YamuxOptions } from './options.js';
import { StreamImpl, type StreamHost, type YamuxStream } from './stream.js';

/** A yamux session over one connection: opens and accepts {@link YamuxStream}s. */
export interface YamuxSession extends Resource {
  /**
   * Opens a stream (sends SYN); resolves at once, data may be written before the peer's ACK. Waits while
   * `acceptBacklog` opened streams are still unacknowledged.
   * Rejects `closed` once the session ended, `unavailable` after the peer's go-away.
   */
  open(options?: AbortOptions): Promise<YamuxStream>;
  /** Resolves with the next stream the peer opened (sending its ACK). Rejects `closed` once the session ended. */
  accept(options?: AbortOptions): Promise<YamuxStream>;
  /** Pings the peer; resolves with the round-trip time in milliseconds. Rejects `timeout` after `connectionWriteTimeout`. */
  ping(options?: AbortOptions): Promise<number>;
  /**
   * Sends a go-away: with 0 (normal) the peer may open no new streams while existing ones go on; with 1
   * (protocol error) or 2 (internal error) the session then ends.
   */
  goAway(code?: 0 | 1 | 2): void;
  /** Settles (never rejects) once the session has ended and its connection is closed. */
  readonly closed: Promise<void>;
  /** True once the session is closing or has ended. */
  readonly isClosed: boolean;
  /** Why the session ended: a `closed` error after a normal end; undefined while it runs. */
  readonly error: PluginError | undefined;
  /** Streams open on this session (opened or accepted, and not yet closed on both sides). */
  readonly numStreams: number;
  /**
   * Graceful close: sends go-away, ends every stream (FIN after its queued data, waiting at most
   * `connectionWriteTimeout`), then ends the connection. Readers get the data already received, then EOF. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Immediate close: destroys the connection; pending calls reject with `reason`, and streams are destroyed with it
   * (streams without an `'error'` listener are destroyed without an error, so they cannot crash the process).
   * Idempotent.
   */
  abort(reason?: unknown): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: PluginError): void;
}

interface PendingPing {
  readonly start: number;
  readonly timer: NodeJS.Timeout;
  readonly waiter: Waiter<number>;
  readonly cleanup: () => void;
}

/** Peer-triggered replies (ping ACKs, refusals) are dropped as hostile beyond this much unsent output. */
const MAX_UNSENT_BYTES = 16 * 1024 * 1024;
/** Data frames at most this big are copied into one buffer with their header instead of a vectored write. */
const COALESCE_BYTES = 4096;
/** Remote stream ids skipped (not yet seen) that may still arrive out of order. */
const MAX_ID_GAPS = 64;

class Session implements YamuxSession, StreamHost {
  readonly maxWindow: number;
  readonly closeTimeout: number;
  readonly logger: ResolvedYamuxOptions['logger'];
  needDrain = false;

  private readonly conn: Duplex;
  private readonly client: boolean;
  private readonly opts: ResolvedYamuxOptions;
  private readonly streams = new Map<number, StreamImpl>();
  private nextId: number;
  private remoteMaxId = 0;
  private readonly idGaps = new Set<number>();

  private readonly acceptQueue: StreamImpl[] = [];
  private readonly acceptWaiters = new Set<Waiter<StreamImpl>>();
  private inflight = 0;
  private readonly openWaiters = new Set<Waiter<void>>();
  private readonly pings = new Map<number, PendingPing>();
  private pingId = 0;

  private localGoAway = false;
  private remoteGoAway = false;
  private state: 'open' | 'closing' | 'ended' = 'open';
  private ended: PluginError | undefined;
  private closePromise: Promise<void> | undefined;
  private readonly drainWaiters = new Set<StreamImpl>();
  private writeTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private readonly decoder;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onEnd = (): void => this.finish(undefined, 'end');
  private readonly onError = (err: Error): void =>
    this.finish(new PluginError('unavailable', `yamux connection failed: ${err.message}`, { cause: err }), 'destroy');
  private readonly onClose = (): void => {
    this.finish(undefined, 'none');
    this.connClosed();
  };
  private readonly onDrain = (): void => this.drained();

  constructor(conn: Duplex, role: 'client' | 'server', opts: ResolvedYamuxOptions) {
    this.conn = conn;
    this.client = role === 'client';
    this.opts = opts;
    this.maxWindow = opts.maxStreamWindowSize;
    this.closeTimeout = opts.streamCloseTimeout;
    this.logger = opts.logger;
    this.nextId = this.client ? 1 : 2;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.decoder = createFrameDecoder((f) => this.onFrame(f), {
      maxDataLength: opts.maxStreamWindowSize,
      onDataHeader: (h) => this.checkData(h),
    });
    conn.on('data', this.onData);
    conn.on('end', this.onEnd);
    conn.on('error', this.onError);
    conn.on('close', this.onClose);
    conn.on('drain', this.onDrain);
    if (conn.destroyed) queueMicrotask(() => this.onClose());
    if (opts.enableKeepAlive) this.scheduleKeepAlive();
  }

  get endError(): PluginError | undefined {
    return this.ended;
  }

  get error(): PluginError | undefined {
    return this.ended;
  }

  get isClosed(): boolean {
    return this.state !== 'open';
  }

  get numStreams(): number {
    return this.streams.size;
  }

  private closedError(): PluginError {
    return this.ended ?? new PluginError('closed', 'yamux session is closed; open a new connection');
  }

  // ---- writing ---------------------------------------------------------------------------------------------

  sendFrame(type: FrameType, flags: number, id: number, length: number, payload?: readonly Buffer[]): void {
    const conn = this.conn;
    if (this.ended || conn.destroyed || conn.writableEnded) return;
    const header = encodeHeader(type, flags, id, length);
    let ok: boolean;
    if (payload === undefined || payload.length === 0) {
      ok = conn.write(header);
    } else if (length <= COALESCE_BYTES) {
      ok = conn.write(Buffer.concat([header, ...payload], HEADER_SIZE + length));
    } else {
      // One vectored write of header + payload views; no copy of the payload.
      conn.cork();
      conn.write(header);
      ok = true;
      for (const p of payload) ok = conn.write(p);
      conn.uncork();
    }
    if (!ok && !this.needDrain) {
      this.needDrain = true;
      // One timer, re-armed per stall (a big frame stalls the socket almost every time: no timer churn).
      if (this.writeTimer) {
        this.writeTimer.refresh();
      } else {
        this.writeTimer = setTimeout(() => {
          this.writeTimer = undefined;
          if (!this.needDrain) return;
          this.fail(
            new PluginError(
              'timeout',
              `yamux connection write timed out after ${this.opts.connectionWriteTimeout} ms: the peer stopped reading; the session was closed`,
            ),
          );
        }, this.opts.connectionWriteTimeout);
        this.writeTimer.unref();
      }
    }
  }

  /** A reply the peer asked for: refused when the peer does not read what we already owe it. */
  private sendReply(type: FrameType, flags: number, id: number, length: number): void {
    if (this.conn.writableLength > MAX_UNSENT_BYTES) {
      this.protocolError('yamux: the peer keeps sending pings or stream opens without reading the replies');
    }
    this.sendFrame(type, flags, id, length);
  }

  waitDrain(stream: StreamImpl): void {
    this.drainWaiters.add(stream);
  }

  private drained(): void {
    this.needDrain = false; // the write timer, if armed, now fires harmlessly (or is re-armed by the next stall)
    const waiting = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const s of waiting) {
      if (this.needDrain) {
        this.drainWaiters.add(s);
      } else {
        s.pumpWrite();
      }
    }
  }

  // ---- reading ---------------------------------------------------------------------------------------------

  /**
   * Frames written while handling received data, and by what that data set off in this turn of the event loop
   * (replies, the next calls of awaiting callers, window updates), go out together in one `writev` when the turn
   * ends, rather than one write (and one wake-up of the peer) each.
   */
  private corkUntilTurnEnds(): void {
    if (this.flushImmediate !== undefined) return;
    this.conn.cork();
    this.flushImmediate = setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushImmediate = undefined;
    this.conn.uncork();
  };

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    this.corkUntilTurnEnds();
    try {
      this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof PluginError && err.code === 'protocol' && err.goAwayCode === undefined) {
        if (this.ended) return;
        this.logger.error({ error: err.message }, 'yamux: protocol error from peer; sending go-away');
        this.fail(new PluginError('protocol', err.message, { cause: err, goAwayCode: GoAwayCode.ProtocolError }), GoAwayCode.ProtocolError);
        return;
      }
      // Thrown by application code run from a stream event: end the session, then let it surface as Node would.
      this.fail(PluginError.from(err, 'internal'));
      throw err;
    }
  }

  protocolError(message: string): never {
    throw new PluginError('protocol', message);
  }

  private onFrame(f: DecodedFrame): void {
    if (this.ended) return;
    switch (f.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        this.onStreamFrame(f);
        return;
      case FrameType.Ping:
        if (f.flags & Flag.SYN) {
          this.sendReply(FrameType.Ping, Flag.ACK, 0, f.length);
        } else if (f.flags & Flag.ACK) {
          const p = this.pings.get(f.length);
          if (p) {
            p.cleanup();
            p.waiter.resolve(performance.now() - p.start);
          }
        }
        return;
      case FrameType.GoAway:
        this.onGoAway(f.length);
        return;
    }
  }

  private onGoAway(code: number): void {
    if (code === GoAwayCode.Normal) {
      this.remoteGoAway = true;
      const err = this.goAwayError();
      for (const w of [...this.openWaiters]) w.reject(err);
      return;
    }
    const message =
      code === GoAwayCode.ProtocolError
        ? 'yamux: the peer ended the session with a protocol-error go-away (it rejected bytes this side sent)'
        : code === GoAwayCode.InternalError
          ? 'yamux: the peer ended the session with an internal-error go-away'
          : `yamux: the peer sent an unknown go-away code ${code}`;
    this.logger.error({ goAwayCode: code }, message);
    this.fail(new PluginError(code === GoAwayCode.InternalError ? 'remote' : 'protocol', message, { goAwayCode: code }));
  }

  private goAwayError(): PluginError {
    return new PluginError('unavailable', 'yamux: the peer sent go-away and accepts no new streams; open a new connection', {
      goAwayCode: GoAwayCode.Normal,
    });
  }

  private onStreamFrame(f: DecodedFrame): void {
    const id = f.streamId;
    let stream = this.streams.get(id);
    if (f.flags & Flag.SYN) {
      this.checkRemoteId(id, stream !== undefined);
      if (this.localGoAway) {
        this.sendReply(FrameType.WindowUpdate, Flag.RST, id, 0);
        return;
      }
      if (this.acceptQueue.length >= this.opts.acceptBacklog) {
        this.logger.warn({ stream: id }, 'yamux: accept backlog exceeded, resetting the new stream');
        this.sendReply(FrameType.WindowUpdate, Flag.RST, id, 0);
        return;
      }
      stream = new StreamImpl(this, id, false);
      this.streams.set(id, stream);
      stream.onFrame(f.type, f.flags & ~Flag.SYN, f.length, f.payload);
      this.enqueueAccepted(stream);
      return;
    }
    // No stream: most likely one this side reset; yamux drops such frames (Data payloads were skipped unheld).
    if (!stream) return;
    stream.onFrame(f.type, f.flags, f.length, f.payload);
  }

  /**
   * At a Data frame's header, before its payload: refuses one longer than its stream's window, and drops (skips
   * without holding) data for a stream this side no longer has, most likely one it reset, as Go's yamux does.
   */
  private checkData(h: FrameHeader): boolean {
    if (h.flags & Flag.SYN) {
      if (h.length > INITIAL_STREAM_WINDOW) {
        this.protocolError(`yamux: stream ${h.streamId} opened with ${h.length} bytes, more than the ${INITIAL_STREAM_WINDOW}-byte initial window`);
      }
      return true;
    }
    const stream = this.streams.get(h.streamId);
    if (!stream) return false;
    stream.checkData(h.length);
    return true;
  }

  /** A new remote stream id must have the peer's parity and must not be one it used before. */
  private checkRemoteId(id: number, exists: boolean): void {
    const remoteOdd = !this.client;
    if (id === 0 || (id % 2 === 1) !== remoteOdd) {
      this.protocolError(`yamux: the peer opened stream ${id}, which has this side's parity; ids must be ${remoteOdd ? 'odd' : 'even'}`);
    }
    if (exists) this.protocolError(`yamux: the peer opened stream ${id} twice`);
    if (id > this.remoteMaxId) {
      // Go may send SYNs slightly out of order (concurrent opens): remember the skipped ids for a while.
      for (let g = this.remoteMaxId === 0 ? (remoteOdd ? 1 : 2) : this.remoteMaxId + 2; g < id && this.idGaps.size < MAX_ID_GAPS; g += 2) {
        this.idGaps.add(g);
      }
      this.remoteMaxId = id;
    } else if (!this.idGaps.delete(id)) {
      this.protocolError(`yamux: the peer reused stream id ${id}`);
    }
  }

  private enqueueAccepted(stream: StreamImpl): void {
    const [waiter] = this.acceptWaiters;
    if (waiter) {
      this.acceptWaiters.delete(waiter);
      stream.sendOpen();
      waiter.resolve(stream);
    } else {
      this.acceptQueue.push(stream);
    }
  }

  // ---- stream bookkeeping ----------------------------------------------------------------------------------

  streamDone(stream: StreamImpl): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.drainWaiters.delete(stream);
    if (stream.outbound && !stream.established) {
      stream.established = true;
      this.releaseOpenSlot();
    }
  }

  streamEstablished(stream: StreamImpl): void {
    if (stream.openTimer) clearTimeout(stream.openTimer);
    stream.openTimer = undefined;
    this.releaseOpenSlot();
  }

  private releaseOpenSlot(): void {
    this.inflight--;
    const [w] = this.openWaiters;
    if (w) {
      this.openWaiters.delete(w);
      w.resolve();
    }
  }

  // ---- public API ------------------------------------------------------------------------------------------

  private wait<T>(set: Set<Waiter<T>>, options: AbortOptions | undefined, what: string): Promise<T> {
    const signal = options?.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        set.delete(waiter);
        reject(abortError(signal as AbortSignal, what));
      };
      const waiter: Waiter<T> = {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject: (e) => {
          set.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async open(options?: AbortOptions): Promise<YamuxStream> {
    throwIfAborted(options?.signal, 'yamux open');
    for (;;) {
      if (this.state !== 'open') throw this.closedError();
      if (this.remoteGoAway) throw this.goAwayError();
      if (this.inflight < this.opts.acceptBacklog) break;
      await this.wait(this.openWaiters, options, 'yamux open');
    }
    const id = this.nextId;
    if (id > MAX_STREAM_ID) throw new PluginError('unavailable', 'yamux: stream ids are exhausted on this session; open a new connection');
    this.nextId += 2;
    const stream = new StreamImpl(this, id, true);
    this.streams.set(id, stream);
    this.inflight++;
    stream.openTimer = setTimeout(() => {
      stream.openTimer = undefined;
      this.fail(
        new PluginError(
          'timeout',
          `yamux: the peer did not acknowledge stream ${id} within ${this.opts.streamOpenTimeout} ms; the session was closed`,
        ),
      );
    }, this.opts.streamOpenTimeout);
    stream.openTimer.unref();
    stream.sendOpen();
    return stream;
  }

  accept(options?: AbortOptions): Promise<YamuxStream> {
    try {
      throwIfAborted(options?.signal, 'yamux accept');
    } catch (err) {
      return Promise.reject(err);
    }
    while (this.acceptQueue.length > 0) {
      const stream = this.acceptQueue.shift() as StreamImpl;
      if (stream.destroyed) continue; // reset by the peer before anyone accepted it
      stream.sendOpen();
      return Promise.resolve(stream);
    }
    if (this.state !== 'open') return Promise.reject(this.closedError());
    return this.wait(this.acceptWaiters, options, 'yamux accept');
  }

  ping(options?: AbortOptions): Promise<number> {
    const signal = options?.signal;
    try {
      throwIfAborted(signal, 'yamux ping');
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.state === 'ended') return Promise.reject(this.closedError());
    const id = this.pingId;
    this.pingId = (this.pingId + 1) >>> 0;
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        cleanup();
        reject(abortError(signal as AbortSignal, 'yamux ping'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.pings.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new PluginError('timeout', `yamux: no answer to ping within ${this.opts.connectionWriteTimeout} ms; the peer is unresponsive`));
      }, this.opts.connectionWriteTimeout);
      this.pings.set(id, { start: performance.now(), timer, waiter: { resolve, reject }, cleanup });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sendFrame(FrameType.Ping, Flag.SYN, 0, id);
    });
  }

  private scheduleKeepAlive(): void {
    this.keepAliveTimer = setTimeout(() => {
      this.keepAliveTimer = undefined;
      this.ping().then(
        () => {
          if (!this.ended) this.scheduleKeepAlive();
        },
        (err: PluginError) => {
          if (this.ended) return;
          this.logger.error({ error: err.message }, 'yamux: keepalive failed');
          this.fail(
            new PluginError('unavailable', `the peer stopped answering (yamux keepalive failed: ${err.message}); the session was closed`, { cause: err }),
          );
        },
      );
    }, this.opts.keepAliveInterval);
    this.keepAliveTimer.unref();
  }

  goAway(code: 0 | 1 | 2 = 0): void {
    if (this.ended) return;
    this.localGoAway = true;
    if (code === GoAwayCode.Normal) {
      this.sendFrame(FrameType.GoAway, 0, 0, code);
      return;
    }
    const kind = code === GoAwayCode.ProtocolError ? 'protocol' : 'internal';
    this.fail(new PluginError(kind, `yamux: this side ended the session with a ${kind}-error go-away`, { goAwayCode: code }), code);
  }

  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closePromise = this.gracefulClose();
    return this.closePromise;
  }

  private async gracefulClose(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.localGoAway = true;
      this.sendFrame(FrameType.GoAway, 0, 0, GoAwayCode.Normal);
      const err = this.closedError();
      for (const w of [...this.acceptWaiters]) w.reject(err);
      for (const w of [...this.openWaiters]) w.reject(err);
      // End every stream and give their queued data (and FIN) a bounded time to go out.
      const flushes = [...this.streams.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.writableFinished || s.destroyed) {
              resolve();
              return;
            }
            const done = (): void => {
              s.off('finish', done);
              s.off('close', done);
              s.off('error', done);
              resolve();
            };
            s.on('finish', done);
            s.on('close', done);
            s.on('error', done);
            s.end();
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(flushes),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.opts.connectionWriteTimeout);
        }),
      ]);
      clearTimeout(timer);
      this.finish(undefined, 'end');
    }
    await this.closed;
  }

  abort(reason?: unknown): void {
    if (this.state === 'ended') return;
    const err =
      reason === undefined ? new PluginError('closed', 'yamux session was aborted') : PluginError.from(reason, 'closed');
    this.finish(err, 'destroy');
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- ending ----------------------------------------------------------------------------------------------

  /** Ends the session with an error, telling the peer with a go-away when `goAway` is given. */
  private fail(err: PluginError, goAway?: number): void {
    if (this.state === 'ended') return;
    if (goAway !== undefined) {
      this.sendFrame(FrameType.GoAway, 0, 0, goAway);
      this.finish(err, 'end');
    } else {
      this.finish(err, 'destroy');
    }
  }

  /**
   * Ends the session once: settles every pending call, ends every stream (EOF when `err` is undefined, destroyed
   * with `err` otherwise), stops every timer, and ends (`end`, flushing what is queued) or destroys the connection.
   */
  private finish(err: PluginError | undefined, how: 'end' | 'destroy' | 'none'): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    const reason = err ?? new PluginError('closed', 'yamux session is closed; open a new connection');
    this.ended = reason;
    if (err) this.logger.debug({ error: err.message, code: err.code }, 'yamux: session ended');
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.keepAliveTimer = undefined;
    this.writeTimer = undefined;
    if (this.flushImmediate !== undefined) {
      clearImmediate(this.flushImmediate);
      this.flush(); // what is queued goes out before end(), or is dropped by destroy()
    }
    for (const w of [...this.acceptWaiters]) w.reject(reason);
    for (const w of [...this.openWaiters]) w.reject(reason);
    for (const p of [...this.pings.values()]) {
      p.cleanup();
      p.waiter.reject(reason);
    }
    this.drainWaiters.clear();
    const streams = [...this.streams.values(), ...this.acceptQueue];
    this.streams.clear();
    this.acceptQueue.length = 0;
    for (const s of new Set(streams)) s.sessionEnded(err);

    const conn = this.conn;
    conn.off('data', this.onData);
    conn.off('end', this.onEnd);
    conn.off('drain', this.onDrain);
    if (conn.closed || (conn.destroyed && how !== 'none')) {
      if (!conn.destroyed) conn.destroy();
      this.connClosed();
      return;
    }
    if (how === 'destroy') {
      conn.destroy();
    } else if (how === 'end') {
      // Half-close and keep discarding input until the peer closes too; destroy if it never does.
      conn.on('data', noop);
      conn.end();
      this.endTimer = setTimeout(() => conn.destroy(), this.opts.connectionWriteTimeout);
      this.endTimer.unref();
    }
  }

  private connClosed(): void {
    if (this.endTimer) clearTimeout(this.endTimer);
    this.endTimer = undefined;
    const conn = this.conn;
    conn.off('data', noop);
    conn.off('close', this.onClose);
    conn.off('error', this.onError);
    this.resolveClosed();
  }
}

function noop(): void {}

/**
 * Starts a yamux session on `conn`.
 * @param conn - any connected Node `Duplex` (unix or TCP socket, TLS socket); the session owns it from now on
 * @param role - `client` opens odd stream ids, `server` even ones (go-plugin: the host is the client)
 * @param options - settings; go-plugin's defaults
 * @throws PluginError `invalid_argument` for a bad option
 */
export function createSession(conn: Duplex, role: 'client' | 'server', options?: YamuxOptions): YamuxSession {
  if (role !== 'client' && role !== 'server') {
    throw new PluginError('invalid_argument', `yamux role must be 'client' or 'server', got ${String(role)}`);
  }
  return new Session(conn, role, validateYamuxOptions(options));
}
