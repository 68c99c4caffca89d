import { randomInt } from 'node:crypto';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, type Listener } from '@plugwire/core';
import { resolveGroup } from './group.js';
import { closeServer, listenOn } from './server.js';

/** Options of {@link listenUnix}. */
export interface UnixListenOptions {
  /** Directory in which the socket's own private directory is made. @default the OS temp dir */
  readonly dir?: string;
  /**
   * Group (name or gid) allowed to connect (`PLUGIN_UNIX_SOCKET_GROUP`): the private directory and the socket are
   * given to that group with modes 0750 and 0660.
   * @default none: only the owner can connect (directory 0700, socket 0600)
   */
  readonly group?: string | number;
}

/**
 * Listens on a unix socket `plugin<digits>` inside a fresh private directory (`<dir>/plugin-XXXXXX`, mode 0700, or
 * group-accessible when `group` is set). No other user can reach the socket: connecting needs search permission on
 * the directory. `close()` removes the socket and its directory; idempotent.
 * @param options - where, and which group may connect
 * @throws PluginError `unavailable` when the directory cannot be made or the socket cannot be bound,
 *   `invalid_argument` for an unknown group
 */
export async function listenUnix(options: UnixListenOptions = {}): Promise<Listener> {
  const parent = options.dir ?? tmpdir();
  const gid = options.group === undefined || options.group === '' ? undefined : resolveGroup(options.group);
  let dir: string;
  try {
    dir = await mkdtemp(join(parent, 'plugin-'));
  } catch (err) {
    throw new PluginError('unavailable', `cannot make a socket directory in ${parent}: ${(err as Error).message}; check that it exists and is writable`, { cause: err });
  }
  const path = join(dir, `plugin${randomInt(1_000_000_000)}`);
  const server = createServer();
  try {
    await chmod(dir, 0o700);
    await listenOn(server, { path });
    if (gid === undefined) {
      await chmod(path, 0o600);
    } else {
      await chown(dir, process.getuid?.() ?? -1, gid);
      await chown(path, process.getuid?.() ?? -1, gid);
      await chmod(path, 0o660);
      // Group members may enter and connect but not add, remove or replace files in the directory.
      await chmod(dir, 0o750);
    }
  } catch (err) {
    await closeServer(server);
    await rm(dir, { recursive: true, force: true });
    throw new PluginError('unavailable', `cannot listen on a unix socket in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  let closing: Promise<void> | undefined;
  return {
    server,
    address: { network: 'unix', address: path },
    close() {
      closing ??= closeServer(server).then(() => rm(dir, { recursive: true, force: true }));
      return closing;
    },
  };
}
