// One gRPC call on an HTTP/2 stream (grpc/grpc doc/PROTOCOL-HTTP2.md): request headers with grpc-timeout and
// metadata, length-prefixed messages both ways (bounded on receive), response headers, trailers or trailers-only,
// and every way a call can end (status, RST_STREAM, GOAWAY, connection loss, deadline, AbortSignal) reported once
// as a status after the messages read so far.
import { PluginError } from '@plugwire/core';
import { MessageDeframer } from './deframer.js';
import { ErrorCode } from './frame.js';
import type { H2Connection, H2Stream, StreamFailure, StreamHandler } from './connection.js';
import type { HeaderField } from './hpack/dynamic-table.js';
import { Status, statusFromHttp, statusFromReset, type GrpcStatus } from './status.js';

/**
 * Receives what a call returns. Messages come only as asked for ({@link GrpcCall.read}) unless `autoRead`; the
 * status comes once every message that arrived was handed over.
 */
export interface GrpcCallListener {
  /** Response headers (reserved fields removed); not called for a trailers-only answer. */
  onMetadata?(metadata: HeaderField[]): void;
  /** One response message (the bytes after the 5-byte prefix). */
  onMessage(message: Buffer): void;
  /** The end of the call, exactly once, after every message asked for. */
  onStatus(status: GrpcStatus): void;
}

/** Options of {@link startCall}. */
export interface GrpcCallOptions {
  /** Request metadata as header fields (lower-case names; `-bin` values base64). */
  readonly metadata?: readonly HeaderField[];
  /** Deadline as epoch milliseconds; sent as `grpc-timeout` and enforced here too. */
  readonly deadline?: number;
  /** Cancels the call (status CANCELLED, error `aborted`). */
  readonly signal?: AbortSignal;
  /**
   * Largest response message accepted; a larger one ends the call with RESOURCE_EXHAUSTED.
   * @default 4194304
   */
  readonly maxReceiveMessageLength?: number;
  /**
   * Deliver every message as it arrives, without {@link GrpcCall.read}.
   * @default false
   */
  readonly autoRead?: boolean;
}

/** Metadata names HTTP/2 or gRPC reserve: never sent from, nor handed back as, user metadata. */
const RESERVED = new Set(['content-type', 'te', 'grpc-status', 'grpc-message', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'user-agent', 'host', 'connection']);
const USER_AGENT = 'plugwire-h2/0.1';

