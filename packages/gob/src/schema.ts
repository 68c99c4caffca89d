// Schemas describe Go types from TypeScript, so encoded values carry the exact gob types a Go peer's decoder
// checks (a Go `uint32` reply must arrive as gob `uint`, a `map[string]interface{}` as a map of interfaces).

/** Width of a Go integer type; gob sends every width the same way, the width only bounds decoded values. */
export type IntBits = 8 | 16 | 32 | 64;

/** The shape of a Go type as gob sees it. Build these with the {@link gob} builders. */
export type GobTypeNode =
  | {
      /** Go `bool`. */
      readonly kind: 'bool';
    }
  | {
      /** A signed Go integer. */
      readonly kind: 'int';
      /** Its width: `int8` … `int64` (Go's `int` is 64 here). */
      readonly bits: IntBits;
    }
  | {
      /** An unsigned Go integer. */
      readonly kind: 'uint';
      /** Its width: `uint8` … `uint64` (Go's `uint` is 64 here). */
      readonly bits: IntBits;
    }
  | {
      /** A Go float. */
      readonly kind: 'float';
      /** `float32` or `float64`. */
      readonly bits: 32 | 64;
    }
  | {
      /** A Go complex number. */
      readonly kind: 'complex';
      /** `complex64` or `complex128`. */
      readonly bits: 64 | 128;
    }
  | {
      /** Go `string`. */
      readonly kind: 'string';
    }
  | {
      /** Go `[]byte`. */
      readonly kind: 'bytes';
    }
  | {
      /** Go `interface{}`: a value sent with its registered type name. */
      readonly kind: 'interface';
    }
  | {
      /** A Go struct. */
      readonly kind: 'struct';
      /** The Go type name, e.g. `main.Args`. */
      readonly name: string;
      /** Its exported fields, in declaration order. */
      readonly fields: readonly GobField[];
    }
  | {
      /** A Go slice. */
      readonly kind: 'slice';
      /** The Go type name, e.g. `[]string`. */
      readonly name: string;
      /** The element type. */
      readonly elem: GobType;
    }
  | {
      /** A Go array. */
      readonly kind: 'array';
      /** The Go type name, e.g. `[4]int64`. */
      readonly name: string;
      /** The element type. */
      readonly elem: GobType;
      /** The array length. */
      readonly len: number;
    }
  | {
      /** A Go map. */
      readonly kind: 'map';
      /** The Go type name, e.g. `map[string]int64`. */
      readonly name: string;
      /** The key type. */
      readonly key: GobType;
      /** The value type. */
      readonly elem: GobType;
    }
  | {
      /** A Go pointer, flattened on the wire as gob does. */
      readonly kind: 'ptr';
      /** The pointed-to type. */
      readonly elem: GobType;
    }
  | {
      /** A Go type with its own marshaling (`GobEncoder`, `BinaryMarshaler`, `TextMarshaler`). */
      readonly kind: 'encoder';
      /** The Go type name. */
      readonly name: string;
      /** Which of the marshaling interfaces it implements. */
      readonly flavor: EncoderFlavor;
    }
  | {
      /** A type resolved on first use, for recursive types. */
      readonly kind: 'lazy';
      /** Returns the type this one stands for. */
      readonly resolve: () => GobType;
    };

/** Which marshaling interface a Go type implements: `GobEncoder`, `BinaryMarshaler` or `TextMarshaler`. */
export type EncoderFlavor = 'gob' | 'binary' | 'text';

/** One exported field of a Go struct. */
export interface GobField {
  /** The Go field name (exported, so capitalised). */
  readonly name: string;
  /** The field's type. */
  readonly type: GobType;
}

/**
 * A Go type; `T` is the TypeScript type of its values (see {@link Infer}). `__value` never exists at run time: it
 * only carries `T` for the type checker.
 */
export type GobType<T = unknown> = GobTypeNode & {
  /** Never set: carries `T` for the type checker only. */
  readonly __value?: T;
};

/** The TypeScript type of the values of a gob type. */
export type Infer<S> = S extends GobType<infer T> ? T : never;

/** A Go `complex64` / `complex128` value. */
export interface Complex {
  /** Real part. */
  readonly real: number;
  /** Imaginary part. */
  readonly imag: number;
}

