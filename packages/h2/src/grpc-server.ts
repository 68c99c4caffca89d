// gRPC calls served on an HTTP/2 server connection (grpc/grpc doc/PROTOCOL-HTTP2.md): request headers checked as
// grpc-go checks them (:method POST, content-type application/grpc…, grpc-timeout, path), length-prefixed request
// messages (bounded), response headers, messages and trailers (or trailers-only), deadlines, and every way a call
// ends early (client RST_STREAM, deadline, connection lost) reported once on the call's AbortSignal.
// The hot path of a unary call allocates one call object and no closures; the plain response headers and OK
// trailers are HPACK-stable (their block is cached), and headers + message + trailers leave in one socket write.
import type { Duplex } from 'node:stream';
import { PluginError, type PluginErrorCode } from '@plugwire/core';
import { MessageDeframer } from './deframer.js';
import { ErrorCode } from './frame.js';
import type { HeaderField } from './hpack/dynamic-table.js';
import type { H2Stream, StreamFailure, StreamHandler } from './endpoint.js';
import { H2ServerConnection } from './server-connection.js';
import { validateGrpcServerOptions, type GrpcServerOptions, type ResolvedGrpcServerOptions } from './server-options.js';
import { Status } from './status.js';

export type { GrpcServerOptions, ResolvedGrpcServerOptions } from './server-options.js';

/** How a served call ends. */
export interface GrpcServerStatus {
  /** gRPC status code ({@link Status}). */
  readonly code: number;
  /** Sent as `grpc-message` (percent-encoded). */
  readonly details?: string;
  /** Trailers (lower-case names; `-bin` values base64). */
  readonly metadata?: readonly HeaderField[];
}

/** Receives what the client sends on a call. */
export interface GrpcServerCallListener {
  /** One request message (bytes after the 5-byte prefix). */
  onMessage(message: Buffer): void;
  /** The client half-closed (END_STREAM); no more messages. */
  onEnd(): void;
}

/** One call being served. */
export interface GrpcServerCall {
  /** `/pkg.Service/Method`. */
  readonly path: string;
  /** The client's metadata, reserved and pseudo headers removed, as on the wire (`-bin` values base64). */
  readonly metadata: readonly HeaderField[];
  /** Deadline as epoch ms, from `grpc-timeout`. */
  readonly deadline: number | undefined;
  /**
   * Aborted with a PluginError when the call ends early: client RST_STREAM/cancel (`aborted`), deadline
   * (`timeout`), connection lost (`unavailable`), a request the server refuses (`protocol`).
   */
  readonly signal: AbortSignal;
  /** The client's address, e.g. `unix:/path` or `127.0.0.1:port`. */
  readonly peer: string;
  /** The request's `:authority` (grpc-js's `getHost()`), when the client sent one. */
  readonly authority: string | undefined;
  /** Starts delivering request messages (flow-control window returned as they are delivered, unless paused). */
  listen(listener: GrpcServerCallListener): void;
  /** Stops delivering messages and returning window (backpressure of a slow handler). */
  pause(): void;
  /** Delivers again after {@link GrpcServerCall.pause}. */
  resume(): void;
  /** Response headers with optional metadata; implied by the first sendMessage or by end(). Idempotent. */
  sendHeaders(metadata?: readonly HeaderField[]): void;
  /** Sends one response message; `cb` runs when it was handed to the socket (or with the error when the call ended first). */
  sendMessage(message: Uint8Array, cb?: (err?: Error) => void): void;
  /** Ends the call with trailers (grpc-status, grpc-message percent-encoded, metadata); trailers-only when no headers were sent. Later calls are ignored. */
  end(status: GrpcServerStatus): void;
}

/** Serves one call; it answers through the call (synchronously or later). */
export type GrpcServerHandler = (call: GrpcServerCall) => void;

/** One connection being served. */
export interface GrpcServerConnection {
  /** Resolves once the socket is closed. */
  readonly closed: Promise<void>;
  /** GOAWAY, lets running calls finish, then closes the socket. */
  close(): Promise<void>;
  /** Fails every running call (their signals abort) and destroys the socket. */
  abort(reason?: unknown): void;
}

/** Request headers that are not metadata (grpc-go's reserved headers; pseudo-headers are dropped too). */
const RESERVED_IN = new Set([
  'content-type',
  'te',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-message-type',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
  'connection',
  'host',
]);
/** Response metadata names the server sets itself. */
const RESERVED_OUT = new Set(['content-type', 'te', 'grpc-status', 'grpc-message', 'grpc-encoding', 'grpc-accept-encoding', 'connection', 'host']);

