// The server side of one HTTP/2 connection (RFC 9113): it reads the client preface, advertises its limits in
// SETTINGS, accepts the client's streams (odd ids, strictly increasing), refuses those over
// SETTINGS_MAX_CONCURRENT_STREAMS with REFUSED_STREAM, counts the client's RST_STREAMs against a budget (rapid
// reset), and closes gracefully (GOAWAY naming the last stream, running streams finish). Frames, flow control,
// SETTINGS, PING and write batching are the shared endpoint's (endpoint.ts).
import type { Duplex } from 'node:stream';
import { PluginError } from '@plugwire/core';
import { ErrorCode, FrameError, Setting, goAwayFrame, rstStreamFrame } from './frame.js';
import type { HeaderField } from './hpack/dynamic-table.js';
import { H2Endpoint, H2Stream, State, type StreamFailure, type StreamHandler } from './endpoint.js';
import type { ResolvedGrpcServerOptions } from './server-options.js';

/** Called for every stream a client opens: the callee sets `stream.handler` (and answers on the stream). */
export type OnRequest = (stream: H2Stream, fields: HeaderField[], endStream: boolean, tooLarge: boolean) => void;

const IGNORE: StreamHandler = {
  onHeaders() {},
  onData() {},
  onFailure() {},
};

/** The server side of an HTTP/2 connection (h2c with prior knowledge, or TLS after ALPN `h2`). */
export class H2ServerConnection extends H2Endpoint {
  private lastClientStream = 0;
  private goAwayLast = 0x7fffffff;
  private resetTokens: number;
  private resetRefilled = Date.now();
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Duplex,
    private readonly opts: ResolvedGrpcServerOptions,
    private readonly onRequest: OnRequest,
  ) {
    super(
      socket,
      opts,
      'the host',
      [
        [Setting.MAX_CONCURRENT_STREAMS, opts.maxConcurrentStreams],
        [Setting.INITIAL_WINDOW_SIZE, opts.streamWindow],
        [Setting.MAX_HEADER_LIST_SIZE, opts.maxHeaderListSize],
      ],
      true,
    );
    this.resetTokens = opts.peerResetBurst;
    this.handshakeTimer = setTimeout(() => this.handshakeExpired(), opts.handshakeTimeout);
  }

  private handshakeExpired(): void {
    this.handshakeTimer = undefined;
    if (this.peerSettled) return;
    this.connectionError(new FrameError(ErrorCode.PROTOCOL_ERROR, `the host sent no HTTP/2 preface and SETTINGS within ${this.opts.handshakeTimeout} ms`));
  }

  /** Streams open. */
  get streamCount(): number {
    return this.active;
  }

  /**
   * Graceful close: GOAWAY naming the last stream accepted (later ones are not processed; clients retry them),
   * running streams finish, then the socket closes. Resolves once it is closed.
   */
  close(): Promise<void> {
    if (!this.closing && !this.socketClosed) {
      this.closing = true;
      this.error ??= new PluginError('closed', 'the HTTP/2 connection is closed');
      this.goingAway = true;
      this.goAwayLast = this.lastClientStream;
      this.send(goAwayFrame(this.goAwayLast, ErrorCode.NO_ERROR));
      this.maybeFinish();
    }
    return this.closed;
  }

  // ---- hooks ----

  protected override onUnknownHeaders(streamId: number, fields: HeaderField[], endStream: boolean, tooLarge: boolean): void {
    if (streamId % 2 === 0) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `the host opened stream ${streamId}, an even (server-side) id`);
    if (streamId <= this.lastClientStream) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `the host sent HEADERS on stream ${streamId}, not above its last stream ${this.lastClientStream} (closed or reused id)`);
    }
    this.lastClientStream = streamId;
    if (this.goingAway || this.socketClosed) return; // after GOAWAY: not processed, the client retries it elsewhere
    if (this.active >= this.opts.maxConcurrentStreams) {
      this.send(rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM));
      return;
    }
    const stream = new H2Stream(this, fields, IGNORE);
    stream.id = streamId;
    stream.state = State.Open;
    stream.sendWindow = this.peerInitialWindow;
    stream.recvWindow = this.opts.streamWindow;
    stream.remoteEnded = endStream;
    this.streams.set(streamId, stream);
    this.active++;
    this.onRequest(stream, fields, endStream, tooLarge);
  }

  /** Frames on an idle stream (never opened) are a connection error; on a closed one they are ignored. */
  protected override checkKnown(streamId: number): void {
    if (streamId % 2 === 0 || streamId > this.lastClientStream) {
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `the host sent a frame on stream ${streamId}, which it never opened`);
    }
  }

  protected override resetFailure(code: number): StreamFailure {
    const now = Date.now();
    this.resetTokens = Math.min(this.opts.peerResetBurst, this.resetTokens + ((now - this.resetRefilled) * this.opts.peerResetsPerSecond) / 1000);
    this.resetRefilled = now;
    if (this.resetTokens < 1) {
      throw new FrameError(ErrorCode.ENHANCE_YOUR_CALM, 'the host reset streams faster than allowed (rapid reset); reconnect');
    }
    this.resetTokens--;
    return { kind: 'reset', h2Code: code, error: new PluginError('aborted', `the host cancelled the call (RST_STREAM ${code})`) };
  }

  protected override onPeerGoAway(_last: number, code: number, debug: string): void {
    // The client opens no more streams; the running ones finish (a client that gives up resets them).
    this.error ??= new PluginError('unavailable', `the host is closing the connection (GOAWAY ${code}${debug ? `: ${debug}` : ''})`);
    this.goingAway = true;
    this.goAwayLast = Math.min(this.goAwayLast, this.lastClientStream);
    this.maybeFinish();
  }

  protected override lastProcessedStream(): number {
    return Math.min(this.goAwayLast, this.lastClientStream);
  }

  protected override afterSettings(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  protected override clearTimers(): void {
    this.afterSettings();
  }

  /** After the answer ended, a client still sending is told to stop (RST_STREAM NO_ERROR, as gRPC servers do). */
  protected override afterLocalEnd(stream: H2Stream): void {
    if (!stream.remoteEnded && stream.queue.length === 0) this.sendReset(stream, ErrorCode.NO_ERROR);
    else super.afterLocalEnd(stream);
  }
}
