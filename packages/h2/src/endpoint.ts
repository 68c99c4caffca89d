// What both sides of an HTTP/2 connection (RFC 9113) share, over any duplex socket: the frame loop, header blocks
// (HEADERS + CONTINUATION, bounded), flow control both ways (DATA and trailers queued per stream until the peer's
// windows open), SETTINGS, PING, GOAWAY, RST_STREAM, and writes batched once per tick. The client
// (connection.ts) and the server (server-connection.ts) are thin subclasses: who opens streams, and what a peer's
// GOAWAY or RST_STREAM means, is theirs. Every peer error ends in a PluginError: a stream error fails one stream, a
// connection error sends GOAWAY and fails all of them.
import type { Duplex } from 'node:stream';
import { PluginError } from '@plugwire/core';
import {
  DEFAULT_MAX_FRAME_SIZE,
  ErrorCode,
  FRAME_HEADER_LENGTH,
  Flag,
  FrameError,
  FrameReader,
  FrameType,
  MAX_WINDOW,
  PREFACE,
  Setting,
  goAwayFrame,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
  type Frame,
} from './frame.js';
import type { HeaderField } from './hpack/dynamic-table.js';
import { HpackDecoder } from './hpack/decoder.js';
import { HpackEncoder } from './hpack/encoder.js';

/** Why a stream ended before both sides finished it. */
export interface StreamFailure {
  /** `reset`: the peer sent RST_STREAM; `refused`: the peer will not process it (GOAWAY, REFUSED_STREAM, safe to
   * retry); `connection`: the connection ended; `protocol`: the peer broke the protocol on this stream. */
  readonly kind: 'reset' | 'refused' | 'connection' | 'protocol';
  /** HTTP/2 error code, when the peer sent one. */
  readonly h2Code?: number;
  /** What happened, as the error to report. */
  readonly error: PluginError;
}

/** Receives what arrives on one stream. */
export interface StreamHandler {
  /** A complete header block (headers or trailers). `tooLarge`: over maxHeaderListSize (fields dropped). */
  onHeaders(fields: HeaderField[], endStream: boolean, tooLarge: boolean): void;
  /** DATA payload (padding removed); the handler calls {@link H2Stream.consumed} as it releases the bytes. */
  onData(data: Buffer, endStream: boolean): void;
  /** The stream failed; nothing more arrives. */
  onFailure(failure: StreamFailure): void;
}

/** The limits and windows both sides of a connection take from their options. */
export interface EndpointLimits {
  /** Receive window of each stream. */
  readonly streamWindow: number;
  /** Receive window of the connection. */
  readonly connectionWindow: number;
  /** Largest header list accepted from the peer. */
  readonly maxHeaderListSize: number;
  /** Bytes the socket may hold unsent before DATA stops. */
  readonly writeHighWater: number;
}

interface Pending {
  buf: Buffer;
  off: number;
  end: boolean;
  cb: ((err?: PluginError) => void) | undefined;
  /** A header block (trailers) to send in order after the DATA before it, instead of `buf`. */
  headers: readonly HeaderField[] | undefined;
  stable: boolean;
}

/** @internal Stream states. */
export const enum State {
  Waiting, // client: queued for a concurrency slot, no id yet
  Open,
  Closed,
}

/** One stream of a connection. */
export class H2Stream {
  /** Stream id (0 while waiting for a concurrency slot). */
  id = 0;
  /** @internal */ state = State.Waiting;
  /** @internal */ sendWindow = 0;
  /** @internal */ recvWindow = 0;
  /** @internal */ recvUnacked = 0;
  /** @internal */ queue: Pending[] = [];
  /** @internal */ localEnded = false;
  /** @internal */ remoteEnded = false;
  /** @internal */ resetPending = false;

  /** @internal */
  constructor(
    private readonly session: H2Endpoint,
    /** @internal */ readonly headers: HeaderField[],
    /** @internal */ public handler: StreamHandler,
  ) {}

  /**
   * Queues `data` (sent as the peer's flow-control windows allow); `end` closes this side afterwards. `cb` runs
   * once the bytes are handed to the socket, or with an error when the stream ended first.
   */
  write(data: Buffer, end: boolean, cb?: (err?: PluginError) => void): void {
    this.session.write(this, data, end, cb);
  }

