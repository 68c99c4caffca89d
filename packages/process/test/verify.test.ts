import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createManifest, generateKeyPair, signManifest, writeManifest } from '@plugwire/trust';
import { launch } from '../src/launch.js';
import type { LaunchOptions } from '../src/options.js';
import { expectNoLeaks, options, recorder, rejection, resources } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'pw-verify-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The plugin leaves a marker file as the very first thing it does, so a test can prove it never ran. It prints its
// own path as the handshake address, so a test can see which copy ran.
const PLUGIN = `
const { writeFileSync } = require('node:fs');
writeFileSync(require('node:path').join(process.env.MARKERS, String(process.pid)), __filename);
process.stdout.write('1|1|unix|' + __filename + '|netrpc|\\n');
setInterval(() => {}, 1 << 30);
`;

const keys = generateKeyPair();
let pluginDir: string;
let script: string;
let manifest: string;
let markers: string;

beforeEach(async () => {
  pluginDir = mkdtempSync(join(scratch, 'plugin-'));
  markers = mkdtempSync(join(scratch, 'markers-'));
  script = join(pluginDir, 'plugin.cjs');
  manifest = `${script}.manifest.json`;
  writeFileSync(script, PLUGIN);
  await writeManifest(manifest, await createManifest({ dir: pluginDir, entry: 'plugin.cjs', name: 'marker', version: '1.4.2' }));
  await signManifest(manifest, keys.privateKey);
});

function launchOptions(extra: Partial<LaunchOptions> = {}): LaunchOptions {
  const { logger } = recorder();
  return {
    ...options('serve', logger),
    args: [script],
    env: { MARKERS: markers },
    verify: { publicKeys: [keys.publicKey], manifest },
    ...extra,
  };
}

const ran = (): string[] => readdirSync(markers);
/** Lets file requests of earlier steps (closes of files written by the test) finish. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe('launch with verify and version', () => {
  it('runs a signed plugin in range from a private 0700 copy of the checked bytes, removed when it exits', async () => {
    const proc = await launch(launchOptions({ version: '^1.4.0' }));
    const ranFrom = proc.handshake.address;
    expect(ranFrom).not.toBe(script);
    expect(ranFrom).toMatch(/plugwire-verified-[^/]+\/plugin\.cjs$/);
    expect(readFileSync(ranFrom, 'utf8')).toBe(PLUGIN);
    const { statSync } = await import('node:fs');
    expect(statSync(dirname(ranFrom)).mode & 0o777).toBe(0o700);
    expect(ran()).toHaveLength(1);
    await proc.kill();
    expect(existsSync(dirname(ranFrom))).toBe(false);
  });

  it('refuses a tampered plugin without running it', async () => {
    writeFileSync(script, `${PLUGIN}\n// evil\n`);
    await settle();
    const before = resources();
    const err = await rejection(launch(launchOptions()));
    await settle();
    expect(err.code).toBe('checksum');
    expect(err.message).toMatch(/does not match the plugin's signed manifest/);
    expect(ran()).toEqual([]);
    expectNoLeaks(before);
  });

  it('refuses a plugin signed by a key the host does not trust', async () => {
    const err = await rejection(launch(launchOptions({ verify: { publicKeys: [generateKeyPair().publicKey], manifest } })));
    expect(err.code).toBe('checksum');
    expect(err.message).toMatch(/which this host does not trust/);
    expect(ran()).toEqual([]);
  });

  it('refuses an unsigned plugin, and one whose manifest was edited after signing', async () => {
    rmSync(`${manifest}.sig`);
    const unsigned = await rejection(launch(launchOptions()));
    expect(unsigned.code).toBe('checksum');
    expect(unsigned.message).toMatch(/the plugin is not signed/);
    await signManifest(manifest, keys.privateKey);
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('1.4.2', '1.5.0'));
    const edited = await rejection(launch(launchOptions()));
    expect(edited.message).toMatch(/changed after it was signed/);
    expect(ran()).toEqual([]);
  });

  it('refuses a plugin whose signed version is outside the range', async () => {
    const err = await rejection(launch(launchOptions({ version: '^2.0.0' })));
    expect(err.code).toBe('incompatible_version');
    expect(err.message).toMatch(/version 1\.4\.2, outside the range \^2\.0\.0/);
    expect(ran()).toEqual([]);
  });

  it('refuses a command that does not run the signed entry', async () => {
    const other = join(pluginDir, 'other.cjs');
    writeFileSync(other, PLUGIN);
    const copies = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('plugwire-verified-'));
    const before = copies();
    const err = await rejection(launch(launchOptions({ args: [other] })));
    expect(err.message).toMatch(/does not run the signed entry plugin\.cjs/);
    expect(ran()).toEqual([]);
    // The private copies made before the refusal are gone.
    expect(copies()).toEqual(before);
  });

  it('refuses version without verify at validation', async () => {
    const { verify: _unused, ...rest } = launchOptions({ version: '^1.0.0' });
    await expect(launch(rest)).rejects.toThrow(/version needs verify/);
  });
});
