// One yamux stream as a Node Duplex. Flow control: the peer may send at most `recvWindow` bytes; the window is
// re-opened (WindowUpdate) only as the application consumes data, so a slow reader stops the remote writer.
import { Duplex } from 'node:stream';
import { PluginError, type Logger } from '@plugwire/core';
import { Flag, FrameType, INITIAL_STREAM_WINDOW, type FrameType as FrameTypeValue } from './constants.js';

/** A yamux stream: a Node `Duplex` whose writable side ends with FIN and which can be reset (RST). */
export interface YamuxStream extends Duplex {
  /** The yamux stream id (odd when the client opened it, even when the server did). */
  readonly id: number;
  /** Resets the stream at once (RST): both directions end, the peer sees an error. Idempotent. */
  reset(): void;
  /**
   * Graceful close: ends this side (FIN after queued data), discards unread input and resolves once the peer has
   * closed its side too (or the stream was reset or its session ended). Idempotent.
   */
  close(): Promise<void>;
  /** Immediate close: resets the stream and destroys it with `reason` (as a `PluginError`). Idempotent. */
  abort(reason?: unknown): void;
  /** Alias of {@link YamuxStream.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a stream needs from its session (implemented by the session, private to this package). */
export interface StreamHost {
  readonly maxWindow: number;
  readonly closeTimeout: number;
  readonly logger: Logger;
  /** The error that ended the session, or a `closed` error when it ended normally; undefined while it runs. */
  readonly endError: PluginError | undefined;
  /** True while data frames must wait for the connection to drain. */
  readonly needDrain: boolean;
  /** Writes one frame; payload only for Data frames. */
  sendFrame(type: FrameTypeValue, flags: number, id: number, length: number, payload?: readonly Buffer[]): void;
  /** Calls `stream.pumpWrite()` once the connection drains. */
  waitDrain(stream: StreamImpl): void;
  /** The stream is done on the wire (both FINs, or a RST): forget it. */
  streamDone(stream: StreamImpl): void;
  /** An opened stream got its ACK. */
  streamEstablished(stream: StreamImpl): void;
  /** The peer broke the protocol on this stream. */
  protocolError(message: string): never;
}

/** @internal implementation of {@link YamuxStream}; only the session constructs it. */
export class StreamImpl extends Duplex implements YamuxStream {
  readonly id: number;
  /** Opened by this side (waits for ACK) rather than accepted. */
  readonly outbound: boolean;
  private readonly host: StreamHost;

  /** Flags (SYN or ACK) to put on the next frame this side sends. */
  private pendingFlags: number;
  established: boolean;
  private sendWindow = INITIAL_STREAM_WINDOW;
  private recvWindow = INITIAL_STREAM_WINDOW;
  /** The receive window this side grants now: starts at yamux's 256 KiB, grows while the reader keeps up. */
  private windowSize = INITIAL_STREAM_WINDOW;
  private localClosed = false; // FIN sent (or nothing more may be sent)
  private remoteClosed = false; // FIN received (or nothing more will come)
  private wasReset = false;
  private done = false;

  // Received data not yet handed to the Readable (it is over its high-water mark).
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private wantRead = false;
  private endPushed = false;

  // The write in progress: chunks still to send and the callback to call once they are on the connection.
  private outbox: Buffer[] = [];
  private outCb: ((err?: Error | null) => void) | undefined;
  private waitingWindow = false;

  private closeTimer: NodeJS.Timeout | undefined;
  /** Set by the session for outbound streams until the ACK arrives. */
  openTimer: NodeJS.Timeout | undefined;

