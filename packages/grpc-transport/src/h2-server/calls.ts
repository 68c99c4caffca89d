import { EventEmitter } from 'node:events';
import { Duplex, Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { PluginError } from '@plugwire/core';
import type { GrpcServerCall, GrpcServerStatus } from '@plugwire/h2';
import { toFields, toMetadata } from '../metadata.js';
import { deserializeStatus, errorStatus, serializeStatus, thrownStatus } from './status.js';

/** One method of a service, as the h2 server dispatches it. */
export interface MethodInfo {
  readonly path: string;
  readonly serialize: (value: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly func: (call: never, callback?: never) => unknown;
}

type Callback = grpc.sendUnaryData<unknown>;
const OK: GrpcServerStatus = { code: grpc.status.OK };

/** Runs a user's handler: a throw, or a returned promise that rejects, ends the call as grpc-js answers a throw. */
function invoke(core: GrpcServerCall, method: MethodInfo, call: unknown, callback?: Callback): void {
  try {
    const result = (method.func as (call: unknown, callback?: Callback) => unknown)(call, callback);
    // grpc-js leaves a rejected promise unhandled (and the call open); the plugin process must not die of it.
    if (result !== undefined && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (err: unknown) => core.end(thrownStatus(err)));
    }
  } catch (err) {
    core.end(thrownStatus(err));
  }
}

/** The unary answer of `callback(err, value, trailer)`: grpc-js's rules. */
function respond(core: GrpcServerCall, method: MethodInfo, err: unknown, value: unknown, trailer: grpc.Metadata | undefined): void {
  if (err) {
    core.end(errorStatus(err, trailer));
    return;
  }
  let message: Buffer;
  try {
    message = method.serialize(value);
  } catch (e) {
    core.end(serializeStatus(e));
    return;
  }
  core.sendMessage(message);
  core.end(trailer ? { code: grpc.status.OK, metadata: toFields(trailer) } : OK);
}

/** Sends one streamed message; `done` runs once the core took it (a failed send only happens on a call that ended). */
function sendStreamed(core: GrpcServerCall, method: MethodInfo, chunk: unknown, done: (err?: Error | null) => void): void {
  let message: Buffer;
  try {
    message = method.serialize(chunk);
  } catch (e) {
    core.end(serializeStatus(e));
    done();
    return;
  }
  core.sendMessage(message, () => done());
}

/** The request's :authority when the core gives it, else `localhost` (plugin connections are local). */
function hostOf(core: GrpcServerCall): string {
  return (core as { readonly authority?: string }).authority ?? 'localhost';
}

/** What grpc-js's server calls report for the things the h2 server has no equivalent of. */
function metricsUnsupported(): never {
  throw new PluginError('unimplemented', "per-request ORCA metrics are not supported by plugwire's h2 server; serve with grpcServer: 'grpc-js' to use them");
}

type AuthContext = ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']>;
/** No TLS details: the connection's TLS (AutoMTLS) is checked before any call reaches a handler. */
const NO_AUTH: AuthContext = {};

/**
 * The unary call a handler gets (grpc-js's `ServerUnaryCall`): an EventEmitter, no Node stream, the metadata built
 * on first use. It is also the core call's listener, collecting the one request message.
 */
export class UnaryCall extends EventEmitter implements grpc.ServerUnaryCall<unknown, unknown> {
  request: unknown = undefined;
  private isCancelled = false;
  private watching = false;
  private received = false;
  private failed = false;
  private meta: grpc.Metadata | undefined;

  constructor(
    private readonly core: GrpcServerCall,
    private readonly method: MethodInfo,
  ) {
    super();
  }

  get metadata(): grpc.Metadata {
    return (this.meta ??= toMetadata(this.core.metadata));
  }

  /** @internal The core's listener: one request message. */
  onMessage(message: Buffer): void {
    if (this.failed) return;
    if (this.received) {
      this.failed = true;
      this.core.end({ code: grpc.status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.method.path}` });
      return;
    }
    this.received = true;
    try {
      this.request = this.method.deserialize(message);
    } catch (err) {
      this.failed = true;
      this.core.end(deserializeStatus(err));
    }
  }

  /** @internal The core's listener: the client half-closed; runs the handler. */
  onEnd(): void {
    if (this.failed) return;
    if (!this.received) {
      this.core.end({ code: grpc.status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.method.path}` });
      return;
    }
    const core = this.core;
    const method = this.method;
    invoke(core, method, this, (err, value, trailer) => respond(core, method, err, value, trailer));
  }

  /** True once the client cancelled, the deadline passed or the connection was lost (grpc-js's `cancelled`). */
  get cancelled(): boolean {
    this.watch();
    return this.isCancelled;
  }
  set cancelled(value: boolean) {
    this.isCancelled = value;
  }

  // Cancellation is watched only once something asks (reads `cancelled` or listens for 'cancelled'): a handler that
  // never does costs no AbortSignal listener.
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    const signal = this.core.signal;
    if (signal.aborted) this.isCancelled = true;
    else signal.addEventListener('abort', this, { once: true });
  }
  override on(...args: Parameters<EventEmitter['on']>): this {
    if (args[0] === 'cancelled') this.watch();
    return super.on(...args);
  }
  override addListener(...args: Parameters<EventEmitter['addListener']>): this {
    if (args[0] === 'cancelled') this.watch();
    return super.addListener(...args);
  }
  override once(...args: Parameters<EventEmitter['once']>): this {
    if (args[0] === 'cancelled') this.watch();
    return super.once(...args);
  }
  override prependListener(...args: Parameters<EventEmitter['prependListener']>): this {
    if (args[0] === 'cancelled') this.watch();
    return super.prependListener(...args);
  }
  override prependOnceListener(...args: Parameters<EventEmitter['prependOnceListener']>): this {
    if (args[0] === 'cancelled') this.watch();
    return super.prependOnceListener(...args);
  }

  /** @internal The call's signal aborted: the client cancelled, the deadline passed or the connection was lost. */
  handleEvent(): void {
    this.isCancelled = true;
    this.emit('cancelled', 'cancelled');
  }

  getPeer(): string {
    return this.core.peer;
  }
  sendMetadata(responseMetadata: grpc.Metadata): void {
    this.core.sendHeaders(toFields(responseMetadata));
  }
  getDeadline(): grpc.Deadline {
    return this.core.deadline ?? Infinity;
  }
  getPath(): string {
    return this.method.path;
  }
  getHost(): string {
    return hostOf(this.core);
  }
  getAuthContext(): AuthContext {
    return NO_AUTH;
  }
  getMetricsRecorder(): never {
    return metricsUnsupported();
  }
}

