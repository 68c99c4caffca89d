// go-plugin's KV example: the interface host and plugin share, and the handshake of go-plugin's examples.
import type { AbortOptions, HandshakeConfig } from '@plugwire/plugin';

/** The cookie and version of go-plugin's examples: `BASIC_PLUGIN=hello`, version 1. */
export const handshake: HandshakeConfig = { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' };

/** What the host calls; the plugin implements it. */
export interface KV {
  put(key: string, value: Uint8Array, options?: AbortOptions): Promise<void>;
  get(key: string, options?: AbortOptions): Promise<Uint8Array>;
}

/** An in-memory KV, the plugin's implementation. */
export function memoryKV(): KV {
  const data = new Map<string, Uint8Array>();
  return {
    async put(key, value) {
      data.set(key, value);
    },
    async get(key) {
      return data.get(key) ?? new Uint8Array();
    },
  };
}
