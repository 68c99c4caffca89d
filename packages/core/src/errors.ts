/**
 * Why a plugwire operation failed. Every error plugwire raises is a {@link PluginError} with one of these codes.
 *
 * - `invalid_argument`: an option or argument the caller passed is wrong.
 * - `handshake`: the plugin's handshake line is malformed, or names something this side cannot speak.
 * - `incompatible_version`: host and plugin share no protocol version.
 * - `timeout`: a wait ran past its limit (start timeout, broker accept/dial, yamux open/write).
 * - `exited`: the plugin process exited (before the handshake, or while calls were pending).
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `closed`: the resource was closed before or during the operation.
 * - `protocol`: the peer sent bytes that break the wire protocol (yamux frame, gob, protobuf, stream header).
 * - `remote`: the remote side ran the call and returned an error (net/rpc error text, gRPC status).
 * - `not_found`: a named thing does not exist (plugin name, broker id, reattach process).
 * - `unavailable`: a connection could not be made or was lost.
 * - `checksum`: the plugin binary failed its checksum or signature check.
 * - `unimplemented`: the peer does not implement what was asked.
 * - `internal`: a bug or an unexpected failure; the message says what happened.
 */
export type PluginErrorCode =
  | 'invalid_argument'
  | 'handshake'
  | 'incompatible_version'
  | 'timeout'
  | 'exited'
  | 'aborted'
  | 'closed'
  | 'protocol'
  | 'remote'
  | 'not_found'
  | 'unavailable'
  | 'checksum'
  | 'unimplemented'
  | 'internal';

/** Wire-level reasons that travel with a {@link PluginError}. */
export interface PluginErrorDetails {
  /** gRPC status code, when the error came from a gRPC call. */
  readonly grpcStatus?: number;
  /** yamux go-away code (0 normal, 1 protocol error, 2 internal error), when the session was ended by one. */
  readonly goAwayCode?: number;
  /** Exit code of the plugin process, when it exited. */
  readonly exitCode?: number | null;
  /** Signal that ended the plugin process, when it was killed by one. */
  readonly signal?: string | null;
}

/** Options accepted by the {@link PluginError} constructor. */
export interface PluginErrorOptions extends PluginErrorDetails {
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * Marks every PluginError, whichever copy of `@plugwire/core` made it (its ESM and CJS builds, or two installed
 * versions), so that `instanceof PluginError` holds across them. `Symbol.for` gives all copies the same symbol.
 */
const BRAND = Symbol.for('plugwire.PluginError');

/**
 * The one error class of plugwire. `message` says what went wrong and what to do about it; `code` is stable and
 * meant for programs; `cause` keeps the underlying error. `err instanceof PluginError` also recognises errors made
 * by another copy of this package (its CJS build beside the ESM one, or a second installed version).
 */
export class PluginError extends Error {
  /** Stable machine-readable reason. */
  readonly code: PluginErrorCode;
  /** gRPC status code, when the error came from a gRPC call. */
  declare readonly grpcStatus?: number;
  /** yamux go-away code, when a session was ended by one. */
  declare readonly goAwayCode?: number;
  /** Exit code of the plugin process, when it exited. */
  declare readonly exitCode?: number | null;
  /** Signal that ended the plugin process, when it was killed by one. */
  declare readonly signal?: string | null;

  /**
   * @param code - stable reason
   * @param message - what went wrong and what to do
   * @param options - cause and wire details
   */
  constructor(code: PluginErrorCode, message: string, options: PluginErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PluginError';
    this.code = code;
    if (options.grpcStatus !== undefined) this.grpcStatus = options.grpcStatus;
    if (options.goAwayCode !== undefined) this.goAwayCode = options.goAwayCode;
    if (options.exitCode !== undefined) this.exitCode = options.exitCode;
    if (options.signal !== undefined) this.signal = options.signal;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * Recognises PluginErrors by brand, not by prototype, so that copies of this class agree. Subclasses keep the
   * ordinary prototype check.
   * @param value - anything
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check: only `instanceof PluginError` itself goes by the brand.
    if (this !== PluginError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * Wraps anything thrown into a `PluginError`; a `PluginError` is returned as is, an `AbortError` becomes `aborted`
   * and a `TimeoutError` (what `AbortSignal.timeout()` aborts with) becomes `timeout`.
   * @param err - the thrown value
   * @param code - the code to use when `err` is not already a `PluginError`
   */
  static from(err: unknown, code: PluginErrorCode = 'internal'): PluginError {
    if (err instanceof PluginError) return err;
    if (err instanceof Error) {
      const own = err.name === 'AbortError' ? 'aborted' : err.name === 'TimeoutError' ? 'timeout' : code;
      return new PluginError(own, err.message, { cause: err });
    }
    return new PluginError(code, String(err), { cause: err });
  }
}

/**
 * The error to reject with when `signal` fired: its reason if that is a `PluginError`, `timeout` for
 * `AbortSignal.timeout()`, else an `aborted` one.
 * @param signal - the signal that fired
 * @param what - the operation, for the message
 */
export function abortError(signal: AbortSignal, what = 'operation'): PluginError {
  const reason: unknown = signal.reason;
  if (reason instanceof PluginError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new PluginError('timeout', `${what} ran past the deadline of its AbortSignal`, { cause: reason });
  }
  return new PluginError('aborted', `${what} was aborted by its AbortSignal`, { cause: reason });
}

/**
 * Throws {@link abortError} when `signal` has already fired.
 * @param signal - optional signal
 * @param what - the operation, for the message
 */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}
