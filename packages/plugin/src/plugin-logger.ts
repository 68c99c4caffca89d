import { silentLogger, type Logger } from '@plugwire/core';
import { createHclogLogger, levelFromString } from '@plugwire/logging';

/**
 * The environment variable a plugwire host sets to the level it keeps plugin log entries at (its `logLevel`);
 * {@link createPluginLogger} reads it. Go hosts do not set it (the plugin then logs everything, as hclog's trace).
 */
export const LOG_LEVEL_ENV = 'PLUGWIRE_LOG_LEVEL';

/** Options of {@link createPluginLogger}. */
export interface PluginLoggerOptions {
  /** Written as `@module` on every line. @default none */
  readonly name?: string;
  /** Environment to read the host's level from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the JSON lines go. @default the real stderr (fd 2), as it was before `serve()` captured `process.stderr` */
  readonly output?: {
    /** Receives one JSON line, newline included. */
    write(chunk: string): unknown;
  };
}

/**
 * The plugin side's logger: hclog JSON lines on the real stderr (fd 2, even after `serve()` captured
 * `process.stderr`), at the level the host asked for; the host parses them and mirrors them into its own logger at
 * their level. `serve()` hands one to every implementation factory (`definition.implement(({ logger }) => ...)`).
 * @param options - module name and environment
 */
export function createPluginLogger(options: PluginLoggerOptions = {}): Logger {
  const value = (options.env ?? process.env)[LOG_LEVEL_ENV];
  if (value === 'off') return silentLogger;
  const level = (value && levelFromString(value)) || 'trace';
  return createHclogLogger({ level, name: options.name, output: options.output });
}
