// The netrpc half of the KV plugin, with the argument types of go-plugin's netrpc example:
// Plugin.Put(map[string]interface{}{"key": string, "value": []byte}) and Plugin.Get(string) []byte.
import { gob, method, type GobDynamic, type PluginDefinition } from '@plugwire/plugin';
import type { KV } from './shared.js';

const PutArgs = gob.map(gob.string, gob.interface);

/**
 * The netrpc halves of the KV plugin.
 * @param impl - the implementation served by the plugin process (the host passes none)
 */
export function kvNetRpc(impl?: KV): Pick<PluginDefinition<KV>, 'server' | 'client'> {
  return {
    server: () => {
      if (!impl) throw new Error('kvNetRpc needs an implementation on the plugin side');
      return {
        Put: method(PutArgs, gob.interface, async (args) => {
          const key = gob.unwrap(args.get('key'));
          const value = gob.unwrap(args.get('value'));
          if (typeof key !== 'string' || !(value instanceof Uint8Array)) throw new Error('Put needs a string key and a []byte value');
          await impl.put(key, value);
          return null;
        }),
        Get: method(gob.string, gob.bytes, (key) => impl.get(key)),
      };
    },
    client: (_broker, rpc) => ({
      async put(key, value, options) {
        await rpc.call('Plugin.Put', gob.value(PutArgs, new Map<string, GobDynamic>([['key', key], ['value', value]])), options);
      },
      get: (key, options) => rpc.call('Plugin.Get', gob.value(gob.string, key), { ...options, reply: gob.bytes }),
    }),
  };
}
