// Promise and async-iterator calls over a GrpcCall, driven by grpc-js method definitions (ts-proto's
// `outputServices=grpc-js` output and @grpc/proto-loader's definitions both carry path, serializers and the two
// streaming flags). This is the transport-neutral shape a typed client can call through.
import { PluginError, type AbortOptions } from '@plugwire/core';
import type { H2Connection } from './connection.js';
import type { HeaderField } from './hpack/dynamic-table.js';
import { startCall, type GrpcCall, type GrpcCallListener, type GrpcCallOptions } from './grpc-call.js';
import { Status, statusError, type GrpcStatus } from './status.js';

/** The parts of a grpc-js `MethodDefinition` a call needs. */
export interface MethodDefinition<Req, Res> {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** True for client-streaming and bidi methods. */
  readonly requestStream: boolean;
  /** True for server-streaming and bidi methods. */
  readonly responseStream: boolean;
  /** Encodes a request message. */
  readonly requestSerialize: (value: Req) => Buffer;
  /** Decodes a response message. */
  readonly responseDeserialize: (bytes: Buffer) => Res;
}

/** Options of one call. */
export interface CallOptions extends AbortOptions {
  /** Request metadata (lower-case names; `-bin` names take Buffers, sent base64). */
  readonly metadata?: Readonly<Record<string, string | Buffer>>;
  /** Deadline: epoch milliseconds or a Date. */
  readonly deadline?: number | Date;
  /**
   * Largest response message accepted.
   * @default 4194304
   */
  readonly maxReceiveMessageLength?: number;
}

/** The four call kinds, over some transport: what a typed client needs to call a plugin. */
export interface GrpcCaller {
  /** A unary call. */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  /** A server-streaming call; breaking out of the loop cancels it. */
  serverStream<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, options?: CallOptions): AsyncIterable<Res>;
  /** A client-streaming call: sends every request, then resolves with the response. */
  clientStream<Req, Res>(method: MethodDefinition<Req, Res>, requests: AsyncIterable<Req> | Iterable<Req>, options?: CallOptions): Promise<Res>;
  /** A bidi call: requests are sent as the iterable yields them while responses are read. */
  bidiStream<Req, Res>(method: MethodDefinition<Req, Res>, requests: AsyncIterable<Req> | Iterable<Req>, options?: CallOptions): AsyncIterable<Res>;
}

function metadataFields(md: Readonly<Record<string, string | Buffer>> | undefined): HeaderField[] | undefined {
  if (!md) return undefined;
  const out: HeaderField[] = [];
  for (const [name, value] of Object.entries(md)) {
    const n = name.toLowerCase();
    if (!/^[0-9a-z_.-]+$/.test(n)) throw new PluginError('invalid_argument', `invalid metadata name ${JSON.stringify(name)}`);
    if (n.endsWith('-bin')) out.push([n, (Buffer.isBuffer(value) ? value : Buffer.from(value)).toString('base64')]);
    else {
      if (typeof value !== 'string' || /[^\x20-\x7e]/.test(value)) {
        throw new PluginError('invalid_argument', `metadata ${JSON.stringify(name)} must be printable ASCII (use a -bin name for bytes)`);
      }
      out.push([n, value]);
    }
  }
  return out;
}

function deadlineOf(options: CallOptions): number | undefined {
  const d = options.deadline;
  return d instanceof Date ? d.getTime() : d;
}

function decode<Req, Res>(method: MethodDefinition<Req, Res>, bytes: Buffer): Res {
  try {
    return method.responseDeserialize(bytes);
  } catch (err) {
    throw new PluginError('protocol', `the plugin sent a response ${method.path} cannot decode: ${PluginError.from(err).message}`, { cause: err });
  }
}

function encode<Req, Res>(method: MethodDefinition<Req, Res>, value: Req): Buffer {
  try {
    return method.requestSerialize(value);
  } catch (err) {
    throw new PluginError('invalid_argument', `the request of ${method.path} cannot be encoded: ${PluginError.from(err).message}`, { cause: err });
  }
}

/** Collects a call's single response: resolves on OK with exactly one message. */
function single<Req, Res>(method: MethodDefinition<Req, Res>, start: (listener: Parameters<typeof startCall>[3]) => GrpcCall): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    start(new UnaryListener(method, resolve, reject));
  });
}

/**
 * Rewrites a failed call's error before its promise settles: returns the error to reject with, or a promise that
 * settles the call later (one that rejects, e.g. after waiting for the plugin's exit).
 */
export type FailureHook = (error: PluginError, options: CallOptions) => PluginError | Promise<never>;

/**
 * The listener of a call with one response, as one object (no closures per call): resolves on OK with exactly one
 * decoded message, else rejects with the status's error, through `fail` when given.
 */
class UnaryListener<Req, Res> implements GrpcCallListener {
  private response: Buffer | undefined;
  private count = 0;

  constructor(
    private readonly method: MethodDefinition<Req, Res>,
    private readonly resolve: (value: Res | PromiseLike<Res>) => void,
    private readonly reject: (reason: unknown) => void,
    private readonly fail?: FailureHook,
    private readonly options?: CallOptions,
  ) {}

  onMessage(m: Buffer): void {
    this.response = m;
    this.count++;
  }

