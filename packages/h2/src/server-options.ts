import { PluginError } from '@plugwire/core';

/** Options of {@link serveGrpcConnection} (and of the HTTP/2 server connection under it). */
export interface GrpcServerOptions {
  /**
   * Largest request message accepted; a larger one ends its call with `RESOURCE_EXHAUSTED`. -1 = no limit.
   * @default 4194304
   */
  readonly maxReceiveMessageLength?: number;
  /**
   * Streams (calls) a client may have open at once, advertised as SETTINGS_MAX_CONCURRENT_STREAMS; a stream over
   * it is refused with RST_STREAM(REFUSED_STREAM), which clients retry.
   * @default 1000
   */
  readonly maxConcurrentStreams?: number;
  /**
   * Receive window of each stream in bytes: how much request data a call buffers before its handler reads it (or
   * while it is paused).
   * @default 1048576
   */
  readonly streamWindow?: number;
  /**
   * Receive window of the whole connection in bytes.
   * @default 16777216
   */
  readonly connectionWindow?: number;
  /**
   * Largest request header list (HPACK size: name + value + 32 per field) accepted; a larger one ends its call
   * with `RESOURCE_EXHAUSTED`, and a header block too large to decode ends the connection.
   * @default 65536
   */
  readonly maxHeaderListSize?: number;
  /**
   * Bytes the socket may hold unsent before response DATA stops; a client that never reads and keeps sending
   * frames that need an answer (PING, SETTINGS) past 4 times this loses the connection.
   * @default 1048576
   */
  readonly writeHighWater?: number;
  /**
   * RST_STREAMs a client may send at once before they count against `peerResetsPerSecond` (the rapid-reset
   * defence: a client that opens and cancels streams faster than this loses the connection with GOAWAY
   * ENHANCE_YOUR_CALM). The same figures as nghttp2's, under Node's HTTP/2 server.
   * @default 1000
   */
  readonly peerResetBurst?: number;
  /**
   * RST_STREAMs per second a client may send once `peerResetBurst` is spent.
   * @default 33
   */
  readonly peerResetsPerSecond?: number;
  /**
   * Milliseconds a new connection has to send the HTTP/2 preface and its first SETTINGS; a connection that stays
   * silent longer is closed (GOAWAY PROTOCOL_ERROR).
   * @default 20000
   */
  readonly handshakeTimeout?: number;
}

/** {@link GrpcServerOptions} with every default applied. */
export type ResolvedGrpcServerOptions = Required<GrpcServerOptions>;

function int(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PluginError('invalid_argument', `gRPC server option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Checks `options` and applies the defaults; throws a PluginError `invalid_argument` naming a bad option. */
export function validateGrpcServerOptions(options: GrpcServerOptions = {}): ResolvedGrpcServerOptions {
  const max = int('maxReceiveMessageLength', options.maxReceiveMessageLength, 4 << 20, -1, 0x7fffffff);
  return {
    maxReceiveMessageLength: max === -1 ? 0x7fffffff : max,
    maxConcurrentStreams: int('maxConcurrentStreams', options.maxConcurrentStreams, 1000, 1, 0x7fffffff),
    streamWindow: int('streamWindow', options.streamWindow, 1 << 20, 65535, 0x7fffffff),
    connectionWindow: int('connectionWindow', options.connectionWindow, 16 << 20, 65535, 0x7fffffff),
    maxHeaderListSize: int('maxHeaderListSize', options.maxHeaderListSize, 65536, 1024, 16 << 20),
    writeHighWater: int('writeHighWater', options.writeHighWater, 1 << 20, 16384, 1 << 30),
    peerResetBurst: int('peerResetBurst', options.peerResetBurst, 1000, 1, 1_000_000),
    peerResetsPerSecond: int('peerResetsPerSecond', options.peerResetsPerSecond, 33, 1, 1_000_000),
    handshakeTimeout: int('handshakeTimeout', options.handshakeTimeout, 20_000, 1, 0x7fffffff),
  };
}
