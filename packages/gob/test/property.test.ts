import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PluginError } from '@plugwire/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { ByteWriter } from '../src/bytes.js';
import { createDecoder, createEncoder, decodeGob, encodeGob } from '../src/index.js';
import { type WireDesc, writeTypeDefinition } from '../src/wire-types.js';
import { toGob, typedValueArb } from './arbitraries.js';
import { goldenCases, plain } from './cases.js';

describe('gob properties', () => {
  it('random values of random Go types round-trip TS → TS', () => {
    fc.assert(
      fc.property(typedValueArb, ({ desc, value }) => {
        const type = toGob(desc);
        const [back] = decodeGob(encodeGob(type, value), type);
        expect(plain(back)).toEqual(plain(value));
      }),
      { numRuns: 300 },
    );
  });

  it('one encoder and decoder per stream: types are defined once and values keep decoding', () => {
    fc.assert(
      fc.property(fc.array(typedValueArb, { minLength: 1, maxLength: 6 }), (items) => {
        const enc = createEncoder();
        const dec = createDecoder();
        const typed = items.map(({ desc, value }) => ({ type: toGob(desc), value }));
        // Each value twice: the second encoding of a type carries no definition.
        const chunks = typed.flatMap(({ type, value }) => [enc.encode(type, value), enc.encode(type, value)]);
        const all = Buffer.concat(chunks);
        // Fed in odd-sized pieces, as a socket would deliver them.
        for (let i = 0; i < all.length; i += 7) dec.push(all.subarray(i, i + 7));
        for (const { type, value } of typed) {
          for (let n = 0; n < 2; n++) expect(plain(dec.next(type)?.value)).toEqual(plain(value));
        }
        expect(dec.next()).toBeUndefined();
        expect(dec.buffered).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes never hang and throw nothing but PluginError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeGob(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(PluginError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('corrupted valid streams throw nothing but PluginError', () => {
    const streams = Object.values(goldenCases).map((c) => encodeGob(c.type, c.value));
    fc.assert(
      fc.property(
        fc.constantFrom(...streams),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (stream, edits, cut) => {
          const bytes = stream.slice(0, Math.max(1, stream.length - (cut % 3)));
          for (const [at, b] of edits) bytes[at % bytes.length] = b;
          try {
            decodeGob(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(PluginError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('gob hostile input', () => {
  const expectProtocol = (bytes: number[], pattern: RegExp): void => {
    let caught: unknown;
    try {
      decodeGob(Uint8Array.from(bytes));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PluginError);
    expect((caught as PluginError).code).toBe('protocol');
    expect((caught as PluginError).message).toMatch(pattern);
  };

  it('rejects a slice count larger than the bytes left', () => {
    // []byte singleton claiming 2^40 bytes.
    expectProtocol([0x08, 0x0a, 0x00, 0xfb, 0x01, 0x00, 0x00, 0x00, 0x00], /exceeds/);
  });

  it('waits for a declared message length without allocating it', () => {
    const dec = createDecoder();
    dec.push(Uint8Array.from([0xfc, 0x3f, 0xff, 0xff, 0xff])); // a 1 GiB message, none of it sent
    expect(dec.next()).toBeUndefined();
    expect(dec.buffered).toBe(0);
  });

  it('rejects a message length above the limit', () => {
    const dec = createDecoder({ maxMessageSize: 1024 });
    dec.push(Uint8Array.from([0xfe, 0x08, 0x00]));
    expect(() => dec.next()).toThrow(/larger than the 1024-byte limit/);
  });

  it('rejects unknown type ids', () => {
    expectProtocol([0x03, 0xff, 0x90, 0x00], /unknown type id 72/);
  });

  it('rejects nesting deeper than the limit', () => {
    // 200 nested interface values, each an interface{} inside an interface{}... built with a real encoder.
    let v: unknown = null;
    const iface = { kind: 'interface' } as const;
    for (let i = 0; i < 200; i++) v = { name: 'x', type: iface, value: v };
    expect(() => encodeGob(iface, v as null)).toThrow(/deeper/);
  });

  it('rejects values nested deeper than maxDepth when decoding', () => {
    let v: unknown = 'leaf';
    const iface = { kind: 'interface' } as const;
    for (let i = 0; i < 20; i++) v = { name: 'x', type: iface, value: v };
    const dec = createDecoder({ maxDepth: 10 });
    dec.push(encodeGob(iface, v as null));
    expect(() => dec.next()).toThrow(/nested deeper than 10 levels/);
  });

  it('rejects type definitions chained deeper than maxDepth', () => {
    const out = new ByteWriter();
    for (let id = 65; id < 365; id++) {
      const def = new ByteWriter();
      writeTypeDefinition(def, id, { kind: 'slice', name: '', elem: id + 1 });
      out.uint(def.len);
      out.raw(def.result());
    }
    out.raw(Uint8Array.from([0x04, 0xff, 0x82, 0x00, 0x00])); // a value of type 65: an empty slice
    expect(() => decodeGob(out.result())).toThrow(/nested deeper than 100 levels/);
  });

  it('bounds zero values of huge announced types by the message size', () => {
    // A struct type whose one field is a [1e9]int array, and a value omitting that field: the decoder must refuse
    // rather than allocate a billion zeros for it.
    const out = new ByteWriter();
    const define = (id: number, desc: WireDesc): void => {
      const def = new ByteWriter();
      writeTypeDefinition(def, id, desc);
      out.uint(def.len);
      out.raw(def.result());
    };
    define(65, { kind: 'struct', name: 'S', fields: [{ name: 'A', id: 66 }] });
    define(66, { kind: 'array', name: '[1000000000]int', elem: 2, len: 1e9 });
    out.raw(Uint8Array.from([0x03, 0xff, 0x82, 0x00]));
    expect(() => decodeGob(out.result())).toThrow(/far more memory than the message holds/);
  });

  it('a type mismatch fails one value and leaves the stream usable', () => {
    const enc = createEncoder();
    const dec = createDecoder();
    dec.push(enc.encode(goldenCases.point!.type, goldenCases.point!.value));
    dec.push(enc.encode(goldenCases.string!.type, goldenCases.string!.value));
    expect(() => dec.next(goldenCases.string!.type)).toThrow(/received remote type/);
    expect(dec.next(goldenCases.string!.type)?.value).toBe('héllo, 世界');
  });
});

describe.skipIf(goSkipReason() !== undefined)('gob properties against Go', () => {
  let child: ChildProcess;
  let lines: AsyncIterator<string>;
  beforeAll(async () => {
    child = spawn(await buildGo('gobfix/echo'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  });
  afterAll(() => {
    child.kill();
  });

  it('random values of random Go types round-trip TS → Go → TS', async () => {
    await fc.assert(
      fc.asyncProperty(typedValueArb, async ({ desc, value }) => {
        const type = toGob(desc);
        child.stdin!.write(`${JSON.stringify({ desc, data: Buffer.from(encodeGob(type, value)).toString('base64') })}\n`);
        const { value: line } = await lines.next();
        const reply = JSON.parse(line as string) as { data?: string; error?: string };
        expect(reply.error).toBeUndefined();
        const [back] = decodeGob(Buffer.from(reply.data ?? '', 'base64'), type);
        expect(plain(back)).toEqual(plain(value));
      }),
      { numRuns: 200 },
    );
  });
});
