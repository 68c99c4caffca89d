import { PluginError } from '@plugwire/core';
import { satisfies, validRange } from 'semver';

/**
 * Checks a plugin's declared semantic version against the host's range (npm's `semver` ranges, e.g. `^1.4.0`).
 * @param version - from the signed manifest; undefined when it declares none
 * @param range - what the host accepts
 * @throws PluginError `invalid_argument` for a malformed range, `incompatible_version` when the plugin has no
 *   version or one outside the range
 */
export function checkVersion(version: string | undefined, range: string): void {
  if (validRange(range) === null) throw new PluginError('invalid_argument', `version ${JSON.stringify(range)} is not a semver range (e.g. ^1.4.0)`);
  if (version === undefined) {
    throw new PluginError('incompatible_version', `the host requires plugin version ${range}, but the plugin's signed manifest declares no version`);
  }
  if (!satisfies(version, range)) {
    throw new PluginError('incompatible_version', `the plugin is version ${version}, outside the range ${range} this host accepts; install a matching plugin`);
  }
}
