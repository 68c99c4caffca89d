// The client side of one HTTP/2 connection (RFC 9113) over any duplex socket: preface and SETTINGS, streams with
// flow control both ways (DATA queued per stream until the peer's windows open), max concurrent streams (calls
// over the limit wait), header blocks (HEADERS + CONTINUATION, bounded), PING, GOAWAY, RST_STREAM (paced), and
// writes batched once per tick. Every peer error ends in a PluginError: a stream error fails one call, a connection
// error sends GOAWAY and fails all of them.
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
  frame,
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
import { validateH2ClientOptions, type H2ClientOptions, type ResolvedH2ClientOptions } from './options.js';

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
  /** A complete header block (response headers or trailers). `tooLarge`: over maxHeaderListSize (fields dropped). */
  onHeaders(fields: HeaderField[], endStream: boolean, tooLarge: boolean): void;
  /** DATA payload (padding removed); the handler calls {@link H2Stream.consumed} as it releases the bytes. */
  onData(data: Buffer, endStream: boolean): void;
  /** The stream failed; nothing more arrives. */
  onFailure(failure: StreamFailure): void;
}

interface Pending {
  buf: Buffer;
  off: number;
  end: boolean;
  cb: ((err?: PluginError) => void) | undefined;
}

const enum State {
  Waiting, // queued for a concurrency slot, no id yet
  Open,
  Closed,
}

/** One request stream. */
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
    private readonly session: H2Connection,
    /** @internal */ readonly headers: HeaderField[],
    /** @internal */ readonly handler: StreamHandler,
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

  /** Reports `n` bytes of received DATA as released, reopening the receive window. */
  consumed(n: number): void {
    this.session.consumed(this, n);
  }

  /** Ends the stream with RST_STREAM (paced); nothing more is reported to the handler. */
  reset(code: number = ErrorCode.CANCEL): void {
    this.session.reset(this, code);
  }
}

const CONNECTION_LOST = 'the HTTP/2 connection to the plugin was lost';

/** The client side of an HTTP/2 connection. Create with {@link createH2Client}. */
export class H2Connection {
  /** Resolves once the socket is closed and every stream has failed or finished. */
  readonly closed: Promise<void>;
  /** Set once the connection can take no new streams (GOAWAY, close, failure), with the reason. */
  error: PluginError | undefined;

  private readonly opts: ResolvedH2ClientOptions;
  private readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder(4096);
  private readonly streams = new Map<number, H2Stream>();
  private readonly waiting: H2Stream[] = [];
  private readonly sendable = new Set<H2Stream>();
  private nextId = 1;
  private active = 0;
  private peerMaxStreams = 100;
  private peerInitialWindow = 65535;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private sendWindow = 65535;
  private recvUnacked = 0;
  private recvAvailable: number;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private blocked = false;
  private goingAway = false;
  private lastPeerStream = 0x7fffffff;
  private block: { streamId: number; chunks: Buffer[]; length: number; endStream: boolean } | undefined;
  private readonly pings = new Map<string, () => void>();
  private pingSeq = 0;
  private resetTokens: number;
  private resetRefilled = Date.now();
  private resetQueue: H2Stream[] = [];
  private resetTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  private socketClosed = false;
  private closing = false;
  private peerSettled = false;
  private readonly basePaths = new Map<string, HeaderField[]>();
  private readonly stableHeaders = new WeakSet<HeaderField[]>();
  private lingerTimer: NodeJS.Timeout | undefined;

