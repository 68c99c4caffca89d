// Random Go types (as descriptions both TypeScript and test/go/src/gobfix/echo understand) and random values of them.
import fc from 'fast-check';
import { type GobType, gob } from '../src/index.js';

export type Leaf =
  | 'bool' | 'int' | 'int8' | 'int16' | 'int32' | 'uint' | 'uint8' | 'uint16' | 'uint32'
  | 'float32' | 'float64' | 'complex128' | 'string' | 'bytes' | 'iface';

export type Desc =
  | { k: Leaf }
  | { k: 'struct'; fields: Desc[] }
  | { k: 'slice'; elem: Desc }
  | { k: 'array'; elem: Desc; len: number }
  | { k: 'map'; key: Desc; elem: Desc };

const leaves: Leaf[] = ['bool', 'int', 'int8', 'int16', 'int32', 'uint', 'uint8', 'uint16', 'uint32', 'float32', 'float64', 'complex128', 'string', 'bytes', 'iface'];

export const descArb: fc.Arbitrary<Desc> = fc.letrec<{ node: Desc }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...leaves).map((k): Desc => ({ k })),
    fc.array(tie('node'), { maxLength: 4 }).map((fields): Desc => ({ k: 'struct', fields })),
    tie('node').map((elem): Desc => ({ k: 'slice', elem })),
    fc.tuple(tie('node'), fc.integer({ min: 0, max: 3 })).map(([elem, len]): Desc => ({ k: 'array', elem, len })),
    fc.tuple(fc.constantFrom<Leaf>('string', 'int', 'uint'), tie('node')).map(([key, elem]): Desc => ({ k: 'map', key: { k: key }, elem })),
  ),
})).node;

const leafTypes: Record<Leaf, GobType> = {
  bool: gob.bool, int: gob.int, int8: gob.int8, int16: gob.int16, int32: gob.int32, uint: gob.uint, uint8: gob.uint8,
  uint16: gob.uint16, uint32: gob.uint32, float32: gob.float32, float64: gob.float64, complex128: gob.complex128,
  string: gob.string, bytes: gob.bytes, iface: gob.interface,
};

export function toGob(d: Desc): GobType {
  switch (d.k) {
    case 'struct':
      return gob.struct(Object.fromEntries(d.fields.map((f, i) => [`F${i}`, toGob(f)])));
    case 'slice':
      return gob.slice(toGob(d.elem));
    case 'array':
      return gob.array(toGob(d.elem), d.len);
    case 'map':
      return gob.map(toGob(d.key), toGob(d.elem));
    default:
      return leafTypes[d.k];
  }
}

/** Integers as the decoder returns them: numbers where safe, bigints beyond. */
const canonical = (b: bigint): number | bigint => (b >= -(2n ** 53n) + 1n && b <= 2n ** 53n - 1n ? Number(b) : b);
const noNegZero = (x: number): number => (Object.is(x, -0) ? 0 : x);
const double = fc.double({ noNaN: true }).map(noNegZero);

const ifaceArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'grapheme' }).map((s) => gob.iface('string', gob.string, s)),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((b) => gob.iface('int', gob.int, canonical(b))),
  fc.uint8Array({ maxLength: 8 }).map((b) => gob.iface('[]uint8', gob.bytes, b)),
  fc.boolean().map((b) => gob.iface('bool', gob.bool, b)),
  double.map((f) => gob.iface('float64', gob.float64, f)),
);

export function valueArb(d: Desc): fc.Arbitrary<unknown> {
  switch (d.k) {
    case 'bool':
      return fc.boolean();
    case 'int':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(canonical);
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint':
      return fc.bigInt(0n, 2n ** 64n - 1n).map(canonical);
    case 'uint8':
      return fc.integer({ min: 0, max: 255 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'float32':
      return fc.float({ noNaN: true }).map(noNegZero);
    case 'float64':
      return double;
    case 'complex128':
      return fc.record({ real: double, imag: double });
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 8 });
    case 'bytes':
      return fc.uint8Array({ maxLength: 8 });
    case 'iface':
      return ifaceArb;
    case 'struct':
      return fc.tuple(...d.fields.map(valueArb)).map((vs) => Object.fromEntries(vs.map((v, i) => [`F${i}`, v])));
    case 'slice':
      return fc.array(valueArb(d.elem), { maxLength: 4 });
    case 'array':
      return fc.array(valueArb(d.elem), { minLength: d.len, maxLength: d.len });
    case 'map':
      return fc
        .uniqueArray(fc.tuple(valueArb(d.key), valueArb(d.elem)), { maxLength: 4, selector: ([k]) => String(k) })
        .map((entries) => new Map(entries));
  }
}

/** A random Go type and a random value of it. */
export const typedValueArb = descArb.chain((desc) => valueArb(desc).map((value) => ({ desc, value })));