  /**
   * Like {@link H2Stream.write}, for a payload built after 9 bytes of headroom (`framed[0..9)`): when the windows
   * allow, the DATA frame header is written into the headroom and the bytes go out without another copy.
   */
  writeFramed(framed: Buffer, end: boolean, cb?: (err?: PluginError) => void): void {
    this.session.writeFramed(this, framed, end, cb);
  }

  /**
   * Sends a header block after whatever DATA is queued before it (at once when nothing is). `stable`: the same
   * array is reused for many streams, so its HPACK block may be cached.
   */
  writeHeaders(fields: readonly HeaderField[], end: boolean, stable = false): void {
    this.session.writeHeaders(this, fields, end, stable);
  }

  /** Reports `n` bytes of received DATA as released, reopening the receive window. */
  consumed(n: number): void {
    this.session.consumed(this, n);
  }

  /** Ends the stream with RST_STREAM; nothing more is reported to the handler. */
  reset(code: number = ErrorCode.CANCEL): void {
    this.session.reset(this, code);
  }
}

/** The part of an HTTP/2 connection both sides share. */
export abstract class H2Endpoint {
  /** Resolves once the socket is closed and every stream has failed or finished. */
  readonly closed: Promise<void>;
  /** Set once the connection can take no new streams (GOAWAY, close, failure), with the reason. */
  error: PluginError | undefined;

  /** @internal */
  protected readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  /** @internal */
  protected readonly decoder: HpackDecoder;
  /** @internal */
  protected readonly encoder = new HpackEncoder(4096);
  /** @internal */
  protected readonly streams = new Map<number, H2Stream>();
  /** @internal */
  protected readonly sendable = new Set<H2Stream>();
  /** @internal */
  protected active = 0;
  /** @internal */
  protected peerMaxStreams = 100;
  /** @internal */
  protected peerInitialWindow = 65535;
  /** @internal */
  protected peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  /** @internal */
  protected sendWindow = 65535;
  private recvUnacked = 0;
  private recvAvailable: number;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  /** @internal */
  protected blocked = false;
  /** @internal */
  protected goingAway = false;
  private block: { streamId: number; chunks: Buffer[]; length: number; endStream: boolean } | undefined;
  private readonly pings = new Map<string, () => void>();
  private pingSeq = 0;
  private resolveClosed!: () => void;
  /** @internal */
  protected socketClosed = false;
  /** Set when a connection error ended the connection while the socket lingers: nothing more is read or sent. */
  private dead = false;
  /** @internal */
  protected closing = false;
  /** @internal */
  protected peerSettled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Bytes of the client preface still expected (server side). */
  private prefaceLeft: number;
  private readonly flushNow = (): void => this.flush();

  /** @internal
   * @param peer - how messages name the other side ('the plugin', 'the host')
   * @param settings - this side's SETTINGS
   * @param expectPreface - true on the server: the client's preface comes first
   */
  protected constructor(
    /** @internal */
    protected readonly socket: Duplex,
    private readonly limits: EndpointLimits,
    /** @internal */
    protected readonly peer: string,
    settings: [number, number][],
    expectPreface: boolean,
  ) {
    this.decoder = new HpackDecoder(4096, limits.maxHeaderListSize);
    this.recvAvailable = limits.connectionWindow;
    this.prefaceLeft = expectPreface ? PREFACE.length : 0;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const lost = `the HTTP/2 connection to ${peer} was lost`;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
    socket.on('error', (err: Error) => this.fail(new PluginError('unavailable', `${lost}: ${err.message}`, { cause: err })));
    socket.on('end', () => this.fail(new PluginError('unavailable', `${lost}: ${peer} closed it`)));
    socket.on('close', () => {
      this.socketClosed = true;
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.fail(new PluginError('unavailable', `${lost}: the socket closed`));
      this.resolveClosed();
    });
    if (!expectPreface) this.send(PREFACE);
    this.send(settingsFrame(settings));
    if (limits.connectionWindow > 65535) this.send(windowUpdateFrame(0, limits.connectionWindow - 65535));
  }

