import type { CallOptions, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';
import { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { abortError, PluginError, type AbortOptions } from '@plugwire/core';
import { toPluginError } from '@plugwire/grpc-transport';

/** A unary method of a generated grpc-js client, in its full (metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Calls a unary gRPC method and returns a promise; errors become `PluginError`s with the gRPC status, and the
 * signal cancels the call.
 * ```ts
 * const res = await unary(kvClient.get.bind(kvClient), { key }, { signal });
 * ```
 * @param method - the generated client's method, bound to its client
 * @param request - the request message
 * @param options - cancellation
 */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: AbortOptions = {}): Promise<Res> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal, 'gRPC call'));
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => call.cancel();
    const call = method(request, new GrpcMetadata(), {}, (error, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (!error) return resolve(response);
      if (signal?.aborted) return reject(abortError(signal, 'gRPC call'));
      reject(error instanceof PluginError ? error : toPluginError(error));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
