import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dial, listen, listenTcp, listenUnix, parseAddress, resolveGroup } from '../src/index.js';

const base = mkdtempSync(join(tmpdir(), 'net-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('listenUnix', () => {
  it('puts the socket in a fresh 0700 directory owned by this user, socket 0600, both removed on close', async () => {
    const l = await listenUnix({ dir: base });
    const path = l.address.address;
    const dir = dirname(path);
    expect(dirname(dir)).toBe(base);
    const d = statSync(dir);
    const s = statSync(path);
    expect(d.mode & 0o777).toBe(0o700);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o600);
    expect(d.uid).toBe(process.getuid!());
    expect(s.uid).toBe(process.getuid!());
    const socket = await dial(l.address);
    socket.destroy();
    await l.close();
    await l.close();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('gives the directory (0750) and socket (0660) to PLUGIN_UNIX_SOCKET_GROUP, by name or gid', async () => {
    // 'daemon' (gid 1) exists on every Debian system and is not this process's group.
    const gid = resolveGroup('daemon');
    expect(gid).toBe(1);
    expect(gid).not.toBe(process.getgid!());
    for (const group of ['daemon', String(gid)]) {
      const l = await listen({ network: 'unix' }, { PLUGIN_UNIX_SOCKET_DIR: base, PLUGIN_UNIX_SOCKET_GROUP: group });
      const path = l.address.address;
      const d = statSync(dirname(path));
      const s = statSync(path);
      expect([d.gid, s.gid]).toEqual([gid, gid]);
      expect([d.mode & 0o777, s.mode & 0o777]).toEqual([0o750, 0o660]);
      await l.close();
      expect(existsSync(dirname(path))).toBe(false);
    }
  });

  it('refuses an unknown group and leaves nothing behind', async () => {
    await expect(listenUnix({ dir: base, group: 'no-such-group-xyz' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(listenUnix({ dir: join(base, 'missing') })).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('listenTcp', () => {
  it('binds 127.0.0.1 only, in the port range', async () => {
    const first = await listenTcp(0, 0);
    const port = Number(first.address.address.split(':')[1]);
    expect(first.address.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((first.server.address() as { address: string }).address).toBe('127.0.0.1');
    // The taken port is skipped: the next one in the range wins.
    const second = await listenTcp(port, port + 1).catch(() => undefined);
    if (second) {
      expect(second.address.address).toBe(`127.0.0.1:${port + 1}`);
      await second.close();
    }
    await expect(listenTcp(port, port)).rejects.toMatchObject({ code: 'unavailable' });
    await first.close();
    await expect(listenTcp(5, 4)).rejects.toThrow(/PLUGIN_MIN_PORT value of 5 is greater than PLUGIN_MAX_PORT value of 4/);
    await expect(listen({ network: 'tcp' }, { PLUGIN_MIN_PORT: 'x' })).rejects.toThrow(/couldn't get value from PLUGIN_MIN_PORT/);
  });

  it('is not reachable on other interfaces', async () => {
    const l = await listenTcp();
    const port = Number(l.address.address.split(':')[1]);
    // ::1 is another address of this machine; nothing must answer there.
    const reached = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '::1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(reached).toBe(false);
    await l.close();
  });
});

describe('parseAddress', () => {
  it('accepts unix paths and host:port, refuses the rest', () => {
    expect(parseAddress({ network: 'unix', address: '/tmp/x' })).toEqual({ network: 'unix', address: '/tmp/x' });
    expect(parseAddress({ network: 'tcp', address: '127.0.0.1:1234' }).address).toBe('127.0.0.1:1234');
    expect(() => parseAddress({ network: 'tcp', address: '127.0.0.1:99999' })).toThrow(/invalid tcp address/);
    expect(() => parseAddress({ network: 'udp', address: 'x' })).toThrow(/Unknown address type: x/);
    expect(() => parseAddress({ network: 'unix', address: 'a\nb' })).toThrow(/unusable/);
  });
});
