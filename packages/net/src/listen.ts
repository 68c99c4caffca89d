import type { Listener } from '@plugwire/core';
import { listenTcp, portFromEnv } from './tcp.js';
import { listenUnix } from './unix.js';

/** How a plugin listens; go-plugin's rules (PROTOCOL.md §1.3). */
export interface ListenOptions {
  /** `unix` or `tcp`. @default 'unix' on POSIX, 'tcp' on Windows */
  readonly network?: 'unix' | 'tcp';
  /** Directory in which the socket's private directory is made. @default PLUGIN_UNIX_SOCKET_DIR, else the OS temp dir */
  readonly unixSocketDir?: string;
  /** Group allowed to connect to the unix socket. @default PLUGIN_UNIX_SOCKET_GROUP, else owner only */
  readonly unixSocketGroup?: string | number;
  /** Lowest TCP port to try; with `maxPort` both 0 the OS picks a port. @default PLUGIN_MIN_PORT, else 0 */
  readonly minPort?: number;
  /** Highest TCP port to try. @default PLUGIN_MAX_PORT, else 0 */
  readonly maxPort?: number;
}

/**
 * Opens a listener by go-plugin's rules: a unix socket in a fresh private directory (see `listenUnix`), or TCP on
 * 127.0.0.1 within the port range. Unset options come from the environment as go-plugin reads it.
 * @param options - network and location
 * @param env - where `PLUGIN_*` variables are read @default process.env
 */
export async function listen(options: ListenOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Listener> {
  const network = options.network ?? (process.platform === 'win32' ? 'tcp' : 'unix');
  if (network === 'unix') {
    const dir = options.unixSocketDir ?? (env.PLUGIN_UNIX_SOCKET_DIR || undefined);
    const group = options.unixSocketGroup ?? (env.PLUGIN_UNIX_SOCKET_GROUP || undefined);
    return listenUnix({ ...(dir !== undefined && { dir }), ...(group !== undefined && { group }) });
  }
  const minPort = options.minPort ?? portFromEnv('PLUGIN_MIN_PORT', env.PLUGIN_MIN_PORT);
  const maxPort = options.maxPort ?? portFromEnv('PLUGIN_MAX_PORT', env.PLUGIN_MAX_PORT);
  return listenTcp(minPort, maxPort);
}
