import type { LogLevel, Logger } from '@plugwire/core';

/** Logs without letting a throwing host logger break process handling. */
export function safeLog(logger: Logger, level: LogLevel, fields: Record<string, unknown>, message: string): void {
  try {
    logger[level](fields, message);
  } catch {
    // The host's logger failed; the lifecycle must go on regardless.
  }
}
