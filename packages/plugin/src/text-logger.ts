import { LOG_LEVELS, type Logger, type LogLevel } from '@plugwire/core';

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s|=|"/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The host's default logger, like go-plugin's default hclog: `<time> [LEVEL] message: key=value …` lines on stderr.
 * @param level - lowest level written (default `info`)
 * @param write - where lines go (default process.stderr)
 */
export function createTextLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const make = (lvl: LogLevel) => (fields: Readonly<Record<string, unknown>>, message: string) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`);
    const tag = `[${lvl.toUpperCase()}]`.padEnd(7);
    write(`${new Date().toISOString()} ${tag} ${message}${kv.length ? `: ${kv.join(' ')}` : ''}\n`);
  };
  return { trace: make('trace'), debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}