/** `grpc-timeout` value for `ms` milliseconds (at most 8 digits, RFC-style units). */
export function timeoutHeader(ms: number): string {
  const m = Math.max(1, Math.ceil(ms));
  if (m < 1e8) return `${m}m`;
  const s = Math.ceil(m / 1000);
  if (s < 1e8) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 3600))}H`;
}

/** Shared by every call whose headers or trailers carry no user metadata (most do not): nothing to allocate. */
const NO_FIELDS = Object.freeze([]) as unknown as HeaderField[];

function isUserField(f: HeaderField): boolean {
  return f[0][0] !== ':' && !RESERVED.has(f[0]);
}

function userFields(fields: HeaderField[]): HeaderField[] {
  return fields.some(isUserField) ? fields.filter(isUserField) : NO_FIELDS;
}

function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A gRPC call in progress. */
export class GrpcCall implements StreamHandler {
  private stream: H2Stream | undefined;
  private readonly queue: Buffer[] = [];
  private reads = 0;
  private deferred = 0;
  private status: GrpcStatus | undefined;
  private done = false;
  private gotHeaders = false;
  private timer: NodeJS.Timeout | undefined;
  private deadlineAt = Infinity;
  private watching = false;
  private readonly maxReceive: number;
  private readonly autoRead: boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly deframer = new MessageDeframer((flag, len) => this.checkPrefix(flag, len));

  /** @internal use {@link startCall} */
  constructor(
    conn: H2Connection,
    path: string,
    options: GrpcCallOptions,
    private readonly listener: GrpcCallListener,
  ) {
    this.maxReceive = options.maxReceiveMessageLength ?? 4 << 20;
    this.autoRead = options.autoRead ?? false;
    this.signal = options.signal;
    if (this.signal?.aborted) {
      this.finishLocal(Status.CANCELLED, 'cancelled by its AbortSignal', abortReason(this.signal));
      return;
    }
    const o = conn.options;
    const base = (): HeaderField[] => [
      [':method', 'POST'],
      [':scheme', o.scheme],
      [':path', path],
      [':authority', o.authority],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['user-agent', USER_AGENT],
    ];
    const plain = (options.deadline === undefined || !Number.isFinite(options.deadline)) && !options.metadata?.length;
    const fields = plain ? conn.baseHeaders(path, base) : base();
    if (options.deadline !== undefined && Number.isFinite(options.deadline)) {
      const left = options.deadline - Date.now();
      if (left <= 0) {
        this.finishLocal(Status.DEADLINE_EXCEEDED, 'the deadline passed before the call started', new PluginError('timeout', 'the call ran past its deadline before it started'));
        return;
      }
      fields.push(['grpc-timeout', timeoutHeader(left)]);
      this.deadlineAt = options.deadline;
      this.timer = setTimeout(() => this.cancel(Status.DEADLINE_EXCEEDED, 'deadline exceeded', new PluginError('timeout', 'the call ran past its deadline')), left);
    }
    if (!plain) {
      for (const f of options.metadata ?? []) {
        if (!RESERVED.has(f[0]) && f[0][0] !== ':') fields.push(f);
      }
    }
    try {
      this.stream = conn.request(fields, this);
    } catch (err) {
      this.finishLocal(Status.UNAVAILABLE, PluginError.from(err).message, PluginError.from(err, 'unavailable'));
      return;
    }
    if (this.signal) {
      watchSignal(this.signal, this);
      this.watching = true;
    }
  }

  /** True once the status is known (it may still wait for messages to be read). */
  get ended(): boolean {
    return this.done || this.status !== undefined;
  }

  /**
   * Sends one message; `cb` runs when it is handed to the socket (or with an error if the call ended). `end`
   * half-closes the request side with the same frame.
   */
  sendMessage(message: Buffer, cb?: (err?: PluginError) => void, end = false): void {
    const stream = this.stream;
    if (!stream || this.ended) {
      if (cb) process.nextTick(cb, new PluginError('closed', 'the call already ended'));
      return;
    }
    if (message.length < 16384) {
      // One buffer: room for the DATA frame header, the 5-byte prefix, the message.
      const framed = Buffer.allocUnsafe(14 + message.length);
      framed[9] = 0;
      framed.writeUInt32BE(message.length, 10);
      message.copy(framed, 14);
      stream.writeFramed(framed, end, cb);
      return;
    }
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = 0;
    prefix.writeUInt32BE(message.length, 1);
    stream.write(prefix, false);
    stream.write(message, end, cb);
  }

  /** Ends the request side (END_STREAM). */
  halfClose(): void {
    if (this.stream && !this.ended) this.stream.write(Buffer.alloc(0), true);
  }

  /** Asks for one more message. */
  read(): void {
    this.reads++;
    this.deliver();
  }

  /** Cancels the call: RST_STREAM (CANCEL) to the peer, and status `code` here at once. */
  cancel(code: number = Status.CANCELLED, details = 'cancelled', error?: PluginError): void {
    if (this.done) return;
    this.queue.length = 0;
    this.status = undefined;
    this.stream?.reset(ErrorCode.CANCEL);
    this.finishLocal(code, details, error ?? new PluginError('aborted', `the call was cancelled: ${details}`));
  }

  // ---- StreamHandler ----

  /** @internal */
  onHeaders(fields: HeaderField[], endStream: boolean, tooLarge: boolean): void {
    if (this.ended) return;
    if (tooLarge) {
      const err = new PluginError('protocol', 'the plugin sent a header list over the maxHeaderListSize limit');
      return this.cancel(Status.RESOURCE_EXHAUSTED, 'response header list too large', err);
    }
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      let httpStatus = 0;
      let contentType = '';
      for (const [n, v] of fields) {
        if (n === ':status') httpStatus = Number(v);
        else if (n === 'content-type') contentType = v;
      }
      if (httpStatus !== 200) {
        const code = statusFromHttp(httpStatus);
        return this.protocolEnd(code, `the plugin answered with HTTP status ${httpStatus}`);
      }
      if (!contentType.startsWith('application/grpc')) {
        return this.protocolEnd(Status.UNKNOWN, `the plugin answered with content-type ${JSON.stringify(contentType)}, not gRPC`);
      }
      if (!endStream) {
        this.listener.onMetadata?.(userFields(fields));
        return;
      }
    } else if (!endStream) {
      return this.protocolEnd(Status.INTERNAL, 'the plugin sent a second header block that does not end the stream');
    }
    // Trailers, or a trailers-only answer.
    let code: number = Status.UNKNOWN;
    let details = 'the plugin ended the call without a grpc-status';
    let sawStatus = false;
    let message = '';
    for (const [n, v] of fields) {
      if (n === 'grpc-status') {
        sawStatus = true;
        code = /^\d{1,2}$/.test(v) && Number(v) <= 16 ? Number(v) : Status.UNKNOWN;
      } else if (n === 'grpc-message') message = percentDecode(v);
    }
    if (sawStatus) details = message;
    if (this.deframer.partial) {
      code = Status.INTERNAL;
      details = 'the plugin ended the call in the middle of a message';
    }
    this.endWith({ code, details, metadata: userFields(fields) });
    if (this.stream && !this.stream.localEnded) this.stream.reset(ErrorCode.CANCEL);
  }

  /** @internal */
  onData(data: Buffer, endStream: boolean): void {
    if (this.ended) return;
    try {
      this.deframer.push(data, this.queue);
    } catch (err) {
      const e = PluginError.from(err, 'protocol');
      return this.cancel(e.message.includes('maxReceiveMessageLength') ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL, e.message, e);
    }
    if (this.queue.length > 0) this.deferred += data.length;
    else this.stream?.consumed(data.length);
    if (endStream) this.protocolEnd(Status.INTERNAL, 'the plugin ended the stream without trailers');
    this.deliver();
  }

  /** @internal */
  onFailure(failure: StreamFailure): void {
    if (this.done) return;
    this.queue.length = 0;
    this.status = undefined;
    let code: number = Status.UNAVAILABLE;
    let error: PluginError | undefined = failure.error;
    if (failure.kind === 'reset') {
      code = statusFromReset(failure.h2Code);
      error = undefined; // the plugin's own answer: mapped from the code
    } else if (failure.kind === 'protocol') code = Status.INTERNAL;
    this.finishLocal(code, failure.error.message, error);
  }

  // ---- internals ----

  private checkPrefix(flag: number, len: number): void {
    if (flag !== 0) {
      throw new PluginError('protocol', flag === 1 ? 'the plugin sent a compressed message although no compression was negotiated' : `the plugin sent a message with flag byte ${flag}`);
    }
    if (len > this.maxReceive) {
      throw new PluginError('protocol', `the plugin sent a ${len}-byte message, over the ${this.maxReceive}-byte limit (maxReceiveMessageLength)`);
    }
  }

  private deliver(): void {
    while (this.queue.length > 0 && (this.autoRead || this.reads > 0) && !this.done) {
      if (!this.autoRead) this.reads--;
      this.listener.onMessage(this.queue.shift()!);
    }
    if (this.queue.length === 0 && this.deferred > 0) {
      this.stream?.consumed(this.deferred);
      this.deferred = 0;
    }
    // The status follows the last message once every message was handed over (it needs no read of its own).
    if (this.queue.length === 0 && this.status && !this.done) {
      const s = this.status;
      this.finish(s);
    }
  }

  private endWith(status: GrpcStatus): void {
    this.status = status;
    this.clear();
    this.deliver();
  }

  private protocolEnd(code: number, details: string): void {
    this.stream?.reset(ErrorCode.PROTOCOL_ERROR);
    this.queue.length = 0;
    this.finishLocal(code, details, new PluginError('protocol', details));
  }

  private finishLocal(code: number, details: string, error: PluginError | undefined): void {
    this.finish(error ? { code, details, metadata: [], error } : { code, details, metadata: [] });
  }

  private finish(status: GrpcStatus): void {
    if (this.done) return;
    this.done = true;
    if (status.code !== Status.OK && status.code !== Status.DEADLINE_EXCEEDED && Date.now() >= this.deadlineAt && !this.signal?.aborted) {
      // The server gave up at the deadline it was sent (reset, or a CANCELLED status) just before the local timer.
      status = { code: Status.DEADLINE_EXCEEDED, details: 'deadline exceeded', metadata: status.metadata, error: new PluginError('timeout', 'the call ran past its deadline') };
    }
    this.status = status;
    this.clear();
    this.listener.onStatus(status);
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.watching) {
      this.watching = false;
      unwatchSignal(this.signal!, this);
    }
  }
}

/**
 * Calls in progress per AbortSignal, with the signal's one 'abort' listener: however many calls share a signal, it
 * gets one listener (so a signal shared by more than 10 calls in flight does not make Node warn of a listener leak,
 * and calls after the first cost a Set entry, not an EventTarget listener). The listener goes when the last call ends,
 * so that a timeout signal, which Node keeps alive while it has listeners, is released with it.
 */
interface Watch {
  readonly calls: Set<GrpcCall>;
  readonly listener: () => void;
}
const signalWatchers = new WeakMap<AbortSignal, Watch>();

function watchSignal(signal: AbortSignal, call: GrpcCall): void {
  const watch = signalWatchers.get(signal);
  if (watch) {
    watch.calls.add(call);
    return;
  }
  const calls = new Set<GrpcCall>([call]);
  const listener = (): void => {
    signalWatchers.delete(signal);
    const reason = abortReason(signal);
    for (const c of [...calls]) c.cancel(Status.CANCELLED, 'cancelled by its AbortSignal', reason);
  };
  signalWatchers.set(signal, { calls, listener });
  signal.addEventListener('abort', listener, { once: true });
}

function unwatchSignal(signal: AbortSignal, call: GrpcCall): void {
  const watch = signalWatchers.get(signal);
  if (!watch || !watch.calls.delete(call) || watch.calls.size > 0) return;
  signalWatchers.delete(signal);
  signal.removeEventListener('abort', watch.listener);
}

function abortReason(signal: AbortSignal): PluginError {
  const r: unknown = signal.reason;
  return r instanceof PluginError ? r : new PluginError('aborted', 'the call was aborted by its AbortSignal', { cause: r });
}

/**
 * Starts a gRPC call on `conn` (`path` is `/package.Service/Method`). Send with `sendMessage`, end the request
 * side with `halfClose`, ask for responses with `read` (or pass `autoRead`); the listener gets the status once.
 */
export function startCall(conn: H2Connection, path: string, options: GrpcCallOptions, listener: GrpcCallListener): GrpcCall {
  return new GrpcCall(conn, path, options, listener);
}
