import { describe, expect, it } from 'vitest';
import { PluginError, abortError, throwIfAborted } from '../src/errors.js';

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

describe('PluginError across copies and deadlines', () => {
  it('instanceof recognises a PluginError made by another copy of the package (ESM beside CJS, two versions)', async () => {
    // A query string makes the module loader evaluate the file again: a second, distinct PluginError class.
    const path = '../src/errors.ts?second-copy';
    const copy = (await import(path)) as typeof import('../src/errors.js');
    expect(copy.PluginError).not.toBe(PluginError);
    const foreign = new copy.PluginError('exited', 'from the other copy');
    expect(foreign).toBeInstanceOf(PluginError);
    expect(new PluginError('closed', 'here')).toBeInstanceOf(copy.PluginError);
    expect(PluginError.from(foreign)).toBe(foreign);
    expect(new Error('plain')).not.toBeInstanceOf(PluginError);
    expect({ code: 'exited' }).not.toBeInstanceOf(PluginError);
  });

  it('a TimeoutError from AbortSignal.timeout() maps to code timeout, in from() and abortError()', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect(abortError(signal, 'dispense').code).toBe('timeout');
    expect(abortError(signal, 'dispense').message).toMatch(/dispense ran past the deadline/);
    expect(PluginError.from(signal.reason).code).toBe('timeout');
    expect(() => throwIfAborted(signal)).toThrow(expect.objectContaining({ code: 'timeout' }));
  });
});
