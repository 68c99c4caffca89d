// gRPC's length-prefixed messages (1 flag byte, 4 length bytes, the message) cut out of DATA payloads, shared by
// the client's calls and the server's. A message that arrives whole in one payload is passed on without a copy; one
// split across frames is assembled in a buffer that grows with the bytes received, never allocated at the size its
// prefix claims (so 5 bytes from a peer cannot make this side allocate megabytes).

const EMPTY = Buffer.alloc(0);

/**
 * Checks one message's prefix before its body is read: throws (the caller's own error value) for a flag or a
 * length this side refuses.
 */
export type PrefixCheck = (flag: number, length: number) => void;

/** Cuts length-prefixed gRPC messages out of a stream's DATA payloads. */
export class MessageDeframer {
  private header: Buffer | undefined;
  private headerHave = 0;
  private body: Buffer | undefined;
  private bodyNeed = 0;
  private bodyHave = 0;

  /** @param check - refuses a prefix by throwing; nothing of that message is buffered then */
  constructor(private readonly check: PrefixCheck) {}

  /** True while a message has begun but not ended (a stream that ends now ends mid-message). */
  get partial(): boolean {
    return this.body !== undefined || this.headerHave > 0;
  }

  /** Appends every message `data` completes to `out`; throws what the prefix check throws. */
  push(data: Buffer, out: Buffer[]): void {
    let pos = 0;
    while (pos < data.length) {
      if (!this.body) {
        const n = Math.min(5 - this.headerHave, data.length - pos);
        if (this.headerHave === 0 && n === 5) {
          const len = data.readUInt32BE(pos + 1);
          this.check(data[pos]!, len);
          if (pos + 5 + len <= data.length) {
            out.push(data.subarray(pos + 5, pos + 5 + len));
            pos += 5 + len;
            continue;
          }
        }
        const header = (this.header ??= Buffer.allocUnsafe(5));
        data.copy(header, this.headerHave, pos, pos + n);
        this.headerHave += n;
        pos += n;
        if (this.headerHave < 5) return;
        const len = header.readUInt32BE(1);
        this.check(header[0]!, len);
        this.body = EMPTY;
        this.bodyNeed = len;
        this.bodyHave = 0;
      }
      const n = Math.min(this.bodyNeed - this.bodyHave, data.length - pos);
      if (this.bodyHave + n > this.body.length) {
        // Grow geometrically: amortised copies, and at most twice the bytes received (plus 16 KiB).
        const grown = Buffer.allocUnsafe(Math.min(this.bodyNeed, Math.max(this.body.length * 2, this.bodyHave + n, 16384)));
        this.body.copy(grown, 0, 0, this.bodyHave);
        this.body = grown;
      }
      data.copy(this.body, this.bodyHave, pos, pos + n);
      this.bodyHave += n;
      pos += n;
      if (this.bodyHave === this.bodyNeed) {
        out.push(this.body.length === this.bodyNeed ? this.body : this.body.subarray(0, this.bodyNeed));
        this.body = undefined;
        this.headerHave = 0;
      }
    }
  }
}
