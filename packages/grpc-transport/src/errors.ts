import * as grpc from '@grpc/grpc-js';
import { PluginError, abortError, type AbortOptions, type PluginErrorCode } from '@plugwire/core';
import { cancelPaced } from './reset-pacer.js';

/** Status details of calls cancelled because the plugin process exited (see `clientOn`). */
export const EXITED_DETAILS = 'plugin process exited';

/** Status details of calls cancelled because the connection was closed or aborted on this side. */
export const CLOSED_DETAILS = 'plugin connection closed';

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'details' in err;
}

function codeFor(status: number, details: string): PluginErrorCode {
  if (details === EXITED_DETAILS) return 'exited';
  if (details === CLOSED_DETAILS) return 'closed';
  switch (status) {
    case grpc.status.UNAVAILABLE:
    // This side's own cancellations are reported before this mapping; a CANCELLED status here means the plugin
    // dropped the call (its server stopped).
    case grpc.status.CANCELLED:
      return 'unavailable';
    case grpc.status.DEADLINE_EXCEEDED:
      return 'timeout';
    case grpc.status.UNIMPLEMENTED:
      return 'unimplemented';
    default:
      return 'remote';
  }
}

/**
 * Turns what a grpc-js call failed with into a {@link PluginError} carrying `grpcStatus`: `exited` when `exited`
 * fired (or the call was cancelled because the plugin exited), `unavailable` for UNAVAILABLE and CANCELLED, `timeout` for
 * DEADLINE_EXCEEDED, `unimplemented` for UNIMPLEMENTED, `remote` for every other status.
 * @param err - the error a generated client passed to its callback or emitted
 * @param exited - the `signal` handed to `client`; when it fired, a lost call is reported with its reason's code
 *   (`exited`, or `closed` after `close()`), or `exited` for a reason that is not a PluginError
 */
export function toPluginError(err: unknown, exited?: AbortSignal): PluginError {
  if (err instanceof PluginError) return err;
  if (!isServiceError(err)) return PluginError.from(err);
  const details = err.details;
  let code = codeFor(err.code, details);
  if (exited?.aborted && (code === 'unavailable' || code === 'closed' || code === 'exited')) {
    // The call was lost because the connection ended: say why it ended.
    const reason: unknown = exited.reason;
    code = reason instanceof PluginError ? reason.code : 'exited';
  }
  const what =
    code === 'exited'
      ? 'the plugin process exited before the call completed; restart the plugin'
      : code === 'unavailable'
        ? `the plugin cannot be reached or dropped the call (${details}); check that it is still running`
        : code === 'closed'
          ? 'the plugin connection was closed before the call completed'
          : code === 'unimplemented'
            ? `the plugin does not implement this call (${details}); check that host and plugin share the same service definition`
            : `the plugin returned gRPC status ${grpc.status[err.code] ?? err.code}: ${details}`;
  return new PluginError(code, what, { cause: err, grpcStatus: err.code });
}

/** Options of {@link unaryCall}. */
export interface UnaryCallOptions extends AbortOptions {
  /** The `signal` handed to `client`, so that failures after the plugin exited say `exited`. */
  readonly exited?: AbortSignal;
}

/**
 * Runs one callback-style unary call of a generated grpc-js client and returns a promise that rejects with a
 * {@link PluginError}. `options.signal` cancels the call.
 * @example
 * ```ts
 * const res = await unaryCall<EchoResponse>((cb) => client.echo({ data }, cb), { signal, exited });
 * ```
 * @param start - starts the call, passing the given callback to the generated method
 * @param options - abort signal and the plugin's exit signal
 */
export function unaryCall<T>(
  start: (callback: (err: grpc.ServiceError | null, response?: T) => void) => grpc.ClientUnaryCall,
  options: UnaryCallOptions = {},
): Promise<T> {
  const { signal, exited } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal, 'gRPC call'));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      // Paced: a burst of resets would make a Node plugin's HTTP/2 server tear the connection down.
      cancelPaced(call);
      reject(abortError(signal as AbortSignal, 'gRPC call'));
    };
    let call: grpc.ClientUnaryCall;
    try {
      call = start((err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        if (err) reject(toPluginError(err, exited));
        else if (response === undefined) reject(new PluginError('protocol', 'the plugin answered a gRPC call without a message'));
        else resolve(response);
      });
    } catch (err) {
      // grpc-js throws synchronously for arguments it cannot use (e.g. a request its serializer rejects).
      settled = true;
      reject(PluginError.from(err, 'invalid_argument'));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
