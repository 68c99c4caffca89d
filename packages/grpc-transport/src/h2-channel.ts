// A grpc-js channel (its public `ChannelInterface`) backed by @plugwire/h2: generated grpc-js clients, interceptors
// and `clientOn` run on it unchanged, while the bytes go over plugwire's lean HTTP/2 client instead of grpc-js's
// node:http2 stack. One connection per channel, opened at once and again on the next call if it was lost.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { clientOptions, type TransportTls } from '@plugwire/net';
import * as grpc from '@grpc/grpc-js';
import { toFields, toMetadata } from './metadata.js';
import { PluginError, abortError, waitForExit } from '@plugwire/core';
import {
  createCaller,
  createH2Client,
  startCall,
  unaryCall,
  type CallOptions,
  type FailureHook,
  type GrpcCall,
  type GrpcCaller,
  type H2ClientOptions,
  type H2Connection,
  type HeaderField,
  type MethodDefinition,
} from '@plugwire/h2';

type GrpcJsCall = ReturnType<grpc.ChannelInterface['createCall']>;
type Listener = Parameters<GrpcJsCall['start']>[1];
type MessageContext = Parameters<GrpcJsCall['sendMessageWithContext']>[0];

/** Where an h2 channel connects. */
export interface H2ChannelAddress {
  /** `unix` for a socket path, `tcp` for `host:port`. */
  readonly network: 'unix' | 'tcp';
  /** The socket path or `host:port`, as the handshake line gave it. */
  readonly address: string;
}

let callNumber = 0;

/** Options of a call that gave none: no receive limit, as go-plugin sets none. */
const UNLIMITED: CallOptions = Object.freeze({ maxReceiveMessageLength: 0x7fffffff });

/** One grpc-js call carried by an h2 call. */
class H2JsCall implements GrpcJsCall {
  private call: GrpcCall | undefined;
  private readonly number = ++callNumber;
  private early: (() => void)[] | undefined = [];

  constructor(
    private readonly channel: H2Channel,
    private readonly path: string,
    private readonly deadline: grpc.Deadline,
  ) {}

  start(metadata: grpc.Metadata, listener: Listener): void {
    const deadline = this.deadline instanceof Date ? this.deadline.getTime() : this.deadline;
    let conn: H2Connection;
    try {
      conn = this.channel.connection();
    } catch (err) {
      const details = PluginError.from(err).message;
      process.nextTick(() => listener.onReceiveStatus({ code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() }));
      return;
    }
    // grpc-js expects events after start() returns: hold any that fire during it (e.g. a lost connection).
    const later = (f: () => void): void => {
      if (this.early) this.early.push(f);
      else f();
    };
    this.call = startCall(
      conn,
      this.path,
      { metadata: toFields(metadata), deadline: Number.isFinite(deadline) ? deadline : undefined, maxReceiveMessageLength: 0x7fffffff },
      {
        onMetadata: (fields) => later(() => listener.onReceiveMetadata(toMetadata(fields))),
        onMessage: (message) => later(() => listener.onReceiveMessage(message)),
        onStatus: (status) =>
          later(() => listener.onReceiveStatus({ code: status.code, details: status.details, metadata: toMetadata(status.metadata) })),
      },
    );
    const held = this.early;
    this.early = undefined;
    if (held && held.length > 0) process.nextTick(() => held.forEach((f) => f()));
  }

  sendMessageWithContext(context: MessageContext, message: Buffer): void {
    this.call?.sendMessage(message, (err) => context.callback?.(err ?? null));
  }

  startRead(): void {
    this.call?.read();
  }

  halfClose(): void {
    this.call?.halfClose();
  }

  cancelWithStatus(status: grpc.status, details: string): void {
    this.call?.cancel(status, details);
  }

  getPeer(): string {
    return this.channel.getTarget();
  }

  getCallNumber(): number {
    return this.number;
  }

