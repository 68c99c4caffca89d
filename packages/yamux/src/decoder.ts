// Pure frame decoder: bytes in, frames out. No I/O and no timers, so property tests can drive it with any chunking.
import { PluginError } from '@plugwire/core';
import { FrameType, HEADER_SIZE, PROTOCOL_VERSION } from './constants.js';
import type { FrameHeader } from './frame.js';

/** A whole frame: its header and, for a Data frame, its payload. */
export interface DecodedFrame extends FrameHeader {
  /**
   * The payload of a Data frame as views into the pushed chunks (no copy), in order; empty for other types and
   * for empty Data frames.
   */
  readonly payload: readonly Buffer[];
}

/** Options of {@link createFrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest Data payload accepted; a larger length is a protocol error raised at the header, before any of the
   * payload is buffered. Set it to the largest receive window.
   */
  readonly maxDataLength: number;
  /**
   * Called with the header of every non-empty Data frame before its payload is collected; throwing rejects the
   * frame there, so a frame longer than its stream's window is refused without buffering it. Returning `false`
   * drops the frame: its payload is skipped as it arrives (never held) and `onFrame` is not called for it.
   */
  readonly onDataHeader?: (header: FrameHeader) => boolean;
}

/** Incremental decoder of yamux frames. */
export interface FrameDecoder {
  /**
   * Decodes `chunk`, calling the frame callback for every frame it completes.
   * @throws PluginError `protocol` on a bad version, an unknown type or an oversized Data frame; every later
   * call throws the same error.
   */
  push(chunk: Buffer): void;
  /** Bytes held for a frame not yet complete (at most 12 + `maxDataLength`). */
  readonly bufferedBytes: number;
}

const EMPTY: readonly Buffer[] = [];

/**
 * Creates a decoder that calls `onFrame` with each complete frame, in order.
 * @param onFrame - receives every frame; may throw, which propagates out of `push`
 * @param options - limits
 */
export function createFrameDecoder(
  onFrame: (frame: DecodedFrame) => void,
  options: FrameDecoderOptions,
): FrameDecoder {
  const header = Buffer.alloc(HEADER_SIZE);
  let headerFill = 0;
  // The Data frame whose payload is being collected, if any.
  let pending: FrameHeader | undefined;
  let parts: Buffer[] = [];
  let remaining = 0;
  // The pending frame is dropped: its payload is skipped, not collected.
  let skipping = false;
  let failed: PluginError | undefined;

  function fail(message: string): never {
    failed = new PluginError('protocol', message);
    throw failed;
  }

  function onHeader(buf: Buffer, at: number): void {
    const version = buf[at];
    if (version !== PROTOCOL_VERSION) {
      fail(`yamux: invalid protocol version ${String(version)}; the peer does not speak yamux (or the stream is corrupt)`);
    }
    const type = buf[at + 1] as number;
    if (type > FrameType.GoAway) fail(`yamux: invalid frame type ${type}; the peer does not speak yamux`);
    const flags = buf.readUInt16BE(at + 2);
    const streamId = buf.readUInt32BE(at + 4);
    const length = buf.readUInt32BE(at + 8);
    const frame = { type: type as FrameType, flags, streamId, length };
    if (type === FrameType.Data && length > 0) {
      if (length > options.maxDataLength) {
        fail(`yamux: data frame of ${length} bytes on stream ${streamId} exceeds the ${options.maxDataLength}-byte window`);
      }
      skipping = options.onDataHeader?.(frame) === false;
      pending = frame;
      remaining = length;
      parts = [];
      return;
    }
    onFrame({ ...frame, payload: EMPTY });
  }

  return {
    get bufferedBytes() {
      return headerFill + (pending && !skipping ? pending.length - remaining : 0);
    },
    push(chunk) {
      if (failed) throw failed;
      let at = 0;
      const end = chunk.length;
      while (at < end) {
        if (pending) {
          const take = Math.min(remaining, end - at);
          if (!skipping) parts.push(take === end && at === 0 ? chunk : chunk.subarray(at, at + take));
          at += take;
          remaining -= take;
          if (remaining === 0) {
            const frame = pending;
            const payload = parts;
            pending = undefined;
            parts = [];
            if (skipping) skipping = false;
            else onFrame({ ...frame, payload });
          }
        } else if (headerFill === 0 && end - at >= HEADER_SIZE) {
          // Fast path: the whole header is in this chunk, parse it in place.
          const start = at;
          at += HEADER_SIZE;
          onHeader(chunk, start);
        } else {
          const take = Math.min(HEADER_SIZE - headerFill, end - at);
          chunk.copy(header, headerFill, at, at + take);
          headerFill += take;
          at += take;
          if (headerFill === HEADER_SIZE) {
            headerFill = 0;
            onHeader(header, 0);
          }
        }
      }
    },
  };
}
