// The netrpc half of the counter plugin: Plugin.Put(PutArgs{AddServer uint32; Key string; Value int64}) makes the
// plugin dial the host's AddHelper (served as "Plugin" on MuxBroker id AddServer) and call Plugin.Sum(SumArgs).
import { gob, acceptAndServe, dialRpc, method, type PluginDefinition } from '@plugwire/plugin';
import type { AddHelper, Counter } from './shared.js';

const PutArgs = gob.struct({ AddServer: gob.uint32, Key: gob.string, Value: gob.int64 }, 'PutArgs');
const SumArgs = gob.struct({ A: gob.int64, B: gob.int64 }, 'SumArgs');
const toNumber = (v: number | bigint) => Number(v);

/**
 * The netrpc halves of the counter plugin.
 * @param impl - the implementation served by the plugin process (the host passes none)
 */
export function counterNetRpc(impl?: Counter): Pick<PluginDefinition<Counter>, 'server' | 'client'> {
  return {
    server: (broker) => {
      if (!impl) throw new Error('counterNetRpc needs an implementation on the plugin side');
      return {
        Put: method(PutArgs, gob.empty, async ({ AddServer, Key, Value }) => {
          const rpc = await dialRpc(broker, AddServer);
          try {
            const helper: AddHelper = {
              sum: async (a, b) => toNumber(await rpc.call('Plugin.Sum', gob.value(SumArgs, { A: a, B: b }), { reply: gob.int64 })),
            };
            await impl.put(Key, toNumber(Value), helper);
          } finally {
            await rpc.close();
          }
          return {};
        }),
        Get: method(gob.string, gob.int64, (key) => impl.get(key)),
      };
    },
    client: (broker, rpc) => ({
      async put(key, value, helper, options) {
        const id = broker.nextId();
        const service = { Sum: method(SumArgs, gob.int64, ({ A, B }) => helper.sum(toNumber(A), toNumber(B))) };
        // As go-plugin's `go broker.AcceptAndServe(id, ...)`: serve while the call runs; the call reports failures.
        const serving = acceptAndServe(broker, id, service, options);
        serving.catch(() => {});
        try {
          await rpc.call('Plugin.Put', gob.value(PutArgs, { AddServer: id, Key: key, Value: value }), options);
        } finally {
          void serving.then((server) => server.close(), () => {});
        }
      },
      get: async (key, options) => toNumber(await rpc.call('Plugin.Get', gob.value(gob.string, key), { ...options, reply: gob.int64 })),
    }),
  };
}