  setCredentials(): void {
    // Plaintext h2c: per-call credentials have nowhere to go, as with grpc-js's insecure channel.
  }

  getAuthContext(): null {
    return null;
  }
}

function stopReason(stop: AbortSignal): PluginError {
  const reason: unknown = stop.reason;
  return reason instanceof PluginError
    ? reason
    : new PluginError('exited', 'the plugin process exited before the call completed; restart the plugin', { cause: reason });
}

/**
 * A grpc-js `ChannelInterface` over an @plugwire/h2 connection. Pass it as `channelOverride` to a generated client
 * (or use `clientOn`); `close()` closes the connection.
 */
export class H2Channel implements grpc.ChannelInterface {
  private conn: H2Connection | undefined;
  private closed = false;
  private readonly watchers = new Set<() => void>();
  private stop: AbortSignal | undefined;
  /** Default deadline of unary and client-streaming {@link caller} calls (the Client's `callTimeout`), in ms. @internal */
  callTimeout: number | undefined;
  private direct: GrpcCaller | undefined;
  private callerConn: H2Connection | undefined;
  private connCaller: GrpcCaller | undefined;

  /**
   * @param address - unix socket path or host:port
   * @param options - h2 client options
   * @param tls - TLS to dial with (ALPN h2) @default none (h2c)
   */
  constructor(
    private readonly address: H2ChannelAddress,
    private readonly options: H2ClientOptions = {},
    private readonly tls?: TransportTls,
  ) {
    this.conn = this.open();
  }

  private open(): H2Connection {
    const at = this.address.address.lastIndexOf(':');
    const where =
      this.address.network === 'unix'
        ? { path: this.address.address }
        : { host: this.address.address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(this.address.address.slice(at + 1)) };
    let socket: Socket;
    if (this.tls) {
      // TLS with ALPN h2 (what grpc-go servers require); the preface waits in the TLS socket for the handshake.
      const secured = tlsConnect({ ...clientOptions(this.tls, ['h2']), ...where });
      secured.once('secureConnect', () => {
        if (secured.alpnProtocol !== 'h2') secured.destroy(new PluginError('unavailable', 'the plugin did not agree to HTTP/2 over TLS (ALPN h2)'));
      });
      socket = secured;
    } else {
      socket = connect(where);
      if (!('path' in where)) socket.setNoDelay(true);
    }
    const conn = createH2Client(socket, this.tls ? { scheme: 'https', ...this.options } : this.options);
    void conn.closed.then(() => this.changed());
    return conn;
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }

  /** The connection to call on, reconnecting once a previous one was lost. @internal */
  connection(): H2Connection {
    if (this.closed) throw new PluginError('closed', 'the channel is closed');
    if (!this.conn || this.conn.error) this.conn = this.open();
    return this.conn;
  }

  /**
   * Ends every call on this channel with the reason of `stop` when it fires (the plugin exited, the connection
   * closed), and fails later calls of {@link caller} at once. @internal
   */
  stopWith(stop: AbortSignal): void {
    this.stop = stop;
    stop.addEventListener('abort', () => this.conn?.abort(stopReason(stop)), { once: true });
  }

  /**
   * The four call kinds straight on the h2 connection, without grpc-js's client layer: what the typed promise
   * client uses on this channel. Failures are `PluginError`s with the codes grpc-js calls on this channel get
   * through `toPluginError` (`exited`/`closed` once the stop signal fired, `timeout`, `unimplemented`, ...); a call
   * whose `signal` fired rejects with that signal's reason (`aborted`, or `timeout` for `AbortSignal.timeout`).
   * Responses may be of any size (go-plugin sets no limit) unless `maxReceiveMessageLength` says otherwise.
   * @param exited - a signal besides the channel's own stop signal whose firing turns `unavailable` failures into
   *   its reason's code (`exited`, `closed`) @default the channel's stop signal only
   */
  caller(exited?: AbortSignal): GrpcCaller {
    if (exited !== undefined && exited !== this.stop) return this.makeCaller(exited);
    this.direct ??= this.makeCaller(undefined);
    return this.direct;
  }

