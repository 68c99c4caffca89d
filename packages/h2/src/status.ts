import { PluginError, type PluginErrorCode } from '@plugwire/core';
import type { HeaderField } from './hpack/dynamic-table.js';

/** gRPC status codes (grpc/grpc doc/statuscodes.md). */
export const Status = {
  /** Not an error. */
  OK: 0,
  /** The call was cancelled, typically by the caller. */
  CANCELLED: 1,
  /** Unknown error. */
  UNKNOWN: 2,
  /** The client gave an invalid argument. */
  INVALID_ARGUMENT: 3,
  /** The deadline expired before the call finished. */
  DEADLINE_EXCEEDED: 4,
  /** A requested entity was not found. */
  NOT_FOUND: 5,
  /** The entity a client tried to create already exists. */
  ALREADY_EXISTS: 6,
  /** The caller may not run this call. */
  PERMISSION_DENIED: 7,
  /** A resource ran out (quota, message size, memory). */
  RESOURCE_EXHAUSTED: 8,
  /** The system is not in the state the call needs. */
  FAILED_PRECONDITION: 9,
  /** The call was aborted (concurrency conflict). */
  ABORTED: 10,
  /** The call went past the valid range. */
  OUT_OF_RANGE: 11,
  /** The method is not implemented or not supported. */
  UNIMPLEMENTED: 12,
  /** An internal error. */
  INTERNAL: 13,
  /** The service is unavailable (usually transient: the connection is down). */
  UNAVAILABLE: 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS: 15,
  /** The call has no valid authentication credentials. */
  UNAUTHENTICATED: 16,
} as const;

const NAMES = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k])) as Record<number, string>;

/** How a gRPC call ended. */
export interface GrpcStatus {
  /** gRPC status code ({@link Status}). */
  readonly code: number;
  /** `grpc-message`, percent-decoded, or this side's description of a local failure. */
  readonly details: string;
  /** Trailers (or trailers-only headers) other than the reserved gRPC and HTTP/2 fields. */
  readonly metadata: HeaderField[];
  /** The local failure that ended the call (connection lost, cancelled, deadline), when it did not come from the peer. */
  readonly error?: PluginError;
}

/**
 * The {@link PluginError} for a non-OK status: `aborted`/`closed`/`exited`/... when a local reason ended the
 * call, else `timeout` for DEADLINE_EXCEEDED, `unimplemented` for UNIMPLEMENTED, `unavailable` for UNAVAILABLE
 * and CANCELLED, `remote` for the rest. `grpcStatus` carries the code.
 */
export function statusError(status: GrpcStatus): PluginError {
  const { code, details } = status;
  if (status.error) {
    const e = status.error;
    return new PluginError(e.code, e.message, { cause: e.cause ?? e, grpcStatus: code });
  }
  let pc: PluginErrorCode = 'remote';
  let message = `the plugin returned gRPC status ${NAMES[code] ?? code}: ${details}`;
  if (code === Status.DEADLINE_EXCEEDED) {
    pc = 'timeout';
    message = `the call ran past its deadline (${details})`;
  } else if (code === Status.UNIMPLEMENTED) {
    pc = 'unimplemented';
    message = `the plugin does not implement this call (${details}); check that host and plugin share the same service definition`;
  } else if (code === Status.UNAVAILABLE || code === Status.CANCELLED) {
    pc = 'unavailable';
    message = `the plugin cannot be reached or dropped the call (${details}); check that it is still running`;
  }
  return new PluginError(pc, message, { grpcStatus: code });
}

/** gRPC code of an HTTP status that is not 200 (grpc/grpc doc/http-grpc-status-mapping.md). */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/** gRPC code of an RST_STREAM error code (grpc/grpc doc/PROTOCOL-HTTP2.md "Errors"). */
export function statusFromReset(h2Code: number | undefined): number {
  switch (h2Code) {
    case 0x7: // REFUSED_STREAM
      return Status.UNAVAILABLE;
    case 0x8: // CANCEL
      return Status.CANCELLED;
    case 0xb: // ENHANCE_YOUR_CALM
      return Status.RESOURCE_EXHAUSTED;
    case 0xc: // INADEQUATE_SECURITY
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}
