// HPACK header block encoder: static and dynamic table hits as indexed fields, repeated fields added to the dynamic
// table, per-call values (grpc-timeout) and sensitive ones as literals, Huffman where it is shorter.
import { fieldSize, type HeaderField } from './dynamic-table.js';
import { huffmanEncode, huffmanLength } from './huffman.js';
import { STATIC_NAME_INDEX, STATIC_PAIR_INDEX, STATIC_TABLE } from './static-table.js';

/** Fields whose value changes on every call (indexing them would only churn the table). */
const NOT_INDEXED = new Set(['grpc-timeout', 'content-length']);
/** Fields sent "never indexed" so no intermediary stores them (RFC 7541 §7.1.3). */
const NEVER_INDEXED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Encodes the header blocks of one connection direction. */
export class HpackEncoder {
  /** Dynamic entries, oldest first, with the insert number of each. */
  private readonly entries: { key: string; size: number; id: number }[] = [];
  private head = 0;
  private readonly byKey = new Map<string, number>();
  private readonly byName = new Map<string, number>();
  private size = 0;
  private inserted = 0;
  private pendingSizeUpdate = -1;
  private out = Buffer.allocUnsafe(1024);
  private readonly stable = new WeakMap<readonly HeaderField[], { block: Buffer; at: number }>();
  private o = 0;

  /** @param maxTableSize - the dynamic table size used (at most the peer's SETTINGS_HEADER_TABLE_SIZE) */
  constructor(private maxTableSize: number) {}

  /** Follows a new SETTINGS_HEADER_TABLE_SIZE from the peer (this side uses at most `limit`). */
  setMaxTableSize(size: number): void {
    if (size === this.maxTableSize) return;
    this.maxTableSize = size;
    this.evict();
    this.pendingSizeUpdate = size;
  }

  /**
   * Encodes a header list that is reused as is (the same array, e.g. a method's request headers): once its block
   * is made only of table references, the block is kept and reused while the dynamic table does not change.
   */
  encodeStable(fields: readonly HeaderField[]): Buffer {
    const cached = this.stable.get(fields);
    if (cached && cached.at === this.inserted && this.pendingSizeUpdate < 0) return cached.block;
    const before = this.inserted;
    const block = this.encode(fields);
    if (this.inserted === before) this.stable.set(fields, { block, at: before });
    return block;
  }

  /** Encodes one header list into a new buffer. */
  encode(fields: readonly HeaderField[]): Buffer {
    this.o = 0;
    if (this.pendingSizeUpdate >= 0) {
      this.integer(this.pendingSizeUpdate, 5, 0x20);
      this.pendingSizeUpdate = -1;
    }
    for (const [name, value] of fields) this.field(name, value);
    return Buffer.from(this.out.subarray(0, this.o));
  }

  private field(name: string, value: string): void {
    const key = `${name}\0${value}`;
    const staticPair = STATIC_PAIR_INDEX.get(key);
    if (staticPair !== undefined) return this.integer(staticPair, 7, 0x80);
    const dyn = this.dynamicIndex(this.byKey.get(key));
    if (dyn !== undefined) return this.integer(dyn, 7, 0x80);
    const nameIndex = STATIC_NAME_INDEX.get(name) ?? this.dynamicIndex(this.byName.get(name)) ?? 0;
    const size = fieldSize(name, value);
    if (NEVER_INDEXED.has(name) || NOT_INDEXED.has(name) || size > this.maxTableSize / 2) {
      this.integer(nameIndex, 4, NEVER_INDEXED.has(name) ? 0x10 : 0x00);
    } else {
      this.integer(nameIndex, 6, 0x40);
      this.add(key, name, size);
    }
    if (nameIndex === 0) this.string(name);
    this.string(value);
  }

  private dynamicIndex(id: number | undefined): number | undefined {
    const oldest = this.entries[this.head];
    if (id === undefined || oldest === undefined || id < oldest.id) return undefined;
    return STATIC_TABLE.length + 1 + this.inserted - id;
  }

  private add(key: string, name: string, size: number): void {
    this.inserted++;
    this.entries.push({ key, size, id: this.inserted });
    this.byKey.set(key, this.inserted);
    this.byName.set(name, this.inserted);
    this.size += size;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxTableSize && this.head < this.entries.length) {
      const e = this.entries[this.head++]!;
      this.size -= e.size;
      if (this.byKey.get(e.key) === e.id) this.byKey.delete(e.key);
      const name = e.key.slice(0, e.key.indexOf('\0'));
      if (this.byName.get(name) === e.id) this.byName.delete(name);
    }
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  private room(n: number): void {
    if (this.o + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.o + n));
    this.out.copy(bigger, 0, 0, this.o);
    this.out = bigger;
  }

  private integer(value: number, prefixBits: number, flags: number): void {
    this.room(6);
    const max = (1 << prefixBits) - 1;
    if (value < max) {
      this.out[this.o++] = flags | value;
      return;
    }
    this.out[this.o++] = flags | max;
    value -= max;
    while (value >= 128) {
      this.out[this.o++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.out[this.o++] = value;
  }

  private string(s: string): void {
    const raw = Buffer.from(s, 'latin1');
    const hlen = raw.length > 4 ? huffmanLength(raw) : raw.length;
    if (hlen < raw.length) {
      this.integer(hlen, 7, 0x80);
      this.room(hlen);
      this.o = huffmanEncode(raw, this.out, this.o);
    } else {
      this.integer(raw.length, 7, 0);
      this.room(raw.length);
      raw.copy(this.out, this.o);
      this.o += raw.length;
    }
  }
}