  private makeCaller(exited: AbortSignal | undefined): GrpcCaller {
    // Built once per caller, so that a call allocates no closures for its failure path.
    const fail = (e: PluginError, o: CallOptions): PluginError | Promise<never> => this.fail(e, o, exited, undefined);
    const failCallTimeout = (e: PluginError, o: CallOptions): PluginError | Promise<never> => this.fail(e, o, exited, this.callTimeout);
    const unary = <Req, Res>(m: MethodDefinition<Req, Res>, req: Req, o: CallOptions = UNLIMITED): Promise<Res> => {
      const ms = this.callTimeout;
      const withDefault = ms !== undefined && o.deadline === undefined;
      const opts = withDefault ? { ...o, deadline: Date.now() + ms } : o;
      let conn: H2Connection;
      try {
        conn = this.liveConnection();
      } catch (err) {
        return this.settle(PluginError.from(err), opts, fail);
      }
      return unaryCall(conn, m, req, opts.maxReceiveMessageLength === undefined ? { ...opts, maxReceiveMessageLength: UNLIMITED.maxReceiveMessageLength } : opts, withDefault ? failCallTimeout : fail);
    };
    const streamOpts = (o: CallOptions | undefined): CallOptions => (o === undefined ? UNLIMITED : o.maxReceiveMessageLength === undefined ? { ...o, maxReceiveMessageLength: UNLIMITED.maxReceiveMessageLength } : o);
    return {
      unary,
      clientStream: <Req, Res>(m: MethodDefinition<Req, Res>, reqs: AsyncIterable<Req> | Iterable<Req>, o?: CallOptions) => {
        const given = streamOpts(o);
        const ms = this.callTimeout;
        const withDefault = ms !== undefined && given.deadline === undefined;
        const opts = withDefault ? { ...given, deadline: Date.now() + ms } : given;
        let p: Promise<Res>;
        try {
          p = this.current().clientStream(m, reqs, opts);
        } catch (err) {
          return this.settle(PluginError.from(err), opts, fail);
        }
        return p.catch((err: unknown) => this.settle(PluginError.from(err), opts, withDefault ? failCallTimeout : fail));
      },
      serverStream: <Req, Res>(m: MethodDefinition<Req, Res>, req: Req, o?: CallOptions) => {
        const opts = streamOpts(o);
        return this.stream(() => this.current().serverStream(m, req, opts), opts, fail);
      },
      bidiStream: <Req, Res>(m: MethodDefinition<Req, Res>, reqs: AsyncIterable<Req> | Iterable<Req>, o?: CallOptions) => {
        const opts = streamOpts(o);
        return this.stream(() => this.current().bidiStream(m, reqs, opts), opts, fail);
      },
    };
  }

  /** A failure as a rejected promise, through `fail`. */
  private settle<T>(e: PluginError, o: CallOptions, fail: FailureHook): Promise<T> {
    const out = fail(e, o);
    return out instanceof Promise ? out : Promise.reject(out);
  }

  /**
   * What a failed call rejects with: the caller's abort when its signal fired; the default deadline named when
   * `callTimeout` (ms) ended it; else the loss of the connection reported as its stop reason ({@link lost}).
   */
  private fail(e: PluginError, o: CallOptions, exited: AbortSignal | undefined, callTimeout: number | undefined): PluginError | Promise<never> {
    if (o.signal?.aborted) return abortError(o.signal, 'gRPC call');
    if (callTimeout !== undefined && e.code === 'timeout' && e.grpcStatus === 4) {
      return new PluginError('timeout', `no answer within ${callTimeout} ms (the default call deadline, callTimeout); the plugin may have stopped answering`, { cause: e, grpcStatus: 4 });
    }
    if (e.code !== 'unavailable') return e;
    if (exited?.aborted) {
      // Lost because the caller's own exit signal fired: say why it ended.
      const reason = stopReason(exited);
      return new PluginError(reason.code, e.message, { cause: e, ...(e.grpcStatus !== undefined && { grpcStatus: e.grpcStatus }) });
    }
    if (!this.stop || (!this.stop.aborted && !this.conn?.error)) return e;
    return this.lost(e);
  }

