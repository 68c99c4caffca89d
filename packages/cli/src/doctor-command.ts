import { parseWithCommand } from './args.js';
import { EXIT, EXIT_HELP } from './exit-codes.js';
import type { Command } from './io.js';
import { LAUNCH_HELP, LAUNCH_OPTIONS, validateLaunchSpec } from './launch-spec.js';
import type { RawLaunchOptions } from './launch-spec.js';

/** `plugwire doctor`. */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'launch a plugin as a go-plugin host would and report each step; names the cause and fix of a failure',
  help: `Usage: plugwire doctor [options] -- <command> [args...]

Launches the plugin as a go-plugin host would and reports, step by step with timings: the executable, what it printed
before its handshake, the handshake line decoded, the negotiated version, health (gRPC "plugin" SERVING) or
Control.Ping (netrpc), the gRPC services and methods (reflection), its stderr log lines, and its shutdown. On failure
it names the cause and the fix (wrong or missing cookie, not executable, wrong architecture, exited, timed out,
stdout noise, protocol not allowed, version mismatch).

${LAUNCH_HELP}
Output:
  --json                 print the report as one JSON object
  -h, --help             this help

Example:
  plugwire doctor --cookie BASIC_PLUGIN=hello -- node examples/dist/kv/plugin-grpc.js

${EXIT_HELP}
`,
  async run(args, io) {
    const { values, positionals, command } = parseWithCommand(args, { ...LAUNCH_OPTIONS, json: { type: 'boolean' } });
    const spec = validateLaunchSpec(values as RawLaunchOptions, command.length > 0 ? command : positionals);
    // Loaded on use, so that `plugwire --help` and the other commands do not load the transports.
    const [{ doctor }, { printVerdict, stepPrinter }] = await Promise.all([import('./doctor.js'), import('./render.js')]);
    const json = values.json === true;
    const printer = stepPrinter(json ? { write: () => {}, isTTY: false } : io.stdout);
    if (!json) io.stdout.write(`plugwire doctor: ${[spec.command, ...spec.args].join(' ')}\n\n`);
    let report;
    try {
      report = await doctor(spec, printer);
    } finally {
      printer.stop();
    }
    if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printVerdict(report, io.stdout);
    return report.ok ? EXIT.ok : EXIT.failed;
  },
};
