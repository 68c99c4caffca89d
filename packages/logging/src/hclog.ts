import type { LogLevel, Logger } from '@plugwire/core';
import { levelRank } from './levels.js';

/** Options of {@link createHclogLogger}. */
export interface HclogLoggerOptions {
  /** Where the JSON lines go. @default the real `process.stderr` (as it was when this module loaded) */
  output?: {
    /** Writes one JSON line (with its newline). */
    write(chunk: string): unknown;
  };
  /** Lowest level written. @default 'trace' */
  level?: LogLevel;
  /** Written as `@module`. @default none */
  name?: string;
}

// Captured at load, so a plugin that later redirects process.stderr (stdio sync) still logs to the real fd 2.
const realStderr: { write(chunk: string): unknown } = (() => {
  const stream = process.stderr;
  const write = stream.write;
  return { write: (chunk: string) => write.call(stream, chunk) };
})();

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** hclog's JSON timestamp, `2006-01-02T15:04:05.000000Z07:00`, in UTC. */
function hclogTimestamp(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000Z`
  );
}

/** JSON for a field value that never throws: errors become their message, bigints strings, cycles a marker. */
function toJsonValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  const out: unknown = Array.isArray(value)
    ? value.map((v) => toJsonValue(v, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v, seen)]));
  seen.delete(value);
  return out;
}

/**
 * A plugin-side {@link Logger} that writes one hclog JSON line per entry (`@level`, `@message`, `@module`,
 * `@timestamp`, then the fields), which a go-plugin host parses and mirrors at the right level.
 * @param options - output, level and module name
 */
export function createHclogLogger(options: HclogLoggerOptions = {}): Logger {
  const output = options.output ?? realStderr;
  const min = levelRank(options.level ?? 'trace');
  const make =
    (level: LogLevel): Logger[LogLevel] =>
    (fields, message) => {
      if (levelRank(level) < min) return;
      const record: Record<string, unknown> = { '@level': level, '@message': String(message) };
      if (options.name !== undefined) record['@module'] = options.name;
      record['@timestamp'] = hclogTimestamp(new Date());
      const seen = new WeakSet<object>();
      for (const [k, v] of Object.entries(fields ?? {})) {
        if (k === '@level' || k === '@message' || k === '@timestamp') continue;
        record[k] = toJsonValue(v, seen);
      }
      try {
        output.write(`${JSON.stringify(record)}\n`);
      } catch {
        // Logging must never crash the plugin.
      }
    };
  return { trace: make('trace'), debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}
