import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, type Frame } from '../src/index.js';
import { frame } from '../src/frame.js';

describe('frame reader', () => {
  const frames = fc.array(
    fc.record({ type: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), streamId: fc.integer({ min: 0, max: 0x7fffffff }), payload: fc.uint8Array({ maxLength: 300 }) }),
    { maxLength: 20 },
  );

  it('reads the same frames however the bytes are split', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 100 }), (list, cuts) => {
        const bytes = Buffer.concat(list.map((f) => frame(f.type, f.flags, f.streamId, Buffer.from(f.payload))));
        const reader = new FrameReader();
        const got: Frame[] = [];
        let pos = 0;
        for (const c of cuts) {
          reader.push(bytes.subarray(pos, pos + c), (f) => got.push({ ...f, payload: Buffer.from(f.payload) }));
          pos += c;
        }
        reader.push(bytes.subarray(pos), (f) => got.push({ ...f, payload: Buffer.from(f.payload) }));
        expect(got.map((f) => [f.type, f.flags, f.streamId, f.payload.toString('hex')])).toEqual(
          list.map((f) => [f.type, f.flags, f.streamId, Buffer.from(f.payload).toString('hex')]),
        );
      }),
    );
  });

  it('refuses a frame over the advertised maximum before buffering it', () => {
    const reader = new FrameReader(16384);
    const header = Buffer.from([0x00, 0x40, 0x01, 0, 0, 0, 0, 0, 1]);
    expect(() => reader.push(header, () => {})).toThrow(FrameError);
    expect(() => new FrameReader(16384).push(header, () => {})).toThrow(/16385-byte frame/);
  });
});
