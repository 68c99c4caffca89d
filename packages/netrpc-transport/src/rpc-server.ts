// A Go net/rpc server over any byte stream: reads request headers and bodies, runs calls concurrently (as Go runs
// each in its own goroutine) and answers each with a response header and body.
import type { Duplex } from 'node:stream';
import { closeStream } from './close-stream.js';
import { PluginError, type Resource } from '@plugwire/core';
import { type GobType, createDecoder, createEncoder } from '@plugwire/gob';
import type { AnyNetRpcMethod, NetRpcService } from './service.js';
import { InvalidRequest, RequestHeader, ResponseHeader } from './wire.js';

/** One connection being served. */
export interface RpcServer extends Resource {
  /** Settles when the connection is gone (closed by the peer or by `close`/`abort`, or failed). */
  readonly done: Promise<void>;
}

/** Options of {@link serveRpc}. */
export interface ServeRpcOptions {
  /** Called when the peer sent bytes that break net/rpc or gob; the connection is then dropped. */
  readonly onError?: (err: PluginError) => void;
}

type RequestValue = { ServiceMethod: string; Seq: number | bigint };

class StreamRpcServer implements RpcServer {
  private readonly encoder = createEncoder();
  private readonly decoder = createDecoder();
  private readonly calls = new AbortController();
  private header: RequestValue | undefined;
  private target: AnyNetRpcMethod | string | undefined;
  private finished = false;
  private ending = false;
  private inflight = 0;
  private markDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.markDone = resolve;
  });

  constructor(
    private readonly stream: Duplex,
    private readonly services: Readonly<Record<string, NetRpcService>>,
    private readonly options: ServeRpcOptions,
  ) {
    stream.on('data', (chunk: Uint8Array) => this.onData(chunk));
    stream.on('end', () => {
      // The peer is done sending: like Go's server, answer the calls still running, then close.
      this.ending = true;
      this.maybeEnd();
    });
    stream.on('error', () => this.finish(new PluginError('unavailable', 'net/rpc: the connection failed')));
    stream.on('close', () => this.finish(new PluginError('closed', 'net/rpc: the connection is shut down')));
  }

  /** The method a request names, or Go's error text for it. */
  private lookup(serviceMethod: string): AnyNetRpcMethod | string {
    const dot = serviceMethod.lastIndexOf('.');
    if (dot < 0) return `rpc: service/method request ill-formed: ${serviceMethod}`;
    const service = this.services[serviceMethod.slice(0, dot)];
    if (service === undefined || !Object.hasOwn(this.services, serviceMethod.slice(0, dot))) {
      return `rpc: can't find service ${serviceMethod}`;
    }
    const name = serviceMethod.slice(dot + 1);
    const m = Object.hasOwn(service, name) ? service[name] : undefined;
    return m ?? `rpc: can't find method ${serviceMethod}`;
  }

  private onData(chunk: Uint8Array): void {
    if (this.finished) return;
    this.decoder.push(chunk);
    try {
      for (;;) {
        if (this.header === undefined) {
          const h = this.decoder.next(RequestHeader);
          if (h === undefined) return;
          this.header = h.value;
          this.target = this.lookup(h.value.ServiceMethod);
        }
        const header = this.header;
        const target = this.target;
        let body;
        try {
          body = this.decoder.next(typeof target === 'string' ? undefined : target?.arg);
        } catch (err) {
          const e = PluginError.from(err, 'protocol');
          if (this.decoder.failed) throw e;
          this.header = undefined;
          this.respond(header, undefined, e.message);
          continue;
        }
        if (body === undefined) return;
        this.header = undefined;
        if (typeof target === 'string' || target === undefined) this.respond(header, undefined, target ?? 'rpc: internal error');
        else this.run(header, target, body.value);
      }
    } catch (err) {
      const e = PluginError.from(err, 'protocol');
      this.options.onError?.(e);
      this.finish(e);
      this.stream.destroy();
    }
  }

  private maybeEnd(): void {
    if (!this.ending || this.inflight > 0) return;
    this.finish(new PluginError('closed', 'net/rpc: the client closed the connection'));
    if (!this.stream.writableEnded) this.stream.end();
  }

  private run(header: RequestValue, m: AnyNetRpcMethod, arg: unknown): void {
    let result: unknown;
    try {
      result = (m.handler as (a: unknown, c: { signal: AbortSignal }) => unknown)(arg, { signal: this.calls.signal });
    } catch (err) {
      this.respond(header, undefined, errorText(err));
      return;
    }
    if (!(result instanceof Promise)) {
      this.respond(header, { type: m.reply, value: result }, '');
      return;
    }
    this.inflight++;
    result.then(
      (reply: unknown) => this.respond(header, { type: m.reply, value: reply }, ''),
      (err: unknown) => this.respond(header, undefined, errorText(err)),
    ).finally(() => {
      this.inflight--;
      this.maybeEnd();
    });
  }

  private respond(header: RequestValue, reply: { type: GobType; value: unknown } | undefined, error: string): void {
    if (this.finished || this.stream.destroyed || this.stream.writableEnded) return;
    const head = (text: string): { type: GobType; value: unknown } => ({
      type: ResponseHeader,
      value: { ServiceMethod: header.ServiceMethod, Seq: header.Seq, Error: text },
    });
    let bytes: Uint8Array;
    if (error === '' && reply !== undefined) {
      try {
        bytes = this.encoder.encodeAll([head(''), reply]);
      } catch (err) {
        // The handler returned a value that does not fit its declared reply type: the caller gets the reason.
        const text = `plugwire: reply of ${header.ServiceMethod} does not fit its Go type: ${errorText(err)}`;
        bytes = this.encoder.encodeAll([head(text), { type: InvalidRequest, value: {} }]);
      }
    } else {
      bytes = this.encoder.encodeAll([head(error), { type: InvalidRequest, value: {} }]);
    }
    // A peer that sends calls but does not read replies is not read further until the replies drain, so
    // replies cannot pile up without bound (Go's server blocks on the write the same way).
    if (!this.stream.write(bytes) && !this.stream.isPaused()) {
      this.stream.pause();
      this.stream.once('drain', () => this.stream.resume());
    }
  }

  private finish(reason: PluginError): void {
    if (this.finished) return;
    this.finished = true;
    this.calls.abort(reason);
    this.markDone();
  }

  async close(): Promise<void> {
    this.finish(new PluginError('closed', 'net/rpc: the server was closed'));
    await closeStream(this.stream);
  }

  abort(reason?: unknown): void {
    this.finish(reason instanceof PluginError ? reason : new PluginError('closed', 'net/rpc: the server was aborted', { cause: reason }));
    this.stream.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The net/rpc error text for a thrown value: never empty, since an empty text means success on the wire. */
function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text === '' ? 'error' : text;
}

/**
 * Serves several net/rpc services on one connection, e.g. go-plugin's `Control` and `Dispenser`.
 * @param stream - the connection
 * @param services - services by name
 * @param options - error hook
 */
export function serveRpcServices(
  stream: Duplex,
  services: Readonly<Record<string, NetRpcService>>,
  options: ServeRpcOptions = {},
): RpcServer {
  return new StreamRpcServer(stream, services, options);
}

/**
 * Serves `service` under `name` on one connection: go-plugin's `MuxBroker.AcceptAndServe` after the accept,
 * with `name` usually `"Plugin"`.
 * @param stream - the connection
 * @param name - the service name callers use (`Plugin` in `Plugin.Get`)
 * @param service - the methods
 * @param options - error hook
 */
export function serveRpc(stream: Duplex, name: string, service: NetRpcService, options: ServeRpcOptions = {}): RpcServer {
  return new StreamRpcServer(stream, { [name]: service }, options);
}
