import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/parse-line.js';

describe('parseLogLine', () => {
  it('reads hclog JSON lines: level, message, timestamp, every other key as a field', () => {
    const line =
      '{"@level":"debug","@message":"plugin address","@timestamp":"2026-11-23T10:29:35.682427Z",' +
      '"address":"/tmp/plugin1655857558","network":"unix","@module":"kv","@caller":"main.go:12"}';
    expect(parseLogLine(line)).toEqual({
      level: 'debug',
      message: 'plugin address',
      timestamp: new Date('2026-11-23T10:29:35.682Z'),
      fields: { address: '/tmp/plugin1655857558', network: 'unix', '@module': 'kv', '@caller': 'main.go:12' },
    });
    expect(parseLogLine('{"@level":" WARN ","@message":"m"}')).toEqual({ level: 'warn', message: 'm', fields: {} });
    expect(parseLogLine('{"@level":"error","@message":"x","@timestamp":"2026-11-23T10:29:35.682427+02:00"}').timestamp)
      .toEqual(new Date('2026-11-23T08:29:35.682Z'));
  });

  it('logs JSON with a missing or unknown level whole at debug', () => {
    expect(parseLogLine('{"@message":"m"}')).toEqual({ level: 'debug', message: '{"@message":"m"}', fields: {} });
    expect(parseLogLine('{"@level":"fatal","@message":"m"}').message).toBe('{"@level":"fatal","@message":"m"}');
  });

  it('treats non-object JSON and bad hclog values as text', () => {
    expect(parseLogLine('[1,2]')).toEqual({ level: 'debug', message: '[1,2]', fields: {} });
    expect(parseLogLine('{"@level":"info","@timestamp":"yesterday"}').level).toBe('debug');
    expect(parseLogLine('{"@level":7,"@message":"m"}').level).toBe('debug');
    expect(parseLogLine('[ERROR] {"@level":"info"}').level).toBe('error');
  });

  it('maps text prefixes and escalates after a panic', () => {
    expect(parseLogLine('[TRACE] t').level).toBe('trace');
    expect(parseLogLine('[DEBUG] d').level).toBe('debug');
    expect(parseLogLine('[INFO] i')).toEqual({ level: 'info', message: '[INFO] i', fields: {} });
    expect(parseLogLine('[WARN] w').level).toBe('warn');
    expect(parseLogLine('[ERROR] e').level).toBe('error');
    const state = { panicked: false };
    expect(parseLogLine('plain', state).level).toBe('debug');
    expect(parseLogLine('panic: runtime error: index out of range', state).level).toBe('error');
    expect(state.panicked).toBe(true);
    expect(parseLogLine('goroutine 1 [running]:', state).level).toBe('error');
    expect(parseLogLine('[INFO] still prefixed', state).level).toBe('info');
    expect(parseLogLine('{"@level":"info","@message":"json"}', state).level).toBe('info');
    const fatal = { panicked: false };
    expect(parseLogLine('fatal error: all goroutines are asleep', fatal).level).toBe('error');
    expect(fatal.panicked).toBe(true);
  });

  it('never throws on random lines', () => {
    const jsonish = fc
      .dictionary(fc.constantFrom('@level', '@message', '@timestamp', 'k', '__proto__'), fc.jsonValue())
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jsonish), fc.boolean(), (line, panicked) => {
        const entry = parseLogLine(line, { panicked });
        expect(['trace', 'debug', 'info', 'warn', 'error']).toContain(entry.level);
        expect(typeof entry.message).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});
