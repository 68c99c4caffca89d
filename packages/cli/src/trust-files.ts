// Key files, trusted keys, and checking a signed manifest with the files it lists, on top of @plugwire/trust.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PluginError } from '@plugwire/core';
import { checkVersion, publicKeyObject, sha256File, verifyManifest } from '@plugwire/trust';
import type { Manifest } from '@plugwire/trust';
import { UsageError } from './usage-error.js';

/** Suffix of a manifest next to the file it is named after. */
export const MANIFEST_SUFFIX = '.manifest.json';

/**
 * The trusted public keys: each `--trust` value is a base64 key or a file holding one (a `.pub` from keygen).
 * @param values - the `--trust` values
 * @throws UsageError when none is given or one is not a key
 */
export async function trustedKeys(values: readonly string[] | undefined): Promise<string[]> {
  if (values === undefined || values.length === 0) {
    throw new UsageError('give the trusted public keys with --trust KEY (base64, or a .pub file from plugwire keygen)');
  }
  const keys: string[] = [];
  for (const value of values) {
    const key = existsSync(value) && statSync(value).isFile() ? (await readFile(value, 'utf8')).trim() : value.trim();
    try {
      publicKeyObject(key);
    } catch {
      throw new UsageError(`--trust ${value} is not an ed25519 public key (base64 of 32 bytes) nor a file holding one`);
    }
    keys.push(key);
  }
  return keys;
}

/**
 * The private key in a file written by keygen (base64 seed), or in PLUGWIRE_SIGNING_KEY.
 * @param file - the `--key` value
 */
export async function signingKey(file: string | undefined): Promise<string> {
  if (file === undefined) {
    const env = process.env.PLUGWIRE_SIGNING_KEY;
    if (env !== undefined && env.trim() !== '') return env.trim();
    throw new UsageError('give the private key with --key FILE (from plugwire keygen) or PLUGWIRE_SIGNING_KEY');
  }
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new UsageError(`cannot read the key file ${file}: ${(err as Error).message}`);
  }
}

/** The manifest for a path: the path itself when it is a manifest, else `<path>.manifest.json`. */
export function manifestFor(path: string): string {
  return path.endsWith(MANIFEST_SUFFIX) ? path : `${path}${MANIFEST_SUFFIX}`;
}

/** A manifest whose signature and files checked out. */
export interface CheckedPlugin {
  /** The manifest file. */
  manifestPath: string;
  /** Its content. */
  manifest: Manifest;
  /** The trusted key that signed it. */
  signer: string;
  /** Every listed file's bytes, as hashed (what an installer writes). */
  files: Map<string, Buffer>;
}

/**
 * Checks a manifest's signature against the trusted keys, every listed file's SHA-256, and optionally the version.
 * @param manifestPath - the manifest
 * @param keys - trusted public keys
 * @param range - npm semver range the plugin's version must satisfy
 * @param keepBytes - keep the files' bytes (for install), hashing exactly what is kept
 * @throws PluginError `checksum` (signature, key, file digest) or `incompatible_version`
 */
export async function checkSignedPlugin(manifestPath: string, keys: readonly string[], range?: string, keepBytes = false): Promise<CheckedPlugin> {
  let verified;
  try {
    verified = await verifyManifest(manifestPath, keys);
  } catch (err) {
    // The library speaks of the host option; here the keys come from --trust.
    const e = PluginError.from(err);
    throw new PluginError(e.code, e.message.replaceAll('verify.publicKeys', '--trust').replaceAll('verify.manifest', '--manifest'), { cause: err });
  }
  const { manifest, publicKey } = verified;
  const files = new Map<string, Buffer>();
  for (const [path, digest] of Object.entries(manifest.files)) {
    const file = join(dirname(manifestPath), ...path.split('/'));
    let actual: string;
    if (keepBytes) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new PluginError('checksum', `${path}, listed in the manifest, cannot be read: ${(err as Error).message}`, { cause: err });
      }
      const { createHash } = await import('node:crypto');
      actual = createHash('sha256').update(bytes).digest('hex');
      files.set(path, bytes);
    } else {
      try {
        actual = await sha256File(file);
      } catch (err) {
        throw new PluginError('checksum', `${path}, listed in the manifest, cannot be read: ${(err as Error).message}`, { cause: err });
      }
    }
    if (actual !== digest) {
      throw new PluginError('checksum', `${path} does not match its signed manifest (SHA-256 ${actual}, signed ${digest}): it was changed after signing`);
    }
  }
  if (range !== undefined) checkVersion(manifest.version, range);
  return { manifestPath, manifest, signer: publicKey, files };
}
