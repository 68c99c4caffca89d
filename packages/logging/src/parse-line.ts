import type { LogLevel } from '@plugwire/core';
import { levelFromString } from './levels.js';

/** One log entry parsed from a plugin's stderr line. */
export interface LogEntry {
  /** Level to log at. */
  level: LogLevel;
  /** The hclog `@message`, or the whole line when it is not hclog JSON. */
  message: string;
  /** Every other key of an hclog JSON line (including `@module` and `@caller`); empty for text lines. */
  fields: Record<string, unknown>;
  /** The hclog `@timestamp`, when present. */
  timestamp?: Date;
}

/** Whether a `panic: ` or `fatal error: ` line was seen: every later non-JSON line is then an error. */
export interface LineState {
  /** Set once such a line was seen. */
  panicked: boolean;
}

// hclog's JSON timestamp layout, Go's "2006-01-02T15:04:05.000000Z07:00": exactly six fraction digits.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(?:Z|[+-]\d{2}:\d{2})$/;

const PREFIXES: ReadonlyArray<readonly [string, LogLevel]> = [
  ['[TRACE]', 'trace'],
  ['[DEBUG]', 'debug'],
  ['[INFO]', 'info'],
  ['[WARN]', 'warn'],
  ['[ERROR]', 'error'],
];

function parseTimestamp(value: string): Date | undefined {
  if (!TIMESTAMP.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** go-plugin's `parseJSON`: an object with string `@message`/`@level`/`@timestamp`, else undefined. */
function parseJson(line: string): LogEntry | 'not-json' | 'no-level' {
  // Cheap reject first: most text lines never reach JSON.parse.
  if (!line.trimStart().startsWith('{')) return 'not-json';
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return 'not-json';
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'not-json';
  const fields: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const message = fields['@message'];
  const level = fields['@level'];
  const timestamp = fields['@timestamp'];
  // Go would panic on a non-string here; we treat such a line as plain text instead.
  if (message !== undefined && typeof message !== 'string') return 'not-json';
  if (level !== undefined && typeof level !== 'string') return 'not-json';
  if (timestamp !== undefined && typeof timestamp !== 'string') return 'not-json';
  delete fields['@message'];
  delete fields['@level'];
  delete fields['@timestamp'];
  let date: Date | undefined;
  if (timestamp !== undefined) {
    date = parseTimestamp(timestamp);
    if (date === undefined) return 'not-json';
  }
  const parsedLevel = level === undefined ? undefined : levelFromString(level);
  if (parsedLevel === undefined) return 'no-level';
  const entry: LogEntry = { level: parsedLevel, message: message ?? '', fields };
  if (date !== undefined) entry.timestamp = date;
  return entry;
}

/**
 * Parses one plugin stderr line as go-plugin's host does (PROTOCOL.md §1.9): hclog JSON, then `[LEVEL]` prefixes,
 * then `panic: ` / `fatal error: ` (which make every later non-JSON line an error), else debug. Never throws.
 * @param line - the line without its newline
 * @param state - carries the panic escalation from line to line; pass the same object for one stream
 */
export function parseLogLine(line: string, state?: LineState): LogEntry {
  const json = parseJson(line);
  if (typeof json === 'object') return json;
  // A JSON object whose level is missing or unknown is logged whole, at debug.
  if (json === 'no-level') return { level: 'debug', message: line, fields: {} };
  for (const [prefix, level] of PREFIXES) {
    if (line.startsWith(prefix)) return { level, message: line, fields: {} };
  }
  if (line.startsWith('panic: ') || line.startsWith('fatal error: ')) {
    if (state) state.panicked = true;
    return { level: 'error', message: line, fields: {} };
  }
  return { level: state?.panicked ? 'error' : 'debug', message: line, fields: {} };
}