/**
 * A server-streaming call (grpc-js's `ServerWritableStream`): an objectMode Writable whose backpressure is the
 * core's send callback; `end(trailer?)` ends the call OK, an 'error' (or `destroy(err)`) ends it with that error's
 * status, as grpc-js does.
 */
export class WritableCall extends Writable implements grpc.ServerWritableStream<unknown, unknown> {
  request: unknown = undefined;
  cancelled = false;
  private received = false;
  private failed = false;
  private meta: grpc.Metadata | undefined;
  private trailer: grpc.Metadata | undefined;
  private status: GrpcServerStatus | undefined;

  constructor(
    private readonly core: GrpcServerCall,
    private readonly method: MethodInfo,
  ) {
    super({ objectMode: true });
    this.on('error', (err: unknown) => this.failWith(err));
  }

  /**
   * grpc-js: an 'error' ends the call with its status once the messages written before it are sent. Destroying the
   * stream does not end the call (the error of `destroy(err)` included): a `for await (… of call)` loop destroys it
   * (with an AbortError) when it ends, before the handler answers through its callback or the call's end.
   */
  private failWith(err: unknown): void {
    if (this.destroyed) return;
    if (this.writableEnded) {
      this.core.end(errorStatus(err));
      return;
    }
    this.status = errorStatus(err);
    this.end();
  }

  get metadata(): grpc.Metadata {
    return (this.meta ??= toMetadata(this.core.metadata));
  }

