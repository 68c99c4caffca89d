import type { Output } from './render.js';

/** Where a command writes, and how it reads standard input. */
export interface Io {
  /** Standard output. */
  stdout: Output;
  /** Standard error. */
  stderr: Output;
  /** Reads all of standard input (for a `-` argument). @default reads process.stdin */
  readStdin?: () => Promise<string>;
}

/** One subcommand of `plugwire`. */
export interface Command {
  /** Its name on the command line. */
  name: string;
  /** One line for `plugwire --help`. */
  summary: string;
  /** Its `--help` text. */
  help: string;
  /** Runs it; resolves with the exit status. */
  run(args: string[], io: Io): Promise<number>;
}
