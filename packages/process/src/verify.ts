// @plugwire/trust, loaded on first use: it pulls in semver (~50 ms and ~8 MiB RSS at start-up), which a host that
// checks no plugin, and every plugin process, would otherwise pay.
import type { AbortOptions } from '@plugwire/core';
import type { SecureConfig } from '@plugwire/trust';

/**
 * Checks a plugin executable against `config.checksum` (go-plugin's SecureConfig): `@plugwire/trust`'s
 * `verifyChecksum`, with that package loaded on first use.
 * @param path - the executable file
 * @param config - expected digest and the hash algorithm name
 * @param options - `signal` aborts the read
 * @throws PluginError `checksum` when the digest differs or is missing, `invalid_argument` for an unknown hash
 */
export async function verifyChecksum(path: string, config: SecureConfig, options: AbortOptions = {}): Promise<void> {
  return (await import('@plugwire/trust')).verifyChecksum(path, config, options);
}