  /** @internal use {@link createH2Client} */
  constructor(
    private readonly socket: Duplex,
    options: H2ClientOptions = {},
  ) {
    this.opts = validateH2ClientOptions(options);
    this.decoder = new HpackDecoder(4096, this.opts.maxHeaderListSize);
    this.recvAvailable = this.opts.connectionWindow;
    this.resetTokens = this.opts.resetBurst;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
    socket.on('error', (err: Error) => this.fail(new PluginError('unavailable', `${CONNECTION_LOST}: ${err.message}`, { cause: err })));
    socket.on('end', () => this.fail(new PluginError('unavailable', `${CONNECTION_LOST}: the plugin closed it`)));
    socket.on('close', () => {
      this.socketClosed = true;
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.fail(new PluginError('unavailable', `${CONNECTION_LOST}: the socket closed`));
      this.resolveClosed();
    });
    const settings: [number, number][] = [
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, this.opts.streamWindow],
      [Setting.MAX_HEADER_LIST_SIZE, this.opts.maxHeaderListSize],
    ];
    this.send(PREFACE);
    this.send(settingsFrame(settings));
    if (this.opts.connectionWindow > 65535) this.send(windowUpdateFrame(0, this.opts.connectionWindow - 65535));
  }

  /** The options in force. */
  get options(): ResolvedH2ClientOptions {
    return this.opts;
  }

  /** True once the peer's first SETTINGS arrived and until the connection ends or goes away. */
  get ready(): boolean {
    return this.peerSettled && !this.error;
  }

  /**
   * The request headers of a call with no metadata and no deadline on `path`, one array per path (so that its
   * HPACK block can be reused).
   */
  baseHeaders(path: string, make: () => HeaderField[]): HeaderField[] {
    let fields = this.basePaths.get(path);
    if (!fields) {
      fields = make();
      if (this.basePaths.size < 4096) {
        this.basePaths.set(path, fields);
        this.stableHeaders.add(fields);
      }
    }
    return fields;
  }

  /** Streams open or waiting. */
  get streamCount(): number {
    return this.active + this.waiting.length;
  }

  /**
   * Opens a request stream with `fields` (pseudo-headers first) once a concurrency slot is free. Throws the
   * connection's error when it takes no new streams.
   */
  request(fields: HeaderField[], handler: StreamHandler): H2Stream {
    if (this.error) throw this.error;
    const stream = new H2Stream(this, fields, handler);
    if (this.active < Math.min(this.peerMaxStreams, this.opts.maxConcurrentStreams)) this.start(stream);
    else this.waiting.push(stream);
    return stream;
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

  /**
   * Graceful close: takes no new streams, lets open ones finish, then sends GOAWAY and closes the socket.
   * Resolves once the socket is closed.
   */
  close(): Promise<void> {
    this.closing = true;
    if (!this.error) this.error = new PluginError('closed', 'the HTTP/2 connection is closed');
    this.goingAway = true;
    for (const s of this.waiting.splice(0)) this.failStream(s, { kind: 'refused', error: this.error });
    this.maybeFinish();
    return this.closed;
  }

  /** Immediate close: fails every stream with `reason` and destroys the socket. */
  abort(reason?: unknown): void {
    this.fail(PluginError.from(reason ?? new PluginError('aborted', 'the HTTP/2 connection was aborted'), 'aborted'));
  }

  // ---- sending ----

  /** @internal */
  write(stream: H2Stream, data: Buffer, end: boolean, cb?: (err?: PluginError) => void): void {
    if (stream.state === State.Closed || stream.localEnded) {
      if (cb) process.nextTick(cb, this.error ?? new PluginError('closed', 'the call already ended'));
      return;
    }
    if (end) stream.localEnded = true;
    stream.queue.push({ buf: data, off: 0, end, cb });
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
  consumed(stream: H2Stream, n: number): void {
    if (stream.state !== State.Open || stream.remoteEnded) return;
    stream.recvUnacked += n;
    if (stream.recvUnacked >= this.opts.streamWindow >> 2) {
      this.send(windowUpdateFrame(stream.id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  /** @internal */
  reset(stream: H2Stream, code: number): void {
    if (stream.state === State.Waiting) {
      const i = this.waiting.indexOf(stream);
      if (i >= 0) this.waiting.splice(i, 1);
      stream.state = State.Closed;
      return;
    }
    if (stream.state === State.Closed || stream.resetPending) return;
    this.dropQueue(stream, new PluginError('aborted', 'the call was cancelled'));
    stream.resetPending = true;
    this.refillResets();
    if (this.resetTokens >= 1 && this.resetQueue.length === 0) {
      this.resetTokens--;
      this.sendReset(stream, code);
    } else {
      this.resetQueue.push(stream);
      this.resetTimer ??= setTimeout(() => this.drainResets(), Math.ceil(1000 / this.opts.resetsPerSecond));
    }
  }

  private refillResets(): void {
    const now = Date.now();
    this.resetTokens = Math.min(this.opts.resetBurst, this.resetTokens + ((now - this.resetRefilled) * this.opts.resetsPerSecond) / 1000);
    this.resetRefilled = now;
  }

  private drainResets(): void {
    this.resetTimer = undefined;
    this.refillResets();
    while (this.resetQueue.length > 0 && this.resetTokens >= 1) {
      this.resetTokens--;
      this.sendReset(this.resetQueue.shift()!, ErrorCode.CANCEL);
    }
    if (this.resetQueue.length > 0) this.resetTimer = setTimeout(() => this.drainResets(), Math.ceil(1000 / this.opts.resetsPerSecond));
  }

  private sendReset(stream: H2Stream, code: number): void {
    if (stream.state !== State.Open) return;
    if (!this.error || this.goingAway) this.send(rstStreamFrame(stream.id, code));
    this.closeStream(stream);
  }

  private start(stream: H2Stream): void {
    if (this.nextId > 0x7fffffff) {
      this.error ??= new PluginError('unavailable', 'the HTTP/2 connection used up its stream ids; reconnect');
      this.failStream(stream, { kind: 'refused', error: this.error });
      return;
    }
    stream.id = this.nextId;
    this.nextId += 2;
    stream.state = State.Open;
    stream.sendWindow = this.peerInitialWindow;
    stream.recvWindow = this.opts.streamWindow;
    this.streams.set(stream.id, stream);
    this.active++;
    const block = this.stableHeaders.has(stream.headers) ? this.encoder.encodeStable(stream.headers) : this.encoder.encode(stream.headers);
    const endStream = stream.localEnded && stream.queue.length === 1 && stream.queue[0]!.buf.length === 0;
    this.sendHeaderBlock(stream.id, block, endStream);
    if (endStream) {
      const p = stream.queue.shift()!;
      if (p.cb) process.nextTick(p.cb);
    } else if (stream.queue.length > 0) {
      this.sendable.add(stream);
      this.pump();
    }
  }

  private sendHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrame;
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

  /** Sends queued DATA as the windows allow, round-robin over streams. */
  private pump(): void {
    while (this.sendable.size > 0 && !this.blocked) {
      let progressed = false;
      for (const stream of this.sendable) {
        if (this.blocked) break;
        const p = stream.queue[0];
        if (!p) {
          this.sendable.delete(stream);
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
        if (this.outBytes + this.socket.writableLength > this.opts.writeHighWater) this.blocked = true;
      }
      if (!progressed || this.sendWindow <= 0) break;
    }
    if (this.blocked) this.flush();
  }

  private afterLocalEnd(stream: H2Stream): void {
    if (stream.remoteEnded) this.closeStream(stream);
  }

  private send(buf: Buffer): void {
    if (this.socketClosed || this.socket.destroyed) return;
    this.out.push(buf);
    this.outBytes += buf.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.socketClosed) return;
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
    if (this.socketClosed) return;
    try {
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
    if (this.recvUnacked >= this.opts.connectionWindow >> 2) {
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
      return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, 'the plugin overran the stream receive window');
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
    if (block.length > this.opts.maxHeaderListSize + 16384) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, `the peer sent a header block over ${this.opts.maxHeaderListSize + 16384} bytes`);
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
    if (!stream) return this.checkKnown(streamId);
    if (stream.resetPending || stream.remoteEnded) return;
    if (endStream) this.remoteEnd(stream);
    stream.handler.onHeaders(decoded.fields, endStream, decoded.tooLarge);
  }

  /** Frames on a stream this side never opened are a connection error; on one it closed, they are ignored. */
  private checkKnown(streamId: number): void {
    if (streamId % 2 === 0 || streamId >= this.nextId) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `the peer sent a frame on stream ${streamId}, which this side never opened`);
    }
  }

  private remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    if (stream.localEnded && stream.queue.length === 0) this.closeStream(stream);
  }

  private onReset(f: Frame): void {
    if (f.streamId === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (f.payload.length !== 4) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM frame is not 4 bytes');
    const stream = this.streams.get(f.streamId);
    if (!stream) return this.checkKnown(f.streamId);
    const code = f.payload.readUInt32BE(0);
    if (stream.resetPending) return this.closeStream(stream);
    const refused = code === ErrorCode.REFUSED_STREAM;
    const error = new PluginError(
      'unavailable',
      refused ? 'the plugin refused the call before processing it (REFUSED_STREAM); retry' : `the plugin reset the call (HTTP/2 error ${code})`,
    );
    this.failStream(stream, { kind: refused ? 'refused' : 'reset', h2Code: code, error });
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
    this.startWaiting();
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
    this.send(pingFrame(Buffer.from(f.payload), true));
    this.checkWriteBacklog();
  }

  /** A peer that sends frames needing answers but never reads them would grow the write buffer without end. */
  private checkWriteBacklog(): void {
    if (this.outBytes + this.socket.writableLength > 4 * this.opts.writeHighWater) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, 'the plugin does not read what this side sends (write backlog over the limit)');
    }
  }

  private onGoAway(f: Frame): void {
    if (f.streamId !== 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
    if (f.payload.length < 8) throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY frame under 8 bytes');
    const last = f.payload.readUInt32BE(0) & 0x7fffffff;
    const code = f.payload.readUInt32BE(4);
    const debug = f.payload.toString('latin1', 8, Math.min(f.payload.length, 8 + 256)).replace(/[^\x20-\x7e]/g, '?');
    this.goingAway = true;
    this.lastPeerStream = Math.min(this.lastPeerStream, last);
    const why = `the plugin is closing the connection (GOAWAY ${code}${debug ? `: ${debug}` : ''})`;
    this.error ??= new PluginError('unavailable', why);
    const refused = new PluginError('unavailable', `${why}; the call was not processed`);
    for (const s of this.waiting.splice(0)) this.failStream(s, { kind: 'refused', error: refused });
    for (const s of [...this.streams.values()]) {
      if (s.id > this.lastPeerStream) this.failStream(s, { kind: 'refused', h2Code: code, error: refused });
    }
    this.maybeFinish();
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
      if (inc === 0) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, 'the plugin sent a WINDOW_UPDATE of 0');
      stream.sendWindow += inc;
      if (stream.sendWindow > MAX_WINDOW) return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, 'the plugin overflowed a stream window');
      if (stream.queue.length > 0) this.sendable.add(stream);
    }
    this.pump();
  }

  // ---- endings ----

  private streamError(stream: H2Stream, code: number, message: string): void {
    const error = new PluginError('protocol', `HTTP/2: ${message}`);
    this.failStream(stream, { kind: 'protocol', h2Code: code, error });
    if (!this.socketClosed) this.send(rstStreamFrame(stream.id, code));
  }

  private failStream(stream: H2Stream, failure: StreamFailure): void {
    if (stream.state === State.Closed) return;
    this.dropQueue(stream, failure.error);
    if (stream.state === State.Open) this.closeStream(stream);
    stream.state = State.Closed;
    stream.handler.onFailure(failure);
  }

  private dropQueue(stream: H2Stream, error: PluginError): void {
    for (const p of stream.queue.splice(0)) if (p.cb) process.nextTick(p.cb, error);
    this.sendable.delete(stream);
  }

  private closeStream(stream: H2Stream): void {
    if (stream.state !== State.Open) return;
    stream.state = State.Closed;
    this.streams.delete(stream.id);
    this.sendable.delete(stream);
    this.active--;
    this.startWaiting();
    this.maybeFinish();
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && !this.error && this.active < Math.min(this.peerMaxStreams, this.opts.maxConcurrentStreams)) {
      this.start(this.waiting.shift()!);
    }
  }

  /** After GOAWAY or close(): once no stream is left, say goodbye and close the socket. */
  private maybeFinish(): void {
    if (!this.goingAway || this.active > 0 || this.socketClosed) return;
    this.send(goAwayFrame(0, ErrorCode.NO_ERROR));
    this.flush();
    this.socket.end();
    this.clearTimers();
    // A peer that never closes its side is cut off after a grace period.
    this.lingerTimer ??= setTimeout(() => this.socket.destroy(), 2000);
  }

  private connectionError(err: FrameError): void {
    if (this.socketClosed) return;
    this.send(goAwayFrame(0, err.h2Code, err.message));
    this.flush();
    this.fail(err);
  }

  private fail(error: PluginError): void {
    if (!this.error || (this.goingAway && !this.closing)) this.error = error;
    this.goingAway = false;
    const failure: StreamFailure = { kind: 'connection', error };
    for (const s of this.waiting.splice(0)) this.failStream(s, failure);
    for (const s of [...this.streams.values()]) this.failStream(s, failure);
    for (const done of this.pings.values()) done();
    this.pings.clear();
    this.clearTimers();
    this.socket.destroy();
  }

  private clearTimers(): void {
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
    this.resetQueue = [];
  }
}

/**
 * Starts an HTTP/2 client connection on `socket` (h2c with prior knowledge on a plain socket; over TLS the caller
 * negotiates ALPN `h2` first). The preface and SETTINGS go out at once; requests may be opened immediately.
 * @param socket - a connected duplex byte stream (net.Socket, tls.TLSSocket, or any Duplex)
 * @param options - windows, limits, reset pacing
 */
export function createH2Client(socket: Duplex, options?: H2ClientOptions): H2Connection {
  return new H2Connection(socket, options);
}
