// A TS plugin's unix socket as a host sees it: in a fresh private directory of the plugin's user (0700, socket
// 0600), or given to PLUGIN_UNIX_SOCKET_GROUP (0750, socket 0660), and gone with its directory after kill.
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '@plugwire/plugin';
import { resolveGroup } from '@plugwire/net';
import type { ProtocolName } from '@plugwire/core';
import { handshake, kv } from '../src/kv/definition.js';
import { alive, nodePlugin } from './support.js';

const protocols: ProtocolName[] = ['grpc', 'netrpc'];

describe.each(protocols)('plugin socket permissions over %s', (proto) => {
  it('owner only by default: directory 0700 and socket 0600, owned by the plugin user, removed on kill', async () => {
    const client = new Client({ handshake, plugins: { kv: kv }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto] });
    const { address } = await client.start();
    const dir = statSync(dirname(address));
    const socket = statSync(address);
    expect(socket.isSocket()).toBe(true);
    expect([dir.mode & 0o777, socket.mode & 0o777]).toEqual([0o700, 0o600]);
    expect([dir.uid, socket.uid]).toEqual([process.getuid!(), process.getuid!()]);
    await client.ping();
    await client.kill();
    expect(existsSync(dirname(address))).toBe(false);
  });

  it('PLUGIN_UNIX_SOCKET_GROUP: directory 0750 and socket 0660, group set to it', async () => {
    // 'daemon' (gid 1) exists on Debian and differs from this process's group, so the chown is visible.
    const gid = resolveGroup('daemon');
    expect(gid).not.toBe(process.getgid!());
    const client = new Client({ handshake, plugins: { kv: kv }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto], unixSocketGroup: 'daemon' });
    const { address } = await client.start();
    const dir = statSync(dirname(address));
    const socket = statSync(address);
    expect([dir.gid, socket.gid]).toEqual([gid, gid]);
    expect([dir.mode & 0o777, socket.mode & 0o777]).toEqual([0o750, 0o660]);
    await client.ping();
    await client.kill();
    expect(existsSync(dirname(address))).toBe(false);
  });

  it('a plugin killed with SIGKILL leaves no socket directory behind (the host removes it)', async () => {
    const client = new Client({ handshake, plugins: { kv: kv }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto] });
    const { address } = await client.start();
    const pid = client.reattachConfig()!.pid;
    client.abort();
    while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    while (!client.exited()) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(address)).toBe(false);
    expect(existsSync(dirname(address))).toBe(false);
  });
});
