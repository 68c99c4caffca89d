import type { HandshakeConfig } from '@plugwire/core';

/** What a plugin prints to stderr (then exits 1) when run without the host's magic cookie; go-plugin's text. */
export const COOKIE_MISMATCH_MESSAGE =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically\n';

/** What a plugin prints to stderr (then exits 1) when its own cookie key or value is empty; go-plugin's text. */
export const NO_COOKIE_MESSAGE =
  'Misconfigured ServeConfig given to serve this plugin: no magic cookie\n' +
  'key or value was set. Please notify the plugin author and report\n' +
  'this as a bug.\n';

/**
 * The plugin's magic cookie check (PROTOCOL.md §1.6).
 * @param handshake - the plugin's cookie key and value
 * @param env - the plugin's environment
 * @returns undefined when the cookie matches; else the exact text to print to stderr before exiting with status 1
 */
export function checkMagicCookie(handshake: HandshakeConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (handshake.magicCookieKey === '' || handshake.magicCookieValue === '') return NO_COOKIE_MESSAGE;
  if (env[handshake.magicCookieKey] !== handshake.magicCookieValue) return COOKIE_MISMATCH_MESSAGE;
  return undefined;
}
