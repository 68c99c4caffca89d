import { PluginError } from '@plugwire/core';

/** What {@link manage} keeps: something to kill, and its pid for the last-resort SIGKILL on host exit. */
export interface ManagedClient {
  /** Stops the client (graceful, then forced). */
  kill(): Promise<void>;
  /** The plugin's pid, SIGKILLed synchronously if the host exits with the client still running. */
  pid?: number;
}

const managed = new Set<ManagedClient>();
let installed = false;

function onHostExit(): void {
  for (const client of managed) {
    if (client.pid === undefined) continue;
    try {
      process.kill(client.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  void cleanupClients().finally(() => {
    uninstall();
    // Re-raise so the host still dies, unless someone else is handling the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onHostExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onHostExit);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/**
 * Registers a client to be killed by {@link cleanupClients} and, while any client is registered, installs host
 * handlers: on `exit` every registered pid is SIGKILLed; on SIGINT/SIGTERM {@link cleanupClients} runs, the handlers
 * are removed and the signal is raised again so the host still stops.
 * @param client - what to kill
 * @returns a function that unregisters the client (and removes the handlers when it was the last)
 */
export function manage(client: ManagedClient): () => void {
  if (typeof client?.kill !== 'function') {
    throw new PluginError('invalid_argument', 'manage() needs an object with a kill() method');
  }
  managed.add(client);
  install();
  return () => {
    managed.delete(client);
    if (managed.size === 0) uninstall();
  };
}

/**
 * Kills every managed client in parallel (go-plugin's `CleanupClients`) and unregisters them. Never rejects: a
 * client whose kill fails is still dropped.
 */
export async function cleanupClients(): Promise<void> {
  const clients = [...managed];
  await Promise.allSettled(clients.map((c) => Promise.resolve().then(() => c.kill())));
  for (const c of clients) managed.delete(c);
  if (managed.size === 0) uninstall();
}
