// The decoder of one gob stream: reassembles length-prefixed messages from chunks, records type definitions and
// decodes values by their wire type, optionally checked against the Go type the caller expects.
import { PluginError } from '@plugwire/core';
import { ByteReader, ByteWriter, gobError } from './bytes.js';
import type { GobInterface, GobType, GobTypeNode, GobValue } from './schema.js';
import { gob, wireShape } from './schema.js';
import { BuiltinId, FIRST_DEFINABLE_ID, type WireDesc, readWireType } from './wire-types.js';

/** Options of {@link createDecoder}. */
export interface GobDecoderOptions {
  /**
   * Largest message accepted, in bytes; a longer length prefix is a `protocol` error. Memory is only ever
   * allocated for bytes actually received.
   * @default 1 GiB (Go's limit)
   */
  readonly maxMessageSize?: number;
  /**
   * Deepest nesting of values (interfaces, structs, slices, maps) accepted.
   * @default 100
   */
  readonly maxDepth?: number;
}

/** The decoding half of one gob stream (Go's `gob.Decoder`). */
export interface GobDecoder {
  /** Appends bytes received from the peer. */
  push(chunk: Uint8Array): void;
  /**
   * Decodes the next complete value, or returns `undefined` when more bytes are needed. Type definitions are
   * consumed along the way. With `type`, the wire type must be one Go would decode into that type, missing struct
   * fields get their zero values, and integers are range-checked. Throws a `PluginError` (`protocol`) on malformed
   * input; after that the stream is unusable and every call throws the same error. A value whose wire type does
   * not fit `type` throws too, but leaves the stream usable (the value is skipped).
   * @param type - the Go type the value is expected to have
   */
  next<T = unknown>(type?: GobType<T>): GobValue<T> | undefined;
  /** Bytes received but not yet consumed. */
  readonly buffered: number;
  /** True once malformed input made the stream unusable. */
  readonly failed: boolean;
}

type Shape = ReturnType<typeof wireShape>;

interface ZeroField {
  readonly name: string;
  /** True when `value` is an immutable zero that can be shared. */
  readonly primitive: boolean;
  readonly value: unknown;
  readonly make: () => unknown;
}

interface StructPlan {
  /** Per wire field: where it goes, or undefined when the local struct lacks it (dropped, as Go drops it). */
  readonly targets: ReadonlyArray<{ name: string; shape: Shape | undefined } | undefined>;
  /** The local struct's fields and their zero values. */
  readonly zeros: readonly ZeroField[];
}

/** Thrown inside a value decode when its continuation message has not fully arrived yet. */
const NEED_MORE = Symbol('need more bytes');

function lengthPrefix(n: number): Uint8Array {
  const w = new ByteWriter(10);
  w.uint(n);
  return w.result();
}

const BUILTIN_NAMES: Readonly<Record<number, string>> = {
  1: 'bool',
  2: 'int',
  3: 'uint',
  4: 'float',
  5: '[]byte',
  6: 'string',
  7: 'complex',
  8: 'interface',
};

const BUILTIN_TYPES: Readonly<Record<number, GobType>> = {
  1: gob.bool,
  2: gob.int,
  3: gob.uint,
  4: gob.float64,
  5: gob.bytes,
  6: gob.string,
  7: gob.complex128,
  8: gob.interface,
};

function shapeName(s: Shape): string {
  switch (s.kind) {
    case 'int':
    case 'uint':
      return `${s.kind}${s.bits}`;
    case 'float':
    case 'complex':
      return `${s.kind}${s.bits}`;
    case 'struct':
      return `struct ${s.name}`;
    case 'slice':
    case 'array':
    case 'map':
    case 'encoder':
      return s.name;
    default:
      return s.kind;
  }
}

class StreamDecoder implements GobDecoder {
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private total = 0;
  private pendingLength = -1;
  private failure: PluginError | undefined;
  private readonly types = new Map<number, WireDesc>();
  private readonly schemas = new Map<number, GobType>();
  private readonly plans = new Map<number, Map<Shape | undefined, StructPlan>>();
  private budget = 0;
  /** Bytes taken while decoding the current value, to put back when it has to wait for more. */
  private recorded: Uint8Array[] | undefined;
  /** Type ids defined while decoding the current value, forgotten when it has to wait for more. */
  private defined: number[] = [];
  /** Whether the current value went on into a further message (then no error leaves the stream usable). */
  private continued = false;
  /** Type mismatches: the message was read whole, so the stream stays usable after one. */
  private readonly mismatches = new WeakSet<PluginError>();
  private readonly maxMessageSize: number;
  private readonly maxDepth: number;

