// The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of entries sized name + value + 32 octets, evicting the
// oldest entries to stay within its maximum size.

/** One header field: name (lower case) and value, both latin1 strings. */
export type HeaderField = readonly [name: string, value: string];

/** Entry overhead counted by HPACK (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/** Size of a field as HPACK counts it. */
export function fieldSize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** The dynamic table; index 0 is the newest entry. */
export class DynamicTable {
  /** Entries, oldest first (push appends the newest; eviction shifts from the front). */
  private entries: HeaderField[] = [];
  private head = 0;
  /** Current size in HPACK octets. */
  size = 0;
  /** Inserts since creation; an entry's absolute id is the value of this counter when it was added. */
  inserted = 0;

  constructor(public maxSize: number) {}

  /** Number of entries. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** The entry at dynamic index `i` (0 = newest), or undefined. */
  get(i: number): HeaderField | undefined {
    const at = this.entries.length - 1 - i;
    return at >= this.head ? this.entries[at] : undefined;
  }

  /** Adds a field, evicting old entries; a field larger than the table empties it and is not added (§4.4). */
  add(name: string, value: string): void {
    const size = fieldSize(name, value);
    this.inserted++;
    if (size > this.maxSize) {
      this.clear();
      return;
    }
    this.entries.push([name, value]);
    this.size += size;
    this.evict();
  }

  /** Changes the maximum size, evicting as needed. */
  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evict();
  }

  private clear(): void {
    this.entries = [];
    this.head = 0;
    this.size = 0;
  }

  private evict(): void {
    while (this.size > this.maxSize && this.head < this.entries.length) {
      const [n, v] = this.entries[this.head]!;
      this.entries[this.head++] = ['', ''];
      this.size -= fieldSize(n, v);
    }
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
