// HPACK header block decoder (RFC 7541 §6) with the limits a peer cannot push past: integers of at most 2^28,
// strings within the block, table size updates within what this side advertised, and a header list size cap.
import { PluginError } from '@plugwire/core';
import { DynamicTable, fieldSize, type HeaderField } from './dynamic-table.js';
import { huffmanDecode } from './huffman.js';
import { STATIC_TABLE } from './static-table.js';

/** What {@link HpackDecoder.decode} returns. */
export interface DecodedBlock {
  /** The fields, in order (only those within the header list size limit). */
  readonly fields: HeaderField[];
  /** True when the list was larger than the limit: `fields` is then incomplete and the block must be refused. */
  readonly tooLarge: boolean;
}

const MAX_INTEGER = 1 << 28;

function fail(what: string): never {
  throw new PluginError('protocol', `HPACK: ${what}; the peer's HTTP/2 header compression is broken`);
}

/** Decodes the header blocks of one connection direction (the table persists across blocks). */
export class HpackDecoder {
  private readonly table: DynamicTable;
  private pos = 0;
  private buf: Buffer = Buffer.alloc(0);

  /**
   * @param maxTableSize - the SETTINGS_HEADER_TABLE_SIZE this side advertised (the peer may not exceed it)
   * @param maxHeaderListSize - largest decoded header list accepted (HPACK sizes: name + value + 32 per field)
   */
  constructor(
    private readonly maxTableSize: number,
    private readonly maxHeaderListSize: number,
  ) {
    this.table = new DynamicTable(maxTableSize);
  }

  /** Decodes one complete header block. Throws a PluginError `protocol` on malformed input (a connection error). */
  decode(block: Buffer): DecodedBlock {
    this.buf = block;
    this.pos = 0;
    const fields: HeaderField[] = [];
    let listSize = 0;
    let tooLarge = false;
    let sawField = false;
    while (this.pos < block.length) {
      const b = block[this.pos]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        const index = this.integer(7);
        const field = this.lookup(index);
        name = field[0];
        value = field[1];
      } else if ((b & 0xe0) === 0x20) {
        if (sawField) fail('a dynamic table size update came after a header field');
        const size = this.integer(5);
        if (size > this.maxTableSize) fail(`table size update to ${size} exceeds the advertised ${this.maxTableSize}`);
        this.table.resize(size);
        continue;
      } else {
        const incremental = (b & 0xc0) === 0x40;
        const index = this.integer(incremental ? 6 : 4);
        name = index === 0 ? this.string() : this.lookup(index)[0];
        value = this.string();
        if (incremental) this.table.add(name, value);
      }
      sawField = true;
      listSize += fieldSize(name, value);
      if (listSize > this.maxHeaderListSize) tooLarge = true;
      else fields.push([name, value]);
    }
    this.buf = Buffer.alloc(0);
    return { fields, tooLarge };
  }

  private lookup(index: number): HeaderField {
    if (index === 0) fail('index 0 is not allowed');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const field = this.table.get(index - STATIC_TABLE.length - 1);
    if (!field) fail(`index ${index} is outside the table`);
    return field;
  }

  private integer(prefixBits: number): number {
    const buf = this.buf;
    const max = (1 << prefixBits) - 1;
    let value = buf[this.pos++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= buf.length) fail('an integer runs past the end of the header block');
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) fail('an integer is too large');
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  }

  private string(): string {
    if (this.pos >= this.buf.length) fail('a string length runs past the end of the header block');
    const huffman = (this.buf[this.pos]! & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.pos;
    const end = start + length;
    if (end > this.buf.length) fail('a string runs past the end of the header block');
    this.pos = end;
    if (huffman) return huffmanDecode(this.buf, start, end).toString('latin1');
    return this.buf.toString('latin1', start, end);
  }
}