  constructor(options: GobDecoderOptions) {
    this.maxMessageSize = options.maxMessageSize ?? 2 ** 30;
    this.maxDepth = options.maxDepth ?? 100;
  }

  get buffered(): number {
    return this.total;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  next<T = unknown>(type?: GobType<T>): GobValue<T> | undefined {
    if (this.failure) throw this.failure;
    try {
      for (;;) {
        const msg = this.readMessage();
        if (msg === undefined) return undefined;
        const r = new ByteReader(msg);
        r.owned = this.assembled;
        const id = r.smallInt('type id');
        if (id < 0) {
          this.define(-id, r);
          if (r.remaining > 0) throw gobError('extra data after a type definition');
          continue;
        }
        // Zero values are the only thing not paid for by received bytes; bound them by the message size.
        this.budget = 65536 + msg.length * 64;
        const expect = type === undefined ? undefined : wireShape(type);
        this.recorded = [lengthPrefix(msg.length), msg];
        this.defined = [];
        this.continued = false;
        let value: unknown;
        try {
          value = this.topLevel(r, id, expect, 0);
        } catch (err) {
          if (err !== NEED_MORE) throw err;
          this.rollback();
          return undefined;
        } finally {
          this.recorded = undefined;
        }
        if (r.remaining > 0) throw gobError(`${r.remaining} bytes of extra data after a value`);
        return { type: (type ?? this.schemaOf(id)) as GobType<T>, value: value as T };
      }
    } catch (err) {
      if (err instanceof PluginError && this.mismatches.has(err) && !this.continued) throw err;
      this.failure = err instanceof PluginError ? err : gobError(String(err));
      throw this.failure;
    }
  }

  /** Puts the bytes of a half-decoded value back, to decode it again once its continuation has arrived. */
  private rollback(): void {
    const recorded = this.recorded ?? [];
    for (const id of this.defined) {
      this.types.delete(id);
      this.schemas.delete(id);
      this.plans.delete(id);
    }
    const first = this.chunks[0];
    if (first !== undefined) this.chunks[0] = first.subarray(this.head);
    this.head = 0;
    this.pendingLength = -1;
    this.chunks.unshift(...recorded);
    for (const part of recorded) this.total += part.length;
  }

  private peek(i: number): number {
    let idx = this.head + i;
    for (const c of this.chunks) {
      if (idx < c.length) return c[idx] ?? 0;
      idx -= c.length;
    }
    return 0;
  }

  /** The last message read was copied out of several pushed chunks (nobody else holds its memory). */
  private assembled = false;

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first !== undefined && first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      // Assembled from several chunks into memory of its own (not zeroed first: every byte is written below).
      out = n >= 4096 ? Buffer.allocUnsafeSlow(n) : new Uint8Array(n);
      this.assembled = true;
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        if (c === undefined) break;
        const part = Math.min(n - filled, c.length - this.head);
        out.set(c.subarray(this.head, this.head + part), filled);
        filled += part;
        this.head += part;
        if (this.head === c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.total -= n;
    this.recorded?.push(out);
    return out;
  }

  private readMessage(): Uint8Array | undefined {
    if (this.pendingLength < 0) {
      if (this.total === 0) return undefined;
      const first = this.peek(0);
      let length = first;
      let prefix = 1;
      if (first >= 128) {
        const count = 256 - first;
        if (count > 8) throw gobError(`invalid message length byte count ${count}`);
        if (this.total < 1 + count) return undefined;
        length = 0;
        for (let i = 1; i <= count; i++) length = length * 256 + this.peek(i);
        prefix = 1 + count;
      }
      if (length === 0) throw gobError('empty message');
      if (length > this.maxMessageSize) {
        throw gobError(`message of ${length} bytes is larger than the ${this.maxMessageSize}-byte limit`);
      }
      this.take(prefix);
      this.pendingLength = length;
    }
    if (this.total < this.pendingLength) return undefined;
    this.assembled = false;
    const msg = this.take(this.pendingLength);
    this.pendingLength = -1;
    return msg;
  }

  private define(id: number, r: ByteReader): void {
    if (id < FIRST_DEFINABLE_ID) throw gobError(`type id ${id} is reserved and cannot be defined`);
    if (this.types.has(id)) throw gobError(`duplicate definition of type id ${id}`);
    this.types.set(id, readWireType(r));
    if (this.recorded) this.defined.push(id);
  }

  private desc(id: number): WireDesc {
    const d = this.types.get(id);
    if (d === undefined) throw gobError(`unknown type id ${id}`);
    return d;
  }

  private wireName(id: number): string {
    return BUILTIN_NAMES[id] ?? this.types.get(id)?.name ?? `type ${id}`;
  }

  private mismatch(id: number, expect: Shape): PluginError {
    const err = new PluginError(
      'protocol',
      `gob: decoding into local type ${shapeName(expect)}, received remote type ${this.wireName(id)}; the peer's Go types differ from the schema`,
    );
    this.mismatches.add(err);
    return err;
  }

  /** How a wire struct lands in the expected one (Go matches fields by name), computed once per pair. */
  private structPlan(id: number, d: Extract<WireDesc, { kind: 'struct' }>, expect: Shape | undefined): StructPlan {
    let byExpect = this.plans.get(id);
    if (byExpect === undefined) {
      byExpect = new Map();
      this.plans.set(id, byExpect);
    }
    const cached = byExpect.get(expect);
    if (cached !== undefined) return cached;
    let plan: StructPlan;
    if (expect !== undefined && expect.kind === 'struct') {
      const byName = new Map(expect.fields.map((f) => [f.name, f]));
      plan = {
        targets: d.fields.map((wf) => {
          const local = byName.get(wf.name);
          return local === undefined ? undefined : { name: local.name, shape: wireShape(local.type) };
        }),
        zeros: expect.fields.map((f) => this.zeroPlan(f.name, () => this.zeroOfType(f.type, new Set()), f.type)),
      };
    } else {
      plan = {
        targets: d.fields.map((wf) => ({ name: wf.name, shape: undefined })),
        zeros: d.fields.map((f) => this.zeroPlan(f.name, () => this.zeroOfId(f.id, new Set([id])), BUILTIN_TYPES[f.id])),
      };
    }
    byExpect.set(expect, plan);
    return plan;
  }

  private zeroPlan(name: string, make: () => unknown, type: GobType | undefined): ZeroField {
    const t = type === undefined ? undefined : type.kind === 'lazy' ? undefined : type;
    switch (t?.kind) {
      case 'ptr':
        return { name, primitive: true, value: undefined, make };
      case 'bool':
        return { name, primitive: true, value: false, make };
      case 'int':
      case 'uint':
      case 'float':
        return { name, primitive: true, value: 0, make };
      case 'string':
        return { name, primitive: true, value: '', make };
      case 'interface':
        return { name, primitive: true, value: null, make };
      default:
        return { name, primitive: false, value: undefined, make };
    }
  }

  private outOfRange(message: string): PluginError {
    const err = new PluginError('protocol', `gob: ${message}; the peer's Go types differ from the schema`);
    this.mismatches.add(err);
    return err;
  }

  /** The GobType a wire id stands for, so decoded interface values can be sent on again. */
  schemaOf(id: number, depth = 0): GobType {
    if (depth > this.maxDepth) throw gobError(`type definitions nested deeper than ${this.maxDepth} levels`);
    const builtin = BUILTIN_TYPES[id];
    if (builtin !== undefined) return builtin;
    const cached = this.schemas.get(id);
    if (cached !== undefined) return cached;
    const d = this.desc(id);
    // Built mutable and cached before its components, so recursive types close their loops.
    const node: Record<string, unknown> = { kind: d.kind, name: d.name };
    this.schemas.set(id, node as GobTypeNode);
    switch (d.kind) {
      case 'struct':
        node.fields = d.fields.map((f) => ({ name: f.name, type: this.schemaOf(f.id, depth + 1) }));
        break;
      case 'slice':
        node.elem = this.schemaOf(d.elem, depth + 1);
        break;
      case 'array':
        node.elem = this.schemaOf(d.elem, depth + 1);
        node.len = d.len;
        break;
      case 'map':
        node.key = this.schemaOf(d.key, depth + 1);
        node.elem = this.schemaOf(d.elem, depth + 1);
        break;
      case 'encoder':
        node.flavor = d.flavor;
        break;
    }
    return node as GobTypeNode;
  }

  /** A value as Go frames it at top level or inside an interface: a struct as is, anything else as a singleton. */
  private topLevel(r: ByteReader, id: number, expect: Shape | undefined, depth: number): unknown {
    if (id >= FIRST_DEFINABLE_ID && this.desc(id).kind === 'struct') return this.value(r, id, expect, depth);
    if (r.smallUint('singleton delta') !== 0) throw gobError('non-zero delta for a singleton value');
    return this.value(r, id, expect, depth);
  }

  private spend(n: number): void {
    this.budget -= n;
    if (this.budget < 0) throw gobError('zero values of the announced types need far more memory than the message holds');
  }

  private zeroOfType(t: GobType, stack: Set<unknown>): unknown {
    if (t.kind === 'ptr') return undefined;
    if (t.kind === 'lazy') return this.zeroOfType(t.resolve(), stack);
    return this.zeroOfShape(t, stack);
  }

  private zeroOfShape(s: Shape, stack: Set<unknown>): unknown {
    this.spend(1);
    if (stack.size > this.maxDepth) throw gobError(`types nested deeper than ${this.maxDepth} levels`);
    switch (s.kind) {
      case 'bool':
        return false;
      case 'int':
      case 'uint':
      case 'float':
        return 0;
      case 'complex':
        return { real: 0, imag: 0 };
      case 'string':
        return '';
      case 'bytes':
      case 'encoder':
        return new Uint8Array(0);
      case 'interface':
        return null;
      case 'slice':
        return [];
      case 'map':
        return new Map();
      case 'array': {
        if (stack.has(s)) return undefined;
        stack.add(s);
        this.spend(s.len);
        const out = Array.from({ length: s.len }, () => this.zeroOfType(s.elem, stack));
        stack.delete(s);
        return out;
      }
      case 'struct': {
        if (stack.has(s)) return undefined;
        stack.add(s);
        const out: Record<string, unknown> = {};
        for (const f of s.fields) out[f.name] = this.zeroOfType(f.type, stack);
        stack.delete(s);
        return out;
      }
    }
  }

  private zeroOfId(id: number, stack: Set<unknown>): unknown {
    if (id < FIRST_DEFINABLE_ID) return this.zeroOfShape(wireShape(BUILTIN_TYPES[id] ?? gob.interface), stack);
    const d = this.desc(id);
    this.spend(1);
    if (stack.size > this.maxDepth) throw gobError(`types nested deeper than ${this.maxDepth} levels`);
    switch (d.kind) {
      case 'slice':
        return [];
      case 'map':
        return new Map();
      case 'encoder':
        return new Uint8Array(0);
      case 'array': {
        if (stack.has(id)) return undefined;
        stack.add(id);
        this.spend(d.len);
        const out = Array.from({ length: d.len }, () => this.zeroOfId(d.elem, stack));
        stack.delete(id);
        return out;
      }
      case 'struct': {
        if (stack.has(id)) return undefined;
        stack.add(id);
        const out: Record<string, unknown> = {};
        for (const f of d.fields) out[f.name] = this.zeroOfId(f.id, stack);
        stack.delete(id);
        return out;
      }
    }
  }

  private value(r: ByteReader, id: number, expect: Shape | undefined, depth: number): unknown {
    if (depth > this.maxDepth) throw gobError(`values nested deeper than ${this.maxDepth} levels`);
    if (id < FIRST_DEFINABLE_ID) return this.builtin(r, id, expect, depth);
    const d = this.desc(id);
    switch (d.kind) {
      case 'struct': {
        if (expect !== undefined && expect.kind !== 'struct') throw this.mismatch(id, expect);
        const plan = this.structPlan(id, d, expect);
        this.spend(plan.zeros.length);
        const out: Record<string, unknown> = {};
        for (const z of plan.zeros) out[z.name] = z.primitive ? z.value : z.make();
        let n = -1;
        for (;;) {
          const delta = r.smallUint('field delta');
          if (delta === 0) break;
          n += delta;
          const wf = d.fields[n];
          if (wf === undefined) throw gobError(`field number ${n} out of range for ${this.wireName(id)}`);
          const target = plan.targets[n];
          const v = this.value(r, wf.id, target?.shape, depth + 1);
          if (target !== undefined) out[target.name] = v;
        }
        return out;
      }
      case 'slice': {
        if (expect !== undefined && expect.kind !== 'slice') throw this.mismatch(id, expect);
        const elem = expect === undefined ? undefined : wireShape(expect.elem);
        const n = r.count('slice length');
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value(r, d.elem, elem, depth + 1);
        return out;
      }
      case 'array': {
        if (expect !== undefined && (expect.kind !== 'array' || expect.len !== d.len)) throw this.mismatch(id, expect);
        const elem = expect === undefined ? undefined : wireShape(expect.elem);
        const n = r.count('array length');
        if (n !== d.len) throw gobError(`array length ${n} differs from its type's length ${d.len}`);
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value(r, d.elem, elem, depth + 1);
        return out;
      }
      case 'map': {
        if (expect !== undefined && expect.kind !== 'map') throw this.mismatch(id, expect);
        const key = expect === undefined ? undefined : wireShape(expect.key);
        const elem = expect === undefined ? undefined : wireShape(expect.elem);
        const n = r.count('map size', 2);
        const out = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) {
          const k = this.value(r, d.key, key, depth + 1);
          out.set(k, this.value(r, d.elem, elem, depth + 1));
        }
        return out;
      }
      case 'encoder':
        if (expect !== undefined && expect.kind !== 'encoder') throw this.mismatch(id, expect);
        return r.bytes();
    }
  }

