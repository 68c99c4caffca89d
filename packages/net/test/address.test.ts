import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { grpcTarget as targetOf } from '../src/index.js';

describe('grpcTarget (addresses from the other process)', () => {
  it('maps go-plugin addresses to grpc-js targets', () => {
    expect(targetOf({ network: 'unix', address: '/tmp/plugin123' })).toBe('unix:/tmp/plugin123');
    expect(targetOf({ network: 'tcp', address: '127.0.0.1:10000' })).toBe('127.0.0.1:10000');
    expect(() => targetOf({ network: 'udp', address: 'x' })).toThrow('Unknown address type: x');
  });

  it('either returns a target or throws a protocol PluginError, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('unix', 'tcp'), fc.string()), fc.string({ maxLength: 5000 }), (network, address) => {
        try {
          expect(typeof targetOf({ network, address })).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(PluginError);
          expect((err as PluginError).code).toBe('protocol');
          expect((err as PluginError).message.length).toBeLessThan(400);
        }
      }),
    );
  });
});

