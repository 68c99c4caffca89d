import { HEADER_SIZE, PROTOCOL_VERSION, type FrameType } from './constants.js';

/** A decoded frame header. */
export interface FrameHeader {
  /** Frame type. */
  readonly type: FrameType;
  /** Flag bits (SYN 1, ACK 2, FIN 4, RST 8). */
  readonly flags: number;
  /** Stream id; 0 for the session itself (ping, go-away). */
  readonly streamId: number;
  /** Data length, window delta, ping value or go-away code, by type. */
  readonly length: number;
}

/**
 * Encodes a 12-byte frame header.
 * @param type - frame type
 * @param flags - flag bits
 * @param streamId - stream id (0 for session frames)
 * @param length - length, delta, ping value or go-away code
 */
export function encodeHeader(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  // allocUnsafe takes the 12 bytes from Node's shared pool: no per-frame allocation of its own.
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  buf[0] = PROTOCOL_VERSION;
  buf[1] = type;
  buf.writeUInt16BE(flags, 2);
  buf.writeUInt32BE(streamId >>> 0, 4);
  buf.writeUInt32BE(length >>> 0, 8);
  return buf;
}
