import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { AbortOptions } from '@plugwire/core';
import { unaryCall } from '@plugwire/grpc-transport';

/** A unary method of a generated grpc-js client, in its full (metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Calls a unary method of a generated client and returns a promise; errors become `PluginError`s with the gRPC
 * status, and `options.signal` cancels the call.
 * ```ts
 * const res = await unary(kvClient.get.bind(kvClient), { key }, { signal });
 * ```
 * @param method - the generated client's method, bound to its client
 * @param request - the request message
 * @param options - cancellation
 */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: AbortOptions = {}): Promise<Res> {
  return unaryCall<Res>((callback) => method(request, new Metadata(), {}, (err, res) => callback(err, res)), options);
}
