// The golden cases shared with test/go/src/gobfix/golden: each Go value's schema and its TypeScript value.
import { type GobInterface, type GobType, gob } from '../src/index.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export const Point = gob.struct({ X: gob.int, Y: gob.int }, 'Point');
export const Inner = gob.struct({ A: gob.string, B: gob.slice(gob.int) }, 'Inner');
export const Outer = gob.struct(
  {
    Name: gob.string,
    Zero: gob.int,
    Flag: gob.bool,
    In: Inner,
    P: gob.ptr(Inner),
    Nil: gob.ptr(Inner),
    Tags: gob.map(gob.string, gob.int),
    Arr: gob.array(gob.uint8, 3),
    Any: gob.interface,
    F32: gob.float32,
    C: gob.complex128,
    U64: gob.uint64,
    I64: gob.int64,
    Bytes: gob.bytes,
  },
  'Outer',
);
export const Holder = gob.struct({ Any: gob.interface }, 'Holder');
interface NodeValue {
  Val: number | bigint;
  Next: NodeValue | undefined;
}
export const Node: GobType<NodeValue> = gob.struct({ Val: gob.int, Next: gob.ptr(gob.lazy(() => Node)) }, 'Node');

/** One golden case: the Go type, the value, and whether a schema-less decode yields the same value. */
export interface GoldenCase {
  readonly type: GobType;
  readonly value: unknown;
  /** False where pointers make the schema-less value differ (nil pointer vs zero value). */
  readonly schemaless?: boolean;
  /** The decoded value where it differs from `value` (a nil map, encoded as `undefined`, decodes as an empty Map). */
  readonly decoded?: unknown;
}

const pointIface = (x: number, y: number): GobInterface => gob.iface('main.Point', Point, { X: x, Y: y });

const outerZeroValue = {
  Name: '',
  Zero: 0,
  Flag: false,
  In: { A: '', B: [] },
  P: undefined,
  Nil: undefined,
  // A nil Go map is omitted, so it decodes as an empty Map; `undefined` encodes nil.
  Tags: undefined as Map<string, number> | undefined,
  Arr: [0, 0, 0],
  Any: null,
  F32: 0,
  C: { real: 0, imag: 0 },
  U64: 0,
  I64: 0,
  Bytes: new Uint8Array(0),
};

export const goldenCases: Record<string, GoldenCase> = {
  bool: { type: gob.bool, value: true },
  int: { type: gob.int, value: -129 },
  int8: { type: gob.int8, value: -128 },
  int16: { type: gob.int16, value: 32767 },
  int32: { type: gob.int32, value: -2147483648 },
  int64max: { type: gob.int64, value: 2n ** 63n - 1n },
  int64min: { type: gob.int64, value: -(2n ** 63n) },
  uint8: { type: gob.uint8, value: 255 },
  uint16: { type: gob.uint16, value: 65535 },
  uint32: { type: gob.uint32, value: 4294967295 },
  uint64max: { type: gob.uint64, value: 2n ** 64n - 1n },
  uintbig: { type: gob.uint, value: 2n ** 53n + 1n },
  float64: { type: gob.float64, value: Math.PI },
  float32: { type: gob.float32, value: 1.5 },
  floatneg: { type: gob.float64, value: -0.1 },
  floatinf: { type: gob.float64, value: -Infinity },
  complex128: { type: gob.complex128, value: { real: 1.5, imag: -2 } },
  complex64: { type: gob.complex64, value: { real: 0.25, imag: 8 } },
  string: { type: gob.string, value: 'héllo, 世界' },
  bytes: { type: gob.bytes, value: new Uint8Array([0, 1, 2, 255]) },
  strings: { type: gob.slice(gob.string), value: ['a', '', 'c'] },
  ints: { type: gob.slice(gob.int), value: [0, -1, 2 ** 40] },
  array: { type: gob.array(gob.int, 3), value: [1, 0, 3] },
  map: { type: gob.map(gob.string, gob.int), value: new Map([['a', 1], ['zero', 0]]) },
  mapIntString: { type: gob.map(gob.int, gob.string), value: new Map([[-5, 'x']]) },
  point: { type: Point, value: { X: 22, Y: 33 } },
  outer: {
    type: Outer,
    schemaless: false,
    value: {
      Name: 'outer',
      Zero: 0,
      Flag: true,
      In: { A: 'in', B: [1, 2] },
      P: { A: 'p', B: [] },
      Nil: undefined,
      Tags: new Map([['t', 3]]),
      Arr: [1, 0, 9],
      Any: pointIface(1, 2),
      F32: -2.5,
      C: { real: 0, imag: 1 },
      U64: 2n ** 64n - 1n,
      I64: -(2n ** 60n),
      Bytes: utf8('xyz'),
    },
  },
  outerZero: { type: Outer, schemaless: false, value: outerZeroValue, decoded: { ...outerZeroValue, Tags: new Map() } },
  ptrHolder: { type: gob.struct({ P: gob.ptr(gob.int), Q: gob.ptr(gob.int) }, 'PtrHolder'), value: { P: 7, Q: undefined }, schemaless: false },
  iface: {
    type: gob.map(gob.string, gob.interface),
    value: new Map<string, unknown>([
      ['key', gob.iface('string', gob.string, 'k')],
      ['value', gob.iface('[]uint8', gob.bytes, utf8('v'))],
    ]),
  },
  ifaceList: {
    type: gob.slice(gob.interface),
    value: [
      pointIface(1, 2),
      gob.iface('string', gob.string, 's'),
      gob.iface('int', gob.int, 7),
      null,
      gob.iface('[]uint8', gob.bytes, new Uint8Array([1])),
      gob.iface('bool', gob.bool, true),
      gob.iface('float64', gob.float64, 2.5),
      gob.iface('int64', gob.int64, -3),
      gob.iface('uint32', gob.uint32, 9),
    ],
  },
  nested: { type: Holder, value: { Any: gob.iface('main.Holder', Holder, { Any: pointIface(5, 6) }) } },
  bin: {
    type: gob.struct({ B: gob.encoder('Bin', 'binary'), G: gob.encoder('GobE', 'gob') }, 'BinHolder'),
    value: { B: utf8('bin:payload'), G: utf8('42') },
  },
  request: { type: gob.struct({ ServiceMethod: gob.string, Seq: gob.uint64 }, 'Request'), value: { ServiceMethod: 'Plugin.Get', Seq: 7 } },
  empty: { type: gob.empty, value: {} },
  recursive: { type: Node, value: { Val: 1, Next: { Val: 2, Next: undefined } } },
  mapNested: {
    type: gob.map(gob.string, gob.slice(Point)),
    value: new Map([['ps', [{ X: 1, Y: 2 }, { X: 3, Y: 4 }]]]),
  },
};

/** Drops the `type` of interface values (schemas are compared by what they decode, not by identity). */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (v instanceof Map) return new Map(Array.from(v, ([k, x]) => [plain(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null) {
    if ('name' in v && 'type' in v && 'value' in v) return { iface: (v as GobInterface).name, value: plain(v.value) };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}
