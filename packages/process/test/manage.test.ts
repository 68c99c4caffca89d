import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launch } from '../src/launch.js';
import { cleanupClients, manage } from '../src/manage.js';
import { options, pidGone, recorder, waitGone } from './helpers.js';

const HOST = fileURLToPath(new URL('./fixtures/host.mts', import.meta.url));

describe('manage / cleanupClients', () => {
  it('kills every managed client in parallel and removes its handlers', async () => {
    const sigint = process.listenerCount('SIGINT');
    const exits = process.listenerCount('exit');
    const { logger } = recorder();
    const [a, b] = await Promise.all([launch(options('serve', logger)), launch(options('stubborn', logger, { killTimeout: 200 }))]);
    manage({ kill: () => a.kill(), pid: a.pid });
    manage({ kill: () => b.kill(), pid: b.pid });
    expect(process.listenerCount('SIGINT')).toBe(sigint + 1);
    expect(process.listenerCount('exit')).toBe(exits + 1);
    await cleanupClients();
    expect(pidGone(a.pid)).toBe(true);
    expect(pidGone(b.pid)).toBe(true);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
    expect(process.listenerCount('exit')).toBe(exits);
    await cleanupClients();
  });

  it('unregister removes the handlers with the last client; a failing kill does not stop cleanup', async () => {
    const sigterm = process.listenerCount('SIGTERM');
    const unregister = manage({ kill: async () => {} });
    let killed = false;
    manage({
      kill: async () => {
        throw new Error('cannot');
      },
    });
    manage({
      kill: async () => {
        killed = true;
      },
    });
    unregister();
    expect(process.listenerCount('SIGTERM')).toBe(sigterm + 1);
    await expect(cleanupClients()).resolves.toBeUndefined();
    expect(killed).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBe(sigterm);
  });

  async function runHost(how: 'SIGTERM' | 'exit'): Promise<{ pluginPid: number; code: number | null; signal: string | null }> {
    const host = spawn(process.execPath, ['--import', 'tsx', HOST, how], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    host.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (how === 'SIGTERM' && out.includes('\n')) host.kill('SIGTERM');
    });
    const [code, signal] = (await once(host, 'exit')) as [number | null, string | null];
    const pluginPid = Number(/ready (\d+)/.exec(out)?.[1]);
    expect(pluginPid).toBeGreaterThan(0);
    return { pluginPid, code, signal };
  }

  it('on SIGTERM a host kills its managed plugins and still dies of the signal', async () => {
    const { pluginPid, signal } = await runHost('SIGTERM');
    expect(signal).toBe('SIGTERM');
    expect(pidGone(pluginPid)).toBe(true);
  });

  it('when a host exits, its managed plugins are SIGKILLed', async () => {
    const { pluginPid, code } = await runHost('exit');
    expect(code).toBe(0);
    expect(await waitGone(pluginPid)).toBe(true);
  });
});
