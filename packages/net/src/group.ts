import { readFileSync } from 'node:fs';
import { PluginError } from '@plugwire/core';

/**
 * The numeric id of a group given by name or number, as `PLUGIN_UNIX_SOCKET_GROUP` names it. Node has no
 * getgrnam, so names are looked up in the group database file.
 * @param group - a group name or a numeric gid
 * @param groupFile - the group database @default /etc/group
 * @throws PluginError `invalid_argument` for an unknown group
 */
export function resolveGroup(group: string | number, groupFile = '/etc/group'): number {
  if (typeof group === 'number' || /^\d+$/.test(group)) {
    const gid = Number(group);
    if (!Number.isSafeInteger(gid) || gid < 0 || gid > 0xffffffff) throw new PluginError('invalid_argument', `unix socket group ${group} is not a group id`);
    return gid;
  }
  let text = '';
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch (err) {
    throw new PluginError('invalid_argument', `cannot look up unix socket group ${JSON.stringify(group)}: ${(err as Error).message}; give a numeric gid`, { cause: err });
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new PluginError('invalid_argument', `unix socket group ${JSON.stringify(group)} does not exist; set PLUGIN_UNIX_SOCKET_GROUP to an existing group name or gid`);
}
