import * as grpc from '@grpc/grpc-js';
import type { GrpcServerStatus } from '@plugwire/h2';
import { toFields } from '../metadata.js';

/**
 * grpc-js hides a thrown handler's or a failing (de)serializer's message unless this is set in the environment; the
 * h2 server answers the same way so that a plugin's replies do not change with the server it runs on.
 */
const SEND_ERROR_DETAILS = process.env['GRPC_NODE_DEBUG_SEND_ERROR_DETAILS'] === 'true';

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The status grpc-js answers when a handler threw `err`. */
export function thrownStatus(err: unknown): GrpcServerStatus {
  return { code: grpc.status.UNKNOWN, details: SEND_ERROR_DETAILS ? `Server method handler threw error ${errorMessage(err)}` : 'Unknown error' };
}

/** The status grpc-js answers when a request message cannot be deserialized. */
export function deserializeStatus(err: unknown): GrpcServerStatus {
  return { code: grpc.status.INTERNAL, details: SEND_ERROR_DETAILS ? `Error deserializing request: ${errorMessage(err)}` : 'Error deserializing request' };
}

/** The status grpc-js answers when a response message cannot be serialized. */
export function serializeStatus(err: unknown): GrpcServerStatus {
  return { code: grpc.status.INTERNAL, details: SEND_ERROR_DETAILS ? `Error serializing response: ${errorMessage(err)}` : 'Error serializing response' };
}

/**
 * grpc-js's rules for what a handler answered with (`callback(err)`, a stream's 'error'): a numeric integer `code`
 * with its `details`, else UNKNOWN with the error's message; `trailer` (the callback's third argument) wins over
 * the error's own `metadata`.
 */
export function errorStatus(error: unknown, trailer?: grpc.Metadata | null): GrpcServerStatus {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
  let code: number = grpc.status.UNKNOWN;
  let details = 'message' in e ? String(e.message) : 'Unknown Error';
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    code = e.code;
    if (typeof e.details === 'string') details = e.details;
  }
  const metadata = trailer ?? (e.metadata instanceof grpc.Metadata ? e.metadata : undefined);
  return metadata ? { code, details, metadata: toFields(metadata) } : { code, details };
}
