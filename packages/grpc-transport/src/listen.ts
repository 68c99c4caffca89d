import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, type Listener } from '@plugwire/core';

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Listens on a new unix socket `plugin<digits>` in `dir`, as go-plugin names its sockets; the host side of the
 * broker uses it for the services it serves to the plugin.
 * @param dir - directory of the socket file (default: the OS temp dir)
 */
export async function listenUnixTemp(dir: string = tmpdir()): Promise<Listener> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    const path = join(dir, `plugin${randomInt(1_000_000_000)}`);
    const server = createServer();
    try {
      await listenOn(server, path);
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      break;
    }
    let closing: Promise<void> | undefined;
    return {
      server,
      address: { network: 'unix', address: path },
      close() {
        closing ??= new Promise<void>((resolve) => server.close(() => resolve())).then(() => rm(path, { force: true }));
        return closing;
      },
    };
  }
  throw new PluginError('unavailable', `cannot listen on a unix socket in ${dir}: ${String(lastError)}; check that the directory exists and is writable`, {
    cause: lastError,
  });
}
