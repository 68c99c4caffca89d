import { readFile, writeFile } from 'node:fs/promises';
import { PluginError } from '@plugwire/core';
import { publicKeyObject, publicKeyOf, signBytes, verifyBytes } from './keys.js';
import { readManifest, type Manifest } from './manifest.js';

/** A detached signature file (`<manifest>.sig`), JSON; see the README for the exact format. */
export interface SignatureFile {
  /** Format version; always 1. */
  readonly plugwire: 1;
  /** Always `ed25519`. */
  readonly algorithm: 'ed25519';
  /** The signer's public key, base64 of its 32 raw bytes. */
  readonly publicKey: string;
  /** ed25519 signature over the exact bytes of the manifest file, base64 of 64 bytes. */
  readonly signature: string;
}

/** Where the signature of a manifest is kept: next to it, with `.sig` appended. */
export const signaturePath = (manifestPath: string): string => `${manifestPath}.sig`;

/**
 * Signs a manifest file: writes `<manifest>.sig`, an ed25519 signature over the file's exact bytes.
 * @param manifestPath - the manifest (its content is checked first)
 * @param privateKey - base64 seed from `generateKeyPair()`
 * @returns what was written
 */
export async function signManifest(manifestPath: string, privateKey: string): Promise<SignatureFile> {
  const { bytes } = await readManifest(manifestPath);
  const file: SignatureFile = { plugwire: 1, algorithm: 'ed25519', publicKey: publicKeyOf(privateKey), signature: signBytes(bytes, privateKey) };
  await writeFile(signaturePath(manifestPath), `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

/** A manifest whose signature checked out. */
export interface VerifiedManifest {
  /** The manifest's content. */
  readonly manifest: Manifest;
  /** The trusted key that signed it. */
  readonly publicKey: string;
}

/**
 * Checks a manifest's detached signature against the trusted keys. Only the signature is checked here, not the
 * files the manifest lists (see `prepareVerifiedFiles`).
 * @param manifestPath - the manifest; its signature is `<manifest>.sig`
 * @param publicKeys - trusted public keys (base64 raw)
 * @throws PluginError `checksum`: manifest or signature missing or malformed, signed by an untrusted key, or a
 *   signature that does not verify
 */
export async function verifyManifest(manifestPath: string, publicKeys: readonly string[]): Promise<VerifiedManifest> {
  if (publicKeys.length === 0) throw new PluginError('invalid_argument', 'verify.publicKeys is empty: give at least one trusted public key');
  for (const key of publicKeys) publicKeyObject(key);
  let manifest: Manifest;
  let bytes: Buffer;
  try {
    ({ manifest, bytes } = await readManifest(manifestPath));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PluginError('checksum', `the plugin has no manifest at ${manifestPath}; create and sign one (plugwire sign) or point verify.manifest at it`, { cause: err });
    }
    throw PluginError.from(err, 'checksum');
  }
  let sig: Partial<SignatureFile>;
  try {
    sig = JSON.parse(await readFile(signaturePath(manifestPath), 'utf8')) as Partial<SignatureFile>;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PluginError(
      'checksum',
      missing
        ? `the plugin is not signed: ${signaturePath(manifestPath)} does not exist; sign its manifest with a trusted key`
        : `the plugin's signature file ${signaturePath(manifestPath)} is not valid JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!sig || sig.plugwire !== 1 || sig.algorithm !== 'ed25519' || typeof sig.publicKey !== 'string' || typeof sig.signature !== 'string') {
    throw new PluginError('checksum', `the plugin's signature file ${signaturePath(manifestPath)} is not a plugwire ed25519 signature`);
  }
  const trusted = publicKeys.find((k) => Buffer.from(k, 'base64').equals(Buffer.from(sig.publicKey!, 'base64')));
  if (trusted === undefined) {
    throw new PluginError('checksum', `the plugin is signed by key ${sig.publicKey}, which this host does not trust; add it to verify.publicKeys only if you trust its owner`);
  }
  if (!verifyBytes(bytes, sig.signature, trusted)) {
    throw new PluginError('checksum', `the plugin's signature does not verify: ${manifestPath} changed after it was signed, or the signature is corrupt`);
  }
  return { manifest, publicKey: trusted };
}
