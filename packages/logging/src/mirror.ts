import { PluginError } from '@plugwire/core';
import type { LogLevel, Logger } from '@plugwire/core';
import { levelRank } from './levels.js';
import { parseLogLine } from './parse-line.js';
import type { LineState, LogEntry } from './parse-line.js';

/** Options of {@link mirrorStderr}. */
export interface StderrMirrorOptions {
  /** Where parsed entries go. */
  logger: Logger;
  /** The plugin's name, added to every entry as the field `plugin`. */
  name?: string;
  /** Receives a raw copy of every byte (go-plugin's `ClientConfig.Stderr`). @default none */
  stderr?: NodeJS.WritableStream;
  /** Longest line parsed; longer lines are split and the fragments logged at debug, unparsed. @default 65536 */
  bufferSize?: number;
  /** Entries below this level are dropped; `off` skips parsing altogether. @default 'trace' */
  level?: LogLevel | 'off';
  /** How many recent lines {@link StderrMirror.lastLines} keeps. @default 20 */
  keepLines?: number;
}

/** A running stderr mirror. */
export interface StderrMirror {
  /** Settles when the input ended, closed or failed; never rejects. */
  readonly done: Promise<void>;
  /** The most recent lines (each cut to 1 KiB), oldest first, for error messages. */
  lastLines(): string[];
}

const DEFAULT_BUFFER = 64 * 1024;
const KEPT_LINE_MAX = 1024;

/**
 * Reads a plugin's stderr line by line and logs each line to the host logger, as go-plugin's `logStderr` does.
 * Memory stays bounded by `bufferSize` whatever the input; bad bytes never make it throw.
 * @param input - the plugin's stderr
 * @param options - where entries go and how
 */
export function mirrorStderr(input: NodeJS.ReadableStream, options: StderrMirrorOptions): StderrMirror {
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    throw new PluginError('invalid_argument', `bufferSize must be a positive integer, got ${String(options.bufferSize)}`);
  }
  const keep = options.keepLines ?? 20;
  const level = options.level ?? 'trace';
  const min = level === 'off' ? Infinity : levelRank(level);
  const state: LineState = { panicked: false };
  const recent: string[] = [];
  let pending: Buffer[] = [];
  let pendingLength = 0;
  // The previous piece was a fragment of an over-long line: its rest is logged unparsed too.
  let continuation = false;

  const remember = (line: string): void => {
    if (keep <= 0) return;
    recent.push(line.length > KEPT_LINE_MAX ? `${line.slice(0, KEPT_LINE_MAX)}…` : line);
    if (recent.length > keep) recent.shift();
  };

  const emit = (entry: LogEntry): void => {
    if (levelRank(entry.level) < min) return;
    const fields: Record<string, unknown> = { ...entry.fields };
    if (options.name !== undefined) fields.plugin = options.name;
    if (entry.timestamp !== undefined) fields.timestamp = entry.timestamp.toISOString();
    try {
      options.logger[entry.level](fields, entry.message);
    } catch {
      // A throwing host logger must not take the mirror down.
    }
  };

  const take = (): string => {
    const text = Buffer.concat(pending, pendingLength).toString('utf8');
    pending = [];
    pendingLength = 0;
    return text;
  };

  const onLine = (fragment: boolean): void => {
    let line = take();
    if (fragment || continuation) {
      continuation = fragment;
      remember(line);
      emit({ level: 'debug', message: line, fields: {} });
      return;
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') return;
    remember(line);
    if (level !== 'off') emit(parseLogLine(line, state));
  };

  const onData = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (options.stderr) {
      try {
        options.stderr.write(buf);
      } catch {
        // The copy is best effort; the log mirror goes on.
      }
    }
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      const end = nl < 0 ? buf.length : nl;
      const room = bufferSize - pendingLength;
      if (end - pos >= room) {
        // The line fills the buffer: log what we have as a fragment and keep reading the same line.
        pending.push(buf.subarray(pos, pos + room));
        pendingLength += room;
        pos += room;
        onLine(true);
        continue;
      }
      if (end > pos) {
        // Copy: the chunk may be a view into a pooled buffer that gets reused.
        pending.push(Buffer.from(buf.subarray(pos, end)));
        pendingLength += end - pos;
      }
      if (nl < 0) break;
      pos = nl + 1;
      onLine(false);
    }
  };

  const done = new Promise<void>((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      input.removeListener('data', onData);
      input.removeListener('end', finish);
      input.removeListener('close', finish);
      input.removeListener('error', finish);
      // An unterminated last line is still a line.
      if (pendingLength > 0) onLine(false);
      resolve();
    };
    input.on('data', onData);
    input.on('end', finish);
    input.on('close', finish);
    input.on('error', finish);
  });

  return { done, lastLines: () => [...recent] };
}