  private builtin(r: ByteReader, id: number, expect: Shape | undefined, depth: number): unknown {
    switch (id) {
      case BuiltinId.bool:
        if (expect !== undefined && expect.kind !== 'bool') throw this.mismatch(id, expect);
        return r.uint() !== 0;
      case BuiltinId.int: {
        if (expect !== undefined && expect.kind !== 'int') throw this.mismatch(id, expect);
        const v = r.int();
        if (expect !== undefined && expect.bits < 64) {
          const limit = 2 ** (expect.bits - 1);
          if (typeof v !== 'number' || v < -limit || v >= limit) throw this.outOfRange(`value ${v} out of range for int${expect.bits}`);
        }
        return v;
      }
      case BuiltinId.uint: {
        if (expect !== undefined && expect.kind !== 'uint') throw this.mismatch(id, expect);
        const v = r.uint();
        if (expect !== undefined && expect.bits < 64 && (typeof v !== 'number' || v >= 2 ** expect.bits)) {
          throw this.outOfRange(`value ${v} out of range for uint${expect.bits}`);
        }
        return v;
      }
      case BuiltinId.float:
        if (expect !== undefined && expect.kind !== 'float') throw this.mismatch(id, expect);
        return r.float();
      case BuiltinId.complex:
        if (expect !== undefined && expect.kind !== 'complex') throw this.mismatch(id, expect);
        return { real: r.float(), imag: r.float() };
      case BuiltinId.string:
        if (expect !== undefined && expect.kind !== 'string') throw this.mismatch(id, expect);
        return r.string();
      case BuiltinId.bytes: {
        if (expect === undefined || expect.kind === 'bytes') return r.bytes();
        if (expect.kind === 'slice') {
          const e = wireShape(expect.elem);
          if (e.kind === 'uint' && e.bits === 8) return Array.from(r.bytes());
        }
        throw this.mismatch(id, expect);
      }
      case BuiltinId.interface:
        if (expect !== undefined && expect.kind !== 'interface') throw this.mismatch(id, expect);
        return this.iface(r, depth);
      default:
        throw gobError(`unknown type id ${id}`);
    }
  }

