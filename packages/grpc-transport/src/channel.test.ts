import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { EXITED_DETAILS, toPluginError } from './errors.js';

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
