import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COOKIE_MISMATCH_MESSAGE, NO_COOKIE_MESSAGE, checkMagicCookie } from '../src/cookie.js';
import { clientEnv } from '../src/env.js';

const handshake = { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' };

describe('clientEnv', () => {
  it('builds go-plugin v1.0.1 host environment by default', () => {
    const env = clientEnv({ handshake, versions: [1], hostEnv: { PATH: '/bin', HOME: '/h' } });
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/h',
      BASIC_PLUGIN: 'hello',
      PLUGIN_MIN_PORT: '10000',
      PLUGIN_MAX_PORT: '25000',
      PLUGIN_PROTOCOL_VERSIONS: '1',
    });
  });

  it('puts the user env first so the host env and plugwire variables win', () => {
    const env = clientEnv({
      handshake,
      versions: [2, 1],
      env: { A: 'user', PATH: 'user', BASIC_PLUGIN: 'forged', ONLY_USER: 'x' },
      hostEnv: { PATH: '/bin', PLUGIN_MIN_PORT: '1' },
      minPort: 20000,
      maxPort: 20010,
      multiplexGrpc: true,
      clientCert: '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n',
      unixSocketGroup: 'staff',
      unixSocketDir: '/run/p',
    });
    expect(Object.keys(env).slice(0, 4)).toEqual(['A', 'PATH', 'BASIC_PLUGIN', 'ONLY_USER']);
    expect(env).toMatchObject({
      A: 'user',
      PATH: '/bin',
      BASIC_PLUGIN: 'hello',
      ONLY_USER: 'x',
      PLUGIN_MIN_PORT: '20000',
      PLUGIN_MAX_PORT: '20010',
      PLUGIN_PROTOCOL_VERSIONS: '2,1',
      PLUGIN_MULTIPLEX_GRPC: 'true',
      PLUGIN_CLIENT_CERT: '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n',
      PLUGIN_UNIX_SOCKET_GROUP: 'staff',
      PLUGIN_UNIX_SOCKET_DIR: '/run/p',
    });
  });

  it('skips the host env with skipHostEnv and reads process.env otherwise', () => {
    const skipped = clientEnv({ handshake, versions: [1], skipHostEnv: true, env: { X: '1' } });
    expect(Object.keys(skipped)).toEqual([
      'X',
      'BASIC_PLUGIN',
      'PLUGIN_MIN_PORT',
      'PLUGIN_MAX_PORT',
      'PLUGIN_PROTOCOL_VERSIONS',
    ]);
    const full = clientEnv({ handshake, versions: [1] });
    expect(full.PATH).toBe(process.env.PATH);
  });

  it('applies port defaults only when both are unset or 0', () => {
    expect(clientEnv({ handshake, versions: [1], skipHostEnv: true, minPort: 0, maxPort: 0 }).PLUGIN_MAX_PORT).toBe(
      '25000',
    );
    const onlyMax = clientEnv({ handshake, versions: [1], skipHostEnv: true, maxPort: 12000 });
    expect([onlyMax.PLUGIN_MIN_PORT, onlyMax.PLUGIN_MAX_PORT]).toEqual(['0', '12000']);
  });

  it('rejects bad ports and cookie keys as invalid_argument', () => {
    expect(() => clientEnv({ handshake, versions: [1], minPort: 70000, maxPort: 70001 })).toThrow(/minPort/);
    expect(() => clientEnv({ handshake, versions: [1], minPort: 3, maxPort: 2 })).toThrow(/greater/);
    expect(() => clientEnv({ handshake: { ...handshake, magicCookieKey: '' }, versions: [1] })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('lets later sources win for any overlap', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('A', 'B', 'BASIC_PLUGIN', 'PLUGIN_MIN_PORT'), fc.string()),
        fc.dictionary(fc.constantFrom('A', 'C', 'BASIC_PLUGIN'), fc.string()),
        (user, host) => {
          const env = clientEnv({ handshake, versions: [1], env: user, hostEnv: host });
          expect(env.BASIC_PLUGIN).toBe('hello');
          expect(env.PLUGIN_MIN_PORT).toBe('10000');
          if ('A' in host) expect(env.A).toBe(host.A);
          else if ('A' in user) expect(env.A).toBe(user.A);
        },
      ),
    );
  });
});

describe('checkMagicCookie', () => {
  it('gives go-plugin exact texts', () => {
    expect(checkMagicCookie(handshake, { BASIC_PLUGIN: 'hello' })).toBeUndefined();
    expect(checkMagicCookie(handshake, {})).toBe(COOKIE_MISMATCH_MESSAGE);
    expect(checkMagicCookie(handshake, { BASIC_PLUGIN: 'hell' })).toBe(COOKIE_MISMATCH_MESSAGE);
    expect(checkMagicCookie({ ...handshake, magicCookieValue: '' }, {})).toBe(NO_COOKIE_MESSAGE);
    // The byte count a real v1.0.1 plugin writes for a wrong cookie.
    expect(Buffer.byteLength(COOKIE_MISMATCH_MESSAGE)).toBe(168);
    expect(COOKIE_MISMATCH_MESSAGE).toBe(
      'This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that ' +
        'consumes these plugins, which will\nload any plugins automatically\n',
    );
    expect(NO_COOKIE_MESSAGE).toBe(
      'Misconfigured ServeConfig given to serve this plugin: no magic cookie\nkey or value was set. Please ' +
        'notify the plugin author and report\nthis as a bug.\n',
    );
  });
});