  onStatus(status: GrpcStatus): void {
    if (status.code !== Status.OK) return this.failWith(statusError(status));
    if (this.count !== 1 || !this.response) {
      return this.failWith(new PluginError('protocol', `the plugin answered ${this.method.path} with ${this.count} messages instead of one`));
    }
    let value: Res;
    try {
      value = decode(this.method, this.response);
    } catch (err) {
      return this.failWith(PluginError.from(err));
    }
    this.resolve(value);
  }

  failWith(error: PluginError): void {
    if (!this.fail) return this.reject(error);
    let out: PluginError | Promise<never>;
    try {
      out = this.fail(error, this.options ?? NO_OPTIONS);
    } catch (err) {
      return this.reject(err);
    }
    if (typeof (out as Partial<Promise<never>>).then === 'function') this.resolve(out as Promise<never>);
    else this.reject(out);
  }
}

const NO_OPTIONS: CallOptions = Object.freeze({});

function callOptions(options: CallOptions, autoRead: boolean): GrpcCallOptions {
  return {
    metadata: metadataFields(options.metadata),
    deadline: deadlineOf(options),
    signal: options.signal,
    maxReceiveMessageLength: options.maxReceiveMessageLength,
    autoRead,
  };
}

/**
 * A unary call on `conn` with one promise per call: `fail` (when given) rewrites a failure before the promise
 * settles, so that a layer above needs no `.catch` of its own. What {@link createCaller}'s `unary` runs.
 * @param conn - the connection
 * @param method - the method definition
 * @param request - the request message
 * @param options - signal, deadline, metadata, receive limit
 * @param fail - rewrites a failure (also one thrown before the call started)
 */
export function unaryCall<Req, Res>(conn: H2Connection, method: MethodDefinition<Req, Res>, request: Req, options: CallOptions = NO_OPTIONS, fail?: FailureHook): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    const listener = new UnaryListener(method, resolve, reject, fail, options);
    let bytes: Buffer;
    let opts: GrpcCallOptions;
    try {
      bytes = encode(method, request);
      opts = callOptions(options, true);
    } catch (err) {
      return listener.failWith(PluginError.from(err, 'invalid_argument'));
    }
    startCall(conn, method.path, opts, listener).sendMessage(bytes, undefined, true);
  });
}

/** Responses of a streaming call as an async iterable; one message is asked for per `next()`. */
function responses<Req, Res>(method: MethodDefinition<Req, Res>, begin: (listener: Parameters<typeof startCall>[3]) => GrpcCall): AsyncIterable<Res> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Res> {
      let waiter: { resolve: (r: IteratorResult<Res>) => void; reject: (e: unknown) => void } | undefined;
      const ready: Buffer[] = [];
      let final: GrpcStatus | undefined;
      const call = begin({
        onMessage(m) {
          if (waiter) {
            const w = waiter;
            waiter = undefined;
            try {
              w.resolve({ value: decode(method, m), done: false });
            } catch (err) {
              call.cancel(Status.INTERNAL, 'undecodable response');
              w.reject(err);
            }
          } else ready.push(m);
        },
        onStatus(status) {
          final = status;
          if (waiter) {
            const w = waiter;
            waiter = undefined;
            if (status.code === Status.OK) w.resolve({ value: undefined, done: true });
            else w.reject(statusError(status));
          }
        },
      });
      return {
        next(): Promise<IteratorResult<Res>> {
          const m = ready.shift();
          if (m) return Promise.resolve({ value: decode(method, m), done: false });
          if (final) return final.code === Status.OK ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(statusError(final));
          return new Promise((resolve, reject) => {
            waiter = { resolve, reject };
            call.read();
          });
        },
        return(): Promise<IteratorResult<Res>> {
          call.cancel(Status.CANCELLED, 'the caller stopped reading the responses');
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}

/** Sends every request of `requests` (waiting for each to reach the socket), then half-closes. */
async function pumpRequests<Req, Res>(method: MethodDefinition<Req, Res>, call: GrpcCall, requests: AsyncIterable<Req> | Iterable<Req>): Promise<void> {
  try {
    for await (const req of requests as AsyncIterable<Req>) {
      if (call.ended) return;
      const bytes = encode(method, req);
      await new Promise<void>((resolve) => call.sendMessage(bytes, () => resolve()));
    }
    call.halfClose();
  } catch (err) {
    const e = PluginError.from(err, 'invalid_argument');
    call.cancel(Status.CANCELLED, `the request stream failed: ${e.message}`, e);
  }
}

/** A {@link GrpcCaller} on an h2 connection. */
export function createCaller(conn: H2Connection): GrpcCaller {
  const begin = (method: { readonly path: string }, options: CallOptions, autoRead: boolean) => (listener: Parameters<typeof startCall>[3]) =>
    startCall(conn, method.path, callOptions(options, autoRead), listener);
  return {
    unary(method, request, options) {
      return unaryCall(conn, method, request, options);
    },
    serverStream(method, request, options = {}) {
      const bytes = encode(method, request);
      return responses(method, (l) => {
        const call = begin(method, options, false)(l);
        call.sendMessage(bytes, undefined, true);
        return call;
      });
    },
    clientStream(method, requests, options = {}) {
      return single(method, (l) => {
        const call = begin(method, options, true)(l);
        void pumpRequests(method, call, requests);
        return call;
      });
    },
    bidiStream(method, requests, options = {}) {
      return responses(method, (l) => {
        const call = begin(method, options, false)(l);
        void pumpRequests(method, call, requests);
        return call;
      });
    },
  };
}
