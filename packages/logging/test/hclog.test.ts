import { describe, expect, it } from 'vitest';
import { createHclogLogger } from '../src/hclog.js';
import { levelLogger } from '../src/levels.js';
import { parseLogLine } from '../src/parse-line.js';

describe('createHclogLogger', () => {
  it('writes hclog JSON lines that the host parser reads back', () => {
    const lines: string[] = [];
    const log = createHclogLogger({ output: { write: (s: string) => lines.push(s) }, name: 'kv', level: 'debug' });
    log.trace({}, 'dropped');
    log.info({ address: '/tmp/p', err: new Error('bad'), big: 10n }, 'plugin address');
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line.endsWith('\n')).toBe(true);
    expect(line).toMatch(/^\{"@level":"info","@message":"plugin address","@module":"kv","@timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",/);
    const entry = parseLogLine(line.trimEnd());
    expect(entry.level).toBe('info');
    expect(entry.message).toBe('plugin address');
    expect(entry.fields).toEqual({ '@module': 'kv', address: '/tmp/p', err: 'bad', big: '10' });
    expect(entry.timestamp).toBeInstanceOf(Date);
  });

  it('survives cyclic fields', () => {
    const lines: string[] = [];
    const log = createHclogLogger({ output: { write: (s: string) => lines.push(s) } });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.error({ cyclic }, 'x');
    expect(JSON.parse(lines[0] as string).cyclic).toEqual({ a: 1, self: '[Circular]' });
  });
});

describe('levelLogger', () => {
  it('drops entries below the level', () => {
    const seen: string[] = [];
    const rec = (l: string) => (_f: Readonly<Record<string, unknown>>, m: string) => seen.push(`${l}:${m}`);
    const log = levelLogger({ trace: rec('trace'), debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') }, 'warn');
    log.trace({}, 'a');
    log.info({}, 'b');
    log.warn({}, 'c');
    log.error({}, 'd');
    expect(seen).toEqual(['warn:c', 'error:d']);
  });
});
