// Gob's integer, float and string primitives over a growable write buffer and a bounded read cursor.
import { PluginError } from '@plugwire/core';

const TWO_53 = 2 ** 53;
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Appends gob primitives to a growing buffer. */
export class ByteWriter {
  // A Buffer for its copy(), which moves bytes without creating views (subarray is costly on hot paths).
  buf: Buffer;
  len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Appends the written bytes of another writer. */
  append(other: ByteWriter): void {
    this.ensure(other.len);
    other.buf.copy(this.buf, this.len, 0, other.len);
    this.len += other.len;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    if (bytes.length < 32) for (let i = 0; i < bytes.length; i++) this.buf[this.len + i] = bytes[i] ?? 0;
    else this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Unsigned integer: one byte below 128, else the negated byte count and big-endian bytes. */
  uint(n: number): void {
    if (n < 128) {
      this.byte(n);
      return;
    }
    if (n >= TWO_53) {
      this.uintBig(BigInt(n));
      return;
    }
    let count = 0;
    for (let v = n; v >= 1; v = Math.floor(v / 256)) count++;
    this.ensure(count + 1);
    this.buf[this.len] = 256 - count;
    let v = n;
    for (let i = count; i >= 1; i--) {
      this.buf[this.len + i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.len += count + 1;
  }

  uintBig(n: bigint): void {
    if (n < 128n) {
      this.byte(Number(n));
      return;
    }
    const out: number[] = [];
    for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
    this.byte(256 - out.length);
    for (const b of out) this.byte(b);
  }

  /** Signed integer folded into an unsigned one; bit 0 says "complement". */
  int(n: number): void {
    if (Math.abs(n) < 2 ** 52) {
      this.uint(n < 0 ? -n * 2 - 1 : n * 2);
    } else {
      this.intBig(BigInt(n));
    }
  }

  intBig(n: bigint): void {
    this.uintBig(n < 0n ? ((-n - 1n) << 1n) | 1n : n << 1n);
  }

  /** float64 bits, byte-reversed so exponent and high mantissa go first, sent as an unsigned integer. */
  float(f: number): void {
    scratch.setFloat64(0, f, true);
    let start = 0;
    while (start < 8 && scratchBytes[start] === 0) start++;
    const count = 8 - start;
    if (count === 0) {
      this.byte(0);
      return;
    }
    if (count === 1 && (scratchBytes[7] ?? 0) < 128) {
      this.byte(scratchBytes[7] ?? 0);
      return;
    }
    this.ensure(count + 1);
    this.buf[this.len++] = 256 - count;
    for (let i = start; i < 8; i++) this.buf[this.len++] = scratchBytes[i] ?? 0;
  }

  /** Count-prefixed bytes. */
  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.raw(b);
  }

  string(s: string): void {
    // ASCII fast path: most Go identifiers and many payloads are plain ASCII.
    if (s.length < 128) {
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.uint(s.length);
        this.ensure(s.length);
        for (let i = 0; i < s.length; i++) this.buf[this.len + i] = s.charCodeAt(i);
        this.len += s.length;
        return;
      }
    }
    this.bytes(textEncoder.encode(s));
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** The error for malformed gob input. */
export function gobError(message: string): PluginError {
  return new PluginError('protocol', `gob: ${message}; the peer sent a malformed gob stream`);
}

/** Reads gob primitives from one message, never past its end. */
export class ByteReader {
  pos: number;
  end: number;

  constructor(
    public buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /**
   * The message is memory of the decoder's own (assembled from several chunks), not the caller's: large byte slices
   * may be views of it instead of copies.
   */
  owned = false;

  /** Continues in another message (Go lets an interface's type definitions end one message and resume in the next). */
  reset(buf: Uint8Array, owned: boolean): void {
    this.buf = buf;
    this.owned = owned;
    this.pos = 0;
    this.end = buf.length;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  byte(): number {
    if (this.pos >= this.end) throw gobError('unexpected end of message');
    return this.buf[this.pos++] ?? 0;
  }

  /** An unsigned integer as a number when below 2^53, else a bigint. */
  uint(): number | bigint {
    const first = this.byte();
    if (first < 128) return first;
    const count = 256 - first;
    if (count > 8) throw gobError(`invalid unsigned integer byte count ${count}`);
    if (count > this.remaining) throw gobError('unexpected end of message inside an integer');
    let v = 0;
    if (count <= 6) {
      for (let i = 0; i < count; i++) v = v * 256 + (this.buf[this.pos++] ?? 0);
      return v;
    }
    let big = 0n;
    for (let i = 0; i < count; i++) big = (big << 8n) | BigInt(this.buf[this.pos++] ?? 0);
    return big < BigInt(TWO_53) ? Number(big) : big;
  }

  /** An unsigned integer that must fit a JS number (lengths, counts, field deltas). */
  smallUint(what: string): number {
    const v = this.uint();
    if (typeof v === 'bigint') throw gobError(`${what} ${v} is too large`);
    return v;
  }

  /** A count of items each at least `minBytes` long: bounded by the bytes left in the message. */
  count(what: string, minBytes = 1): number {
    const n = this.smallUint(what);
    if (n * minBytes > this.remaining) {
      throw gobError(`${what} ${n} exceeds the ${this.remaining} bytes left in the message`);
    }
    return n;
  }

  int(): number | bigint {
    const u = this.uint();
    if (typeof u === 'number') return u % 2 === 0 ? u / 2 : -(u - 1) / 2 - 1;
    const i = u & 1n ? ~(u >> 1n) : u >> 1n;
    const inSafe = i >= -BigInt(Number.MAX_SAFE_INTEGER) && i <= BigInt(Number.MAX_SAFE_INTEGER);
    return inSafe ? Number(i) : BigInt.asIntN(64, i);
  }

  /** A signed integer that must fit a JS number (type ids). */
  smallInt(what: string): number {
    const v = this.int();
    if (typeof v === 'bigint') throw gobError(`${what} ${v} is out of range`);
    return v;
  }

  float(): number {
    const first = this.byte();
    scratch.setBigUint64(0, 0n);
    if (first < 128) {
      scratchBytes[7] = first;
    } else {
      const count = 256 - first;
      if (count > 8) throw gobError(`invalid float byte count ${count}`);
      if (count > this.remaining) throw gobError('unexpected end of message inside a float');
      scratchBytes.set(this.buf.subarray(this.pos, this.pos + count), 8 - count);
      this.pos += count;
    }
    return scratch.getFloat64(0, true);
  }

  bytes(): Uint8Array {
    const n = this.count('byte count');
    const buf = this.buf;
    // A byte slice of at least half of a message the decoder assembled itself is a view of it (it keeps at most
    // twice its size alive), not a copy. Otherwise a copy, so that a value never holds on to the caller's chunks.
    // Either way a plain Uint8Array, even when the input is a Buffer.
    const out =
      this.owned && n >= 65536 && n * 2 >= buf.length
        ? new Uint8Array(buf.buffer, buf.byteOffset + this.pos, n)
        : new Uint8Array(buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  string(): string {
    const n = this.count('string length');
    const start = this.pos;
    this.pos += n;
    if (n < 64) {
      // Short ASCII (method names, keys) is faster by hand than through TextDecoder.
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i] ?? 0;
        if (c > 0x7f) return textDecoder.decode(this.buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(this.buf.subarray(start, start + n));
  }
}