/** A value together with its Go type, e.g. the concrete value inside a Go `interface{}`. */
export interface GobValue<T = unknown> {
  /** The Go type of `value`. */
  readonly type: GobType<T>;
  /** The value. */
  readonly value: T;
}

/**
 * The content of a non-nil Go `interface{}`: the name the concrete type was registered under with `gob.Register`
 * (`string`, `[]uint8`, `int`, `main.Point`, …), its type and its value.
 */
export interface GobInterface<T = unknown> extends GobValue<T> {
  /** Registered name of the concrete type. */
  readonly name: string;
}

/**
 * What an `interface{}` slot accepts when encoding: a {@link GobInterface}, `null` for nil, or a plain JS value
 * whose Go type is implied (`string`, `Uint8Array` → `[]uint8`, `boolean` → `bool`, integer `number` → `int`,
 * other `number` → `float64`, `bigint` → `int64`). Decoding always yields a `GobInterface` or `null`.
 */
export type GobDynamic = GobInterface | string | Uint8Array | boolean | number | bigint | null;

/** A struct's fields by Go name. */
export type GobFields = Readonly<Record<string, GobType>>;

type StructValue<F extends GobFields> = { -readonly [K in keyof F]: Infer<F[K]> };

const bool: GobType<boolean> = { kind: 'bool' };
const int: GobType<number | bigint> = { kind: 'int', bits: 64 };
const int8: GobType<number> = { kind: 'int', bits: 8 };
const int16: GobType<number> = { kind: 'int', bits: 16 };
const int32: GobType<number> = { kind: 'int', bits: 32 };
const uint: GobType<number | bigint> = { kind: 'uint', bits: 64 };
const uint8: GobType<number> = { kind: 'uint', bits: 8 };
const uint16: GobType<number> = { kind: 'uint', bits: 16 };
const uint32: GobType<number> = { kind: 'uint', bits: 32 };
const float32: GobType<number> = { kind: 'float', bits: 32 };
const float64: GobType<number> = { kind: 'float', bits: 64 };
const complex64: GobType<Complex> = { kind: 'complex', bits: 64 };
const complex128: GobType<Complex> = { kind: 'complex', bits: 128 };
const string: GobType<string> = { kind: 'string' };
const bytes: GobType<Uint8Array> = { kind: 'bytes' };
const iface: GobType<GobDynamic> = { kind: 'interface' };
const empty: GobType<Record<string, never>> = { kind: 'struct', name: 'struct {}', fields: [] };

function goName(t: GobType): string {
  switch (t.kind) {
    case 'bool':
    case 'string':
      return t.kind;
    case 'int':
      return t.bits === 64 ? 'int64' : `int${t.bits}`;
    case 'uint':
      return t.bits === 64 ? 'uint64' : `uint${t.bits}`;
    case 'float':
      return `float${t.bits}`;
    case 'complex':
      return `complex${t.bits}`;
    case 'bytes':
      return '[]uint8';
    case 'interface':
      return 'interface {}';
    case 'ptr':
      return `*${goName(t.elem)}`;
    case 'lazy':
      return goName(t.resolve());
    default:
      return t.name;
  }
}

/**
 * Builders of Go types, e.g. `gob.struct({ Key: gob.string, Value: gob.bytes })`. Go's `int`/`int64` and
 * `uint`/`uint64` values are `number`, or `bigint` beyond 2^53; pointers are flattened as gob does
 * (`gob.ptr(t)` only allows `undefined` for nil).
 */