  /** Sends a PING and resolves when it is answered; rejects when the connection ends first. */
  ping(signal?: AbortSignal): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    const data = Buffer.alloc(8);
    data.writeUInt32BE(++this.pingSeq, 4);
    const key = data.toString('hex');
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.pings.delete(key);
        reject(PluginError.from(signal?.reason ?? new PluginError('aborted', 'ping was aborted'), 'aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pings.set(key, () => {
        signal?.removeEventListener('abort', onAbort);
        if (this.error && !this.goingAway) reject(this.error);
        else resolve();
      });
      this.send(pingFrame(data, false));
    });
  }

  /** Immediate close: fails every stream with `reason` and destroys the socket. */
  abort(reason?: unknown): void {
    this.fail(PluginError.from(reason ?? new PluginError('aborted', 'the HTTP/2 connection was aborted'), 'aborted'));
  }

  // ---- hooks of the two sides ----

  /** @internal A complete header block on a stream that is not open: the server opens a stream, the client checks the id. */
  protected abstract onUnknownHeaders(streamId: number, fields: HeaderField[], endStream: boolean, tooLarge: boolean): void;
  /** @internal A frame on a stream that is not open: a connection error when the stream was never opened, else ignored. */
  protected abstract checkKnown(streamId: number): void;
  /** @internal What a RST_STREAM from the peer means for a stream. */
  protected abstract resetFailure(code: number): StreamFailure;
  /** @internal The peer sent GOAWAY. */
  protected abstract onPeerGoAway(lastStreamId: number, code: number, debug: string): void;
  /** @internal The last stream id this side's final GOAWAY names. */
  protected abstract lastProcessedStream(): number;
  /** @internal After the peer's SETTINGS were applied. */
  protected afterSettings(): void {}
  /** @internal A stream closed (frees a concurrency slot). */
  protected streamClosed(): void {}
  /** @internal Streams not yet open fail with the connection. */
  protected failPending(_failure: StreamFailure): void {}
  /** @internal Timers of the side to clear when the connection ends. */
  protected clearTimers(): void {}

  // ---- sending ----

  /** @internal */
  write(stream: H2Stream, data: Buffer, end: boolean, cb?: (err?: PluginError) => void): void {
    if (stream.state === State.Closed || stream.localEnded) {
      if (cb) process.nextTick(cb, this.error ?? new PluginError('closed', 'the call already ended'));
      return;
    }
    if (end) stream.localEnded = true;
    stream.queue.push({ buf: data, off: 0, end, cb, headers: undefined, stable: false });
    if (stream.state === State.Open) {
      this.sendable.add(stream);
      this.pump();
    }
  }

  /** @internal */
  writeFramed(stream: H2Stream, framed: Buffer, end: boolean, cb?: (err?: PluginError) => void): void {
    const n = framed.length - FRAME_HEADER_LENGTH;
    if (
      stream.state === State.Open &&
      !stream.localEnded &&
      stream.queue.length === 0 &&
      !this.blocked &&
      n <= stream.sendWindow &&
      n <= this.sendWindow &&
      n <= this.peerMaxFrame
    ) {
      writeFrameHeader(framed, 0, n, FrameType.DATA, end ? Flag.END_STREAM : 0, stream.id);
      this.send(framed);
      stream.sendWindow -= n;
      this.sendWindow -= n;
      if (cb) process.nextTick(cb);
      if (end) {
        stream.localEnded = true;
        this.afterLocalEnd(stream);
      }
      return;
    }
    this.write(stream, framed.subarray(FRAME_HEADER_LENGTH), end, cb);
  }

  /** @internal */
  writeHeaders(stream: H2Stream, fields: readonly HeaderField[], end: boolean, stable: boolean): void {
    if (stream.state === State.Closed || stream.localEnded) return;
    if (end) stream.localEnded = true;
    if (stream.state === State.Open && stream.queue.length === 0) {
      this.sendHeaderBlock(stream.id, stable ? this.encoder.encodeStable(fields) : this.encoder.encode(fields), end);
      if (end) this.afterLocalEnd(stream);
      return;
    }
    stream.queue.push({ buf: EMPTY, off: 0, end, cb: undefined, headers: fields, stable });
    if (stream.state === State.Open) {
      this.sendable.add(stream);
      this.pump();
    }
  }

  /** @internal */
  consumed(stream: H2Stream, n: number): void {
    if (stream.state !== State.Open || stream.remoteEnded) return;
    stream.recvUnacked += n;
    if (stream.recvUnacked >= this.limits.streamWindow >> 2) {
      this.send(windowUpdateFrame(stream.id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  /** @internal Ends a stream with RST_STREAM at once. */
  reset(stream: H2Stream, code: number): void {
    if (stream.state !== State.Open || stream.resetPending) return;
    this.dropQueue(stream, new PluginError('aborted', 'the call was cancelled'));
    this.sendReset(stream, code);
  }

  /** @internal */
  protected sendReset(stream: H2Stream, code: number): void {
    if (stream.state !== State.Open) return;
    if (!this.error || this.goingAway) this.send(rstStreamFrame(stream.id, code));
    this.closeStream(stream);
  }

  /** @internal */
  protected sendHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrame;
    if (block.length <= max) {
      // The common case: one HEADERS frame, header and block in one buffer.
      const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + block.length);
      writeFrameHeader(out, 0, block.length, FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId);
      block.copy(out, FRAME_HEADER_LENGTH);
      this.send(out);
      return;
    }
    let off = 0;
    let first = true;
    do {
      const n = Math.min(max, block.length - off);
      const last = off + n >= block.length;
      const flags = (last ? Flag.END_HEADERS : 0) | (first && endStream ? Flag.END_STREAM : 0);
      const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      writeFrameHeader(header, 0, n, first ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId);
      this.send(header);
      if (n > 0) this.send(block.subarray(off, off + n));
      off += n;
      first = false;
    } while (off < block.length);
  }

  /** @internal Sends queued DATA (and trailers behind it) as the windows allow, round-robin over streams. */
  protected pump(): void {
    while (this.sendable.size > 0 && !this.blocked) {
      let progressed = false;
      for (const stream of this.sendable) {
        if (this.blocked) break;
        const p = stream.queue[0];
        if (!p) {
          this.sendable.delete(stream);
          continue;
        }
        if (p.headers) {
          stream.queue.shift();
          this.sendHeaderBlock(stream.id, p.stable ? this.encoder.encodeStable(p.headers) : this.encoder.encode(p.headers), p.end);
          progressed = true;
          if (stream.queue.length === 0) this.sendable.delete(stream);
          if (p.end) this.afterLocalEnd(stream);
          continue;
        }
        const remaining = p.buf.length - p.off;
        const n = remaining === 0 ? 0 : Math.min(remaining, stream.sendWindow, this.sendWindow, this.peerMaxFrame);
        if (n <= 0 && remaining > 0) {
          this.sendable.delete(stream); // woken by WINDOW_UPDATE
          continue;
        }
        const last = n === remaining;
        const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
        writeFrameHeader(header, 0, n, FrameType.DATA, last && p.end ? Flag.END_STREAM : 0, stream.id);
        this.send(header);
        if (n > 0) this.send(p.buf.subarray(p.off, p.off + n));
        p.off += n;
        stream.sendWindow -= n;
        this.sendWindow -= n;
        progressed = true;
        if (last) {
          stream.queue.shift();
          if (p.cb) process.nextTick(p.cb);
          if (p.end) this.afterLocalEnd(stream);
          if (stream.queue.length === 0) this.sendable.delete(stream);
        }
        if (this.outBytes + this.socket.writableLength > this.limits.writeHighWater) this.blocked = true;
      }
      if (!progressed || (this.sendWindow <= 0 && !this.headersQueued())) break;
    }
    if (this.blocked) this.flush();
  }

  private headersQueued(): boolean {
    for (const s of this.sendable) if (s.queue[0]?.headers) return true;
    return false;
  }

  /** @internal This side ended the stream. */
  protected afterLocalEnd(stream: H2Stream): void {
    if (stream.remoteEnded) this.closeStream(stream);
  }

  /** @internal */
  protected send(buf: Buffer): void {
    if (this.socketClosed || this.dead || this.socket.destroyed) return;
    this.out.push(buf);
    this.outBytes += buf.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushNow);
    }
  }

  /**
   * @internal Queues a frame that need not leave this tick (a PING ACK): it goes out with the next frame sent in this
   * turn of the event loop (typically the next request, started in answer to the response the PING came with), else
   * at setImmediate. grpc-go pings with every response while no ping is outstanding (its bandwidth estimator), so a
   * separate ACK would cost every sequential call a second write and a second wake-up of the peer.
   */
  protected sendSoon(buf: Buffer): void {
    if (this.socketClosed || this.dead || this.socket.destroyed) return;
    this.out.push(buf);
    this.outBytes += buf.length;
    if (!this.flushScheduled && !this.soonScheduled) {
      this.soonScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  private soonScheduled = false;
  private readonly flushSoon = (): void => {
    this.soonScheduled = false;
    if (!this.flushScheduled) this.flush();
  };

  /** @internal */
  protected flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.socketClosed || this.dead) return;
    this.out = [];
    const total = this.outBytes;
    this.outBytes = 0;
    let ok: boolean;
    if (out.length === 1) ok = this.socket.write(out[0]!);
    else if (total <= 65536) ok = this.socket.write(Buffer.concat(out, total));
    else {
      this.socket.cork();
      ok = true;
      for (const b of out) ok = this.socket.write(b) && ok;
      this.socket.uncork();
    }
    if (!ok) this.blocked = true;
  }

  // ---- receiving ----

  private onBytes(chunk: Buffer): void {
    if (this.socketClosed || this.dead) return;
    try {
      if (this.prefaceLeft > 0) {
        const n = Math.min(this.prefaceLeft, chunk.length);
        const at = PREFACE.length - this.prefaceLeft;
        if (!chunk.subarray(0, n).equals(PREFACE.subarray(at, at + n))) {
          throw new FrameError(ErrorCode.PROTOCOL_ERROR, `${this.peer} did not start with the HTTP/2 client preface (not an h2c prior-knowledge client?)`);
        }
        this.prefaceLeft -= n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) return;
      }
      this.reader.push(chunk, (f) => this.onFrame(f));
    } catch (err) {
      this.connectionError(err instanceof FrameError ? err : new FrameError(ErrorCode.PROTOCOL_ERROR, PluginError.from(err).message));
    }
  }

  private onFrame(f: Frame): void {
    if (this.block && f.type !== FrameType.CONTINUATION) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'the peer interleaved a frame inside a header block');
    }
    switch (f.type) {
      case FrameType.DATA:
        return this.onData(f);
      case FrameType.HEADERS:
        return this.onHeaders(f);
      case FrameType.CONTINUATION:
        return this.onContinuation(f);
      case FrameType.RST_STREAM:
        return this.onReset(f);
      case FrameType.SETTINGS:
        return this.onSettings(f);
      case FrameType.PING:
        return this.onPing(f);
      case FrameType.GOAWAY:
        return this.onGoAway(f);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(f);
      case FrameType.PRIORITY:
        if (f.streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (f.payload.length !== 5) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY frame is not 5 bytes');
        return;
      case FrameType.PUSH_PROMISE:
        throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'the peer sent PUSH_PROMISE although push is disabled');
      default:
        return; // unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  /** Payload without padding, checking the pad length. */
  private unpad(f: Frame, extra = 0): Buffer {
    let p = f.payload;
    let padding = 0;
    if (f.flags & Flag.PADDED) {
      if (p.length < 1) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'padded frame without a pad length');
      padding = p[0]!;
      p = p.subarray(1);
    }
    if (padding + extra > p.length) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'padding is longer than the frame');
    return p.subarray(extra, p.length - padding);
  }

  private onData(f: Frame): void {
    if (f.streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const size = f.payload.length;
    this.recvAvailable -= size;
    if (this.recvAvailable < 0) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'the peer overran the connection receive window');
    // The connection window is returned at once: each stream's own window bounds what is buffered.
    this.recvUnacked += size;
    if (this.recvUnacked >= this.limits.connectionWindow >> 2) {
      this.send(windowUpdateFrame(0, this.recvUnacked));
      this.recvAvailable += this.recvUnacked;
      this.recvUnacked = 0;
    }
    const data = this.unpad(f);
    const stream = this.streams.get(f.streamId);
    if (!stream) return this.checkKnown(f.streamId);
    if (stream.resetPending || stream.remoteEnded) return;
    stream.recvWindow -= size;
    if (stream.recvWindow < 0) {
      return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, `${this.peer} overran the stream receive window`);
    }
    // Padding counts against the window but never reaches the handler: release it now.
    if (size > data.length) this.consumed(stream, size - data.length);
    const end = (f.flags & Flag.END_STREAM) !== 0;
    if (end) this.remoteEnd(stream);
    stream.handler.onData(data, end);
  }

  private onHeaders(f: Frame): void {
    if (f.streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const fragment = this.unpad(f, f.flags & Flag.PRIORITY ? 5 : 0);
    this.block = { streamId: f.streamId, chunks: [], length: 0, endStream: (f.flags & Flag.END_STREAM) !== 0 };
    this.addFragment(fragment, (f.flags & Flag.END_HEADERS) !== 0);
  }

  private onContinuation(f: Frame): void {
    if (!this.block || this.block.streamId !== f.streamId) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without a header block in progress on its stream');
    }
    this.addFragment(f.payload, (f.flags & Flag.END_HEADERS) !== 0);
  }

  private addFragment(fragment: Buffer, last: boolean): void {
    const block = this.block!;
    if (last && block.chunks.length === 0) {
      // The common case, one HEADERS frame: decode the received bytes in place.
      this.block = undefined;
      return this.decodeBlock(block.streamId, block.endStream, fragment);
    }
    block.length += fragment.length;
    // A block is never much larger than the list it decodes to: bound it so endless CONTINUATION cannot grow memory.
    if (block.length > this.limits.maxHeaderListSize + 16384) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `the peer sent a header block over ${this.limits.maxHeaderListSize + 16384} bytes`);
    }
    block.chunks.push(Buffer.from(fragment));
    if (!last) return;
    this.block = undefined;
    this.decodeBlock(block.streamId, block.endStream, Buffer.concat(block.chunks));
  }

  private decodeBlock(streamId: number, endStream: boolean, bytes: Buffer): void {
    let decoded;
    try {
      decoded = this.decoder.decode(bytes);
    } catch (err) {
      throw new FrameError(ErrorCode.COMPRESSION_ERROR, PluginError.from(err).message);
    }
    const stream = this.streams.get(streamId);
    if (!stream) return this.onUnknownHeaders(streamId, decoded.fields, endStream, decoded.tooLarge);
    if (stream.resetPending || stream.remoteEnded) return;
    if (endStream) this.remoteEnd(stream);
    stream.handler.onHeaders(decoded.fields, endStream, decoded.tooLarge);
  }

  /** @internal */
  protected remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    if (stream.localEnded && stream.queue.length === 0) this.closeStream(stream);
  }

  private onReset(f: Frame): void {
    if (f.streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (f.payload.length !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM frame is not 4 bytes');
    const stream = this.streams.get(f.streamId);
    if (!stream) return this.checkKnown(f.streamId);
    if (stream.resetPending) return this.closeStream(stream);
    this.failStream(stream, this.resetFailure(f.payload.readUInt32BE(0)));
  }

  private onSettings(f: Frame): void {
    if (f.streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (f.flags & Flag.ACK) {
      if (f.payload.length !== 0) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (f.payload.length % 6 !== 0) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length is not a multiple of 6');
    // RFC 9113 6.5.2: a peer that does not set SETTINGS_MAX_CONCURRENT_STREAMS sets no limit (a Node server sends
    // none); the guess of 100 only holds until its first SETTINGS. Else 100 hanging calls starve every other one.
    if (!this.peerSettled) this.peerMaxStreams = 0x7fffffff;
    for (let i = 0; i < f.payload.length; i += 6) {
      const id = f.payload.readUInt16BE(i);
      const value = f.payload.readUInt32BE(i + 2);
      switch (id) {
        case Setting.HEADER_TABLE_SIZE:
          this.encoder.setMaxTableSize(Math.min(value, 4096));
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH is not 0 or 1');
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1');
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'a stream window went over 2^31-1');
            if (delta > 0 && s.queue.length > 0) this.sendable.add(s);
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > 0xffffff) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_MAX_FRAME_SIZE out of range');
          this.peerMaxFrame = value;
          break;
        default:
          break; // MAX_HEADER_LIST_SIZE is advisory; unknown settings are ignored
      }
    }
    this.send(settingsFrame([], true));
    this.peerSettled = true;
    this.checkWriteBacklog();
    this.afterSettings();
    this.pump();
  }

  private onPing(f: Frame): void {
    if (f.streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
    if (f.payload.length !== 8) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'PING frame is not 8 bytes');
    if (f.flags & Flag.ACK) {
      const key = f.payload.toString('hex');
      const done = this.pings.get(key);
      this.pings.delete(key);
      done?.();
      return;
    }
    this.sendSoon(pingFrame(Buffer.from(f.payload), true));
    this.checkWriteBacklog();
  }

  /** @internal A peer that sends frames needing answers but never reads them would grow the write buffer without end. */
  protected checkWriteBacklog(): void {
    if (this.outBytes + this.socket.writableLength > 4 * this.limits.writeHighWater) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `${this.peer} does not read what this side sends (write backlog over the limit)`);
    }
  }

  private onGoAway(f: Frame): void {
    if (f.streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (f.payload.length < 8) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY frame under 8 bytes');
    const last = f.payload.readUInt32BE(0) & 0x7fffffff;
    const code = f.payload.readUInt32BE(4);
    const debug = f.payload.toString('latin1', 8, Math.min(f.payload.length, 8 + 256)).replace(/[^\x20-\x7e]/g, '?');
    this.onPeerGoAway(last, code, debug);
  }

  private onWindowUpdate(f: Frame): void {
    if (f.payload.length !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE frame is not 4 bytes');
    const inc = f.payload.readUInt32BE(0) & 0x7fffffff;
    if (f.streamId === 0) {
      if (inc === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the connection');
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) throw new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'the connection window went over 2^31-1');
      for (const s of this.streams.values()) if (s.queue.length > 0 && s.sendWindow > 0) this.sendable.add(s);
    } else {
      const stream = this.streams.get(f.streamId);
      if (!stream) return this.checkKnown(f.streamId);
      if (inc === 0) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `${this.peer} sent a WINDOW_UPDATE of 0`);
      stream.sendWindow += inc;
      if (stream.sendWindow > MAX_WINDOW) return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, `${this.peer} overflowed a stream window`);
      if (stream.queue.length > 0) this.sendable.add(stream);
    }
    this.pump();
  }

  // ---- endings ----

  /** @internal */
  protected streamError(stream: H2Stream, code: number, message: string): void {
    const error = new PluginError('protocol', `HTTP/2: ${message}`);
    this.failStream(stream, { kind: 'protocol', h2Code: code, error });
    if (!this.socketClosed) this.send(rstStreamFrame(stream.id, code));
  }

  /** @internal */
  protected failStream(stream: H2Stream, failure: StreamFailure): void {
    if (stream.state === State.Closed) return;
    this.dropQueue(stream, failure.error);
    if (stream.state === State.Open) this.closeStream(stream);
    stream.state = State.Closed;
    stream.handler.onFailure(failure);
  }

  /** @internal */
  protected dropQueue(stream: H2Stream, error: PluginError): void {
    for (const p of stream.queue.splice(0)) if (p.cb) process.nextTick(p.cb, error);
    this.sendable.delete(stream);
  }

  /** @internal */
  protected closeStream(stream: H2Stream): void {
    if (stream.state !== State.Open) return;
    stream.state = State.Closed;
    this.streams.delete(stream.id);
    this.sendable.delete(stream);
    this.active--;
    this.streamClosed();
    this.maybeFinish();
  }

  /** @internal After GOAWAY or close(): once no stream is left, say goodbye and close the socket. */
  protected maybeFinish(): void {
    if (!this.goingAway || this.active > 0 || this.socketClosed) return;
    this.send(goAwayFrame(this.lastProcessedStream(), ErrorCode.NO_ERROR));
    this.flush();
    this.socket.end();
    this.clearTimers();
    // A peer that never closes its side is cut off after a grace period.
    this.lingerTimer ??= setTimeout(() => this.socket.destroy(), 2000);
  }

  /** @internal */
  protected connectionError(err: FrameError): void {
    if (this.socketClosed || this.dead) return;
    this.send(goAwayFrame(this.lastProcessedStream(), err.h2Code, err.message));
    this.flush();
    this.fail(err, true);
  }

  /** @internal
   * Fails every stream and ends the socket: at once, or (`linger`, after a GOAWAY) by ending this side and dropping
   * what it reads, so that the peer can still read the GOAWAY before the socket is destroyed a moment later.
   */
  protected fail(error: PluginError, linger = false): void {
    if (!this.error || (this.goingAway && !this.closing)) this.error = error;
    this.goingAway = false;
    const failure: StreamFailure = { kind: 'connection', error };
    this.failPending(failure);
    for (const s of [...this.streams.values()]) this.failStream(s, failure);
    for (const done of this.pings.values()) done();
    this.pings.clear();
    this.clearTimers();
    if (linger && !this.socketClosed && !this.dead) {
      this.dead = true; // what arrives now is read and dropped, so the peer's end is still seen
      this.socket.end();
      this.lingerTimer ??= setTimeout(() => this.socket.destroy(), 1000);
    } else this.socket.destroy();
  }
}

const EMPTY = Buffer.alloc(0);
