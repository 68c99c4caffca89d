import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { HpackDecoder, HpackEncoder, type HeaderField } from '../src/index.js';
import { CODES, CODE_LENGTHS, huffmanDecode, huffmanEncode, huffmanLength } from '../src/hpack/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK Huffman code', () => {
  it('rebuilds the RFC 7541 Appendix B codes from their lengths', () => {
    expect(CODES[0]).toBe(0x1ff8);
    expect(CODES[9]).toBe(0xffffea);
    expect(CODES[10]).toBe(0x3ffffffc);
    expect(CODES[32]).toBe(0x14);
    expect(CODES[97]).toBe(0x3);
    expect(CODES[200]).toBe(0x3ffffe2);
    expect(CODES[255]).toBe(0x3ffffee);
    expect(CODES[256]).toBe(0x3fffffff);
    // A complete prefix code: the Kraft sum is exactly 1.
    let kraft = 0;
    for (const len of CODE_LENGTHS) kraft += 2 ** -len;
    expect(kraft).toBe(1);
  });

  it('encodes the RFC 7541 C.4.1 example', () => {
    const input = Buffer.from('www.example.com');
    const out = Buffer.alloc(huffmanLength(input));
    expect(huffmanEncode(input, out, 0)).toBe(out.length);
    expect(out.toString('hex')).toBe('f1e3c2e5f23a6ba0ab90f4ff');
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const input = Buffer.from(bytes);
        const out = Buffer.alloc(huffmanLength(input));
        huffmanEncode(input, out, 0);
        expect(huffmanDecode(out, 0, out.length).equals(input)).toBe(true);
      }),
    );
  });

  it('rejects EOS, long padding and padding that is not ones', () => {
    expect(() => huffmanDecode(hex('ffffffff'), 0, 4)).toThrow(PluginError); // EOS (30 ones) inside
    expect(() => huffmanDecode(hex('ff'), 0, 1)).toThrow(/padding/); // 8 bits of padding
    expect(() => huffmanDecode(hex('00'), 0, 1)).toThrow(/padding/); // '0' (5 bits) then 000
  });
});

describe('HPACK decoder', () => {
  it('decodes the RFC 7541 C.3 requests (no Huffman) with the dynamic table', () => {
    const d = new HpackDecoder(4096, 65536);
    expect(d.decode(hex('828684410f7777772e6578616d706c652e636f6d')).fields).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    expect(d.decode(hex('828684be58086e6f2d6361636865')).fields).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    expect(d.decode(hex('828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565')).fields).toEqual([
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  it('decodes the RFC 7541 C.4 requests (Huffman)', () => {
    const d = new HpackDecoder(4096, 65536);
    expect(d.decode(hex('828684418cf1e3c2e5f23a6ba0ab90f4ff')).fields[3]).toEqual([':authority', 'www.example.com']);
    expect(d.decode(hex('828684be5886a8eb10649cbf')).fields[4]).toEqual(['cache-control', 'no-cache']);
    expect(d.decode(hex('828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf')).fields[4]).toEqual(['custom-key', 'custom-value']);
  });

  it('decodes the RFC 7541 C.6 responses with evictions from a 256-byte table', () => {
    const d = new HpackDecoder(256, 65536);
    d.decode(hex('488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3'));
    d.decode(hex('4883640effc1c0bf'));
    const third = d.decode(
      hex('88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007'),
    );
    expect(third.fields).toEqual([
      [':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ]);
  });

  it('rejects bad indexes, oversized integers, late and oversized table size updates, truncated strings', () => {
    const d = (): HpackDecoder => new HpackDecoder(4096, 65536);
    expect(() => d().decode(hex('80'))).toThrow(/index 0/);
    expect(() => d().decode(hex('be'))).toThrow(/outside the table/);
    expect(() => d().decode(hex('ffffffffffffff7f'))).toThrow(/too large/);
    expect(() => d().decode(hex('82 3fe11f'))).toThrow(/after a header field/);
    expect(() => d().decode(hex('3fe23f'))).toThrow(/exceeds the advertised/);
    expect(() => d().decode(hex('400a6375'))).toThrow(/past the end/);
    expect(() => d().decode(hex('ff'))).toThrow(/past the end/);
  });

  it('flags a header list over the limit but keeps the table in step', () => {
    const enc = new HpackEncoder(4096);
    const big: HeaderField[] = [['x-a', 'a'.repeat(600)], ['x-b', 'b'.repeat(600)]];
    const d = new HpackDecoder(4096, 1024);
    const r = d.decode(enc.encode(big));
    expect(r.tooLarge).toBe(true);
    // The next block refers to entries added by the oversized one: still decodable.
    expect(d.decode(enc.encode(big.slice(1))).fields).toEqual(big.slice(1));
  });

  const field = fc.tuple(
    fc.stringMatching(/^[a-z0-9-]{1,20}$/),
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 100 }),
  );

  it('round-trips header lists across many blocks sharing the dynamic table, with table size changes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(field, { maxLength: 12 }), fc.option(fc.integer({ min: 0, max: 4096 }))), { maxLength: 20 }), (blocks) => {
        const enc = new HpackEncoder(4096);
        const dec = new HpackDecoder(4096, 1 << 20);
        for (const [fields, resize] of blocks) {
          if (resize !== null) enc.setMaxTableSize(resize);
          expect(dec.decode(enc.encode(fields)).fields).toEqual(fields);
        }
      }),
    );
  });

  it('answers any bytes with fields or a PluginError protocol, never another error, within the list limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }), (blocks) => {
        const dec = new HpackDecoder(4096, 8192);
        for (const b of blocks) {
          try {
            const r = dec.decode(Buffer.from(b));
            const size = r.fields.reduce((n, [a, v]) => n + a.length + v.length + 32, 0);
            expect(size).toBeLessThanOrEqual(8192);
          } catch (err) {
            expect(err).toBeInstanceOf(PluginError);
            expect((err as PluginError).code).toBe('protocol');
            return;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
