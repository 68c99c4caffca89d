// The encoder of one gob stream: assigns type ids from 65, sends each type definition once, frames messages.
import { PluginError } from '@plugwire/core';
import { ByteWriter } from './bytes.js';
import { type GobDynamic, type GobInterface, type GobType, type GobTypeNode, type GobValue, gob, wireShape } from './schema.js';
import { BuiltinId, FIRST_USER_ID, type WireDesc, writeTypeDefinition } from './wire-types.js';

/** The encoding half of one gob stream (Go's `gob.Encoder`): type definitions are sent once per stream. */
export interface GobEncoder {
  /**
   * Encodes one value as Go's `Encoder.Encode` would: any type definitions it needs first, then the value, each
   * as a length-prefixed message. Throws a `PluginError` (`invalid_argument`) when `value` does not fit `type`.
   * @param type - the Go type to send
   * @param value - the value
   */
  encode<T>(type: GobType<T>, value: T): Uint8Array;
  /**
   * Encodes several values back to back into one buffer (as one write), e.g. a net/rpc header and its body.
   * All or nothing: when one value does not fit its type, nothing is sent and the stream is unchanged.
   * @param values - values with their Go types
   */
  encodeAll(values: readonly GobValue[]): Uint8Array;
}

type Shape = ReturnType<typeof wireShape>;

const MAX_DEPTH = 100;

function invalid(message: string): PluginError {
  return new PluginError('invalid_argument', `gob: ${message}`);
}

function isBytesSlice(s: Shape): boolean {
  if (s.kind !== 'slice') return false;
  const e = wireShape(s.elem);
  return e.kind === 'uint' && e.bits === 8;
}

function isGobInterface(v: unknown): v is GobInterface {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'name' in v && 'type' in v;
}

function inferInterface(v: Exclude<GobDynamic, null>): GobInterface {
  if (isGobInterface(v)) return v;
  switch (typeof v) {
    case 'string':
      return { name: 'string', type: gob.string, value: v };
    case 'boolean':
      return { name: 'bool', type: gob.bool, value: v };
    case 'bigint':
      return { name: 'int64', type: gob.int64, value: v };
    case 'number':
      return Number.isInteger(v) ? { name: 'int', type: gob.int, value: v } : { name: 'float64', type: gob.float64, value: v };
    default:
      if (v instanceof Uint8Array) return { name: '[]uint8', type: gob.bytes, value: v };
      throw invalid('an interface{} value must be a GobInterface (gob.iface), a string, Uint8Array, boolean, number or bigint');
  }
}

const INT_MIN = { 8: -128, 16: -32768, 32: -2147483648 } as const;

