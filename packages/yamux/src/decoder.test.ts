import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { FrameType, HEADER_SIZE } from './constants.js';
import { createFrameDecoder, type DecodedFrame } from './decoder.js';
import { encodeHeader } from './frame.js';

const MAX = 4096;

interface Plain {
  type: number;
  flags: number;
  streamId: number;
  length: number;
  payload: string;
}

function decodeAll(chunks: Buffer[]): Plain[] {
  const out: Plain[] = [];
  const d = createFrameDecoder(
    (f: DecodedFrame) =>
      out.push({ type: f.type, flags: f.flags, streamId: f.streamId, length: f.length, payload: Buffer.concat(f.payload).toString('hex') }),
    { maxDataLength: MAX },
  );
  for (const c of chunks) d.push(c);
  expect(d.bufferedBytes).toBe(0);
  return out;
}

const frameArb = fc.oneof(
  fc.record({
    type: fc.constant(FrameType.Data as number),
    flags: fc.integer({ min: 0, max: 15 }),
    streamId: fc.nat({ max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: 600 }),
  }),
  fc.record({
    type: fc.constantFrom(FrameType.WindowUpdate, FrameType.Ping, FrameType.GoAway) as fc.Arbitrary<number>,
    flags: fc.integer({ min: 0, max: 0xffff }),
    streamId: fc.nat({ max: 0xffffffff }),
    length: fc.nat({ max: 0xffffffff }),
  }),
);

type GenFrame = { type: number; flags: number; streamId: number; payload?: Uint8Array; length?: number };

function encode(frames: GenFrame[]): { bytes: Buffer; expected: Plain[] } {
  const parts: Buffer[] = [];
  const expected: Plain[] = [];
  for (const f of frames) {
    const payload = Buffer.from(f.payload ?? new Uint8Array());
    const length = f.payload ? payload.length : (f.length ?? 0);
    parts.push(encodeHeader(f.type as 0, f.flags, f.streamId, length), payload);
    expected.push({ type: f.type, flags: f.flags, streamId: f.streamId, length, payload: payload.toString('hex') });
  }
  return { bytes: Buffer.concat(parts), expected };
}

/** Splits `bytes` at the given (sorted, deduplicated) offsets. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

describe('frame decoder', () => {
  it('decodes random frame sequences the same however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const { bytes, expected } = encode(frames);
        expect(decodeAll([bytes])).toEqual(expected);
        expect(decodeAll(split(bytes, cuts))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a valid stream split at every byte boundary', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), (frames) => {
        const { bytes, expected } = encode(frames);
        const ones = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
        expect(decodeAll(ones)).toEqual(expected);
        for (let cut = 0; cut <= bytes.length; cut++) {
          expect(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('hands payload views out without copying when a frame sits in one chunk', () => {
    const bytes = Buffer.concat([encodeHeader(FrameType.Data, 0, 1, 3), Buffer.from('abc')]);
    let payload: readonly Buffer[] = [];
    createFrameDecoder((f) => (payload = f.payload), { maxDataLength: MAX }).push(bytes);
    expect(payload).toHaveLength(1);
    expect(payload[0]?.buffer).toBe(bytes.buffer);
  });

  it('skips, without holding, the payload of a frame onDataHeader drops, and goes on with the next frame', () => {
    const frames: DecodedFrame[] = [];
    const seen: number[] = [];
    const d = createFrameDecoder((f) => frames.push(f), {
      maxDataLength: MAX,
      onDataHeader: (h) => {
        seen.push(h.streamId);
        return h.streamId !== 3;
      },
    });
    d.push(encodeHeader(FrameType.Data, 0, 3, 1000));
    d.push(Buffer.alloc(600, 1));
    expect(d.bufferedBytes).toBe(0); // nothing of the dropped frame is held
    d.push(Buffer.concat([Buffer.alloc(400, 1), encodeHeader(FrameType.Data, 0, 5, 2), Buffer.from('ok')]));
    expect(seen).toEqual([3, 5]);
    expect(frames.map((f) => [f.streamId, Buffer.concat(f.payload).toString()])).toEqual([[5, 'ok']]);
  });

  it.each([
    ['a bad version', Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), /invalid protocol version 1/],
    ['an unknown type', Buffer.from([0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), /invalid frame type 4/],
    ['a data length over the window', encodeHeader(FrameType.Data, 0, 1, MAX + 1), /exceeds/],
    ['a 4 GiB data length', encodeHeader(FrameType.Data, 0, 1, 0xffffffff), /exceeds/],
  ])('rejects %s with a protocol PluginError, before buffering', (_name, bytes, message) => {
    const d = createFrameDecoder(() => {}, { maxDataLength: MAX });
    let err: unknown;
    try {
      d.push(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ code: 'protocol' });
    expect((err as Error).message).toMatch(message);
    expect(d.bufferedBytes).toBe(0);
    // Stays failed.
    expect(() => d.push(Buffer.alloc(HEADER_SIZE))).toThrow(PluginError);
  });

  it('on random garbage either decodes frames or throws a protocol PluginError, never holding more than one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        const d = createFrameDecoder(() => {}, { maxDataLength: MAX });
        try {
          for (const c of chunks) {
            d.push(Buffer.from(c));
            expect(d.bufferedBytes).toBeLessThanOrEqual(HEADER_SIZE + MAX);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(PluginError);
          expect((err as PluginError).code).toBe('protocol');
        }
      }),
      { numRuns: 500 },
    );
  });
});
