import { createHash, getHashes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PluginError, abortError, throwIfAborted } from '@plugwire/core';
import type { AbortOptions } from '@plugwire/core';

/** The expected checksum of a plugin binary (go-plugin's `SecureConfig`). */
export interface SecureConfig {
  /** The expected digest: bytes, or a hex string. */
  checksum: Uint8Array | string;
  /** A Node hash algorithm, e.g. `sha256`. */
  hash: string;
}

function expectedBytes(checksum: Uint8Array | string): Buffer {
  if (typeof checksum !== 'string') return Buffer.from(checksum);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(checksum)) {
    throw new PluginError('invalid_argument', 'secureConfig.checksum must be bytes or an even-length hex string');
  }
  return Buffer.from(checksum, 'hex');
}

/**
 * Checks a plugin binary against its expected checksum before it is run, as go-plugin's `SecureConfig.Check` does.
 * @param path - the plugin file
 * @param config - expected digest and algorithm
 * @param options - abort signal
 * @throws PluginError `checksum` ("checksums did not match", "no checksum provided", "no hash implementation
 *   provided", "error verifying checksum: …"), `invalid_argument` for an unknown algorithm, `aborted`
 */
export async function verifyChecksum(path: string, config: SecureConfig, options: AbortOptions = {}): Promise<void> {
  const expected = expectedBytes(config.checksum ?? '');
  if (expected.length === 0) {
    throw new PluginError('checksum', 'no checksum provided: set secureConfig.checksum to the expected digest');
  }
  if (typeof config.hash !== 'string' || config.hash === '') {
    throw new PluginError('checksum', 'no hash implementation provided: set secureConfig.hash, e.g. "sha256"');
  }
  if (!getHashes().includes(config.hash.toLowerCase())) {
    throw new PluginError('invalid_argument', `secureConfig.hash ${config.hash} is not a hash algorithm Node knows`);
  }
  throwIfAborted(options.signal, 'checksum verification');
  const hash = createHash(config.hash.toLowerCase());
  const stream = createReadStream(path);
  const onAbort = (): void => {
    stream.destroy(abortError(options.signal as AbortSignal, 'checksum verification'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (err) {
    if (err instanceof PluginError) throw err;
    throw new PluginError('checksum', `error verifying checksum: ${(err as Error).message}`, { cause: err });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // The file descriptor closes asynchronously; wait so nothing of ours outlives the call.
    if (!stream.closed) {
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.destroy();
      });
    }
    // 'close' is emitted inside fs.close's callback; one more turn and its request is released too.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const actual = hash.digest();
  if (!actual.equals(expected)) {
    throw new PluginError(
      'checksum',
      `checksums did not match: ${path} has ${config.hash} ${actual.toString('hex')}, expected ${expected.toString('hex')}. ` +
        'The plugin binary changed; reinstall it or update the expected checksum.',
    );
  }
}