function checkInt(v: unknown, bits: number, signed: boolean): number | bigint {
  if (typeof v === 'bigint') {
    const ok = signed ? BigInt.asIntN(bits, v) === v : BigInt.asUintN(bits, v) === v;
    if (!ok) throw invalid(`${v} does not fit a Go ${signed ? 'int' : 'uint'}${bits}`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(`expected an integer, got ${String(v)}`);
  if (bits < 64) {
    const min = signed ? INT_MIN[bits as 8 | 16 | 32] : 0;
    const max = signed ? -min - 1 : 2 ** bits - 1;
    if (v < min || v > max) throw invalid(`${v} does not fit a Go ${signed ? 'int' : 'uint'}${bits}`);
  } else if (!signed && v < 0) throw invalid(`${v} does not fit a Go uint64`);
  return v;
}

class StreamEncoder implements GobEncoder {
  private readonly ids = new Map<GobTypeNode, number>();
  private nextId = FIRST_USER_ID;
  private defs = new ByteWriter(64);
  private readonly scratch = new ByteWriter(64);

  private readonly body = new ByteWriter(256);
  private readonly out = new ByteWriter(256);
  private readonly inner: ByteWriter[] = [];

  encode<T>(type: GobType<T>, value: T): Uint8Array {
    return this.encodeAll([{ type, value }]);
  }

  encodeAll(values: readonly GobValue[]): Uint8Array {
    const out = this.out;
    const body = this.body;
    out.len = 0;
    // The last body is copied straight into the result below rather than through `out` (one copy less of a big value).
    let lastBody = 0;
    const firstNewId = this.nextId;
    try {
      for (let i = 0; i < values.length; i++) {
        const { type, value } = values[i] as GobValue;
        body.len = 0;
        this.defs.len = 0;
        const shape = wireShape(type);
        if ((value === undefined || value === null) && shape.kind !== 'interface') {
          throw invalid('cannot encode a nil value at top level');
        }
        body.int(this.typeId(shape));
        this.topLevel(body, shape, value, 0);
        out.append(this.defs);
        out.uint(body.len);
        if (i < values.length - 1) out.append(body);
        else lastBody = body.len;
      }
    } catch (err) {
      // Definitions of this call were never sent: forget them so the stream stays consistent.
      for (const [t, id] of this.ids) if (id >= firstNewId) this.ids.delete(t);
      this.nextId = firstNewId;
      throw PluginError.from(err, 'invalid_argument');
    }
    // A fresh buffer: the caller may hold it (a socket write queue) while this encoder goes on.
    const result = Buffer.allocUnsafe(out.len + lastBody);
    out.buf.copy(result, 0, 0, out.len);
    body.buf.copy(result, out.len, 0, lastBody);
    return result;
  }

  /** The stream id of a type, sending its definition (and its components') first if needed. */
  private typeId(s: Shape): number {
    switch (s.kind) {
      case 'bool':
        return BuiltinId.bool;
      case 'int':
        return BuiltinId.int;
      case 'uint':
        return BuiltinId.uint;
      case 'float':
        return BuiltinId.float;
      case 'complex':
        return BuiltinId.complex;
      case 'string':
        return BuiltinId.string;
      case 'bytes':
        return BuiltinId.bytes;
      case 'interface':
        return BuiltinId.interface;
      default:
        break;
    }
    if (isBytesSlice(s)) return BuiltinId.bytes;
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const id = this.nextId++;
    // Registered before the components, so recursive types refer back to it.
    this.ids.set(s, id);
    let desc: WireDesc;
    switch (s.kind) {
      case 'struct':
        desc = { kind: 'struct', name: s.name, fields: s.fields.map((f) => ({ name: f.name, id: this.typeId(wireShape(f.type)) })) };
        break;
      case 'slice':
        desc = { kind: 'slice', name: s.name, elem: this.typeId(wireShape(s.elem)) };
        break;
      case 'array':
        desc = { kind: 'array', name: s.name, elem: this.typeId(wireShape(s.elem)), len: s.len };
        break;
      case 'map':
        desc = { kind: 'map', name: s.name, key: this.typeId(wireShape(s.key)), elem: this.typeId(wireShape(s.elem)) };
        break;
      case 'encoder':
        desc = { kind: 'encoder', name: s.name, flavor: s.flavor };
        break;
    }
    const def = this.scratch;
    def.len = 0;
    writeTypeDefinition(def, id, desc);
    this.defs.uint(def.len);
    this.defs.append(def);
    return id;
  }

  /** A value as Go frames it at top level or inside an interface: structs as is, others as a one-field struct. */
  private topLevel(w: ByteWriter, s: Shape, v: unknown, depth: number): void {
    if (s.kind === 'struct') this.value(w, s, v, depth);
    else {
      w.uint(0);
      this.value(w, s, v, depth);
    }
  }

  /** Whether a struct field is left out: Go omits zero fields, except structs and arrays. */
  private omitted(s: Shape, v: unknown): boolean {
    if (v === undefined || v === null) return true;
    switch (s.kind) {
      case 'bool':
        return v === false;
      case 'int':
      case 'uint':
      case 'float':
        return v === 0 || v === 0n;
      case 'complex': {
        const c = v as { real?: unknown; imag?: unknown };
        return c.real === 0 && c.imag === 0;
      }
      case 'string':
        return v === '';
      case 'bytes':
      case 'slice':
        return (v as { length?: unknown }).length === 0;
      default:
        return false;
    }
  }

  private value(w: ByteWriter, s: Shape, v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw invalid(`value nested deeper than ${MAX_DEPTH} levels`);
    switch (s.kind) {
      case 'bool':
        if (typeof v !== 'boolean') throw invalid(`expected a boolean for Go bool, got ${typeof v}`);
        w.uint(v ? 1 : 0);
        return;
      case 'int': {
        const n = checkInt(v, s.bits, true);
        if (typeof n === 'bigint') w.intBig(n);
        else w.int(n);
        return;
      }
      case 'uint': {
        const n = checkInt(v, s.bits, false);
        if (typeof n === 'bigint') w.uintBig(n);
        else w.uint(n);
        return;
      }
      case 'float':
        if (typeof v !== 'number') throw invalid(`expected a number for Go float${s.bits}, got ${typeof v}`);
        w.float(s.bits === 32 ? Math.fround(v) : v);
        return;
      case 'complex': {
        const c = v as { real?: unknown; imag?: unknown } | undefined;
        if (typeof c?.real !== 'number' || typeof c.imag !== 'number') throw invalid('expected { real, imag } for a Go complex');
        w.float(s.bits === 64 ? Math.fround(c.real) : c.real);
        w.float(s.bits === 64 ? Math.fround(c.imag) : c.imag);
        return;
      }
      case 'string':
        if (typeof v !== 'string') throw invalid(`expected a string for Go string, got ${typeof v}`);
        w.string(v);
        return;
      case 'bytes':
      case 'encoder':
        if (!(v instanceof Uint8Array)) throw invalid(`expected a Uint8Array for Go ${s.kind === 'bytes' ? '[]byte' : s.name}`);
        w.bytes(v);
        return;
      case 'interface':
        this.iface(w, v, depth);
        return;
      case 'struct': {
        if (typeof v !== 'object' || v === null) throw invalid(`expected an object for Go struct ${s.name}`);
        const obj = v as Record<string, unknown>;
        let last = -1;
        for (let i = 0; i < s.fields.length; i++) {
          const f = s.fields[i];
          if (f === undefined) continue;
          const fv = obj[f.name];
          const fs = wireShape(f.type);
          if (this.omitted(fs, fv)) continue;
          w.uint(i - last);
          last = i;
          this.value(w, fs, fv, depth + 1);
        }
        w.byte(0);
        return;
      }
      case 'slice':
      case 'array': {
        const elem = wireShape(s.elem);
        if (isBytesSlice(s) && v instanceof Uint8Array) {
          w.bytes(v);
          return;
        }
        if (!Array.isArray(v)) throw invalid(`expected an array for Go ${s.name}`);
        if (s.kind === 'array' && v.length !== s.len) throw invalid(`Go ${s.name} needs ${s.len} elements, got ${v.length}`);
        if (isBytesSlice(s)) {
          w.bytes(Uint8Array.from(v.map((x) => checkInt(x, 8, false) as number)));
          return;
        }
        w.uint(v.length);
        for (const x of v) this.value(w, elem, x, depth + 1);
        return;
      }
      case 'map': {
        const key = wireShape(s.key);
        const elem = wireShape(s.elem);
        let entries: Iterable<[unknown, unknown]>;
        let size: number;
        if (v instanceof Map) {
          entries = v;
          size = v.size;
        } else if (typeof v === 'object' && v !== null) {
          const list = Object.entries(v);
          entries = list;
          size = list.length;
        } else throw invalid(`expected a Map for Go ${s.name}`);
        w.uint(size);
        for (const [k, x] of entries) {
          this.value(w, key, k, depth + 1);
          this.value(w, elem, x, depth + 1);
        }
        return;
      }
    }
  }

  private iface(w: ByteWriter, v: unknown, depth: number): void {
    if (v === null || v === undefined) {
      w.uint(0);
      return;
    }
    const i = inferInterface(v as Exclude<GobDynamic, null>);
    if (i.name === '') throw invalid('an interface{} value needs the registered name of its concrete type');
    const shape = wireShape(i.type);
    w.string(i.name);
    w.int(this.typeId(shape));
    // One scratch writer per nesting level: an interface inside this one needs its own.
    const inner = (this.inner[depth] ??= new ByteWriter(64));
    inner.len = 0;
    this.topLevel(inner, shape, i.value, depth + 1);
    w.uint(inner.len);
    w.append(inner);
  }
}

/** A fresh encoder for one gob stream (one per connection, as Go keeps one per net/rpc connection). */
export function createEncoder(): GobEncoder {
  return new StreamEncoder();
}

/**
 * Encodes one value as a complete gob stream of its own (type definitions included).
 * @param type - the Go type
 * @param value - the value
 */
export function encodeGob<T>(type: GobType<T>, value: T): Uint8Array {
  return createEncoder().encode(type, value);
}
