// HTTP/2 frame layout (RFC 9113 §4, §6): the 9-byte header, type and flag constants, an incremental reader that
// cuts a byte stream into frames without copying payloads, and writers for the frames a client sends.
import { PluginError } from '@plugwire/core';

/** Frame types. */
export const enum FrameType {
  DATA = 0x0,
  HEADERS = 0x1,
  PRIORITY = 0x2,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
}

/** Frame flags. */
export const enum Flag {
  END_STREAM = 0x1,
  ACK = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20,
}

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const enum ErrorCode {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  INTERNAL_ERROR = 0x2,
  FLOW_CONTROL_ERROR = 0x3,
  SETTINGS_TIMEOUT = 0x4,
  STREAM_CLOSED = 0x5,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  CONNECT_ERROR = 0xa,
  ENHANCE_YOUR_CALM = 0xb,
  INADEQUATE_SECURITY = 0xc,
  HTTP_1_1_REQUIRED = 0xd,
}

/** Settings identifiers. */
export const enum Setting {
  HEADER_TABLE_SIZE = 0x1,
  ENABLE_PUSH = 0x2,
  MAX_CONCURRENT_STREAMS = 0x3,
  INITIAL_WINDOW_SIZE = 0x4,
  MAX_FRAME_SIZE = 0x5,
  MAX_HEADER_LIST_SIZE = 0x6,
}

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Frame header length. */
export const FRAME_HEADER_LENGTH = 9;
/** Smallest (and default) SETTINGS_MAX_FRAME_SIZE. */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
/** Largest flow-control window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;

/** A frame as read: payload is a view into the received bytes (valid until the handler returns or copied). */
export interface Frame {
  /** Frame type (RFC 9113 §6: DATA 0x0, HEADERS 0x1, …). */
  readonly type: number;
  /** Type-specific flag bits (END_STREAM, END_HEADERS, ACK, PADDED, PRIORITY). */
  readonly flags: number;
  /** Stream identifier, 31 bits; 0 for connection frames. */
  readonly streamId: number;
  /** The frame payload, without the 9-byte header. */
  readonly payload: Buffer;
}

/** Error a frame can be answered with: a connection error (GOAWAY with `h2Code`). */
export class FrameError extends PluginError {
  /** HTTP/2 error code to send in GOAWAY. */
  readonly h2Code: number;
  constructor(h2Code: number, message: string) {
    super('protocol', `HTTP/2: ${message}`);
    this.h2Code = h2Code;
  }
}

/**
 * Cuts a byte stream into frames. Holds at most one partial frame (bounded by `maxFrameSize` + 9 bytes).
 * A frame longer than `maxFrameSize` throws a {@link FrameError} (FRAME_SIZE_ERROR).
 */
export class FrameReader {
  private rest: Buffer | undefined;

  /** @param maxFrameSize - the SETTINGS_MAX_FRAME_SIZE this side advertised */
  constructor(private readonly maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE) {}

  /** Feeds bytes; calls `onFrame` for every complete frame, in order. */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER_LENGTH) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (length > this.maxFrameSize) {
        throw new FrameError(ErrorCode.FRAME_SIZE_ERROR, `the peer sent a ${length}-byte frame, over the ${this.maxFrameSize}-byte limit`);
      }
      const end = pos + FRAME_HEADER_LENGTH + length;
      if (end > buf.length) break;
      const frame: Frame = {
        type: buf[pos + 3]!,
        flags: buf[pos + 4]!,
        streamId: buf.readUInt32BE(pos + 5) & 0x7fffffff,
        payload: buf.subarray(pos + FRAME_HEADER_LENGTH, end),
      };
      pos = end;
      onFrame(frame);
    }
    if (pos < buf.length) this.rest = Buffer.from(buf.subarray(pos));
  }
}

/** Writes a frame header into `out` at `offset`. */
export function writeFrameHeader(out: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): void {
  out[offset] = (length >>> 16) & 0xff;
  out[offset + 1] = (length >>> 8) & 0xff;
  out[offset + 2] = length & 0xff;
  out[offset + 3] = type;
  out[offset + 4] = flags;
  out.writeUInt32BE(streamId >>> 0, offset + 5);
}

/** A frame with a payload copied in. */
export function frame(type: number, flags: number, streamId: number, payload?: Buffer): Buffer {
  const length = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + length);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  payload?.copy(out, FRAME_HEADER_LENGTH);
  return out;
}

/** A SETTINGS frame (or its ACK when `settings` is empty and `ack`). */
export function settingsFrame(settings: ReadonlyArray<readonly [number, number]>, ack = false): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value >>> 0, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, ack ? Flag.ACK : 0, 0, payload);
}

/** A WINDOW_UPDATE frame. */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER_LENGTH);
  return out;
}

/** A RST_STREAM frame. */
export function rstStreamFrame(streamId: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER_LENGTH);
  return out;
}

/** A GOAWAY frame. */
export function goAwayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const text = Buffer.from(debug.slice(0, 256));
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 8 + text.length);
  writeFrameHeader(out, 0, 8 + text.length, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId, FRAME_HEADER_LENGTH);
  out.writeUInt32BE(code, FRAME_HEADER_LENGTH + 4);
  text.copy(out, FRAME_HEADER_LENGTH + 8);
  return out;
}

/** A PING frame with 8 opaque bytes. */
export function pingFrame(data: Buffer, ack: boolean): Buffer {
  return frame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}