  constructor(host: StreamHost, id: number, outbound: boolean) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: INITIAL_STREAM_WINDOW });
    this.host = host;
    this.id = id;
    this.outbound = outbound;
    this.pendingFlags = outbound ? Flag.SYN : Flag.ACK;
    this.established = !outbound;
  }

  private takeFlags(): number {
    const f = this.pendingFlags;
    this.pendingFlags = 0;
    return f;
  }

  /** Sends the opening WindowUpdate (SYN on open, ACK on accept), growing the window to its maximum. */
  sendOpen(): void {
    this.sendWindowUpdate(true);
  }

  // ---- receiving -------------------------------------------------------------------------------------------

  /** Handles a Data or WindowUpdate frame for this stream. */
  onFrame(type: number, flags: number, length: number, payload: readonly Buffer[]): void {
    if (flags & Flag.ACK && this.outbound && !this.established) {
      this.established = true;
      this.host.streamEstablished(this);
    }
    if (flags & Flag.RST) {
      this.onRemoteReset();
      return;
    }
    if (type === FrameType.WindowUpdate) {
      if (length > 0) {
        this.sendWindow += length;
        if (this.sendWindow > 0xffffffff) this.host.protocolError(`yamux: window update overflows the send window of stream ${this.id}`);
        if (this.waitingWindow) {
          this.waitingWindow = false;
          this.pumpWrite();
        }
      }
    } else if (length > 0) {
      if (this.remoteClosed) this.host.protocolError(`yamux: data on stream ${this.id} after its FIN`);
      this.checkData(length);
      this.recvWindow -= length;
      if (!this.endPushed && !this.destroyed) {
        for (const p of payload) this.inbox.push(p);
        this.inboxBytes += length;
        this.flushRead();
      }
    }
    if (flags & Flag.FIN) {
      if (this.remoteClosed) this.host.protocolError(`yamux: second FIN on stream ${this.id}`);
      this.remoteClosed = true;
      this.flushRead();
      if (this.localClosed) this.finishWire();
    }
  }

  /** A Data frame of `length` bytes must fit the receive window left. */
  checkData(length: number): void {
    if (length > this.recvWindow) {
      this.host.protocolError(`yamux: stream ${this.id} received ${length} bytes with only ${this.recvWindow} left in its window`);
    }
  }

  private flushRead(): void {
    while (this.wantRead && this.inbox.length > 0) {
      const chunk = this.inbox.shift() as Buffer;
      this.inboxBytes -= chunk.length;
      this.wantRead = this.push(chunk);
    }
    if (this.inbox.length === 0 && this.remoteClosed && !this.endPushed) {
      this.endPushed = true;
      this.push(null);
    }
    this.sendWindowUpdate(false);
  }

  override _read(): void {
    this.wantRead = true;
    this.flushRead();
  }

  /**
   * Data taken from the Readable's buffer (`read()`, as `'readable'` handlers, async iterators and `resume()`
   * without a `'data'` listener consume it) re-opens the window too: Node calls `_read` only when it wants more.
   */
  override read(size?: number): ReturnType<Duplex['read']> {
    const chunk: unknown = super.read(size);
    if (chunk !== null && this.inbox.length === 0) this.sendWindowUpdate(false);
    return chunk;
  }

  /**
   * Re-opens the receive window by what the application consumed, once that is at least half of it (as Go's yamux
   * does). When the application has also read everything received, it keeps up with the peer and the window is what
   * slows the transfer: the window then doubles, up to `maxStreamWindowSize`. A stream nobody reads stays at 256 KiB.
   */
  private sendWindowUpdate(force: boolean): void {
    if (this.host.endError || this.wasReset) return;
    if (this.remoteClosed && !force) return;
    const buffered = this.inboxBytes + this.readableLength;
    let size = this.windowSize;
    let delta = size - buffered - this.recvWindow;
    if (!force && delta < size / 2) return;
    if (buffered === 0 && size < this.host.maxWindow && delta > 0) {
      size = Math.min(this.host.maxWindow, size * 2);
      this.windowSize = size;
      delta = size - this.recvWindow;
    }
    const d = Math.max(0, delta);
    this.recvWindow += d;
    this.host.sendFrame(FrameType.WindowUpdate, this.takeFlags(), this.id, d);
  }

  private onRemoteReset(): void {
    if (this.done) return;
    this.wasReset = true;
    this.remoteClosed = true;
    this.localClosed = true;
    this.finishWire();
    this.failWith(new PluginError('closed', `yamux stream ${this.id} was reset by the peer; open a new stream to retry`));
  }

  /**
   * Destroys the stream with `err` when someone listens for errors; otherwise destroys it without one, so that an
   * idle stream nobody watches cannot crash the process (readers still see a premature close, not a clean end).
   */
  private failWith(err: PluginError): void {
    this.destroy(this.listenerCount('error') > 0 ? err : undefined);
  }

  // ---- sending ---------------------------------------------------------------------------------------------

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.outbox.push(chunk);
    this.outCb = cb;
    this.pumpWrite();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    for (const c of chunks) this.outbox.push(c.chunk);
    this.outCb = cb;
    this.pumpWrite();
  }

  private writeError(): PluginError | undefined {
    if (this.wasReset) return new PluginError('closed', `yamux stream ${this.id} was reset; nothing more can be written`);
    const ended = this.host.endError;
    if (ended) return ended;
    if (this.localClosed) return new PluginError('closed', `yamux stream ${this.id} is closed for writing`);
    return undefined;
  }

  /** Sends as much of the pending write as the window and the connection allow. */
  pumpWrite(): void {
    const cb = this.outCb;
    if (!cb) return;
    const err = this.writeError();
    if (err) {
      this.outbox = [];
      this.outCb = undefined;
      cb(err);
      return;
    }
    while (this.outbox.length > 0) {
      if (this.sendWindow === 0) {
        this.waitingWindow = true;
        return;
      }
      if (this.host.needDrain) {
        this.host.waitDrain(this);
        return;
      }
      // Take up to one window's worth from the outbox, splitting the last chunk without copying.
      let room = this.sendWindow;
      const parts: Buffer[] = [];
      let n = 0;
      while (room > 0 && this.outbox.length > 0) {
        const head = this.outbox[0] as Buffer;
        if (head.length <= room) {
          parts.push(head);
          this.outbox.shift();
          room -= head.length;
          n += head.length;
        } else {
          parts.push(head.subarray(0, room));
          this.outbox[0] = head.subarray(room);
          n += room;
          room = 0;
        }
      }
      if (n === 0) continue; // only empty chunks were queued
      this.sendWindow -= n;
      this.host.sendFrame(FrameType.Data, this.takeFlags(), this.id, n, parts);
    }
    if (this.host.needDrain) {
      // Finish the write once the connection took it: meanwhile Node queues further writes, which then go out
      // together (_writev) as one larger frame.
      this.host.waitDrain(this);
      return;
    }
    this.outCb = undefined;
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localClosed || this.host.endError) {
      cb();
      return;
    }
    this.localClosed = true;
    this.host.sendFrame(FrameType.WindowUpdate, this.takeFlags() | Flag.FIN, this.id, 0);
    if (this.remoteClosed) {
      this.finishWire();
    } else {
      // The peer must FIN too; one that never does gets a RST (yamux's StreamCloseTimeout).
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined;
        this.host.logger.warn({ stream: this.id }, 'yamux: peer did not close the stream in time; resetting it');
        this.sendReset();
        this.endReadable();
      }, this.host.closeTimeout);
      this.closeTimer.unref();
    }
    cb();
  }

  // ---- closing ---------------------------------------------------------------------------------------------

  /** Both directions are over on the wire: stop timers and let the session forget this stream. */
  private finishWire(): void {
    if (this.done) return;
    this.done = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.openTimer) clearTimeout(this.openTimer);
    this.closeTimer = undefined;
    this.openTimer = undefined;
    this.host.streamDone(this);
  }

  private sendReset(): void {
    if (this.done || this.wasReset) return;
    this.wasReset = true;
    this.localClosed = true;
    this.remoteClosed = true;
    if (!this.host.endError) this.host.sendFrame(FrameType.WindowUpdate, this.takeFlags() | Flag.RST, this.id, 0);
    this.finishWire();
  }

  /** Ends the readable side after what is already buffered (end of input without an error). */
  private endReadable(): void {
    this.remoteClosed = true;
    this.flushRead();
    this.pumpWrite();
  }

  /** The session ended: normally (EOF after buffered data, like Go's yamux) or with `err` (destroy). */
  sessionEnded(err: PluginError | undefined): void {
    if (err) {
      this.done = true;
      this.clearTimers();
      this.failWith(err);
      return;
    }
    this.localClosed = true;
    this.done = true;
    this.clearTimers();
    this.endReadable();
  }

  private clearTimers(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.openTimer) clearTimeout(this.openTimer);
    this.closeTimer = undefined;
    this.openTimer = undefined;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Destroyed before both sides closed: tell the peer with a RST, as a Go stream would see a reset.
    this.sendReset();
    this.clearTimers();
    this.inbox = [];
    this.inboxBytes = 0;
    this.outbox = [];
    this.outCb = undefined;
    cb(err);
  }

  reset(): void {
    if (this.destroyed) return;
    this.sendReset();
    this.destroy();
  }

  close(): Promise<void> {
    if (this.destroyed || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      // Nobody may be reading: discard input so the readable side can end and the stream can close.
      if (this.readableFlowing !== true) this.resume();
      this.on('error', () => {}); // the close promise never rejects; the error is already reported to listeners
      this.end();
    });
  }

  abort(reason?: unknown): void {
    if (this.destroyed) return;
    this.sendReset();
    this.destroy(reason === undefined ? undefined : PluginError.from(reason));
  }

  override [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
