// The kv plugins bundled to one CommonJS file each (dist-cjs/, see tsup.config.ts) serve a real host over both
// protocols; the gRPC one needs nothing from node_modules, the netrpc-only one never requires the gRPC packages it
// leaves out. And the snapshot-ready plugin entry (plugin-snapshot.ts) serves when run as a file and from a V8
// startup snapshot built as examples/README.md says.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, silentLogger, type ProtocolName } from '@plugwire/plugin';
import { handshake, kv } from '../src/kv/definition.js';
import { dist, kvPutGet } from './support.js';

const onefile = resolve(dist, '../dist-cjs/kv');
const recorder = join(import.meta.dirname, 'fixtures', 'record-required.cjs');
const dir = mkdtempSync(join(tmpdir(), 'plugwire-onefile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const putGet = (path: string, protocol: ProtocolName, modulesFile: string): Promise<string> =>
  kvPutGet(['--require', recorder, path], protocol, { PLUGWIRE_MODULES_FILE: modulesFile });

/** What the plugin required that is not a Node built-in (the main file itself is the first entry). */
const packages = (file: string) => [...new Set(readFileSync(file, 'utf8').split('\n').filter((r) => r && !isBuiltin(r.replace(/^node:/, ''))))];

describe('kv plugins bundled to one CommonJS file', () => {
  it('the gRPC file serves a host and requires nothing but Node built-ins', async () => {
    const modules = join(dir, 'grpc.txt');
    expect(await putGet(join(onefile, 'plugin-grpc.cjs'), 'grpc', modules)).toBe('v over grpc');
    const required = readFileSync(modules, 'utf8');
    expect(required).toContain('http2'); // the control: the recorder sees what the plugin requires
    expect(packages(modules).filter((r) => r !== join(onefile, 'plugin-grpc.cjs'))).toEqual([]);
  });

  it('the netrpc-only file serves a host and never requires the gRPC packages it leaves out', async () => {
    const modules = join(dir, 'netrpc.txt');
    expect(await putGet(join(onefile, 'plugin-netrpc-only.cjs'), 'netrpc', modules)).toBe('v over netrpc');
    expect(readFileSync(modules, 'utf8')).toContain('net');
    expect(packages(modules).filter((r) => r !== join(onefile, 'plugin-netrpc-only.cjs'))).toEqual([]);
    expect(readFileSync(join(onefile, 'plugin-netrpc-only.cjs'), 'utf8')).toContain('require("@grpc/grpc-js")'); // left out, not inlined
  });

  it('the snapshot-ready entry serves a host when run as a file', async () => {
    const modules = join(dir, 'snapshot.txt');
    expect(await putGet(join(dist, 'kv/plugin-snapshot.js'), 'netrpc', modules)).toBe('v over netrpc');
  });

  it('built into a V8 startup snapshot by the README recipe, it serves a host from the blob', async () => {
    const examples = resolve(dist, '..');
    const shim = join(examples, 'tls-lazy.cjs');
    const bundle = join(dir, 'kv-snapshot.cjs');
    const blob = join(dir, 'kv.blob');
    const { build } = await import('esbuild');
    await build({
      entryPoints: [join(examples, 'src/kv/plugin-snapshot.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'error',
      alias: { 'node:tls': shim, tls: shim },
      external: ['@grpc/grpc-js', '@plugwire/grpc-transport', '@plugwire/h2', '@bufbuild/protobuf'],
    });
    execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], { cwd: dir, stdio: 'pipe' });
    const client = new Client({ handshake, plugins: { kv }, cmd: { command: process.execPath, args: ['--snapshot-blob', blob] }, allowedProtocols: ['netrpc'], logger: silentLogger });
    try {
      const store = await client.dispense('kv');
      await store.put('k', new TextEncoder().encode('from the snapshot'));
      expect(new TextDecoder().decode(await store.get('k'))).toBe('from the snapshot');
    } finally {
      await client.kill();
    }
  });
});
