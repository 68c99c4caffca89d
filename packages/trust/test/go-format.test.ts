// The documented key, manifest and signature formats, checked from Go (crypto/ed25519, encoding/json, standard
// base64 only): a Go tool verifies what plugwire signs, and what a Go tool signs passes plugwire's verification.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { createManifest, generateKeyPair, signManifest, verifyManifest, writeManifest } from '../src/index.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'trust-go-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(goSkipReason() !== undefined)('signature format against Go', () => {
  let trustfix = '';
  beforeAll(async () => {
    trustfix = await buildGo('trustfix');
  });

  it('Go verifies a manifest plugwire signed, and plugwire verifies the same manifest signed by Go', async () => {
    writeFileSync(join(dir, 'plugin'), 'binary bytes');
    const path = join(dir, 'plugin.manifest.json');
    await writeManifest(path, await createManifest({ dir, entry: 'plugin', version: '2.1.0' }));
    const keys = generateKeyPair();
    const ours = await signManifest(path, keys.privateKey);
    const verified = JSON.parse((await run(trustfix, ['verify', keys.publicKey, path])).stdout) as Record<string, unknown>;
    expect(verified).toEqual({ ok: true, version: '2.1.0', entry: 'plugin', files: 1 });

    await run(trustfix, ['sign', keys.privateKey, path]);
    const theirs = JSON.parse(readFileSync(`${path}.sig`, 'utf8')) as Record<string, unknown>;
    // ed25519 is deterministic: the same key over the same bytes gives the same signature in both languages.
    expect(theirs).toEqual({ plugwire: 1, algorithm: 'ed25519', publicKey: keys.publicKey, signature: ours.signature });
    expect((await verifyManifest(path, [keys.publicKey])).manifest.version).toBe('2.1.0');

    // And Go refuses a manifest changed after signing.
    writeFileSync(path, readFileSync(path, 'utf8').replace('2.1.0', '9.9.9'));
    const refused = await run(trustfix, ['verify', keys.publicKey, path]).catch((e: { stdout: string }) => e);
    expect(JSON.parse((refused as { stdout: string }).stdout)).toMatchObject({ ok: false, error: 'signature does not verify' });
  });
});
