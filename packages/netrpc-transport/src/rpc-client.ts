// A Go net/rpc client over any byte stream: concurrent calls matched by Seq, one gob stream each way.
import type { Duplex } from 'node:stream';
import { closeStream } from './close-stream.js';
import { type AbortOptions, PluginError, type Resource, abortError, waitForExit } from '@plugwire/core';
import { type GobType, type GobValue, createDecoder, createEncoder } from '@plugwire/gob';
import { RequestHeader, ResponseHeader } from './wire.js';

/** Options of one call. */
export interface CallOptions<R> extends AbortOptions {
  /** Go type of the reply: checked on receipt (a Go peer's reply decodes without it too). */
  readonly reply?: GobType<R>;
}

/** A net/rpc client (Go's `*rpc.Client`) on one connection. */
export interface RpcClient extends Resource {
  /**
   * Calls `Service.Method` with `arg` (a value with its Go type, `gob.value(gob.string, 'key')`) and resolves with
   * the reply. A server error rejects with a `PluginError` of code `remote` carrying the server's text; a lost
   * connection with `unavailable` (`exited` once the plugin died); a closed client with `closed`.
   * @param serviceMethod - e.g. `Plugin.Get`
   * @param arg - the argument and its Go type
   * @param options - reply type and signal
   */
  call<R = unknown>(serviceMethod: string, arg: GobValue, options?: CallOptions<R>): Promise<R>;
  /** Settles when the connection is gone (closed by either side, or failed). */
  readonly closed: Promise<void>;
}

interface Pending {
  readonly method: string;
  readonly reply: GobType | undefined;
  resolve(value: unknown): void;
  reject(err: PluginError): void;
}

/**
 * One call waiting for its reply. It is its own 'abort' listener on the caller's signal and its timer's argument, so
 * that a call allocates no closures besides its promise's.
 */
class PendingCall implements Pending {
  timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly table: Map<number, Pending>,
    private readonly seq: number,
    readonly method: string,
    readonly reply: GobType | undefined,
    private readonly res: (value: unknown) => void,
    private readonly rej: (err: PluginError) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** No answer within the default deadline. */
  handleTimeout(ms: number): void {
    this.table.delete(this.seq);
    this.reject(new PluginError('timeout', `net/rpc: no answer to ${this.method} within ${ms} ms (the default call deadline, callTimeout)`));
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.table.delete(this.seq);
    this.reject(abortError(this.signal as AbortSignal, `call ${this.method}`));
  }

  resolve(value: unknown): void {
    this.done();
    this.res(value);
  }

  reject(err: PluginError): void {
    this.done();
    this.rej(err);
  }

  private done(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
  }
}

/** The default deadline (callTimeout) of a call passed. */
function expire(call: PendingCall, ms: number): void {
  call.timer = undefined;
  call.handleTimeout(ms);
}

type ResponseValue = { ServiceMethod: string; Seq: number | bigint; Error: string };

class StreamRpcClient implements RpcClient {
  private readonly encoder = createEncoder();
  private readonly decoder = createDecoder();
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private header: ResponseValue | undefined;
  private failure: PluginError | undefined;
  private markClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  private readonly exited: AbortSignal | undefined;
  private readonly callTimeout: number | undefined;

  constructor(
    private readonly stream: Duplex,
    options: RpcClientOptions,
  ) {
    this.exited = options.exited;
    this.callTimeout = options.callTimeout;
    stream.on('data', (chunk: Uint8Array) => this.onData(chunk));
    stream.on('end', () => {
      this.fail(new PluginError('unavailable', 'net/rpc: the peer closed the connection (unexpected EOF); the plugin may have exited'));
      // Nothing more can be answered: end this side too, so the connection is released.
      if (!stream.writableEnded) stream.end();
    });
    stream.on('error', (err: Error) =>
      // A PluginError (the session's end, the plugin's exit) says more than any wrapping would.
      this.fail(err instanceof PluginError ? err : new PluginError('unavailable', `net/rpc: connection failed: ${err.message}`, { cause: err })),
    );
    stream.on('close', () => {
      this.fail(new PluginError('unavailable', 'net/rpc: the connection is shut down'));
      this.markClosed();
    });
  }

