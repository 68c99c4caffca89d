// How a plugin is tied to its host: its own session (so its whole process tree can be signalled at once) and, on
// Linux, the parent-death signal (so it dies with the host even when the host is SIGKILLed).
import { constants, accessSync, existsSync, lstatSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { resolveCommand } from './diagnose.js';

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];
let setprivPath: string | null | undefined;

/**
 * util-linux's `setpriv` on Linux (it sets `PR_SET_PDEATHSIG` and execs the plugin in place, so the plugin keeps its
 * pid, stdin and TTY), or undefined where there is none (macOS, Windows, a minimal container).
 */
export function findSetpriv(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath = process.platform === 'linux' ? (SETPRIV_PATHS.find((p) => existsSync(p)) ?? null) : null;
  }
  return setprivPath ?? undefined;
}

/** Whether plugins get a session (and so a process group) of their own: everywhere but Windows. */
export const OWN_PROCESS_GROUP = process.platform !== 'win32';

/** What to spawn for a plugin command. */
export interface SpawnPlan {
  readonly command: string;
  readonly args: readonly string[];
  /** True when the plugin will get the parent-death signal. */
  readonly dieWithHost: boolean;
}

/** An error shaped like the one spawn() reports, for a command that cannot be executed. */
function execError(code: 'ENOENT' | 'EACCES', file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`spawn ${file} ${code}`);
  err.code = code;
  err.path = file;
  return err;
}

/**
 * How to spawn `command`: through `setpriv --pdeathsig KILL` when `dieWithHost` and setpriv exists, else directly.
 * With setpriv the command is resolved here first, so a missing or non-executable plugin still fails as spawn()
 * would (ENOENT / EACCES) rather than as an exit of setpriv.
 * @throws the ENOENT or EACCES error spawn() would have reported
 */
export function planSpawn(command: string, args: readonly string[], cwd: string | undefined, path: string | undefined, dieWithHost: boolean): SpawnPlan {
  const setpriv = dieWithHost ? findSetpriv() : undefined;
  if (setpriv === undefined) return { command, args, dieWithHost: false };
  const file = resolveCommand(command, cwd, path);
  if (file === undefined || !existsSync(file)) throw execError('ENOENT', command);
  try {
    if (!statSync(file).isFile()) throw execError('EACCES', file);
    accessSync(file, constants.X_OK);
  } catch {
    throw execError('EACCES', file);
  }
  return { command: setpriv, args: ['--pdeathsig', 'KILL', '--', file, ...args], dieWithHost: true };
}

/**
 * Signals the plugin's whole process group (a wrapper script, `go run`, the children it started); false when none
 * of it is left. Never throws.
 */
export function signalGroup(pid: number, sig: NodeJS.Signals): boolean {
  if (!OWN_PROCESS_GROUP) return false;
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the unix socket a plugin left behind when it was killed (a Go plugin cleans it only on a graceful exit).
 * Only a socket is removed, never another kind of file. Never throws.
 */
export function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone, or not ours to remove
  }
  // A plugwire plugin keeps its socket in a private directory `plugin-XXXXXX` (@plugwire/net): remove it when it is
  // left empty (rmdir refuses a directory with anything in it).
  const dir = dirname(path);
  if (/^plugin-[A-Za-z0-9]{6}$/.test(basename(dir))) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty, already gone, or not ours
    }
  }
}
