// A unix-socket Listener (core's contract) for tests: what the umbrella's listener factory hands a transport.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Listener } from '@plugwire/core';

export async function unixListener(): Promise<Listener & { readonly path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'plugwire-netrpc-'));
  const path = join(dir, 'plugin.sock');
  const server = createServer();
  server.listen(path);
  await once(server, 'listening');
  let closing: Promise<void> | undefined;
  return {
    server,
    path,
    address: { network: 'unix', address: path },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      });
      return closing;
    },
  };
}
