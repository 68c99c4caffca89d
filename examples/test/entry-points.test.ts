// Entry points load only what is used: a netrpc-only host and plugin never load grpc-js or protobuf code; a plugin
// whose definition has gRPC halves does (the control that shows the check can fail); a plugin importing
// @plugwire/plugin/serve loads none of the host side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dist } from './support.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'plugwire-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const grpcCode = (urls: string[]) => urls.filter((u) => /@grpc\/|@bufbuild\/protobuf|grpc-transport|\/gen\//.test(u));

/** Runs the netrpc-only host against `plugin`; returns the modules host and plugin resolved. */
function run(plugin: string, name: string): { host: string[]; plugin: string[]; output: string } {
  const hostFile = join(dir, `${name}-host.txt`);
  const pluginFile = join(dir, `${name}-plugin.txt`);
  const output = execFileSync(process.execPath, ['--import', join(fixtures, 'record-modules.mjs'), join(fixtures, 'netrpc-host.mjs'), join(dist, 'kv', plugin), pluginFile], {
    env: { ...process.env, PLUGWIRE_MODULES_FILE: hostFile },
    timeout: 60_000,
  }).toString();
  const read = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);
  return { host: read(hostFile), plugin: read(pluginFile), output };
}

describe('entry points', () => {
  it('a netrpc-only host and plugin load neither grpc-js nor protobuf code', () => {
    const { host, plugin, output } = run('plugin-netrpc-only.js', 'only');
    expect(output).toBe('v over netrpc\n');
    expect(host.some((u) => u.includes('netrpc-transport'))).toBe(true);
    expect(plugin.some((u) => u.includes('netrpc-transport'))).toBe(true);
    expect(grpcCode(host)).toEqual([]);
    expect(grpcCode(plugin)).toEqual([]);
  });

  it('host and plugin that verify no signature never load @plugwire/trust or semver (~50 ms, ~8 MiB)', () => {
    const { host, plugin } = run('plugin-netrpc-only.js', 'trust');
    expect(host.some((u) => u.includes('@plugwire/process') || u.includes('packages/process/'))).toBe(true);
    const trustCode = (urls: string[]) => urls.filter((u) => /semver|@plugwire\/trust|packages\/trust\//.test(u));
    expect(trustCode(host)).toEqual([]);
    expect(trustCode(plugin)).toEqual([]);
  });

  it('a plugin importing @plugwire/plugin/serve never loads the host side (Client, @plugwire/process)', () => {
    const { host, plugin } = run('plugin-netrpc-only.js', 'serve');
    const hostSide = (urls: string[]) => urls.filter((u) => /@plugwire\/process|packages\/process\/|packages\/plugin\/dist\/index\.js/.test(u));
    expect(hostSide(host).length).toBeGreaterThan(0); // the control: the host loads both
    expect(plugin.some((u) => /packages\/plugin\/dist\/serve\.js/.test(u))).toBe(true);
    expect(hostSide(plugin)).toEqual([]);
  });

  it('a plugin whose definition has gRPC halves loads them (the check sees grpc-js when it is there)', () => {
    const { plugin, output } = run('plugin-netrpc.js', 'full');
    expect(output).toBe('v over netrpc\n');
    expect(grpcCode(plugin).some((u) => u.includes('@grpc/grpc-js'))).toBe(true);
  });
});
