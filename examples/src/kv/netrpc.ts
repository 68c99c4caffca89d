// The netrpc halves of the KV plugin, with the Go types of go-plugin's netrpc example:
// Plugin.Put(map[string]interface{}{"key": string, "value": []byte}) and Plugin.Get(string) []byte.
import type { NetRpcHalves } from '@plugwire/plugin';
import { gob, method, service, type GobDynamic } from '@plugwire/plugin/netrpc';
import type { KV } from './kv.js';

/** The net/rpc service `Plugin`, described once for the server and the client. */
export const KVRpc = service('Plugin', {
  Get: method(gob.string, gob.bytes),
  Put: method(gob.map(gob.string, gob.interface), gob.interface),
});

/** Plugin side serves `impl` as `Plugin`; host side calls `Plugin.Get` / `Plugin.Put`. */
export const kvNetRpc: NetRpcHalves<KV> = {
  server: (impl) =>
    KVRpc.implement({
      Get: (key) => impl.get(key),
      Put: async (args) => {
        const key = gob.unwrap(args.get('key'));
        const value = gob.unwrap(args.get('value'));
        if (typeof key !== 'string' || !(value instanceof Uint8Array)) throw new Error('Put needs a string key and a []byte value');
        await impl.put(key, value);
        return null;
      },
    }),
  client: (conn) => {
    const kv = conn.client(KVRpc);
    return {
      get: (key, options) => kv.Get(key, options),
      put: async (key, value, options) => {
        await kv.Put(new Map<string, GobDynamic>([['key', key], ['value', value]]), options);
      },
    };
  },
};
