// The HPACK Huffman code (RFC 7541 Appendix B). The code is canonical (codes of one length are consecutive and
// ordered by symbol, shorter lengths first), so the bit lengths alone define it; the codes are rebuilt from them
// at load and checked against the RFC's test vectors in the tests.
import { PluginError } from '@plugwire/core';

// Bit length of the code of each symbol 0..255, then EOS (256).
// prettier-ignore
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

/** Code of each symbol, right-aligned in `CODE_LENGTHS[sym]` bits. */
export const CODES = new Uint32Array(257);
/** Bit length of each symbol's code. */
export const CODE_LENGTHS = Uint8Array.from(LENGTHS);

// Decoding tree: node i has children CHILD[2i] (bit 0) and CHILD[2i+1] (bit 1); a child >= 0 is a node, a child
// < 0 is the leaf of symbol (-child - 1). 0 means "no child" (node 0 is the root, never a child).
const CHILD = new Int32Array(2 * 512);

(function build(): void {
  let code = 0;
  let prevLen = 0;
  const order = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a]! - CODE_LENGTHS[b]! || a - b);
  let nodes = 1;
  for (const sym of order) {
    const len = CODE_LENGTHS[sym]!;
    code <<= len - prevLen;
    prevLen = len;
    CODES[sym] = code;
    let node = 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) {
        CHILD[slot] = -sym - 1;
      } else {
        if (CHILD[slot] === 0) CHILD[slot] = nodes++;
        node = CHILD[slot]!;
      }
    }
    code++;
  }
})();

/** Bytes `input` takes Huffman-coded. */
export function huffmanLength(input: Buffer): number {
  let bits = 0;
  for (let i = 0; i < input.length; i++) bits += CODE_LENGTHS[input[i]!]!;
  return (bits + 7) >> 3;
}

/**
 * Huffman-codes `input` into `out` at `offset` (which must have room for {@link huffmanLength} bytes); returns the
 * offset after the last byte written. The last byte is padded with the high bits of EOS (ones).
 */
export function huffmanEncode(input: Buffer, out: Buffer, offset: number): number {
  let acc = 0;
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const sym = input[i]!;
    const len = CODE_LENGTHS[sym]!;
    const code = CODES[sym]!;
    // acc keeps fewer than 8 pending bits, so at most 7 + 30 bits are live: split long codes to stay in 32 bits.
    if (len > 24) {
      acc = (acc << (len - 16)) | (code >>> 16);
      n += len - 16;
      while (n >= 8) {
        n -= 8;
        out[offset++] = (acc >>> n) & 0xff;
      }
      acc = (acc << 16) | (code & 0xffff);
      n += 16;
    } else {
      acc = (acc << len) | code;
      n += len;
    }
    while (n >= 8) {
      n -= 8;
      out[offset++] = (acc >>> n) & 0xff;
    }
    acc &= (1 << n) - 1;
  }
  if (n > 0) out[offset++] = ((acc << (8 - n)) | (0xff >>> n)) & 0xff;
  return offset;
}

/**
 * Decodes a Huffman-coded string. Rejects (PluginError `protocol`) the EOS symbol, padding over 7 bits and padding
 * that is not the high bits of EOS, as RFC 7541 §5.2 requires.
 */
export function huffmanDecode(input: Buffer, start: number, end: number): Buffer {
  // The shortest code is 5 bits, so the output is at most 8/5 of the input.
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let o = 0;
  let node = 0;
  // Bits read since the last complete symbol, and whether they were all ones (valid padding so far).
  let pending = 0;
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = input[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >>> bit) & 1;
      const child = CHILD[2 * node + b]!;
      pending++;
      if (b === 0) allOnes = false;
      if (child < 0) {
        const sym = -child - 1;
        if (sym === 256) throw new PluginError('protocol', 'HPACK: the peer sent the EOS symbol inside a Huffman string');
        out[o++] = sym;
        node = 0;
        pending = 0;
        allOnes = true;
      } else if (child === 0) {
        throw new PluginError('protocol', 'HPACK: the peer sent an invalid Huffman code');
      } else {
        node = child;
      }
    }
  }
  if (pending > 7 || !allOnes) throw new PluginError('protocol', 'HPACK: the peer sent invalid Huffman padding');
  return out.subarray(0, o);
}
