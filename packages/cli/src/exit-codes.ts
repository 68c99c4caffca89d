/** Exit statuses of the plugwire command (documented in the README and `plugwire --help`). */
export const EXIT = {
  /** Everything checked out / the call succeeded. */
  ok: 0,
  /** The plugin has a problem (doctor), the call failed, a signature did not verify, an install was refused. */
  failed: 1,
  /** The command line is wrong (unknown option, missing argument). */
  usage: 2,
} as const;

/** Help text listing the exit statuses. */
export const EXIT_HELP = `Exit status: 0 all good; 1 the plugin (or call, signature, install) failed, the output says why;
2 the command line is wrong.`;
