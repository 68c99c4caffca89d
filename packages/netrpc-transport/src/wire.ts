// net/rpc's gob framing: every request and response is a header value followed by a body value.
import { type GobType, gob } from '@plugwire/gob';

/** Go's `rpc.Request` (its unexported field is never sent). */
export const RequestHeader = gob.struct({ ServiceMethod: gob.string, Seq: gob.uint64 }, 'Request');

/** Go's `rpc.Response`. */
export const ResponseHeader = gob.struct({ ServiceMethod: gob.string, Seq: gob.uint64, Error: gob.string }, 'Response');

/** The body Go's server sends with an error response (`invalidRequest = struct{}{}`). */
export const InvalidRequest: GobType<Record<string, never>> = gob.empty;