  call<R = unknown>(serviceMethod: string, arg: GobValue, options: CallOptions<R> = {}): Promise<R> {
    if (this.failure) return Promise.reject(this.truthful(this.failure));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal, `call ${serviceMethod}`));
    this.seq += 1;
    const seq = this.seq;
    let bytes: Uint8Array;
    try {
      bytes = this.encoder.encodeAll([{ type: RequestHeader, value: { ServiceMethod: serviceMethod, Seq: seq } }, arg]);
    } catch (err) {
      return Promise.reject(PluginError.from(err, 'invalid_argument'));
    }
    return new Promise<R>((resolve, reject) => {
      const call = new PendingCall(this.pending, seq, serviceMethod, options.reply, resolve as (v: unknown) => void, reject, signal);
      signal?.addEventListener('abort', call, { once: true });
      if (this.callTimeout !== undefined) call.timer = setTimeout(expire, this.callTimeout, call, this.callTimeout);
      this.pending.set(seq, call);
      this.stream.write(bytes);
    });
  }

  private onData(chunk: Uint8Array): void {
    if (this.failure) return;
    this.decoder.push(chunk);
    try {
      for (;;) {
        if (this.header === undefined) {
          const h = this.decoder.next(ResponseHeader);
          if (h === undefined) return;
          this.header = h.value;
        }
        const header = this.header;
        const call = typeof header.Seq === 'number' ? this.pending.get(header.Seq) : undefined;
        let body;
        try {
          body = this.decoder.next(header.Error === '' ? call?.reply : undefined);
        } catch (err) {
          // A reply of the wrong Go type fails that call only, when the stream is still in step.
          const e = PluginError.from(err, 'protocol');
          if (call === undefined || this.decoder.failed) throw e;
          this.settle(header);
          call.reject(e);
          continue;
        }
        if (body === undefined) return;
        const value = body.value;
        if (call === undefined) {
          this.header = undefined; // a reply to a cancelled call: dropped, as Go drops unknown Seqs
          continue;
        }
        this.settle(header);
        if (header.Error !== '') call.reject(new PluginError('remote', header.Error));
        else call.resolve(value);
      }
    } catch (err) {
      const e = PluginError.from(err, 'protocol');
      this.fail(e);
      this.stream.destroy();
    }
  }

  private settle(header: ResponseValue): void {
    this.header = undefined;
    if (typeof header.Seq === 'number') this.pending.delete(header.Seq);
  }

  /** A lost connection of a plugin that has since exited is reported as its exit. */
  private truthful(err: PluginError): PluginError {
    const reason: unknown = this.exited?.reason;
    return err.code === 'unavailable' && this.exited?.aborted === true && reason instanceof PluginError ? reason : err;
  }

  private fail(err: PluginError): void {
    if (!this.failure || (this.failure.code === 'unavailable' && err.code === 'exited')) this.failure = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    if (pending.length === 0) return;
    const failure = this.failure;
    if (failure.code === 'unavailable' && this.exited !== undefined && !this.exited.aborted) {
      // A killed plugin's connection drops a moment before the host sees the exit: wait for it to say `exited`.
      void waitForExit(this.exited).then(() => {
        for (const p of pending) p.reject(this.truthful(failure));
      });
      return;
    }
    for (const p of pending) p.reject(this.truthful(failure));
  }

  async close(): Promise<void> {
    this.fail(new PluginError('closed', 'net/rpc: the client was closed (connection is shut down)'));
    await closeStream(this.stream);
    this.markClosed();
  }

  abort(reason?: unknown): void {
    this.fail(reason instanceof PluginError ? reason : new PluginError('closed', 'net/rpc: the client was aborted', { cause: reason }));
    this.stream.destroy();
    this.markClosed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Options of {@link createRpcClient}. */
export interface RpcClientOptions {
  /**
   * Fires when the plugin process exits: calls lost with the connection, and calls made after it, then reject with
   * its reason (`exited`) instead of `unavailable`. @default none
   */
  readonly exited?: AbortSignal;
  /** Deadline of every call, in ms: past it the call rejects with `timeout` (its reply, if any, is dropped). @default none */
  readonly callTimeout?: number;
}

/**
 * A net/rpc client on `stream` (Go's `rpc.NewClient(conn)`): one gob encoder and decoder for the connection.
 * @param stream - a connected byte stream (a yamux stream, a socket)
 * @param options - the plugin's exit signal
 */
export function createRpcClient(stream: Duplex, options: RpcClientOptions = {}): RpcClient {
  return new StreamRpcClient(stream, options);
}
