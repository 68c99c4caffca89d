// discoverPaths: go-plugin's Discover(glob, dir) over a plugins directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPaths } from '../src/glob.js';

describe('discoverPaths', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plugwire-glob-'));
    for (const f of ['kv/kv.js', 'kv/kv.js.manifest.json', 'counter/counter', 'counter/counter.manifest.json', '.hidden/x.manifest.json', 'plugin-a', 'plugin-b', 'other']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), '');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches * and ? within one segment, sorted, skipping hidden entries', async () => {
    expect(await discoverPaths('plugin-*', dir)).toEqual([join(dir, 'plugin-a'), join(dir, 'plugin-b')]);
    expect(await discoverPaths('plugin-?', dir)).toEqual([join(dir, 'plugin-a'), join(dir, 'plugin-b')]);
    expect(await discoverPaths('*/*.manifest.json', dir)).toEqual([join(dir, 'counter/counter.manifest.json'), join(dir, 'kv/kv.js.manifest.json')]);
  });

  it('matches character classes and literal segments; no match is an empty list', async () => {
    expect(await discoverPaths('plugin-[a]', dir)).toEqual([join(dir, 'plugin-a')]);
    expect(await discoverPaths('plugin-[!a]', dir)).toEqual([join(dir, 'plugin-b')]);
    expect(await discoverPaths('kv/kv.js', dir)).toEqual([join(dir, 'kv/kv.js')]);
    expect(await discoverPaths('nothing-*', dir)).toEqual([]);
    expect(await discoverPaths('*', join(dir, 'missing'))).toEqual([]);
  });
});
