import type { Logger } from '@plugwire/core';
import { safeLog } from './log.js';

/** How many stdout lines a plugin may write before its handshake line; go-plugin allows none. */
export const DEFAULT_MAX_LINES_BEFORE_HANDSHAKE = 100;
const QUOTED_LINES = 5;
const QUOTE_LENGTH = 200;

/** Shortens a hostile line for a log entry or an error message. */
function clip(line: string): string {
  return line.length > QUOTE_LENGTH ? `${line.slice(0, QUOTE_LENGTH)}… (${line.length} characters)` : line;
}

/**
 * Lines a plugin wrote on stdout before its handshake (a dependency's banner, a warning): each is logged at `warn`
 * and skipped; the first few are kept to quote in an error.
 */
export class StdoutNoise {
  count = 0;
  readonly #seen: string[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly plugin: string,
  ) {}

  /** A line that cannot be a handshake line (fewer than 4 `|`-separated fields); one that could is parsed. */
  static isNoise(line: string): boolean {
    return line.trim().split('|', 4).length < 4;
  }

  /** The first line seen, for go-plugin's "Unrecognized remote plugin message". */
  get first(): string {
    return this.#seen[0] ?? '';
  }

  add(line: string): void {
    this.count += 1;
    const text = line.trim();
    if (this.#seen.length < QUOTED_LINES) this.#seen.push(text);
    safeLog(this.logger, 'warn', { plugin: this.plugin, line: clip(text) }, 'plugin wrote to stdout before its handshake; line skipped');
  }

  /** What was seen, for an error message; empty when nothing was. */
  describe(): string {
    if (this.count === 0) return '';
    const shown = this.#seen.map((l) => `\n  ${clip(l)}`).join('');
    const more = this.count > this.#seen.length ? `\n  … and ${this.count - this.#seen.length} more` : '';
    return `\nBefore any handshake line the plugin wrote ${this.count} other line(s) to stdout:${shown}${more}`;
  }
}
