import { createServer } from 'node:net';
import { PluginError, type Listener } from '@plugwire/core';
import { closeServer, listenOn } from './server.js';

/**
 * Listens on TCP at 127.0.0.1 (never another interface) on the first free port of `minPort..maxPort`, or a port
 * the OS picks when both are 0; go-plugin's TCP listener. `close()` is idempotent.
 * @param minPort - lowest port to try
 * @param maxPort - highest port to try
 * @throws PluginError `invalid_argument` when min > max, `unavailable` when every port is taken
 */
export async function listenTcp(minPort = 0, maxPort = 0): Promise<Listener> {
  for (const port of [minPort, maxPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PluginError('invalid_argument', `port ${port} is not in 0..65535`);
  }
  if (minPort > maxPort) {
    throw new PluginError('invalid_argument', `PLUGIN_MIN_PORT value of ${minPort} is greater than PLUGIN_MAX_PORT value of ${maxPort}`);
  }
  const first = minPort === 0 && maxPort === 0 ? 0 : minPort;
  const last = minPort === 0 && maxPort === 0 ? 0 : maxPort;
  for (let port = first; port <= last; port++) {
    const server = createServer();
    try {
      await listenOn(server, { port, host: '127.0.0.1' });
    } catch {
      continue;
    }
    const bound = server.address();
    const actual = typeof bound === 'object' && bound ? bound.port : port;
    let closing: Promise<void> | undefined;
    return {
      server,
      address: { network: 'tcp', address: `127.0.0.1:${actual}` },
      close: () => (closing ??= closeServer(server)),
    };
  }
  throw new PluginError('unavailable', `couldn't bind plugin TCP listener on 127.0.0.1 ports ${minPort}-${maxPort}: every port is taken; widen PLUGIN_MIN_PORT..PLUGIN_MAX_PORT`);
}

/**
 * A port from `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT` (empty or unset → 0).
 * @param name - the variable's name, for the message
 * @param value - its value
 * @throws PluginError `invalid_argument` when it is not a port number
 */
export function portFromEnv(name: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new PluginError('invalid_argument', `couldn't get value from ${name}: ${JSON.stringify(value)} is not a port number`);
  }
  return n;
}
