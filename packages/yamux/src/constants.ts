// Wire constants of hashicorp/yamux: a 12-byte big-endian header `version | type | flags | stream id | length`.

/** The only protocol version yamux defines. */
export const PROTOCOL_VERSION = 0;

/** Size of every frame header in bytes. */
export const HEADER_SIZE = 12;

/** Frame types. */
export const FrameType = {
  /** Carries `length` bytes of stream data. */
  Data: 0,
  /** Grows the receiver's send window by `length`; also carries SYN/ACK/FIN/RST with no data. */
  WindowUpdate: 1,
  /** Keepalive / RTT probe; `length` is an opaque value echoed back. */
  Ping: 2,
  /** Ends the session; `length` is a {@link GoAwayCode}. */
  GoAway: 3,
} as const;

/** One of the four frame types. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Frame flags (a bit set). */
export const Flag = {
  /** Opens a stream (or asks for a ping reply). */
  SYN: 1,
  /** Acknowledges a stream open (or answers a ping). */
  ACK: 2,
  /** Half-closes the sender's direction of a stream. */
  FIN: 4,
  /** Resets a stream at once. */
  RST: 8,
} as const;

/** Go-away codes. */
export const GoAwayCode = {
  /** Normal termination: no new streams, existing ones finish. */
  Normal: 0,
  /** The sender saw a protocol error. */
  ProtocolError: 1,
  /** The sender hit an internal error. */
  InternalError: 2,
} as const;

/** One of the three go-away codes. */
export type GoAwayCode = (typeof GoAwayCode)[keyof typeof GoAwayCode];

/** Window every stream starts with, on both sides (yamux's `initialStreamWindow`). */
export const INITIAL_STREAM_WINDOW = 256 * 1024;

/** Default largest receive window a stream grows to (`maxStreamWindowSize`): 16 MiB. */
export const DEFAULT_MAX_STREAM_WINDOW = 16 * 1024 * 1024;

/** Largest stream id; yamux refuses to open streams past it. */
export const MAX_STREAM_ID = 0xffffffff - 1;
