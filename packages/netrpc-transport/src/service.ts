// A net/rpc service as TypeScript declares it: methods by Go name, each with the gob types of its argument and
// reply so a Go caller's decoder gets exactly the types it expects.
import type { GobType } from '@plugwire/gob';

/** What a method handler gets besides its argument. */
export interface MethodContext {
  /** Fires when the connection the call came in on closes. */
  readonly signal: AbortSignal;
}

/** One net/rpc method: `func (s *Service) Name(arg A, reply *R) error` in Go terms. */
export interface NetRpcMethod<A = unknown, R = unknown> {
  /** Go type of the argument. */
  readonly arg: GobType<A>;
  /** Go type of the reply. */
  readonly reply: GobType<R>;
  /**
   * Runs the call. A thrown error (or rejection) goes back to the caller as the net/rpc error text, which a Go
   * caller sees as an `rpc.ServerError`.
   */
  readonly handler: (arg: A, context: MethodContext) => R | Promise<R>;
}

/** Any method, with its types erased (what a service record holds). */
export interface AnyNetRpcMethod {
  /** Go type of the argument. */
  readonly arg: GobType;
  /** Go type of the reply. */
  readonly reply: GobType;
  /** Runs the call. */
  readonly handler: (arg: never, context: MethodContext) => unknown;
}

/** A net/rpc service: its methods by Go name (exported, so capitalised), e.g. `{ Get: method(...) }`. */
export type NetRpcService = Readonly<Record<string, AnyNetRpcMethod>>;

/**
 * Declares a net/rpc method.
 * @param arg - Go type of the argument
 * @param reply - Go type of the reply
 * @param handler - runs the call
 * @example
 * const service = { Get: method(gob.string, gob.bytes, async (key) => store.get(key) ?? new Uint8Array()) };
 */
export function method<A, R>(
  arg: GobType<A>,
  reply: GobType<R>,
  handler: (arg: A, context: MethodContext) => R | Promise<R>,
): NetRpcMethod<A, R> {
  return { arg, reply, handler };
}