  private iface(r: ByteReader, depth: number): GobInterface | null {
    const n = r.count('interface type name length');
    if (n === 0) return null;
    if (n > 1024) throw gobError(`interface type name of ${n} bytes is too long`);
    const name = new TextDecoder().decode(r.buf.subarray(r.pos, r.pos + n));
    r.pos += n;
    let id: number;
    for (;;) {
      if (r.remaining === 0) {
        // Go ends the message after a definition inside an interface and resumes in the next one.
        const more = this.readMessage();
        if (more === undefined) throw NEED_MORE;
        this.continued = true;
        r.reset(more, this.assembled);
      }
      id = r.smallInt('type id');
      if (id >= 0) break;
      this.define(-id, r);
      // Go's encoder leaves a byte count after a definition nested in an interface; it carries nothing.
      if (r.remaining > 0) r.uint();
    }
    r.uint(); // byte count of the value, there so a receiver could skip it
    const value = this.topLevel(r, id, undefined, depth + 1);
    return { name, type: this.schemaOf(id), value };
  }
}

/**
 * A fresh decoder for one gob stream (one per connection).
 * @param options - limits
 */
export function createDecoder(options: GobDecoderOptions = {}): GobDecoder {
  return new StreamDecoder(options);
}

/**
 * Decodes every value of a complete gob stream (as written by one Go `Encoder`). Throws a `PluginError`
 * (`protocol`) on malformed or truncated input.
 * @param bytes - the stream
 * @param type - the Go type every value is expected to have
 */
export function decodeGob<T = unknown>(bytes: Uint8Array, type?: GobType<T>): T[] {
  const dec = createDecoder();
  dec.push(bytes);
  const out: T[] = [];
  for (;;) {
    const v = dec.next(type);
    if (v === undefined) break;
    out.push(v.value);
  }
  if (dec.buffered > 0) throw gobError(`stream ends inside a message (${dec.buffered} bytes left over)`);
  return out;
}
