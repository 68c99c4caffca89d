// go-plugin's remaining host options: Discover(glob, dir) and a runner hook (RunnerFunc).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discover } from '../src/discover.js';
import { launch } from '../src/launch.js';
import type { RunSpec } from '../src/options.js';
import { options, recorder, rejection } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-discover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('discover', () => {
  it('finds the files matching a go-plugin glob, absolute and sorted', async () => {
    for (const f of ['plugin-b', 'plugin-a', 'other', 'plugin-a.txt']) writeFileSync(join(dir, f), '');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'plugin-c'), '');
    expect(await discover('plugin-*', dir)).toEqual([join(dir, 'plugin-a'), join(dir, 'plugin-a.txt'), join(dir, 'plugin-b')]);
    expect(await discover('plugin-?', dir)).toEqual([join(dir, 'plugin-a'), join(dir, 'plugin-b')]);
    expect(await discover('plugin-[^a]', dir)).toEqual([join(dir, 'plugin-b')]);
    expect(await discover('*/plugin-*', dir)).toEqual([join(dir, 'sub', 'plugin-c')]);
    expect(await discover('plugin-*', join(dir, 'missing'))).toEqual([]);
    expect((await rejection(discover('plugin-[', dir))).code).toBe('invalid_argument');
  });
});

describe('launch with a runner', () => {
  it('lets the host start the plugin its own way, with the rest of the lifecycle unchanged', async () => {
    const { logger } = recorder();
    const specs: RunSpec[] = [];
    const p = await launch({
      ...options('serve', logger),
      runner: (spec) => {
        specs.push(spec);
        return spawn(spec.command, [...spec.args], { env: { ...spec.env, RUN_BY: 'runner' }, stdio: ['ignore', 'pipe', 'pipe'] });
      },
    });
    expect(specs).toHaveLength(1);
    expect(specs[0]!.args.at(-1)).toBe('serve');
    expect(specs[0]!.env.BASIC_PLUGIN).toBe('hello');
    expect(specs[0]!.env.PLUGIN_PROTOCOL_VERSIONS).toBe('1');
    expect(p.handshake.protocol).toBe('netrpc');
    await p.kill();
    expect(await p.exit).toEqual({ code: 0, signal: null });
  });

  it('reports a runner that fails or returns no pipes as a PluginError', async () => {
    const { logger } = recorder();
    const thrown = await rejection(
      launch({
        ...options('serve', logger),
        runner: () => {
          throw new Error('no container runtime');
        },
      }),
    );
    expect(thrown.code).toBe('unavailable');
    expect(thrown.message).toMatch(/runner could not start .*no container runtime/);
    let started: ReturnType<typeof spawn> | undefined;
    const bad = await rejection(
      launch({
        ...options('serve', logger),
        runner: (spec) => (started = spawn(spec.command, [...spec.args], { env: spec.env, stdio: 'ignore' })),
      }),
    );
    expect(bad.code).toBe('invalid_argument');
    started?.kill('SIGKILL');
  });
});
