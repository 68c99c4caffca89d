import type { LogLevel, Logger } from '@plugwire/core';
import fc from 'fast-check';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mirrorStderr } from '../src/mirror.js';

interface Logged {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

function recorder(): { logger: Logger; entries: Logged[] } {
  const entries: Logged[] = [];
  const at =
    (level: LogLevel) =>
    (fields: Readonly<Record<string, unknown>>, message: string): void => {
      entries.push({ level, message, fields: { ...fields } });
    };
  return {
    entries,
    logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

async function mirrorChunks(chunks: readonly (Buffer | string)[], options: { bufferSize?: number; level?: LogLevel | 'off' } = {}) {
  const { logger, entries } = recorder();
  const raw: Buffer[] = [];
  const copy = new PassThrough();
  copy.on('data', (b: Buffer) => raw.push(b));
  const m = mirrorStderr(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), {
    logger,
    name: 'kv',
    stderr: copy,
    ...options,
  });
  await m.done;
  return { entries, raw: Buffer.concat(raw), lastLines: m.lastLines() };
}

describe('mirrorStderr', () => {
  it('logs each line at its level with the plugin name and copies raw bytes', async () => {
    const input =
      '{"@level":"info","@message":"hi","@timestamp":"2026-11-23T10:29:35.682427Z","n":1}\r\n[WARN] careful\nplain\n\npanic: boom\nafter';
    const { entries, raw, lastLines } = await mirrorChunks([input.slice(0, 10), input.slice(10)]);
    expect(entries).toEqual([
      { level: 'info', message: 'hi', fields: { n: 1, plugin: 'kv', timestamp: '2026-11-23T10:29:35.682Z' } },
      { level: 'warn', message: '[WARN] careful', fields: { plugin: 'kv' } },
      { level: 'debug', message: 'plain', fields: { plugin: 'kv' } },
      { level: 'error', message: 'panic: boom', fields: { plugin: 'kv' } },
      { level: 'error', message: 'after', fields: { plugin: 'kv' } },
    ]);
    expect(raw.toString()).toBe(input);
    expect(lastLines).toEqual([
      '{"@level":"info","@message":"hi","@timestamp":"2026-11-23T10:29:35.682427Z","n":1}',
      '[WARN] careful',
      'plain',
      'panic: boom',
      'after',
    ]);
  });

  it('splits a line longer than the buffer into fragments logged at debug, unparsed', async () => {
    const long = `[ERROR] ${'x'.repeat(200 * 1024)}`;
    const { entries } = await mirrorChunks([`${long}\n[INFO] next\n`]);
    const sizes = entries.map((e) => e.message.length);
    expect(sizes).toEqual([65536, 65536, 65536, long.length - 3 * 65536, '[INFO] next'.length]);
    expect(entries.slice(0, 4).every((e) => e.level === 'debug')).toBe(true);
    expect(entries[4]?.level).toBe('info');
    expect(entries.slice(0, 4).map((e) => e.message).join('')).toBe(long);
  });

  it('drops entries below the level, and skips parsing when off', async () => {
    const input = '[DEBUG] d\n[INFO] i\n[ERROR] e\n';
    expect((await mirrorChunks([input], { level: 'info' })).entries.map((e) => e.message)).toEqual(['[INFO] i', '[ERROR] e']);
    const off = await mirrorChunks([input], { level: 'off' });
    expect(off.entries).toEqual([]);
    expect(off.raw.toString()).toBe(input);
    expect(off.lastLines).toEqual(['[DEBUG] d', '[INFO] i', '[ERROR] e']);
  });

  it('settles done on a stream error and survives a throwing logger', async () => {
    const input = new PassThrough();
    const thrower = (): void => {
      throw new Error('logger broke');
    };
    const m = mirrorStderr(input, {
      logger: { trace: thrower, debug: thrower, info: thrower, warn: thrower, error: thrower },
    });
    input.write('[INFO] a\n');
    input.destroy(new Error('EPIPE'));
    await expect(m.done).resolves.toBeUndefined();
    expect(m.lastLines()).toEqual(['[INFO] a']);
  });

  it('keeps only keepLines recent lines, each cut to 1 KiB', async () => {
    const { logger } = recorder();
    const lines = Array.from({ length: 30 }, (_, i) => `${i}:${'y'.repeat(i === 29 ? 5000 : 1)}`);
    const m = mirrorStderr(Readable.from([Buffer.from(lines.join('\n'))]), { logger, keepLines: 3 });
    await m.done;
    const kept = m.lastLines();
    expect(kept.slice(0, 2)).toEqual(['27:y', '28:y']);
    expect(kept[2]?.length).toBe(1025);
  });

  it('gives the same entries however the bytes are chunked', async () => {
    const line = fc.oneof(
      fc.constantFrom('[INFO] i', '[ERROR] e', 'panic: p', 'plain', '{"@level":"warn","@message":"w"}', '', 'héllo ✓'),
      fc.string({ maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 48 }),
        async (lines, cuts, bufferSize) => {
          const bytes = Buffer.from(lines.join('\n'));
          const chunks: Buffer[] = [];
          let pos = 0;
          for (let i = 0; pos < bytes.length; i++) {
            const n = cuts[i % cuts.length] as number;
            chunks.push(bytes.subarray(pos, pos + n));
            pos += n;
          }
          const whole = await mirrorChunks([bytes], { bufferSize });
          const pieces = await mirrorChunks(chunks, { bufferSize });
          expect(pieces.entries).toEqual(whole.entries);
          expect(pieces.raw.equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on random bytes and stays within its buffer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), async (arrays) => {
        const { entries } = await mirrorChunks(arrays.map((a) => Buffer.from(a)), { bufferSize: 100 });
        for (const e of entries) expect(Buffer.byteLength(e.message)).toBeLessThanOrEqual(100 * 3);
      }),
      { numRuns: 200 },
    );
  });
});