  /** The live connection; throws the stop reason once the stop signal fired. */
  private liveConnection(): H2Connection {
    if (this.stop?.aborted) throw stopReason(this.stop);
    return this.connection();
  }

  /** The caller of the live connection; throws the stop reason once the stop signal fired. */
  private current(): GrpcCaller {
    if (this.stop?.aborted) throw stopReason(this.stop);
    const conn = this.connection();
    if (conn !== this.callerConn || !this.connCaller) {
      this.callerConn = conn;
      this.connCaller = createCaller(conn);
    }
    return this.connCaller;
  }

  /**
   * A call lost with the connection: a killed plugin's socket closes just before the host sees it exit, so give the
   * stop signal a moment and then report its reason (`exited`) rather than `unavailable`.
   */
  private async lost(e: PluginError): Promise<never> {
    if (!this.stop || !(await waitForExit(this.stop))) throw e;
    const reason = stopReason(this.stop);
    throw new PluginError(reason.code, reason.message, { cause: e, ...(e.grpcStatus !== undefined && { grpcStatus: e.grpcStatus }) });
  }

  /** A response stream whose failures go through {@link fail}; started on the first `next()`. */
  private stream<Res>(start: () => AsyncIterable<Res>, o: CallOptions, fail: FailureHook): AsyncIterable<Res> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<Res> => {
        let it: AsyncIterator<Res> | undefined;
        try {
          it = start()[Symbol.asyncIterator]();
        } catch (err) {
          const failed = this.settle<IteratorResult<Res>>(PluginError.from(err), o, fail);
          failed.catch(() => {});
          return { next: () => failed, return: () => Promise.resolve({ value: undefined, done: true }) };
        }
        const inner = it;
        return {
          next: () => inner.next().catch((err: unknown) => this.settle(PluginError.from(err), o, fail)),
          return: () => inner.return?.() ?? Promise.resolve({ value: undefined, done: true }),
        };
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn?.abort(new PluginError('closed', 'the channel was closed'));
    this.changed();
  }

  getTarget(): string {
    return this.address.network === 'unix' ? `unix:${this.address.address}` : this.address.address;
  }

  getConnectivityState(tryToConnect: boolean): grpc.connectivityState {
    if (this.closed) return grpc.connectivityState.SHUTDOWN;
    if (!this.conn || this.conn.error) {
      if (tryToConnect) this.conn = this.open();
      else return grpc.connectivityState.IDLE;
    }
    return this.conn.ready ? grpc.connectivityState.READY : grpc.connectivityState.CONNECTING;
  }

  watchConnectivityState(currentState: grpc.connectivityState, deadline: Date | number, callback: (error?: Error) => void): void {
    if (this.getConnectivityState(false) !== currentState) return void process.nextTick(callback);
    const ms = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
    const done = (err?: Error): void => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
      callback(err);
    };
    const watcher = (): void => {
      if (this.getConnectivityState(false) !== currentState) done();
    };
    const timer = setTimeout(() => done(new Error('Deadline passed without connectivity state change')), Math.max(0, Math.min(ms, 0x7fffffff)));
    this.watchers.add(watcher);
  }

  getChannelzRef(): ReturnType<grpc.ChannelInterface['getChannelzRef']> {
    return { kind: 'channel', id: 0, name: this.getTarget() } as ReturnType<grpc.ChannelInterface['getChannelzRef']>;
  }

  createCall(method: string, deadline: grpc.Deadline): GrpcJsCall {
    return new H2JsCall(this, method, deadline);
  }
}
