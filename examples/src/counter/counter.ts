// go-plugin's bidirectional example: the interfaces host and plugin share. The plugin's Put calls back into the
// host's AddHelper through the broker.
import type { AbortOptions, HandshakeConfig } from '@plugwire/plugin';

/** Same cookie as go-plugin's bidirectional example. */
export const handshake: HandshakeConfig = { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' };

/** The host's helper the plugin calls back. */
export interface AddHelper {
  sum(a: number, b: number, options?: AbortOptions): Promise<number>;
}

/** What the host calls. */
export interface Counter {
  /** Adds `value` to the counter `key`, asking `helper` (on the host) to do the sum. */
  put(key: string, value: number, helper: AddHelper, options?: AbortOptions): Promise<void>;
  get(key: string, options?: AbortOptions): Promise<number>;
}

/** The plugin's implementation: keeps counters in memory and lets the host's helper add. */
export function memoryCounter(): Counter {
  const data = new Map<string, number>();
  return {
    async put(key, value, helper) {
      data.set(key, await helper.sum(data.get(key) ?? 0, value));
    },
    async get(key) {
      return data.get(key) ?? 0;
    },
  };
}
