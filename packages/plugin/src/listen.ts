import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, type Listener } from '@plugwire/core';
// One implementation of go-plugin's unix socket naming for both sides (the host's broker sockets use it too).
import { listenUnixTemp } from '@plugwire/grpc-transport';
import { setGroupWritable } from './socket-group.js';

/** How a plugin listens; go-plugin's rules (PROTOCOL.md §1.3). */
export interface ListenOptions {
  /** `unix` (default on POSIX) or `tcp` (always on Windows). */
  readonly network?: 'unix' | 'tcp';
  /** Directory for the unix socket; default `PLUGIN_UNIX_SOCKET_DIR` or the OS temp dir. */
  readonly unixSocketDir?: string;
  /** Lowest TCP port to try; with `maxPort` both 0, the OS picks a port. */
  readonly minPort?: number;
  /** Highest TCP port to try. */
  readonly maxPort?: number;
  /** Group (name or gid) given the unix socket, made group-writable; default `PLUGIN_UNIX_SOCKET_GROUP`. */
  readonly unixSocketGroup?: string;
}

function listenOn(server: Server, target: { port: number; host: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(target.port, target.host);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

async function listenTcp(minPort: number, maxPort: number): Promise<Listener> {
  if (minPort > maxPort) {
    throw new PluginError('invalid_argument', `PLUGIN_MIN_PORT value of ${minPort} is greater than PLUGIN_MAX_PORT value of ${maxPort}`);
  }
  const ports = minPort === 0 && maxPort === 0 ? [0] : Array.from({ length: maxPort - minPort + 1 }, (_, i) => minPort + i);
  for (const port of ports) {
    const server = createServer();
    try {
      await listenOn(server, { port, host: '127.0.0.1' });
    } catch {
      continue;
    }
    const bound = server.address();
    const actual = typeof bound === 'object' && bound ? bound.port : port;
    return { server, address: { network: 'tcp', address: `127.0.0.1:${actual}` }, close: once(() => closeServer(server)) };
  }
  throw new PluginError('unavailable', `couldn't bind plugin TCP listener on 127.0.0.1 ports ${minPort}-${maxPort}: every port is taken; widen PLUGIN_MIN_PORT..PLUGIN_MAX_PORT`);
}

function portFromEnv(name: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new PluginError('invalid_argument', `couldn't get value from ${name}: ${JSON.stringify(value)} is not a port number`);
  }
  return n;
}

/**
 * Opens the plugin's listener: a unix socket named `plugin<digits>` in the socket dir, or TCP on 127.0.0.1 within
 * the port range (first free port wins). The returned `close()` also removes the socket file.
 * @param options - network and location; unset fields come from the environment as go-plugin reads it
 * @param env - the environment to read `PLUGIN_*` variables from
 */
export async function listen(options: ListenOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Listener> {
  const network = options.network ?? (process.platform === 'win32' ? 'tcp' : 'unix');
  if (network === 'unix') {
    const listener = await listenUnixTemp(options.unixSocketDir ?? (env.PLUGIN_UNIX_SOCKET_DIR || tmpdir()));
    const group = options.unixSocketGroup ?? env.PLUGIN_UNIX_SOCKET_GROUP;
    if (group) {
      try {
        await setGroupWritable(listener.address.address, group);
      } catch (err) {
        await listener.close();
        throw err;
      }
    }
    return listener;
  }
  const minPort = options.minPort ?? portFromEnv('PLUGIN_MIN_PORT', env.PLUGIN_MIN_PORT);
  const maxPort = options.maxPort ?? portFromEnv('PLUGIN_MAX_PORT', env.PLUGIN_MAX_PORT);
  return listenTcp(minPort, maxPort);
}
