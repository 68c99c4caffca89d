import { connect, type Socket } from 'node:net';
import { PluginError, abortError, throwIfAborted, type AbortOptions, type PluginAddress } from '@plugwire/core';
import { socketTarget } from './address.js';

/**
 * Connects a socket to a plugin (or broker) address; resolves once connected.
 * @param address - unix path or `host:port`
 * @param options - abort signal
 * @throws PluginError `unavailable` when the connection fails, `aborted` when the signal fires, `protocol` for a bad address
 */
export function dial(address: PluginAddress, options: AbortOptions = {}): Promise<Socket> {
  throwIfAborted(options.signal, 'connect to the plugin');
  const socket = connect(socketTarget(address));
  return new Promise<Socket>((resolve, reject) => {
    const onAbort = (): void => {
      socket.destroy();
      cleanup();
      reject(abortError(options.signal as AbortSignal, 'connect to the plugin'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new PluginError('unavailable', `cannot connect to the plugin at ${address.network}:${address.address}: ${err.message}`, { cause: err }));
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const cleanup = (): void => {
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}
