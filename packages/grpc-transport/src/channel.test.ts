import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { targetOf } from './channel.js';
import { EXITED_DETAILS, toPluginError } from './errors.js';

describe('targetOf (addresses from the other process)', () => {
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

describe('toPluginError', () => {
  function serviceError(code: number, details: string): grpc.ServiceError {
    return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new grpc.Metadata() });
  }

  it('keeps the gRPC status and picks a core code for any status', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.string(), (code, details) => {
        const err = toPluginError(serviceError(code, details));
        expect(err).toBeInstanceOf(PluginError);
        expect(err.grpcStatus).toBe(code);
        expect(['remote', 'unavailable', 'timeout', 'unimplemented', 'exited', 'closed']).toContain(err.code);
      }),
    );
  });

  it('reports calls lost to an exit as exited, and a status the plugin chose as remote even after exit', () => {
    const exited = new AbortController();
    exited.abort();
    expect(toPluginError(serviceError(14, 'Connection dropped'), exited.signal).code).toBe('exited');
    expect(toPluginError(serviceError(14, EXITED_DETAILS)).code).toBe('exited');
    expect(toPluginError(serviceError(5, 'no such key'), exited.signal).code).toBe('remote');
    expect(toPluginError(serviceError(14, 'x')).code).toBe('unavailable');
    expect(toPluginError(new TypeError('boom')).code).toBe('internal');
  });
});
