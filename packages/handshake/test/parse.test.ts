import { PluginError } from '@plugwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHandshake } from '../src/format.js';
import { parseHandshake } from '../src/parse.js';

const CERT = 'A'.repeat(51);

function handshakeError(line: string): PluginError {
  try {
    parseHandshake(line);
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('handshake');
    return err as PluginError;
  }
  throw new Error(`parsed: ${line}`);
}

describe('parseHandshake', () => {
  it('parses the lines real go-plugin servers print', () => {
    expect(parseHandshake('1|1|unix|/tmp/plugin123456|grpc|\n')).toEqual({
      coreVersion: 1,
      protocolVersion: 1,
      network: 'unix',
      address: '/tmp/plugin123456',
      protocol: 'grpc',
    });
    expect(parseHandshake('  1|3|tcp|127.0.0.1:10000|netrpc|  ')).toMatchObject({
      protocolVersion: 3,
      network: 'tcp',
      address: '127.0.0.1:10000',
      protocol: 'netrpc',
    });
    // The Python example prints 5 fields; a 4-field line means netrpc.
    expect(parseHandshake('1|1|tcp|127.0.0.1:1234|grpc').protocol).toBe('grpc');
    expect(parseHandshake('1|1|tcp|127.0.0.1:1234').protocol).toBe('netrpc');
  });

  it('keeps field 6 only when longer than 50 characters and field 7 when present', () => {
    expect(parseHandshake(`1|1|unix|/s|grpc|${'A'.repeat(50)}`).serverCert).toBeUndefined();
    expect(parseHandshake(`1|1|unix|/s|grpc|${CERT}`).serverCert).toBe(CERT);
    expect(parseHandshake(`1|1|unix|/s|grpc||true`).muxSupported).toBe(true);
    expect(parseHandshake(`1|1|unix|/s|grpc||false`).muxSupported).toBe(false);
    expect(parseHandshake(`1|1|unix|/s|grpc||`).muxSupported).toBeUndefined();
    expect(parseHandshake(`1|1|unix|/s|grpc|`).muxSupported).toBeUndefined();
    // Newer plugins may add fields; go-plugin ignores them.
    expect(parseHandshake(`1|1|unix|/s|grpc||true|extra`).muxSupported).toBe(true);
  });

  it('rejects malformed lines with go-plugin wording', () => {
    const garbage = handshakeError('hello world');
    expect(garbage.message).toMatch(/^Unrecognized remote plugin message: hello world\nThis usually means\n/);
    expect(garbage.message).toContain('the plugin failed to negotiate the initial go-plugin protocol handshake');
    expect(handshakeError('x|1|unix|/s|grpc|').message).toMatch(/^error parsing core protocol version: /);
    expect(handshakeError('2|1|unix|/s|grpc|').message).toBe(
      'incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\n' +
        'To fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author',
    );
    expect(handshakeError('1|one|unix|/s|grpc|').message).toMatch(/^Error parsing protocol version "one": /);
    expect(handshakeError('1|1|udp|/s|grpc|').message).toMatch(/^unknown address type: \/s/);
    expect(handshakeError('1|1|tcp|localhost|grpc|').message).toMatch(/invalid tcp address "localhost"/);
    expect(handshakeError('1|1|tcp|h:70000|grpc|').message).toMatch(/invalid tcp address/);
    expect(handshakeError('1|1|unix||grpc|').message).toMatch(/invalid unix socket path/);
    expect(handshakeError('1|1|unix|/s|http|').message).toMatch(/^unknown server protocol: http/);
    expect(handshakeError('1|1|unix|/s||').message).toMatch(/^unknown server protocol: /);
    expect(handshakeError(`1|1|unix|/s|grpc|${CERT}=`).message).toMatch(/^error parsing server cert: /);
    expect(handshakeError('1|1|unix|/s|grpc||maybe').message).toBe(
      'error parsing "maybe" as a boolean for gRPC broker multiplexing support',
    );
  });

  it('refuses a line over 64 KiB without quoting it all', () => {
    const err = handshakeError(`1|1|unix|/${'x'.repeat(200_000)}|grpc|`);
    expect(err.message).toMatch(/^Unrecognized remote plugin message: /);
    expect(err.message.length).toBeLessThan(2000);
  });

  it('round-trips every line formatHandshake prints', () => {
    const field = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[|\r\n\s\0]/.test(s));
    const address = fc.oneof(
      fc.record({ network: fc.constant('unix' as const), address: field.map((s) => `/tmp/${s}`) }),
      fc.record({
        network: fc.constant('tcp' as const),
        address: fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `${h}:${p}`),
      }),
    );
    fc.assert(
      fc.property(
        address,
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom('grpc' as const, 'netrpc' as const),
        fc.option(fc.base64String({ minLength: 52, maxLength: 200 }).map((s) => s.replace(/=+$/, '')), { nil: undefined }),
        fc.boolean(),
        (addr, protocolVersion, protocol, serverCert, muxSupported) => {
          fc.pre(serverCert === undefined || serverCert.length % 4 !== 1);
          const line = formatHandshake({ ...addr, protocolVersion, protocol, serverCert, muxSupported });
          expect(line.endsWith('\n')).toBe(true);
          const parsed = parseHandshake(line);
          expect(parsed).toEqual({
            coreVersion: 1,
            protocolVersion,
            ...addr,
            protocol,
            ...(serverCert !== undefined ? { serverCert } : {}),
            ...(muxSupported ? { muxSupported: true } : {}),
          });
        },
      ),
    );
  });

  it('never throws anything but a handshake PluginError on random input', () => {
    const piece = fc.oneof(fc.constantFrom('1', '|', 'unix', 'tcp', 'grpc', 'netrpc', ':', '/', ' ', '\n'), fc.string());
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(piece).map((a) => a.join(''))), (line) => {
        try {
          const h = parseHandshake(line);
          expect(h.coreVersion).toBe(1);
        } catch (err) {
          expect(err).toBeInstanceOf(PluginError);
          expect((err as PluginError).code).toBe('handshake');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatHandshake', () => {
  it('prints go-plugin layout, the trailing | and |true only with mux', () => {
    const base = { protocolVersion: 1, network: 'unix' as const, address: '/tmp/plugin1', protocol: 'grpc' as const };
    expect(formatHandshake(base)).toBe('1|1|unix|/tmp/plugin1|grpc|\n');
    expect(formatHandshake({ ...base, muxSupported: true })).toBe('1|1|unix|/tmp/plugin1|grpc||true\n');
    expect(formatHandshake({ ...base, serverCert: CERT })).toBe(`1|1|unix|/tmp/plugin1|grpc|${CERT}\n`);
  });

  it('refuses fields that would break the line', () => {
    const base = { protocolVersion: 1, network: 'unix' as const, protocol: 'grpc' as const };
    expect(() => formatHandshake({ ...base, address: '/a|b' })).toThrow(/contains "\|"/);
    expect(() => formatHandshake({ ...base, address: '/a\nb' })).toThrow(PluginError);
    expect(() => formatHandshake({ ...base, address: '/a', protocolVersion: 1.5 })).toThrow(/integer/);
  });
});
