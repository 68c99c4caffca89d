import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { PluginError } from '@plugwire/core';

/** An ed25519 key pair in plugwire's text format: standard base64 of the raw 32-byte keys. */
export interface KeyPair {
  /** The public key: base64 of its 32 raw bytes (what hosts list in `verify.publicKeys`). */
  readonly publicKey: string;
  /** The private key: base64 of its 32-byte seed (RFC 8032 private key). Keep it secret. */
  readonly privateKey: string;
}

// DER prefixes that turn raw RFC 8032 keys into the PKCS#8 / SPKI structures node:crypto imports (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function rawBytes(text: string, length: number, what: string): Buffer {
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(text.trim()) ? Buffer.from(text.trim(), 'base64') : Buffer.alloc(0);
  if (bytes.length !== length) {
    throw new PluginError('invalid_argument', `${what} must be standard base64 of ${length} raw bytes (plugwire's ed25519 key format)`);
  }
  return bytes;
}

/**
 * Imports a private key given as base64 of its 32-byte seed.
 * @param privateKey - the seed, base64
 * @throws PluginError `invalid_argument` when malformed
 */
export function privateKeyObject(privateKey: string): KeyObject {
  const seed = rawBytes(privateKey, 32, 'an ed25519 private key');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * Imports a public key given as base64 of its 32 raw bytes.
 * @param publicKey - the key, base64
 * @throws PluginError `invalid_argument` when malformed
 */
export function publicKeyObject(publicKey: string): KeyObject {
  const raw = rawBytes(publicKey, 32, 'an ed25519 public key');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPublic(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length).toString('base64');
}

/**
 * The public key of a private key.
 * @param privateKey - base64 seed
 */
export function publicKeyOf(privateKey: string): string {
  return rawPublic(createPublicKey(privateKeyObject(privateKey)));
}

/** Generates a new ed25519 key pair for signing plugins. */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { publicKey: rawPublic(publicKey), privateKey: seed.toString('base64') };
}

/**
 * Signs bytes with ed25519 (RFC 8032, pure, no pre-hash).
 * @param data - what to sign
 * @param privateKey - base64 seed
 * @returns the 64-byte signature, base64
 */
export function signBytes(data: Uint8Array, privateKey: string): string {
  return cryptoSign(null, data, privateKeyObject(privateKey)).toString('base64');
}

/**
 * Checks an ed25519 signature.
 * @param data - the signed bytes
 * @param signature - base64 of the 64-byte signature
 * @param publicKey - base64 of the raw public key
 * @returns whether the signature is valid for that key (false for malformed signatures)
 */
export function verifyBytes(data: Uint8Array, signature: string, publicKey: string): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  return cryptoVerify(null, data, publicKeyObject(publicKey), sig);
}
