import { chmod, chown, readFile } from 'node:fs/promises';
import { PluginError } from '@plugwire/core';

/** The gid of `group` (a number, or a name looked up in /etc/group as Go's `user.LookupGroup` does without cgo). */
async function gidOf(group: string): Promise<number> {
  if (/^-?\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = await readFile('/etc/group', 'utf8');
  } catch {
    // no group database: reported as unknown below
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) {
      const n = Number(gid);
      if (!Number.isInteger(n)) {
        throw new PluginError('invalid_argument', `failed to parse ${JSON.stringify(group)} group's gid as an integer: ${JSON.stringify(gid)}`);
      }
      return n;
    }
  }
  throw new PluginError('invalid_argument', `failed to find gid from ${JSON.stringify(group)}: group: unknown group ${group}`);
}

/**
 * Gives a unix socket to `group` and makes it group-writable (mode 0660), as a go-plugin v1.5+ plugin does when the
 * host sets `PLUGIN_UNIX_SOCKET_GROUP`; go-plugin's error texts.
 * @param path - the socket file
 * @param group - group name or numeric gid
 */
export async function setGroupWritable(path: string, group: string): Promise<void> {
  const gid = await gidOf(group);
  try {
    await chown(path, -1, gid);
    await chmod(path, 0o660);
  } catch (err) {
    throw new PluginError('unavailable', `cannot give the socket ${path} to group ${group}: ${(err as Error).message}; the plugin's user must be a member of the group`, { cause: err });
  }
}
