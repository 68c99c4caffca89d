import { PluginError } from '@plugwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMuxSupport, checkProtocol, checkServerVersion, negotiateVersion, parseProtocolVersions } from '../src/versions.js';

describe('parseProtocolVersions', () => {
  it('sorts descending and reports invalid entries with go-plugin text', () => {
    const invalid: string[] = [];
    expect(parseProtocolVersions('1,3,x,2,', (m) => invalid.push(m))).toEqual([3, 2, 1]);
    expect(invalid).toEqual(['server sent invalid plugin version "x"', 'server sent invalid plugin version ""']);
    expect(parseProtocolVersions(undefined)).toEqual([]);
    expect(parseProtocolVersions('')).toEqual([]);
    expect(parseProtocolVersions('+4,-1,007')).toEqual([7, 4, -1]);
  });

  it('never throws on random values', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const out = parseProtocolVersions(s, () => {});
        for (let i = 1; i < out.length; i++) expect(out[i - 1]).toBeGreaterThanOrEqual(out[i] as number);
      }),
    );
  });
});

describe('negotiateVersion', () => {
  it('picks the highest shared version, else the lowest server version', () => {
    expect(negotiateVersion([1, 2, 3], [2, 3, 4])).toBe(3);
    expect(negotiateVersion([1], [3, 1, 2])).toBe(1);
    expect(negotiateVersion([5, 6], [3, 1, 2])).toBe(1);
    expect(negotiateVersion([], [2])).toBe(2);
    expect(() => negotiateVersion([1], [])).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('agrees with the host check whenever a version is shared', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 5 }),
        (client, server) => {
          const v = negotiateVersion(client, server);
          expect(server).toContain(v);
          const shared = server.filter((s) => client.includes(s));
          if (shared.length > 0) {
            expect(v).toBe(Math.max(...shared));
            expect(() => checkServerVersion(v, client)).not.toThrow();
          } else {
            expect(v).toBe(Math.min(...server));
          }
        },
      ),
    );
  });
});

describe('checkServerVersion / checkProtocol', () => {
  it('throws go-plugin texts', () => {
    expect(() => checkServerVersion(1, [3, 1])).not.toThrow();
    let err: unknown;
    try {
      checkServerVersion(2, [3, 1]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('incompatible_version');
    expect((err as PluginError).message).toMatch(
      /^incompatible API version with plugin\. Plugin version: 2, Client versions: \[1 3\]/,
    );
    expect(() => checkProtocol('netrpc', ['netrpc'])).not.toThrow();
    expect(() => checkProtocol('grpc', ['netrpc'])).toThrow(
      expect.objectContaining({ code: 'handshake', message: expect.stringMatching(/^unsupported plugin protocol "grpc". Supported: \[netrpc\]/) }),
    );
  });
});

describe('checkMuxSupport', () => {
  it('refuses a gRPC plugin without field 7 only when the host asked for multiplexing', () => {
    expect(() => checkMuxSupport({ protocol: 'grpc' }, false)).not.toThrow();
    expect(() => checkMuxSupport({ protocol: 'netrpc' }, true)).not.toThrow();
    expect(() => checkMuxSupport({ protocol: 'grpc', muxSupported: true }, true)).not.toThrow();
    for (const h of [{ protocol: 'grpc' as const }, { protocol: 'grpc' as const, muxSupported: false }]) {
      expect(() => checkMuxSupport(h, true)).toThrow(
        expect.objectContaining({
          code: 'handshake',
          message:
            'client requested gRPC broker multiplexing but plugin does not support the feature; for Go plugins, ' +
            'you will need to update the github.com/hashicorp/go-plugin dependency and recompile',
        }),
      );
    }
  });
});