const RESPONSE_HEADERS: readonly HeaderField[] = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
const OK_TRAILERS: readonly HeaderField[] = [['grpc-status', '0']];

const TIMEOUT_UNIT: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** Parses a `grpc-timeout` value (1–8 digits and a unit) into milliseconds; undefined when malformed. */
export function parseTimeout(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * TIMEOUT_UNIT[m[2]!]! : undefined;
}

/** `grpc-message` encoding: bytes outside printable ASCII, and `%`, as %XX of their UTF-8 (PROTOCOL-HTTP2.md). */
export function percentEncode(s: string): string {
  if (!/[^\x20-\x24\x26-\x7e]/.test(s)) return s;
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  return out;
}

function userMetadata(fields: readonly HeaderField[], reserved: Set<string>): HeaderField[] {
  const out: HeaderField[] = [];
  for (const f of fields) if (f[0][0] !== ':' && !reserved.has(f[0])) out.push(f);
  return out;
}

function onDeadline(call: ServerCall): void {
  call.expire();
}

/** A call being served: the stream's handler and the handler's view of the call. */
class ServerCall implements GrpcServerCall, StreamHandler {
  path = '';
  authority: string | undefined = undefined;
  metadata: HeaderField[] = [];
  deadline: number | undefined = undefined;
  private listener: GrpcServerCallListener | undefined;
  private paused = false;
  private headersSent = false;
  private done = false;
  private endDelivered = false;
  private controller: AbortController | undefined;
  private abortReason: PluginError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Buffer[] = [];
  private deferred = 0;
  private readonly deframer = new MessageDeframer((flag, len) => this.checkPrefix(flag, len));

  constructor(
    private readonly stream: H2Stream,
    private readonly server: GrpcServer,
  ) {}

  get peer(): string {
    return this.server.peer;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Reads the request headers; answers at once (and returns false) when the call cannot be served. */
  start(fields: HeaderField[], tooLarge: boolean): GrpcServerHandler | undefined {
    if (tooLarge) {
      this.reject(200, Status.RESOURCE_EXHAUSTED, `the request header list is over the server's maxHeaderListSize (${this.server.opts.maxHeaderListSize})`);
      return undefined;
    }
    let method = '';
    let contentType = '';
    let timeout: string | undefined;
    let encoding: string | undefined;
    const metadata = this.metadata;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const n = f[0];
      if (n.charCodeAt(0) === 58 /* : */) {
        if (n === ':method') method = f[1];
        else if (n === ':path') this.path = f[1];
        else if (n === ':authority') this.authority = f[1];
      } else if (n === 'content-type') contentType = f[1];
      else if (n === 'grpc-timeout') timeout = f[1];
      else if (n === 'grpc-encoding') encoding = f[1];
      else if (!RESERVED_IN.has(n)) metadata.push(f);
    }
    if (method !== 'POST') {
      this.reject(405, Status.INTERNAL, `Received a HEADERS frame with :method ${JSON.stringify(method)} which should be POST`);
      return undefined;
    }
    if (contentType !== 'application/grpc' && !/^application\/grpc[+;]/.test(contentType)) {
      this.reject(415, Status.INTERNAL, `invalid gRPC request content-type ${JSON.stringify(contentType)}`);
      return undefined;
    }
    if (timeout !== undefined) {
      const ms = parseTimeout(timeout);
      if (ms === undefined) {
        this.reject(400, Status.INTERNAL, `malformed grpc-timeout: ${JSON.stringify(timeout)}`);
        return undefined;
      }
      this.deadline = Date.now() + ms;
      this.timer = setTimeout(onDeadline, Math.min(Math.ceil(ms), 0x7fffffff), this);
    }
    const handler = this.server.lookup(this.path);
    if (!handler) {
      this.end({ code: Status.UNIMPLEMENTED, details: unknownMethod(this.path) });
      return undefined;
    }
    if (encoding !== undefined && encoding !== 'identity') {
      this.end({ code: Status.UNIMPLEMENTED, details: `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(encoding)}` });
      return undefined;
    }
    return handler;
  }

  listen(listener: GrpcServerCallListener): void {
    this.listener = listener;
    this.deliver();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliver();
  }