  /** @internal */
  onMessage(message: Buffer): void {
    if (this.failed) return;
    if (this.received) {
      this.failed = true;
      this.core.end({ code: grpc.status.UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.method.path}` });
      return;
    }
    this.received = true;
    try {
      this.request = this.method.deserialize(message);
    } catch (err) {
      this.failed = true;
      this.core.end(deserializeStatus(err));
    }
  }

  /** @internal */
  onEnd(): void {
    if (this.failed) return;
    if (!this.received) {
      this.core.end({ code: grpc.status.UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.method.path}` });
      return;
    }
    this.core.signal.addEventListener('abort', this, { once: true });
    invoke(this.core, this.method, this);
  }

  /** @internal */
  handleEvent(): void {
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
    this.destroy();
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    sendStreamed(this.core, this.method, chunk, callback);
  }
  override _final(callback: (error?: Error | null) => void): void {
    callback();
    this.core.end(this.status ?? (this.trailer ? { code: grpc.status.OK, metadata: toFields(this.trailer) } : OK));
  }
  override end(metadata?: unknown): this {
    if (metadata instanceof grpc.Metadata) this.trailer = metadata;
    return super.end();
  }

  getPeer(): string {
    return this.core.peer;
  }
  sendMetadata(responseMetadata: grpc.Metadata): void {
    this.core.sendHeaders(toFields(responseMetadata));
  }
  getDeadline(): grpc.Deadline {
    return this.core.deadline ?? Infinity;
  }
  getPath(): string {
    return this.method.path;
  }
  getHost(): string {
    return hostOf(this.core);
  }
  getAuthContext(): AuthContext {
    return NO_AUTH;
  }
  getMetricsRecorder(): never {
    return metricsUnsupported();
  }
}

/**
 * A client-streaming or bidi call (grpc-js's `ServerReadableStream` / `ServerDuplexStream`, one class as in
 * grpc-js): the readable side pauses the core while its buffer is full, the writable side as {@link WritableCall}.
 * For client streaming the handler's callback answers.
 */
export class DuplexCall extends Duplex implements grpc.ServerDuplexStream<unknown, unknown>, grpc.ServerReadableStream<unknown, unknown> {
  cancelled = false;
  private failed = false;
  private meta: grpc.Metadata | undefined;
  private trailer: grpc.Metadata | undefined;
  private status: GrpcServerStatus | undefined;

  constructor(
    private readonly core: GrpcServerCall,
    private readonly method: MethodInfo,
  ) {
    super({ objectMode: true });
    this.on('error', (err: unknown) => this.failWith(err));
  }

  /**
   * grpc-js: an 'error' ends the call with its status once the messages written before it are sent. Destroying the
   * stream does not end the call (the error of `destroy(err)` included): a `for await (… of call)` loop destroys it
   * (with an AbortError) when it ends, before the handler answers through its callback or the call's end.
   */
  private failWith(err: unknown): void {
    if (this.destroyed) return;
    if (this.writableEnded) {
      this.core.end(errorStatus(err));
      return;
    }
    this.status = errorStatus(err);
    this.end();
  }

  /** Starts the call: the handler runs at once (as grpc-js's, on the request headers), then messages flow. */
  start(clientStreaming: boolean): void {
    const core = this.core;
    core.signal.addEventListener('abort', this, { once: true });
    if (clientStreaming) {
      const method = this.method;
      invoke(core, method, this, (err, value, trailer) => respond(core, method, err, value, trailer));
    } else {
      invoke(core, this.method, this);
    }
    core.listen(this);
  }

  get metadata(): grpc.Metadata {
    return (this.meta ??= toMetadata(this.core.metadata));
  }

  /** @internal */
  onMessage(message: Buffer): void {
    if (this.failed) return;
    let value: unknown;
    try {
      value = this.method.deserialize(message);
    } catch (err) {
      this.failed = true;
      this.core.end(deserializeStatus(err));
      this.destroy();
      return;
    }
    if (!this.push(value)) this.core.pause();
  }

  /** @internal */
  onEnd(): void {
    if (!this.failed) this.push(null);
  }

  /** @internal */
  handleEvent(): void {
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
    this.destroy();
  }

  override _read(): void {
    this.core.resume();
  }
  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    sendStreamed(this.core, this.method, chunk, callback);
  }
  override _final(callback: (error?: Error | null) => void): void {
    callback();
    this.core.end(this.status ?? (this.trailer ? { code: grpc.status.OK, metadata: toFields(this.trailer) } : OK));
  }
  override end(metadata?: unknown): this {
    if (metadata instanceof grpc.Metadata) this.trailer = metadata;
    return super.end();
  }

  getPeer(): string {
    return this.core.peer;
  }
  sendMetadata(responseMetadata: grpc.Metadata): void {
    this.core.sendHeaders(toFields(responseMetadata));
  }
  getDeadline(): grpc.Deadline {
    return this.core.deadline ?? Infinity;
  }
  getPath(): string {
    return this.method.path;
  }
  getHost(): string {
    return hostOf(this.core);
  }
  getAuthContext(): AuthContext {
    return NO_AUTH;
  }
  getMetricsRecorder(): never {
    return metricsUnsupported();
  }
}
