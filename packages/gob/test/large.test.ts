// Large []byte values (netrpc's 1 MiB Put): encoded with one copy less, decoded without a second copy when the
// decoder assembled the message itself, and never sharing memory with the chunks the caller pushed.
import { describe, expect, it } from 'vitest';
import { createDecoder, createEncoder, gob } from '../src/index.js';

const Put = gob.struct({ Key: gob.string, Value: gob.bytes }, 'PutRequest');

function big(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const same = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

describe('gob large byte slices', () => {
  it('round-trips a 1 MiB []byte after a small value in one encodeAll, fed in 64 KiB chunks', () => {
    const enc = createEncoder();
    const dec = createDecoder();
    const value = big(1 << 20, 3);
    const bytes = enc.encodeAll([{ type: gob.string, value: 'header' }, { type: Put, value: { Key: 'k', Value: value } }]);
    const again = enc.encodeAll([{ type: gob.string, value: 'next' }, { type: Put, value: { Key: 'k2', Value: value.subarray(0, 100) } }]);
    const all = Buffer.concat([bytes, again]);
    for (let i = 0; i < all.length; i += 65536) dec.push(Uint8Array.from(all.subarray(i, i + 65536)));
    expect(dec.next(gob.string)?.value).toBe('header');
    const got = dec.next(Put)?.value;
    expect(got?.Key).toBe('k');
    expect(same(got?.Value, value)).toBe(true);
    expect(Object.getPrototypeOf(got?.Value)).toBe(Uint8Array.prototype);
    expect(dec.next(gob.string)?.value).toBe('next');
    expect(dec.next(Put)?.value.Value).toEqual(value.subarray(0, 100));
    expect(dec.next()).toBeUndefined();
  });

  it('a large value decoded from one pushed chunk is a copy: changing the chunk later does not change it', () => {
    const enc = createEncoder();
    const dec = createDecoder();
    const chunk = Uint8Array.from(enc.encode(Put, { Key: 'k', Value: big(256 * 1024, 5) }));
    dec.push(chunk);
    const got = dec.next(Put)?.value.Value as Uint8Array;
    chunk.fill(0);
    expect(same(got, big(256 * 1024, 5))).toBe(true);
  });

  it('a small value in a large assembled message is a copy, not a view that keeps the message alive', () => {
    const enc = createEncoder();
    const dec = createDecoder();
    const Pair = gob.struct({ A: gob.bytes, B: gob.bytes }, 'Pair');
    const all = enc.encode(Pair, { A: big(70_000, 1), B: big(400_000, 2) });
    for (let i = 0; i < all.length; i += 65536) dec.push(all.subarray(i, i + 65536));
    const got = dec.next(Pair)?.value;
    // A is under half of the message: its own buffer. B is most of it: a view of the decoder's assembled copy.
    expect(got?.A.buffer.byteLength).toBe(70_000);
    expect(got?.B.buffer.byteLength).toBeGreaterThan(470_000);
    expect(same(got?.A, big(70_000, 1))).toBe(true);
    expect(same(got?.B, big(400_000, 2))).toBe(true);
  });
});
