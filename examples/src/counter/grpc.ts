// The gRPC halves of the counter plugin (go-plugin's examples/bidirectional): the plugin's Put dials the host's
// AddHelper through the GRPCBroker and calls it.
import type { GrpcHalves } from '@plugwire/plugin';
import { client, implement } from '@plugwire/plugin/grpc';
import { AddHelperService, CounterService, protoMetadata } from '../gen/counter/counter.js';
import type { AddHelper, Counter } from './counter.js';

/** Plugin side serves `impl` as proto.Counter; host side calls it, serving an AddHelper for each Put. */
export const counterGrpc: GrpcHalves<Counter> = {
  server: (impl, broker) =>
    implement(CounterService, {
      get: async ({ key }) => ({ value: await impl.get(key) }),
      put: async ({ addServer, key, value }, { signal }) => {
        const channel = await broker.dial(addServer, { signal });
        try {
          const add = client(AddHelperService, channel);
          const helper: AddHelper = { sum: async (a, b, options) => (await add.sum({ a, b }, options)).r };
          await impl.put(key, value, helper);
        } finally {
          channel.close();
        }
        return {};
      },
    }, { schema: protoMetadata }),
  client: (conn) => {
    const counter = conn.client(CounterService);
    return {
      async put(key, value, helper, options) {
        const addServer = conn.broker.nextId();
        const add = implement(AddHelperService, { sum: async ({ a, b }) => ({ r: await helper.sum(a, b) }) });
        await conn.broker.acceptAndServe(addServer, (server) => server.addService(add.service, add.implementation), options);
        await counter.put({ addServer, key, value }, options);
      },
      get: async (key, options) => (await counter.get({ key }, options)).value,
    };
  },
};
