import { PluginError } from '@plugwire/core';

/** Options of {@link createH2Client}. */
export interface H2ClientOptions {
  /**
   * The `:authority` of every request (go-plugin's servers ignore it).
   * @default 'localhost'
   */
  readonly authority?: string;
  /**
   * The `:scheme` of every request: `http` for h2c, `https` over TLS.
   * @default 'http'
   */
  readonly scheme?: 'http' | 'https';
  /**
   * Receive window of each stream in bytes: how much a stream may buffer unread. Memory held for unread responses
   * is at most this times the streams open.
   * @default 1048576
   */
  readonly streamWindow?: number;
  /**
   * Receive window of the whole connection in bytes.
   * @default 16777216
   */
  readonly connectionWindow?: number;
  /**
   * Largest header list (HPACK size: name + value + 32 per field) accepted from the peer; a larger one fails
   * the call with `RESOURCE_EXHAUSTED`, and a header block too large to decode ends the connection.
   * @default 65536
   */
  readonly maxHeaderListSize?: number;
  /**
   * Streams this side opens at once at most (the peer's SETTINGS_MAX_CONCURRENT_STREAMS lowers it); calls over
   * it wait for a stream to end.
   * @default 1000
   */
  readonly maxConcurrentStreams?: number;
  /**
   * RST_STREAMs sent at once before further cancellations are paced (so a burst of cancelled calls cannot trip a
   * server's rapid-reset defence: nghttp2, under Node's HTTP/2 server, drops a connection past 1000 resets arriving
   * faster than 33/s). A cancelled call ends at once either way; only its RST_STREAM waits.
   * @default 500
   */
  readonly resetBurst?: number;
  /**
   * RST_STREAMs sent per second once `resetBurst` is spent; below nghttp2's refill rate of 33/s.
   * @default 20
   */
  readonly resetsPerSecond?: number;
  /**
   * Bytes the socket may hold unsent before this side stops sending DATA; a peer that never reads and keeps sending
   * frames that need an answer (PING, SETTINGS) past 4 times this ends the connection.
   * @default 1048576
   */
  readonly writeHighWater?: number;
}

/** {@link H2ClientOptions} with every default applied. */
export type ResolvedH2ClientOptions = Required<H2ClientOptions>;

function int(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PluginError('invalid_argument', `h2 option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Checks `options` and applies the defaults; throws a PluginError `invalid_argument` naming a bad option. */
export function validateH2ClientOptions(options: H2ClientOptions = {}): ResolvedH2ClientOptions {
  const authority = options.authority ?? 'localhost';
  if (typeof authority !== 'string' || authority.length === 0 || /[\0\r\n]/.test(authority)) {
    throw new PluginError('invalid_argument', `h2 option authority must be a non-empty header value, got ${JSON.stringify(authority)}`);
  }
  const scheme = options.scheme ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') {
    throw new PluginError('invalid_argument', `h2 option scheme must be 'http' or 'https', got ${JSON.stringify(scheme)}`);
  }
  return {
    authority,
    scheme,
    streamWindow: int('streamWindow', options.streamWindow, 1 << 20, 65535, 0x7fffffff),
    connectionWindow: int('connectionWindow', options.connectionWindow, 16 << 20, 65535, 0x7fffffff),
    maxHeaderListSize: int('maxHeaderListSize', options.maxHeaderListSize, 65536, 1024, 16 << 20),
    maxConcurrentStreams: int('maxConcurrentStreams', options.maxConcurrentStreams, 1000, 1, 0x7fffffff),
    resetBurst: int('resetBurst', options.resetBurst, 500, 1, 1_000_000),
    resetsPerSecond: int('resetsPerSecond', options.resetsPerSecond, 20, 1, 1_000_000),
    writeHighWater: int('writeHighWater', options.writeHighWater, 1 << 20, 16384, 1 << 30),
  };
}
