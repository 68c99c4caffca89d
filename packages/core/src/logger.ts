/** The five levels of hclog, which plugwire uses everywhere. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Every log level in increasing severity. */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/**
 * One log method. Fields come first so that pino (`logger.info(obj, msg)`) and `console` both work as they are.
 */
export type LogFn = (fields: Readonly<Record<string, unknown>>, message: string) => void;

/** The host's or plugin's logger: any object with the five level methods, such as `console` or a pino logger. */
export interface Logger {
  /** Logs at trace level. */
  trace: LogFn;
  /** Logs at debug level. */
  debug: LogFn;
  /** Logs at info level. */
  info: LogFn;
  /** Logs at warn level. */
  warn: LogFn;
  /** Logs at error level. */
  error: LogFn;
}

const noop: LogFn = () => {};

/** A logger that drops everything. */
export const silentLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
