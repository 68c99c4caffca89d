import { callCommand } from './call-command.js';
import { doctorCommand } from './doctor-command.js';
import type { Command } from './io.js';

/** Every subcommand, by name, in the order `plugwire --help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = Object.fromEntries(
  [doctorCommand, callCommand].map((c) => [c.name, c]),
);
