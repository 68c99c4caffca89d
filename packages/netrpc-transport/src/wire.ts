// net/rpc's gob framing: every request and response is a header value followed by a body value.
import { type GobType, gob } from '@plugwire/gob';

/** Go's `rpc.Request` (its unexported field is never sent). */
export const RequestHeader = gob.struct({ ServiceMethod: gob.string, Seq: gob.uint64 }, 'Request');

/** Go's `rpc.Response`. */
export const ResponseHeader = gob.struct({ ServiceMethod: gob.string, Seq: gob.uint64, Error: gob.string }, 'Response');

/** The body Go's server sends with an error response (`invalidRequest = struct{}{}`). */
export const InvalidRequest: GobType<Record<string, never>> = gob.empty;

/** Joins byte arrays into one, so a header and its body go out in one write. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