export const gob = {
  /** Go `bool`. */
  bool,
  /** Go `int` / `int64`. */
  int,
  /** Go `int64` (same as `int` on the wire). */
  int64: int,
  /** Go `int8`. */
  int8,
  /** Go `int16`. */
  int16,
  /** Go `int32`. */
  int32,
  /** Go `uint` / `uint64`. */
  uint,
  /** Go `uint64` (same as `uint` on the wire). */
  uint64: uint,
  /** Go `uint8`. */
  uint8,
  /** Go `uint16`. */
  uint16,
  /** Go `uint32`. */
  uint32,
  /** Go `float32`. */
  float32,
  /** Go `float64`. */
  float64,
  /** Go `complex64`. */
  complex64,
  /** Go `complex128`. */
  complex128,
  /** Go `string`. */
  string,
  /** Go `[]byte`. */
  bytes,
  /** Go `interface{}` (any interface type: gob treats them all alike). */
  interface: iface,
  /** Go `struct{}`, the reply type of go-plugin's `Control` methods. */
  empty,
  /**
   * A Go struct with these exported fields, in declaration order.
   * @param fields - field types by Go name
   * @param name - the Go type name (sent in the type descriptor; Go decoders do not check it)
   */
  struct<F extends GobFields>(fields: F, name = ''): GobType<StructValue<F>> {
    return {
      kind: 'struct',
      name,
      fields: Object.entries(fields).map(([fieldName, type]) => ({ name: fieldName, type })),
    };
  },
  /**
   * A Go slice `[]T` (for `[]byte` use {@link gob.bytes}).
   * @param elem - element type
   */
  slice<T>(elem: GobType<T>, name?: string): GobType<T[]> {
    return { kind: 'slice', name: name ?? `[]${goName(elem)}`, elem };
  },
  /**
   * A Go array `[len]T`.
   * @param elem - element type
   * @param len - array length
   */
  array<T>(elem: GobType<T>, len: number, name?: string): GobType<T[]> {
    return { kind: 'array', name: name ?? `[${len}]${goName(elem)}`, elem, len };
  },
  /**
   * A Go map `map[K]V`; values are JS `Map`s (a plain object is also accepted when encoding string keys).
   * @param key - key type
   * @param elem - value type
   */
  map<K, V>(key: GobType<K>, elem: GobType<V>, name?: string): GobType<Map<K, V>> {
    return { kind: 'map', name: name ?? `map[${goName(key)}]${goName(elem)}`, key, elem };
  },
  /**
   * A Go pointer `*T`: the same bytes as `T` (gob flattens pointers); `undefined` stands for nil.
   * @param elem - pointed-to type
   */
  ptr<T>(elem: GobType<T>): GobType<T | undefined> {
    return { kind: 'ptr', elem };
  },
  /**
   * A Go type that implements `GobEncoder` (or `BinaryMarshaler`/`TextMarshaler`): its payload as opaque bytes.
   * @param name - the Go type name
   * @param flavor - which interface it implements
   */
  encoder(name: string, flavor: EncoderFlavor = 'gob'): GobType<Uint8Array> {
    return { kind: 'encoder', name, flavor };
  },
  /**
   * A type defined later, for recursive types: `const node = gob.struct({ Next: gob.ptr(gob.lazy(() => node)) })`.
   * @param resolve - returns the type
   */
  lazy<T>(resolve: () => GobType<T>): GobType<T> {
    return { kind: 'lazy', resolve };
  },
  /**
   * A value for an `interface{}` slot with an explicit registered name and type.
   * @param name - the name Go registered the concrete type under (`gob.Register`)
   * @param type - the concrete type
   * @param value - the value
   */
  iface<T>(name: string, type: GobType<T>, value: T): GobInterface<T> {
    return { name, type, value };
  },
  /**
   * The plain value in an `interface{}` slot: a decoded `{ name, type, value }` gives its `value`, anything else is
   * returned as is (`null` for nil, `undefined` for an absent map entry).
   * @param v - an interface value
   */
  unwrap(v: GobDynamic | undefined): unknown {
    return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) ? v.value : v;
  },
  /**
   * A value with its type, e.g. an argument of a net/rpc call.
   * @param type - the Go type
   * @param value - the value
   */
  value<T>(type: GobType<T>, value: T): GobValue<T> {
    return { type, value };
  },
} as const;

/** Follows `lazy` and `ptr` to the type that is on the wire. */
export function wireShape(t: GobType): Exclude<GobTypeNode, { kind: 'lazy' } | { kind: 'ptr' }> {
  let cur: GobType = t;
  for (let i = 0; i < 64; i++) {
    if (cur.kind === 'lazy') cur = cur.resolve();
    else if (cur.kind === 'ptr') cur = cur.elem;
    else return cur;
  }
  throw new TypeError('gob type resolves through more than 64 lazy/pointer levels');
}

/** The name Go registers a type under by default (`[]uint8`, `int64`, the type name for named types). */
export function registeredName(t: GobType): string {
  return goName(t);
}
