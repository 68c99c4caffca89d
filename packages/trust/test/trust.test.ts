import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkVersion,
  createManifest,
  generateKeyPair,
  parseManifest,
  publicKeyOf,
  signBytes,
  signManifest,
  verifyBytes,
  verifyManifest,
  writeManifest,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'trust-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keys and signatures', () => {
  it('matches RFC 8032 test vector 1 (raw seed and public key in base64), so any ed25519 library interoperates', () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex').toString('base64');
    const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64');
    const sig =
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    expect(publicKeyOf(seed)).toBe(pub);
    expect(Buffer.from(signBytes(Buffer.alloc(0), seed), 'base64').toString('hex')).toBe(sig);
    expect(verifyBytes(Buffer.alloc(0), Buffer.from(sig, 'hex').toString('base64'), pub)).toBe(true);
  });

  it('generates pairs that sign and verify, and rejects other keys, other data and malformed input', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(Buffer.from(a.publicKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(a.privateKey, 'base64')).toHaveLength(32);
    const sig = signBytes(Buffer.from('x'), a.privateKey);
    expect(verifyBytes(Buffer.from('x'), sig, a.publicKey)).toBe(true);
    expect(verifyBytes(Buffer.from('y'), sig, a.publicKey)).toBe(false);
    expect(verifyBytes(Buffer.from('x'), sig, b.publicKey)).toBe(false);
    expect(verifyBytes(Buffer.from('x'), 'AAAA', a.publicKey)).toBe(false);
    expect(() => verifyBytes(Buffer.from('x'), sig, 'not a key')).toThrow(/32 raw bytes/);
  });
});

describe('manifests', () => {
  it('lists files with their SHA-256 and a semantic version; signing writes <manifest>.sig in the documented format', async () => {
    writeFileSync(join(dir, 'plugin.js'), 'console.log(1)\n');
    const manifest = await createManifest({ dir, entry: 'plugin.js', name: 'kv', version: '1.4.2' });
    expect(manifest).toEqual({
      plugwire: 1,
      name: 'kv',
      version: '1.4.2',
      entry: 'plugin.js',
      files: { 'plugin.js': createHash('sha256').update('console.log(1)\n').digest('hex') },
    });
    const path = join(dir, 'plugin.js.manifest.json');
    await writeManifest(path, manifest);
    const keys = generateKeyPair();
    const sig = await signManifest(path, keys.privateKey);
    expect(JSON.parse(readFileSync(`${path}.sig`, 'utf8'))).toEqual({ plugwire: 1, algorithm: 'ed25519', publicKey: keys.publicKey, signature: sig.signature });
    expect(verifyBytes(readFileSync(path), sig.signature, keys.publicKey)).toBe(true);
    const verified = await verifyManifest(path, [generateKeyPair().publicKey, keys.publicKey]);
    expect(verified.manifest.version).toBe('1.4.2');
    expect(verified.publicKey).toBe(keys.publicKey);

    await expect(verifyManifest(path, [generateKeyPair().publicKey])).rejects.toThrow(/does not trust/);
    writeFileSync(path, readFileSync(path, 'utf8').replace('1.4.2', '1.9.0'));
    await expect(verifyManifest(path, [keys.publicKey])).rejects.toThrow(/changed after it was signed/);
    rmSync(`${path}.sig`);
    await expect(verifyManifest(path, [keys.publicKey])).rejects.toThrow(/is not signed/);
  });

  it('refuses manifests with paths outside their directory, bad digests or an unlisted entry', () => {
    const base = { plugwire: 1, entry: 'a', files: { a: 'a'.repeat(64) } };
    expect(parseManifest(JSON.stringify(base)).entry).toBe('a');
    for (const bad of [
      { ...base, files: { '../a': 'a'.repeat(64) }, entry: '../a' },
      { ...base, files: { '/etc/passwd': 'a'.repeat(64) } },
      { ...base, files: { a: 'xyz' } },
      { ...base, entry: 'b' },
      { ...base, plugwire: 2 },
      { ...base, version: 'one' },
    ]) {
      expect(() => parseManifest(JSON.stringify(bad))).toThrow(expect.objectContaining({ code: 'checksum' }));
    }
    expect(() => parseManifest('{')).toThrow(/not JSON/);
  });
});

describe('checkVersion', () => {
  it('uses npm semver ranges', () => {
    expect(() => checkVersion('1.4.2', '^1.4.0')).not.toThrow();
    expect(() => checkVersion('2.0.0', '^1.4.0')).toThrow(expect.objectContaining({ code: 'incompatible_version' }));
    expect(() => checkVersion(undefined, '^1.4.0')).toThrow(/declares no version/);
    expect(() => checkVersion('1.4.2', 'not a range!')).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
