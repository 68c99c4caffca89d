// plugwire keygen / sign / verify / install / list, run as a user runs them: a plugin is signed, verified, refused
// when tampered, untrusted, unsigned or out of range, installed from a directory, a tarball and through npm, listed,
// found by discovery, and the installed Go plugin passes plugwire doctor.
import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { discover } from '@plugwire/process';
import { plugwire, root } from './support.js';

const script = join(root, 'packages/process/test/fixtures/plugin.mjs');

let work: string;
let pub: string;
let keyFile: string;
let pubFile: string;
let other: string;

/** A plugin package: package.json, a runnable entry script and a data file, signed unless told not to. */
async function makePlugin(name: string, version: string, sign = true): Promise<string> {
  const dir = join(work, `${name}-${version}`);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, files: ['*'] }));
  writeFileSync(join(dir, 'plugin.mjs'), `#!/usr/bin/env node\n${readFileSync(script, 'utf8')}`);
  chmodSync(join(dir, 'plugin.mjs'), 0o755);
  writeFileSync(join(dir, 'lib/data.txt'), 'data\n');
  if (sign) {
    const run = await plugwire(['sign', '--key', keyFile, '--name', name, '--plugin-version', version, join(dir, 'plugin.mjs'), join(dir, 'lib/data.txt')]);
    expect(run.code, run.stderr).toBe(0);
  }
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'plugwire-trust-'));
  keyFile = join(work, 'signing.key');
  pubFile = join(work, 'signing.pub');
  const run = await plugwire(['keygen', '--out', join(work, 'signing')]);
  expect(run.code, run.stderr).toBe(0);
  pub = run.stdout.trim();
  const second = await plugwire(['keygen', '--out', join(work, 'other')]);
  other = second.stdout.trim();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('plugwire keygen, sign, verify', () => {
  it('keygen writes a private key only its owner can read and prints the public key', () => {
    expect(pub).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(readFileSync(pubFile, 'utf8').trim()).toBe(pub);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('keygen refuses to overwrite', async () => {
    const run = await plugwire(['keygen', '--out', join(work, 'signing')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('exists; pass --force');
  });

  it('sign writes a manifest with SHA-256 of each file and a signature; verify accepts it', async () => {
    const dir = await makePlugin('kv-plugin', '1.2.0');
    const manifest = JSON.parse(readFileSync(join(dir, 'plugin.mjs.manifest.json'), 'utf8')) as { files: Record<string, string>; version: string };
    expect(Object.keys(manifest.files).sort()).toEqual(['lib/data.txt', 'plugin.mjs']);
    expect(manifest.version).toBe('1.2.0');
    expect(JSON.parse(readFileSync(join(dir, 'plugin.mjs.manifest.json.sig'), 'utf8'))).toMatchObject({ algorithm: 'ed25519', publicKey: pub });
    const ok = await plugwire(['verify', '--trust', pubFile, '--range', '^1.0.0', join(dir, 'plugin.mjs')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`✓ ${join(dir, 'plugin.mjs')}: kv-plugin 1.2.0, signed by ${pub}, 2 file(s) match`);
  });

  it('verify refuses a changed file, an untrusted key, a version out of range', async () => {
    const dir = await makePlugin('tampered', '1.0.0');
    const untrusted = await plugwire(['verify', '--trust', other, join(dir, 'plugin.mjs')]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toContain('✗');
    const range = await plugwire(['verify', '--trust', pub, '--range', '^2.0.0', join(dir, 'plugin.mjs')]);
    expect(range.code).toBe(1);
    expect(range.stdout).toContain('outside the range ^2.0.0');
    appendFileSync(join(dir, 'lib/data.txt'), 'changed\n');
    const tampered = await plugwire(['verify', '--trust', pub, join(dir, 'plugin.mjs')]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('lib/data.txt does not match its signed manifest');
  });
});

describe('plugwire install and list', () => {
  let plugins: string;
  beforeAll(() => {
    plugins = join(work, 'plugins');
  });

  it('installs from a directory only the files the manifest lists, and list shows it', async () => {
    const dir = await makePlugin('kv-plugin', '1.2.0');
    writeFileSync(join(dir, 'unlisted.txt'), 'not signed');
    const run = await plugwire(['install', dir, '--dir', plugins, '--trust', pubFile, '--range', '^1.2.0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`installed kv-plugin 1.2.0 (from directory, signed by ${pub})`);
    const entry = join(plugins, 'kv-plugin/plugin.mjs');
    expect(statSync(entry).mode & 0o111).not.toBe(0);
    expect(existsSync(join(plugins, 'kv-plugin/lib/data.txt'))).toBe(true);
    expect(existsSync(join(plugins, 'kv-plugin/unlisted.txt'))).toBe(false);
    const list = await plugwire(['list', '--dir', plugins, '--json']);
    expect(JSON.parse(list.stdout)).toContainEqual({ name: 'kv-plugin', version: '1.2.0', signer: pub, path: entry });
    const table = await plugwire(['list', '--dir', plugins, '--trust', pubFile]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`kv-plugin\\s+1\\.2\\.0\\s+${pub.replace(/[+/=]/g, '\\$&')}\\s+yes\\s+${entry}`));
    // Discovery, as go-plugin's Discover(glob, dir), finds the installed entry.
    expect(await discover('*/plugin.mjs', plugins)).toContain(entry);
  });

  it('installs from a tarball and through npm (npm pack), replacing the older version', async () => {
    const dir = await makePlugin('counter-plugin', '2.0.0');
    const { stdout } = await promisify(execFile)('npm', ['pack', dir, '--json', '--ignore-scripts', '--pack-destination', work]);
    const tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
    const fromTar = await plugwire(['install', tarball, '--dir', plugins, '--trust', pub]);
    expect(fromTar.code, fromTar.stderr).toBe(0);
    expect(fromTar.stdout).toContain('installed counter-plugin 2.0.0 (from tarball');
    const newer = await makePlugin('counter-plugin', '2.1.0');
    const fromNpm = await plugwire(['install', `file:${newer}`, '--dir', plugins, '--trust', pub, '--range', '~2.1']);
    expect(fromNpm.code, fromNpm.stderr).toBe(0);
    expect(fromNpm.stdout).toContain('installed counter-plugin 2.1.0 (from npm');
    const list = JSON.parse((await plugwire(['list', '--dir', plugins, '--json'])).stdout) as Array<{ name: string; version: string }>;
    expect(list.filter((p) => p.name === 'counter-plugin')).toEqual([expect.objectContaining({ version: '2.1.0' })]);
  });

  it('refuses unsigned, untrusted, out-of-range and tampered plugins, leaving the plugins directory as it was', async () => {
    const before = JSON.parse((await plugwire(['list', '--dir', plugins, '--json'])).stdout) as unknown[];
    const unsigned = await makePlugin('unsigned', '1.0.0', false);
    const a = await plugwire(['install', unsigned, '--dir', plugins, '--trust', pub]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('refused to install');
    expect(a.stderr).toContain('the plugin is not signed');
    const signed = await makePlugin('kv-plugin', '1.3.0');
    const b = await plugwire(['install', signed, '--dir', plugins, '--trust', other]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('refused to install');
    const c = await plugwire(['install', signed, '--dir', plugins, '--trust', pub, '--range', '^2.0.0']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('outside the range ^2.0.0');
    appendFileSync(join(signed, 'plugin.mjs'), '\n// changed\n');
    const d = await plugwire(['install', signed, '--dir', plugins, '--trust', pub]);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('plugin.mjs does not match its signed manifest');
    expect(JSON.parse((await plugwire(['list', '--dir', plugins, '--json'])).stdout)).toEqual(before);
  });

  it('list --trust marks an installed plugin whose files changed since', async () => {
    const dir = await makePlugin('edited', '1.0.0');
    expect((await plugwire(['install', dir, '--dir', plugins, '--trust', pub])).code).toBe(0);
    appendFileSync(join(plugins, 'edited/lib/data.txt'), 'edited\n');
    const run = await plugwire(['list', '--dir', plugins, '--trust', pub]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/edited\s+1\.0\.0\s+\S+\s+NO/);
  });

  it('a signed Go plugin, installed, passes plugwire doctor', async () => {
    if (goSkipReason() !== undefined) return;
    const go = await buildGo('explugin');
    const dir = join(work, 'go-kv');
    mkdirSync(dir, { recursive: true });
    copyFileSync(go, join(dir, 'kv-go'));
    chmodSync(join(dir, 'kv-go'), 0o755);
    expect((await plugwire(['sign', '--key', keyFile, '--plugin-version', '0.9.0', join(dir, 'kv-go')])).code).toBe(0);
    const run = await plugwire(['install', dir, '--dir', plugins, '--trust', pub]);
    expect(run.code, run.stderr).toBe(0);
    const installed = join(plugins, 'kv-go/kv-go');
    const doctor = await plugwire(['doctor', '--cookie', 'BASIC_PLUGIN=hello', '--', installed, 'kv', 'grpc']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toContain('OK: a go-plugin host with these options can load this plugin.');
  });
});

describe('--help', () => {
  it.each(['keygen', 'sign', 'verify', 'install', 'list'])('plugwire %s --help', async (command) => {
    const run = await plugwire([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: plugwire ${command}`);
  });
  it('usage errors exit 2', async () => {
    expect((await plugwire(['install', 'x'])).code).toBe(2);
    expect((await plugwire(['verify', 'x'])).stderr).toContain('--trust');
  });
});
