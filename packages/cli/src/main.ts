// The plugwire command: picks the subcommand, handles --help, and maps errors to exit statuses.
import { PluginError } from '@plugwire/core';
import { COMMANDS } from './commands.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import type { Io } from './io.js';
import { UsageError } from './usage-error.js';

function mainHelp(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.name.padEnd(8)} ${c.summary}`);
  return `plugwire: tools for go-plugin plugins (Go, TypeScript, Python)

Usage: plugwire <command> [options]

Commands:
${lines.join('\n')}

Run plugwire <command> --help for its options.
${EXIT_HELP}
`;
}

/** Whether --help/-h comes before any `--` (after it, it belongs to the plugin). */
function wantsHelp(args: string[]): boolean {
  const dash = args.indexOf('--');
  const help = args.findIndex((a) => a === '--help' || a === '-h');
  return help >= 0 && (dash < 0 || help < dash);
}

/**
 * Runs the plugwire command.
 * @param argv - the arguments after the program name
 * @param io - where to write
 * @returns the exit status (see {@link EXIT})
 */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    if (wantsHelp(rest)) {
      io.stdout.write(command.help);
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`plugwire: ${err.message}\nRun plugwire ${command ? `${name} ` : ''}--help for usage.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`plugwire: ${PluginError.from(err).message}\n`);
    return EXIT.failed;
  }
}
