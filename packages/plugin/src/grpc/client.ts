// Promise clients of grpc-js services: one function turns a service definition into promise-returning methods
// taking { signal }, streams as async iterables, every failure a PluginError.
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { PluginError, abortError, waitForExit, type AbortOptions } from '@plugwire/core';
import { callerOf, cancelPaced, clientOn, toPluginError, type GrpcCaller } from '@plugwire/grpc-transport';
import type { MessageSource, PromiseClient, ServiceLike, ServiceOf } from './types.js';

type Callback = (err: grpc.ServiceError | null, response?: unknown) => void;
type RawClient = Record<string, (...args: unknown[]) => grpc.ClientUnaryCall & grpc.ClientReadableStream<unknown> & grpc.ClientWritableStream<unknown>>;

/** Options of {@link client}. */
export interface ClientOptions {
  /**
   * Fires when calls on the channel can no longer complete (the plugin exited, the connection closed); failures
   * then carry its reason's code (`exited`, `closed`). Clients made by `conn.client()` get it already.
   * @default none
   */
  readonly signal?: AbortSignal;
}

function definitionOf(service: object): grpc.ServiceDefinition {
  const def = 'service' in service && typeof service.service === 'object' ? service.service : service;
  if (typeof def !== 'object' || def === null || Object.keys(def).length === 0) {
    throw new PluginError('invalid_argument', 'client()/implement() need a grpc-js service definition (ts-proto XxxService, a generated client, or a proto-loader service)');
  }
  return def as grpc.ServiceDefinition;
}

function fail(err: unknown, signal: AbortSignal | undefined, exited: AbortSignal | undefined): PluginError {
  if (signal?.aborted) return abortError(signal, 'gRPC call');
  return toPluginError(err, exited);
}

/**
 * Runs `start` and settles with its callback; the signal rejects at once and cancels the call, paced (a burst of
 * resets would make a Node plugin's HTTP/2 server tear the connection down).
 */
