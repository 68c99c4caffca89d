import { LOG_LEVELS } from '@plugwire/core';
import type { LogLevel, Logger } from '@plugwire/core';

/** Severity rank of a level (trace 0 … error 4). */
export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

/** hclog's `LevelFromString`: trimmed, lower-cased, one of the five levels; anything else is undefined. */
export function levelFromString(value: string): LogLevel | undefined {
  const v = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined;
}

/**
 * Wraps `logger` so that entries below `level` are dropped.
 * @param logger - where kept entries go
 * @param level - the lowest level kept
 */
export function levelLogger(logger: Logger, level: LogLevel): Logger {
  const min = levelRank(level);
  const wrap = (l: LogLevel): Logger[LogLevel] =>
    levelRank(l) < min ? () => {} : (fields, message) => logger[l](fields, message);
  return { trace: wrap('trace'), debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
