// `@plugwire/plugin/testing`: helpers for tests of hosts and plugins (plugwire's own packages use them too).
import type { Logger, LogLevel } from '@plugwire/core';

/** One entry a {@link recordingLogger} received. */
export interface RecordedEntry {
  /** The level it was logged at. */
  readonly level: LogLevel;
  /** The message. */
  readonly message: string;
  /** The fields. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger that keeps every entry, for asserting on what a host mirrored from its plugin. */
export function recordingLogger(): Logger & {
  /** Every entry logged so far, oldest first. */
  readonly entries: RecordedEntry[];
} {
  const entries: RecordedEntry[] = [];
  const at = (level: LogLevel) => (fields: Readonly<Record<string, unknown>>, message: string) => {
    entries.push({ level, message, fields });
  };
  return { entries, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Whether a process with this pid exists (signal 0), e.g. to check that `kill()` left no plugin behind. */
export { pidAlive as processAlive } from '@plugwire/process';
