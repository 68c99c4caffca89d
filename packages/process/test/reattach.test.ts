import { PluginError } from '@plugwire/core';
import { describe, expect, it } from 'vitest';
import { launch } from '../src/launch.js';
import { reattach } from '../src/reattach.js';
import { expectNoLeaks, options, pidGone, quitOver, recorder, rejection, resources } from './helpers.js';

describe('reattach', () => {
  it('finds a running plugin again, and kill() through it stops the process', async () => {
    const before = resources();
    const { logger } = recorder();
    const launched = await launch(options('serve', logger));
    const p = await reattach(launched.reattachConfig(), { logger, killTimeout: 10_000 });
    expect(p.pid).toBe(launched.pid);
    expect(p.handshake).toEqual(launched.handshake);
    expect(p.reattachConfig()).toEqual(launched.reattachConfig());
    expect(p.hasExited()).toBe(false);
    await p.kill(quitOver(launched.handshake.address));
    expect(p.hasExited()).toBe(true);
    expect(p.exited.reason).toBeInstanceOf(PluginError);
    expect((p.exited.reason as PluginError).code).toBe('exited');
    expect(await p.exit).toEqual({ code: null, signal: null });
    expect(await launched.exit).toEqual({ code: 0, signal: null });
    await launched.kill();
    expect(pidGone(launched.pid)).toBe(true);
    expectNoLeaks(before);
  });

  it('fires exited when the plugin dies on its own', async () => {
    const { logger } = recorder();
    const launched = await launch(options('serve', logger));
    const p = await reattach(launched.reattachConfig(), { logger });
    const fired = new Promise((resolve) => p.exited.addEventListener('abort', resolve));
    process.kill(launched.pid, 'SIGKILL');
    await fired;
    expect(p.hasExited()).toBe(true);
    await p.close();
    await launched.close();
  });

  it('SIGKILLs a reattached plugin that ignores the graceful close', async () => {
    const { logger, entries } = recorder();
    const launched = await launch(options('stubborn', logger));
    const p = await reattach(launched.reattachConfig(), { logger, killTimeout: 200 });
    await p.kill(quitOver(launched.handshake.address));
    expect(entries.some((e) => e.message === 'plugin failed to exit gracefully')).toBe(true);
    expect(await launched.exit).toEqual({ code: null, signal: 'SIGKILL' });
    await launched.close();
  });

  it('in test mode kill() only runs the graceful step', async () => {
    const { logger } = recorder();
    const launched = await launch(options('stubborn', logger));
    const p = await reattach({ ...launched.reattachConfig(), test: true }, { logger });
    let asked = false;
    await p.kill(async () => {
      asked = true;
      return true;
    });
    expect(asked).toBe(true);
    expect(launched.hasExited()).toBe(false);
    expect(pidGone(launched.pid)).toBe(false);
    await launched.kill(async () => false);
  });

  it('reports a gone pid or a dead address as "reattachment process not found"', async () => {
    const before = resources();
    const { logger } = recorder();
    const launched = await launch(options('serve', logger));
    const config = launched.reattachConfig();
    await launched.kill();
    const gone = await rejection(reattach(config, { logger }));
    expect(gone.code).toBe('not_found');
    expect(gone.message).toMatch(/^reattachment process not found/);
    // Our own pid is alive but does not listen there.
    const dead = await rejection(reattach({ ...config, pid: process.pid }, { logger }));
    expect(dead.code).toBe('not_found');
    expect(dead.message).toMatch(/^reattachment process not found: cannot connect/);
    const badTcp = await rejection(
      reattach({ ...config, pid: process.pid, address: { network: 'tcp', address: 'nonsense' } }, { logger }),
    );
    expect(badTcp.code).toBe('invalid_argument');
    expect((await rejection(reattach({ ...config, pid: 0 }, { logger }))).code).toBe('invalid_argument');
    expectNoLeaks(before);
  });
});
