import { callCommand } from './call-command.js';
import { doctorCommand } from './doctor-command.js';
import { installCommand, listCommand } from './install-commands.js';
import { keygenCommand, signCommand, verifyCommand } from './sign-commands.js';
import type { Command } from './io.js';

/** Every subcommand, by name, in the order `plugwire --help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = Object.fromEntries(
  [doctorCommand, callCommand, keygenCommand, signCommand, verifyCommand, installCommand, listCommand].map((c) => [c.name, c]),
);
