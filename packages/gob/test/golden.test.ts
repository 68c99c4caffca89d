import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { createDecoder, decodeGob, encodeGob } from '../src/index.js';
import { goldenCases, plain } from './cases.js';

const run = promisify(execFile);

async function goldenGo(args: string[], input?: string): Promise<Record<string, string>> {
  const bin = await buildGo('gobfix/golden');
  const child = run(bin, args, { maxBuffer: 1 << 24 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return JSON.parse(stdout) as Record<string, string>;
}

describe.skipIf(goSkipReason() !== undefined)('gob against Go encoding/gob', () => {
  let fromGo: Record<string, string> = {};
  beforeAll(async () => {
    fromGo = await goldenGo(['gen']);
  });

  it('Go and the golden table cover the same cases', () => {
    expect(Object.keys(fromGo).sort()).toEqual(Object.keys(goldenCases).sort());
  });

  for (const [name, c] of Object.entries(goldenCases)) {
    it(`decodes Go's bytes for ${name}`, () => {
      const bytes = Buffer.from(fromGo[name] ?? '', 'base64');
      const [withSchema] = decodeGob(bytes, c.type);
      expect(plain(withSchema)).toEqual(plain(c.decoded ?? c.value));
      const [schemaless] = decodeGob(bytes);
      if (c.schemaless !== false) expect(plain(schemaless)).toEqual(plain(c.value));
    });
  }

  it("decodes Go's bytes fed one byte at a time (interface type definitions split across messages)", () => {
    for (const [name, c] of Object.entries(goldenCases)) {
      const bytes = Buffer.from(fromGo[name] ?? '', 'base64');
      const dec = createDecoder();
      const values: unknown[] = [];
      for (const b of bytes) {
        dec.push(Uint8Array.of(b));
        const v = dec.next(c.type);
        if (v !== undefined) values.push(v.value);
      }
      expect(values.map(plain), name).toEqual([plain(c.decoded ?? c.value)]);
      expect(dec.buffered).toBe(0);
    }
  });

  it('Go decodes plugwire encodings of every case to the same Go values', async () => {
    const ours = Object.fromEntries(
      Object.entries(goldenCases).map(([name, c]) => [name, Buffer.from(encodeGob(c.type, c.value)).toString('base64')]),
    );
    const verdicts = await goldenGo(['check'], JSON.stringify(ours));
    const failures = Object.entries(verdicts).filter(([, v]) => v !== 'ok');
    expect(failures).toEqual([]);
    expect(Object.keys(verdicts).length).toBe(Object.keys(goldenCases).length);
  });
});
