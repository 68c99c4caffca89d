// The client side of one HTTP/2 connection (RFC 9113) over any duplex socket: it opens the streams (odd ids), at
// most the peer's SETTINGS_MAX_CONCURRENT_STREAMS at once (calls over the limit wait), paces the RST_STREAMs of
// cancelled calls, and caches the request headers of plain calls per path. Frames, flow control, SETTINGS, PING,
// GOAWAY and write batching are the shared endpoint's (endpoint.ts).
import type { Duplex } from 'node:stream';
import { PluginError } from '@plugwire/core';
import { ErrorCode, FrameError, Setting } from './frame.js';
import type { HeaderField } from './hpack/dynamic-table.js';
import { H2Endpoint, H2Stream, State, type StreamFailure, type StreamHandler } from './endpoint.js';
import { validateH2ClientOptions, type H2ClientOptions, type ResolvedH2ClientOptions } from './options.js';

export { H2Stream } from './endpoint.js';
export type { StreamFailure, StreamHandler } from './endpoint.js';

/** The client side of an HTTP/2 connection. Create with {@link createH2Client}. */
export class H2Connection extends H2Endpoint {
  private readonly opts: ResolvedH2ClientOptions;
  private readonly waiting: H2Stream[] = [];
  private nextId = 1;
  private lastPeerStream = 0x7fffffff;
  private resetTokens: number;
  private resetRefilled = Date.now();
  private resetQueue: H2Stream[] = [];
  private resetTimer: NodeJS.Timeout | undefined;
  private readonly basePaths = new Map<string, HeaderField[]>();
  private readonly stableHeaders = new WeakSet<HeaderField[]>();

  /** @internal use {@link createH2Client} */
  constructor(socket: Duplex, options: H2ClientOptions = {}) {
    const opts = validateH2ClientOptions(options);
    super(
      socket,
      opts,
      'the plugin',
      [
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, opts.streamWindow],
        [Setting.MAX_HEADER_LIST_SIZE, opts.maxHeaderListSize],
      ],
      false,
    );
    this.opts = opts;
    this.resetTokens = opts.resetBurst;
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

  /** @internal Cancels a stream: RST_STREAM, paced. */
  override reset(stream: H2Stream, code: number): void {
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
    const endStream = stream.localEnded && stream.queue.length === 1 && stream.queue[0]!.buf.length === 0 && !stream.queue[0]!.headers;
    this.sendHeaderBlock(stream.id, block, endStream);
    if (endStream) {
      const p = stream.queue.shift()!;
      if (p.cb) process.nextTick(p.cb);
    } else if (stream.queue.length > 0) {
      this.sendable.add(stream);
      this.pump();
    }
  }

  // ---- hooks ----

  protected override onUnknownHeaders(streamId: number): void {
    this.checkKnown(streamId);
  }

  /** Frames on a stream this side never opened are a connection error; on one it closed, they are ignored. */
  protected override checkKnown(streamId: number): void {
    if (streamId % 2 === 0 || streamId >= this.nextId) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `the peer sent a frame on stream ${streamId}, which this side never opened`);
    }
  }

  protected override resetFailure(code: number): StreamFailure {
    const refused = code === ErrorCode.REFUSED_STREAM;
    const error = new PluginError(
      'unavailable',
      refused ? 'the plugin refused the call before processing it (REFUSED_STREAM); retry' : `the plugin reset the call (HTTP/2 error ${code})`,
    );
    return { kind: refused ? 'refused' : 'reset', h2Code: code, error };
  }

  protected override onPeerGoAway(last: number, code: number, debug: string): void {
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

  protected override lastProcessedStream(): number {
    return 0; // a client processes no streams of the server's
  }

  protected override afterSettings(): void {
    this.startWaiting();
  }

  protected override streamClosed(): void {
    this.startWaiting();
  }

  protected override failPending(failure: StreamFailure): void {
    for (const s of this.waiting.splice(0)) this.failStream(s, failure);
  }

  protected override clearTimers(): void {
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
    this.resetQueue = [];
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && !this.error && this.active < Math.min(this.peerMaxStreams, this.opts.maxConcurrentStreams)) {
      this.start(this.waiting.shift()!);
    }
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
