// A Go 1.26 net/rpc server numbers its first gob type 64 (Go's firstUserId), where older builds sent 65: the
// decoder must take both. These are the first bytes a go-plugin netrpc plugin built with Go 1.26 sent in answer
// to Dispenser.Dispense, captured from test/go's explugin.
import { describe, expect, it } from 'vitest';
import { createDecoder } from '@plugwire/gob';
import { ResponseHeader } from '../src/wire.js';

const GO126_RESPONSE = Buffer.from(
  '397f03010108526573706f6e736501ff80000103010d536572766963654d6574686f64010c00010353657101060001054572726f72010c00000019ff80011244697370656e7365722e44697370656e736501010003060001',
  'hex',
);

describe('gob type ids from Go 1.26', () => {
  it('decodes a response header whose type is defined as id 64', () => {
    const decoder = createDecoder();
    decoder.push(GO126_RESPONSE);
    const header = decoder.next(ResponseHeader);
    expect(header?.value).toMatchObject({ ServiceMethod: 'Dispenser.Dispense', Seq: 1 });
  });
});
