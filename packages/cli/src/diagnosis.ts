// The causes `plugwire doctor` names, each with the fix in plain words.
import { COOKIE_MISMATCH_MESSAGE, NO_COOKIE_MESSAGE } from '@plugwire/handshake';
import type { ExitInfo } from './observe.js';

/** Why a plugin does not work with a go-plugin host. */
export type Cause =
  | 'not_found'
  | 'not_executable'
  | 'wrong_architecture'
  | 'cookie_missing'
  | 'cookie_mismatch'
  | 'plugin_misconfigured'
  | 'exited'
  | 'timeout'
  | 'stdout_noise'
  | 'not_a_plugin'
  | 'bad_handshake'
  | 'version_mismatch'
  | 'protocol_not_allowed'
  | 'tls'
  | 'connect_failed'
  | 'unhealthy';

/** A named cause with what to do about it. */
export interface Diagnosis {
  /** Machine-readable cause. */
  cause: Cause;
  /** What went wrong, in plain words. */
  problem: string;
  /** What to do about it. */
  fix: string;
  /** The error text a go-plugin host shows for it, when there is one. */
  hostSees?: string;
}

/** Describes an exit for a person. */
export function describeExit(exit: ExitInfo): string {
  return exit.signal !== null ? `killed by signal ${exit.signal}` : `exit status ${String(exit.code)}`;
}

const FIRST_COOKIE_LINE = COOKIE_MISMATCH_MESSAGE.split('\n')[0] as string;
const FIRST_NO_COOKIE_LINE = NO_COOKIE_MESSAGE.split('\n')[0] as string;

/** Whether stderr shows go-plugin's "This binary is a plugin" refusal. */
export function sawCookieRefusal(lines: readonly string[]): boolean {
  return lines.some((l) => l.includes(FIRST_COOKIE_LINE));
}

/** Whether stderr shows go-plugin's "no magic cookie key or value was set" (the plugin's own config is broken). */
export function sawMisconfiguredCookie(lines: readonly string[]): boolean {
  return lines.some((l) => l.includes(FIRST_NO_COOKIE_LINE));
}

// Variables every go-plugin host sets; never the cookie.
const HOST_VARS = /^PLUGIN_(PROTOCOL_VERSIONS|MIN_PORT|MAX_PORT|CLIENT_CERT|UNIX_SOCKET_DIR|UNIX_SOCKET_GROUP|MULTIPLEX_GRPC)$/;
const HINT_WORDS = /cookie|environment|env\b|variable|\bset\b|export|missing|expected/i;

/**
 * Environment variable names the plugin's stderr mentions next to words about cookies or the environment: the
 * cookie key it probably wants.
 * @param lines - the plugin's stderr lines
 */
export function cookieHints(lines: readonly string[]): string[] {
  const found = new Set<string>();
  for (const line of lines) {
    if (!HINT_WORDS.test(line)) continue;
    for (const m of line.matchAll(/\b([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\b/g)) {
      const name = m[1] as string;
      if (!HOST_VARS.test(name)) found.add(name);
    }
  }
  return [...found];
}

/**
 * The diagnosis for a plugin that exited before its handshake.
 * @param exit - how it ended
 * @param stderrLines - its last stderr lines
 * @param cookie - the cookie doctor gave it, if any
 */
export function exitDiagnosis(exit: ExitInfo, stderrLines: readonly string[], cookie: { key: string; value: string } | undefined): Diagnosis {
  const hostSees = `plugin exited before we could connect`;
  if (sawMisconfiguredCookie(stderrLines)) {
    return {
      cause: 'plugin_misconfigured',
      problem: "the plugin's own ServeConfig has an empty magic cookie key or value, so it refuses every host",
      fix: 'the plugin author must set HandshakeConfig.MagicCookieKey and MagicCookieValue in the plugin (a bug in the plugin)',
      hostSees,
    };
  }
  if (sawCookieRefusal(stderrLines)) {
    const hints = cookieHints(stderrLines);
    const hint = hints.length > 0 ? ` Its stderr mentions ${hints.join(', ')}: try --cookie ${hints[0]}=<value>.` : '';
    if (cookie === undefined) {
      return {
        cause: 'cookie_missing',
        problem: 'the plugin wants a magic cookie and none was given: it printed go-plugin\'s "This binary is a plugin. These are not meant to be executed directly." and exited',
        fix:
          "pass the host's cookie with --cookie KEY=VALUE (the HandshakeConfig's MagicCookieKey and MagicCookieValue both sides share; go-plugin's examples use BASIC_PLUGIN=hello)." +
          hint,
        hostSees,
      };
    }
    return {
      cause: 'cookie_mismatch',
      problem: `the plugin refused the magic cookie ${cookie.key}=${cookie.value}: it printed go-plugin's "This binary is a plugin. These are not meant to be executed directly." and exited`,
      fix: `host and plugin must share one HandshakeConfig: use the plugin's MagicCookieKey and MagicCookieValue (check both the key and the value; they are case-sensitive).${hint}`,
      hostSees,
    };
  }
  if (exit.code === 126 || exit.code === 127) {
    return {
      cause: exit.code === 126 ? 'not_executable' : 'not_found',
      problem: `the plugin could not be run (${describeExit(exit)}: ${exit.code === 126 ? 'found but not executable' : 'a command it runs was not found'})`,
      fix: exit.code === 126 ? 'make it executable (chmod +x) and check its interpreter line' : 'check the command, its #! interpreter line and the PATH it sees',
      hostSees,
    };
  }
  const tail = stderrLines.length > 0 ? 'its last stderr lines (below) say why' : 'it wrote nothing to stderr; run it with its logging turned up';
  return {
    cause: 'exited',
    problem: `the plugin exited before printing its handshake line (${describeExit(exit)})`,
    fix: `fix what made it exit: ${tail}`,
    hostSees,
  };
}
