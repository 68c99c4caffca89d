import { describe, expect, it } from 'vitest';
import { PluginError, abortError, throwIfAborted } from './errors.js';

describe('PluginError', () => {
  it('keeps code, message, cause and wire details', () => {
    const cause = new Error('boom');
    const err = new PluginError('remote', 'the plugin said no', { cause, grpcStatus: 5 });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('PluginError');
    expect(err.code).toBe('remote');
    expect(err.cause).toBe(cause);
    expect(err.grpcStatus).toBe(5);
    expect(err.goAwayCode).toBeUndefined();
  });

  it('from() passes PluginErrors through and wraps everything else', () => {
    const original = new PluginError('timeout', 't');
    expect(PluginError.from(original)).toBe(original);
    const wrapped = PluginError.from(new TypeError('bad'), 'protocol');
    expect(wrapped.code).toBe('protocol');
    expect(wrapped.message).toBe('bad');
    expect(PluginError.from('text').message).toBe('text');
    const abort = new Error('stop');
    abort.name = 'AbortError';
    expect(PluginError.from(abort).code).toBe('aborted');
  });

  it('abortError prefers a PluginError reason', () => {
    const c = new AbortController();
    const reason = new PluginError('closed', 'closed');
    c.abort(reason);
    expect(abortError(c.signal)).toBe(reason);
    const d = new AbortController();
    d.abort();
    expect(abortError(d.signal, 'dispense').message).toMatch(/dispense was aborted/);
    expect(() => throwIfAborted(d.signal)).toThrow(PluginError);
    expect(() => throwIfAborted(undefined)).not.toThrow();
  });
});