  sendHeaders(metadata?: readonly HeaderField[]): void {
    if (this.headersSent || this.done) return;
    this.headersSent = true;
    if (!metadata || metadata.length === 0) this.stream.writeHeaders(RESPONSE_HEADERS, false, true);
    else this.stream.writeHeaders([...RESPONSE_HEADERS, ...userMetadata(metadata, RESERVED_OUT)], false);
  }

  sendMessage(message: Uint8Array, cb?: (err?: Error) => void): void {
    if (this.done) {
      if (cb) process.nextTick(cb, this.abortReason ?? new PluginError('closed', 'the call already ended'));
      return;
    }
    if (!this.headersSent) this.sendHeaders();
    const len = message.length;
    if (len < 16384) {
      // One buffer: room for the DATA frame header, the 5-byte prefix, the message.
      const framed = Buffer.allocUnsafe(14 + len);
      framed[9] = 0;
      framed.writeUInt32BE(len, 10);
      framed.set(message, 14);
      this.stream.writeFramed(framed, false, cb);
      return;
    }
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = 0;
    prefix.writeUInt32BE(len, 1);
    this.stream.write(prefix, false);
    this.stream.write(Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, len), false, cb);
  }

  end(status: GrpcServerStatus): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.queue.length = 0;
    const code = status.code;
    const details = status.details;
    const md = status.metadata;
    if (this.headersSent && code === 0 && !details && (!md || md.length === 0)) {
      this.stream.writeHeaders(OK_TRAILERS, true, true);
      return;
    }
    const fields: HeaderField[] = this.headersSent ? [] : [...RESPONSE_HEADERS];
    fields.push(['grpc-status', String(Number.isInteger(code) && code >= 0 && code <= 16 ? code : Status.UNKNOWN)]);
    if (details) fields.push(['grpc-message', percentEncode(details)]);
    if (md && md.length > 0) for (const f of userMetadata(md, RESERVED_OUT)) fields.push(f);
    this.headersSent = true;
    this.stream.writeHeaders(fields, true);
  }

  /** The deadline passed: DEADLINE_EXCEEDED to the client, RST_STREAM, and the signal aborts. */
  expire(): void {
    this.timer = undefined;
    if (this.done) return;
    this.end({ code: Status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
    this.stream.reset(ErrorCode.CANCEL); // no-op once the trailers went out and the stream closed
    this.abort(new PluginError('timeout', `the call ${this.path} ran past its deadline (grpc-timeout)`, { grpcStatus: Status.DEADLINE_EXCEEDED }));
  }

  // ---- StreamHandler ----

  /** @internal */
  onHeaders(_fields: HeaderField[], endStream: boolean): void {
    if (this.done) return;
    if (!endStream) {
      this.failCall(Status.INTERNAL, 'the host sent a second header block that does not end the stream', 'protocol');
      return;
    }
    this.deliver(); // client trailers: the end of the request
  }

  /** @internal */
  onData(data: Buffer): void {
    if (this.done) return;
    try {
      this.deframer.push(data, this.queue);
    } catch (err) {
      const e = err as { status: number; message: string };
      this.failCall(e.status, e.message, 'protocol');
      return;
    }
    if (this.queue.length > 0) this.deferred += data.length;
    else this.stream.consumed(data.length);
    this.deliver();
  }

  /** @internal */
  onFailure(failure: StreamFailure): void {
    this.done = true;
    this.clearTimer();
    this.queue.length = 0;
    const code: PluginErrorCode = failure.kind === 'reset' ? 'aborted' : failure.kind === 'protocol' ? 'protocol' : 'unavailable';
    const e = failure.error;
    this.abort(e.code === code ? e : new PluginError(code, e.message, { cause: e }));
  }

  // ---- internals ----

  /** Answers a request the server cannot serve with a trailers-only response of HTTP status `http`. */
  private reject(http: number, code: number, details: string): void {
    this.done = true;
    this.headersSent = true;
    const fields: HeaderField[] = [
      [':status', String(http)],
      ['content-type', 'application/grpc'],
      ['grpc-status', String(code)],
      ['grpc-message', percentEncode(details)],
    ];
    this.stream.writeHeaders(fields, true);
  }

  /** Ends the call with `code` because of what the client sent; the handler's signal aborts. */
  private failCall(code: number, details: string, reason: PluginErrorCode): void {
    this.end({ code, details });
    this.stream.reset(ErrorCode.CANCEL);
    this.abort(new PluginError(reason, `the call ${this.path} failed: ${details}`, { grpcStatus: code }));
  }

  private abort(reason: PluginError): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private checkPrefix(flag: number, len: number): void {
    if (flag !== 0) {
      throw flag === 1
        ? { status: Status.INTERNAL, message: 'grpc: compressed flag set with identity or empty encoding' }
        : { status: Status.INTERNAL, message: `grpc: received a message with flag byte ${flag}` };
    }
    const max = this.server.opts.maxReceiveMessageLength;
    if (len > max) throw { status: Status.RESOURCE_EXHAUSTED, message: `grpc: received message larger than max (${len} vs. ${max})` };
  }

  private deliver(): void {
    const listener = this.listener;
    if (!listener || this.done) return;
    while (this.queue.length > 0 && !this.paused && !this.done) listener.onMessage(this.queue.shift()!);
    if (this.queue.length > 0 || this.paused || this.done) return;
    if (this.deferred > 0) {
      this.stream.consumed(this.deferred);
      this.deferred = 0;
    }
    if (this.stream.remoteEnded && !this.endDelivered) {
      if (this.deframer.partial) {
        this.failCall(Status.INTERNAL, 'the host ended the request in the middle of a message', 'protocol');
        return;
      }
      this.endDelivered = true;
      listener.onEnd();
    }
  }
}

/** grpc-go's UNIMPLEMENTED messages for a path nothing serves. */
function unknownMethod(path: string): string {
  const slash = path.lastIndexOf('/');
  if (path[0] !== '/' || slash <= 0) return `malformed method name: ${JSON.stringify(path)}`;
  return `unknown method ${path.slice(slash + 1)} for service ${path.slice(1, slash)}`;
}

/** The gRPC side of one server connection. */
class GrpcServer implements GrpcServerConnection {
  readonly opts: ResolvedGrpcServerOptions;
  readonly peer: string;
  private readonly conn: H2ServerConnection;

  constructor(
    socket: Duplex,
    readonly lookup: (path: string) => GrpcServerHandler | undefined,
    options: GrpcServerOptions | undefined,
  ) {
    this.opts = validateGrpcServerOptions(options);
    this.peer = peerOf(socket);
    const s = socket as Duplex & { setNoDelay?: (on: boolean) => unknown };
    if (typeof s.setNoDelay === 'function') s.setNoDelay(true);
    this.conn = new H2ServerConnection(socket, this.opts, (stream, fields, _end, tooLarge) => this.onRequest(stream, fields, tooLarge));
  }

  get closed(): Promise<void> {
    return this.conn.closed;
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  abort(reason?: unknown): void {
    this.conn.abort(reason ?? new PluginError('aborted', 'the gRPC server connection was aborted'));
  }

  private onRequest(stream: H2Stream, fields: HeaderField[], tooLarge: boolean): void {
    const call = new ServerCall(stream, this);
    stream.handler = call;
    const handler = call.start(fields, tooLarge);
    if (!handler) return;
    try {
      handler(call);
    } catch (err) {
      call.end({ code: Status.UNKNOWN, details: `the handler of ${call.path} threw: ${PluginError.from(err).message}` });
    }
  }
}

function peerOf(socket: Duplex): string {
  const s = socket as Duplex & { remoteAddress?: string; remotePort?: number; localAddress?: string; address?: () => unknown };
  if (s.remoteAddress) return s.remotePort ? `${s.remoteAddress.includes(':') ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort}` : s.remoteAddress;
  const server = (s as { server?: { address?: () => unknown }; _server?: { address?: () => unknown } }).server ?? (s as { _server?: { address?: () => unknown } })._server;
  const addr = server?.address?.();
  if (typeof addr === 'string') return `unix:${addr}`;
  return 'unknown';
}

/**
 * Serves gRPC on one accepted connection (a plain socket with h2c prior knowledge, a TLS socket that negotiated
 * ALPN `h2`, or any Duplex such as a yamux stream). `lookup` maps a path (`/pkg.Service/Method`) to its handler;
 * an unknown path is answered UNIMPLEMENTED without calling anything.
 * @param socket - the accepted duplex byte stream
 * @param lookup - the handler of a path, or undefined
 * @param options - message and header limits, windows, concurrency
 */
export function serveGrpcConnection(socket: Duplex, lookup: (path: string) => GrpcServerHandler | undefined, options?: GrpcServerOptions): GrpcServerConnection {
  return new GrpcServer(socket, lookup, options);
}
