// The netrpc halves of the counter plugin: Plugin.Put(PutArgs{AddServer uint32; Key string; Value int64}) makes the
// plugin dial the host's AddHelper (served as "Plugin" on MuxBroker id AddServer) and call Plugin.Sum(SumArgs).
import type { NetRpcHalves } from '@plugwire/plugin';
import { acceptAndServe, dial, gob, method, service } from '@plugwire/plugin/netrpc';
import type { AddHelper, Counter } from './counter.js';

/** The plugin's net/rpc service `Plugin`. */
export const CounterRpc = service('Plugin', {
  Get: method(gob.string, gob.int64),
  Put: method(gob.struct({ AddServer: gob.uint32, Key: gob.string, Value: gob.int64 }, 'PutArgs'), gob.empty),
});

/** The host's callback service, also served as `Plugin` (on a brokered connection). */
export const AddHelperRpc = service('Plugin', {
  Sum: method(gob.struct({ A: gob.int64, B: gob.int64 }, 'SumArgs'), gob.int64),
});

/** Plugin side serves `impl`; host side calls it, serving an AddHelper for each Put. */
export const counterNetRpc: NetRpcHalves<Counter> = {
  server: (impl, broker) =>
    CounterRpc.implement({
      Get: (key) => impl.get(key),
      Put: async ({ AddServer, Key, Value }) => {
        const rpc = await dial(broker, AddServer);
        try {
          const add = AddHelperRpc.client(rpc);
          const helper: AddHelper = { sum: async (a, b, options) => Number(await add.Sum({ A: a, B: b }, options)) };
          await impl.put(Key, Number(Value), helper);
        } finally {
          await rpc.close();
        }
        return {};
      },
    }),
  client: (conn) => {
    const counter = conn.client(CounterRpc);
    return {
      async put(key, value, helper, options) {
        const id = conn.broker.nextId();
        const add = AddHelperRpc.implement({ Sum: ({ A, B }) => helper.sum(Number(A), Number(B)) });
        // As go-plugin's `go broker.AcceptAndServe(id, ...)`: serve while the call runs; the call reports failures.
        const serving = acceptAndServe(conn.broker, id, add, options);
        serving.catch(() => {});
        try {
          await counter.Put({ AddServer: id, Key: key, Value: value }, options);
        } finally {
          void serving.then((server) => server.close(), () => {});
        }
      },
      get: async (key, options) => Number(await counter.Get(key, options)),
    };
  },
};
