// The kv plugins bundled to dist-bundled/ (every dependency inlined, see tsup.config.ts) serve a real host over both
// protocols, and the netrpc-only bundle never loads the chunk with grpc-js.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProtocolName } from '@plugwire/plugin';
import { dist, kvPutGet } from './support.js';

const bundled = resolve(dist, '../dist-bundled/kv');
const recorder = join(import.meta.dirname, 'fixtures', 'record-modules.mjs');
const dir = mkdtempSync(join(tmpdir(), 'plugwire-bundled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const putGet = (file: string, protocol: ProtocolName, modulesFile: string): Promise<string> =>
  kvPutGet(['--import', recorder, join(bundled, file)], protocol, { PLUGWIRE_MODULES_FILE: modulesFile });

const loaded = (file: string) => [...new Set(readFileSync(file, 'utf8').split('\n').filter((u) => u.startsWith('file:')))];
/** The bundle's chunks among `urls` that hold grpc-js code. */
const grpcChunks = (urls: string[]) => urls.filter((u) => u.includes('/dist-bundled/') && readFileSync(new URL(u), 'utf8').includes('@grpc/grpc-js'));

describe('bundled kv plugins', () => {
  it('the gRPC bundle serves a host, and loads nothing from node_modules', async () => {
    const modules = join(dir, 'grpc.txt');
    expect(await putGet('plugin-grpc.js', 'grpc', modules)).toBe('v over grpc');
    expect(loaded(modules).filter((u) => u.includes('node_modules'))).toEqual([]);
    expect(grpcChunks(loaded(modules))).toHaveLength(1); // the control: the check below sees grpc-js when it loads
  });

  it('the netrpc-only bundle serves a host and never loads the chunk holding grpc-js', async () => {
    const modules = join(dir, 'netrpc.txt');
    expect(await putGet('plugin-netrpc-only.js', 'netrpc', modules)).toBe('v over netrpc');
    expect(loaded(modules).filter((u) => u.includes('/dist-bundled/')).length).toBeGreaterThan(1);
    expect(grpcChunks(loaded(modules))).toEqual([]);
  });
});
