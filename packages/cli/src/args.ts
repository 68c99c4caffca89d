import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

/** Parsed options, the positionals before `--`, and everything after it. */
export interface ParsedCommand {
  /** Option values by name. */
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  /** Arguments before `--` that are not options. */
  positionals: string[];
  /** Everything after `--`. */
  command: string[];
}

/**
 * Parses options, splitting the arguments at the first `--`: options before it, the plugin command after.
 * @param args - the command's arguments
 * @param options - parseArgs option definitions
 * @throws UsageError for an unknown or malformed option
 */
export function parseWithCommand(args: string[], options: NonNullable<ParseArgsConfig['options']>): ParsedCommand {
  const dash = args.indexOf('--');
  const before = dash >= 0 ? args.slice(0, dash) : args;
  const after = dash >= 0 ? args.slice(dash + 1) : [];
  try {
    const parsed = parseArgs({ args: before, options, allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals, command: after };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
