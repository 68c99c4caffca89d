import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { listen } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'plugwire-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function reachable(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

describe('listen', () => {
  it('opens a unix socket named plugin<digits> in a private directory inside PLUGIN_UNIX_SOCKET_DIR and removes both on close', async () => {
    const listener = await listen({}, { PLUGIN_UNIX_SOCKET_DIR: dir });
    expect(listener.address.network).toBe('unix');
    expect(dirname(dirname(listener.address.address))).toBe(dir);
    expect(basename(listener.address.address)).toMatch(/^plugin\d+$/);
    expect(await reachable(listener.address.address)).toBe(true);
    await listener.close();
    await listener.close();
    expect(existsSync(listener.address.address)).toBe(false);
    expect(existsSync(dirname(listener.address.address))).toBe(false);
  });

  it('binds TCP on 127.0.0.1 inside the port range, skipping taken ports', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    const listener = await listen({ network: 'tcp' }, { PLUGIN_MIN_PORT: String(taken), PLUGIN_MAX_PORT: String(taken + 20) });
    const port = Number(listener.address.address.split(':')[1]);
    expect(listener.address.address.startsWith('127.0.0.1:')).toBe(true);
    expect(port).toBeGreaterThan(taken);
    expect(port).toBeLessThanOrEqual(taken + 20);
    await listener.close();
    await new Promise<void>((r) => blocker.close(() => r()));
  });

  it('uses an OS-chosen port when no range is given', async () => {
    const listener = await listen({ network: 'tcp' }, {});
    expect(Number(listener.address.address.split(':')[1])).toBeGreaterThan(0);
    await listener.close();
  });

  it('rejects bad port settings with go-plugin-like messages', async () => {
    await expect(listen({ network: 'tcp' }, { PLUGIN_MIN_PORT: '20', PLUGIN_MAX_PORT: '10' })).rejects.toThrow(
      /PLUGIN_MIN_PORT value of 20 is greater than PLUGIN_MAX_PORT value of 10/,
    );
    await expect(listen({ network: 'tcp' }, { PLUGIN_MIN_PORT: 'x' })).rejects.toBeInstanceOf(PluginError);
  });

  it('says what to do when the socket directory does not exist', async () => {
    await expect(listen({ unixSocketDir: join(dir, 'missing') })).rejects.toThrow(/check that it exists/);
  });
});