function callbackCall(start: (callback: Callback) => grpc.Call, signal: AbortSignal | undefined, exited: AbortSignal | undefined): { call: grpc.Call; result: Promise<unknown> } {
  let call!: grpc.Call;
  const result = new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(abortError(signal as AbortSignal, 'gRPC call'));
      cancelPaced(call as grpc.ClientUnaryCall);
    };
    call = start((err, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      if (err) reject(fail(err, signal, exited));
      else if (response === undefined) reject(new PluginError('protocol', 'the plugin answered a gRPC call without a message'));
      else resolve(response);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { call, result };
}

async function* responses(call: grpc.ClientReadableStream<unknown>, signal: AbortSignal | undefined, exited: AbortSignal | undefined): AsyncGenerator<unknown> {
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let ended = false;
  try {
    for await (const message of call) yield message;
    ended = true;
  } catch (err) {
    ended = true;
    // A stream lost with the connection: a killed plugin's socket closes just before the host sees it exit (unary
    // calls get the same grace from clientOn), so that the failure says `exited` rather than `unavailable`.
    const code = (err as Partial<grpc.ServiceError>).code;
    if (!signal?.aborted && (code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED)) await waitForExit(exited);
    throw fail(err, signal, exited);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // The caller stopped iterating early (break, throw): end the call rather than leave it open.
    if (!ended) call.cancel();
  }
}

/** Writes every message of `source` to the call, then half-closes it; a failing source cancels the call. */
async function pump(call: grpc.ClientWritableStream<unknown>, source: MessageSource<unknown>): Promise<void> {
  try {
    for await (const message of source) {
      if (call.destroyed) return;
      if (!call.write(message)) await once(call, 'drain');
    }
    call.end();
  } catch {
    call.cancel();
  }
}

function wrap(raw: RawClient, name: string, def: grpc.MethodDefinition<unknown, unknown>, exited: AbortSignal | undefined): unknown {
  const method = raw[name]!.bind(raw);
  const meta = (): grpc.Metadata => new grpc.Metadata();
  if (!def.requestStream && !def.responseStream) {
    return (request: unknown, options: AbortOptions = {}): Promise<unknown> => {
      if (options.signal?.aborted) return Promise.reject(abortError(options.signal, 'gRPC call'));
      try {
        return callbackCall((cb) => method(request, meta(), {}, cb), options.signal, exited).result;
      } catch (err) {
        // grpc-js throws synchronously for a request its serializer rejects.
        return Promise.reject(PluginError.from(err, 'invalid_argument'));
      }
    };
  }
  if (!def.requestStream) {
    return (request: unknown, options: AbortOptions = {}): AsyncIterable<unknown> => {
      if (options.signal?.aborted) throw abortError(options.signal, 'gRPC call');
      return responses(method(request, meta(), {}), options.signal, exited);
    };
  }
  if (!def.responseStream) {
    return (requests: MessageSource<unknown>, options: AbortOptions = {}): Promise<unknown> => {
      if (options.signal?.aborted) return Promise.reject(abortError(options.signal, 'gRPC call'));
      const { call, result } = callbackCall((cb) => method(meta(), {}, cb), options.signal, exited);
      void pump(call as grpc.ClientWritableStream<unknown>, requests);
      return result;
    };
  }
  return (requests: MessageSource<unknown>, options: AbortOptions = {}): AsyncIterable<unknown> => {
    if (options.signal?.aborted) throw abortError(options.signal, 'gRPC call');
    const call = method(meta(), {}) as unknown as grpc.ClientDuplexStream<unknown, unknown>;
    void pump(call, requests);
    return responses(call, options.signal, exited);
  };
}

/** What a method of a direct client passes on: the caller's signal, nothing else (no object when there is none). */
const callOptions = (signal: AbortSignal | undefined): { signal: AbortSignal } | undefined => (signal ? { signal } : undefined);

/**
 * The same methods straight on plugwire's h2 caller (no grpc-js client layer). The caller maps every failure itself
 * (the caller's abort, the connection's stop reason and `exited`), so a call is one promise with no `.catch` added
 * here; responses are asked for one `next()` at a time.
 */
function wrapH2(caller: GrpcCaller, def: grpc.MethodDefinition<unknown, unknown>): unknown {
  if (!def.requestStream && !def.responseStream) {
    return (request: unknown, options?: AbortOptions): Promise<unknown> => {
      const signal = options?.signal;
      if (signal?.aborted) return Promise.reject(abortError(signal, 'gRPC call'));
      return caller.unary(def, request, callOptions(signal));
    };
  }
  if (!def.requestStream) {
    return (request: unknown, options?: AbortOptions): AsyncIterable<unknown> => {
      const signal = options?.signal;
      if (signal?.aborted) throw abortError(signal, 'gRPC call');
      return caller.serverStream(def, request, callOptions(signal));
    };
  }
  if (!def.responseStream) {
    return (requests: MessageSource<unknown>, options?: AbortOptions): Promise<unknown> => {
      const signal = options?.signal;
      if (signal?.aborted) return Promise.reject(abortError(signal, 'gRPC call'));
      return caller.clientStream(def, requests, callOptions(signal));
    };
  }
  return (requests: MessageSource<unknown>, options?: AbortOptions): AsyncIterable<unknown> => {
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal, 'gRPC call');
    return caller.bidiStream(def, requests, callOptions(signal));
  };
}

/**
 * A promise client of a grpc-js service on `channel` (the one a gRPC client half gets, or one from
 * `broker.dial(id)`): `await c.get({ key }, { signal })`. Works with ts-proto's `XxxService` and with services
 * loaded at run time by `@grpc/proto-loader` (`grpc.loadPackageDefinition(def).proto.KV.service`, or
 * `packageDefinition['proto.KV']`). The client is built by the grpc-js that made `channel`, so an application's
 * and plugwire's grpc-js never meet in one call.
 * @param service - the service definition (or a generated client constructor with a `service` property)
 * @param channel - the channel to call on; it stays open when the client is dropped
 * @param options - the connection's exit signal
 */
export function client<S extends object>(service: S & ServiceLike<S>, channel: grpc.ChannelInterface, options: ClientOptions = {}): PromiseClient<ServiceOf<S>> {
  const def = definitionOf(service);
  // plugwire's own h2 channel: call straight through its caller (about 1.5× the calls/s of grpc-js's client layer).
  const caller = callerOf(channel, options.signal);
  if (caller) {
    const direct: Record<string, unknown> = {};
    for (const [name, methodDef] of Object.entries(def)) direct[name] = wrapH2(caller, methodDef);
    return Object.freeze(direct) as PromiseClient<ServiceOf<S>>;
  }
  const Ctor = grpc.makeGenericClientConstructor(def, 'plugwire');
  const raw = clientOn(Ctor, channel) as unknown as RawClient;
  const out: Record<string, unknown> = {};
  for (const [name, methodDef] of Object.entries(def)) out[name] = wrap(raw, name, methodDef, options.signal);
  return Object.freeze(out) as PromiseClient<ServiceOf<S>>;
}
