// The gRPC half of the counter plugin (go-plugin's examples/bidirectional): the plugin's Put calls back into the
// host's AddHelper through the GRPCBroker.
import { clientOn, unary, type PluginDefinition } from '@plugwire/plugin';
import {
  AddHelperClient,
  AddHelperService,
  CounterClient,
  CounterService,
  type AddHelperServer,
  type CounterServer,
} from '../gen/counter/counter.js';
import type { AddHelper, Counter } from './shared.js';

/**
 * The gRPC halves of the counter plugin.
 * @param impl - the implementation served by the plugin process (the host passes none)
 */
export function counterGrpc(impl?: Counter): Pick<PluginDefinition<Counter>, 'grpcServer' | 'grpcClient'> {
  return {
    grpcServer(broker, server) {
      if (!impl) throw new Error('counterGrpcPlugin needs an implementation on the plugin side');
      const service: CounterServer = {
        get: (call, callback) => {
          impl.get(call.request.key).then((value) => callback(null, { value }), (err: Error) => callback(err));
        },
        put: (call, callback) => {
          const { addServer, key, value } = call.request;
          const run = async () => {
            const channel = await broker.dial(addServer);
            const helperClient = clientOn(AddHelperClient, channel);
            try {
              const helper: AddHelper = {
                sum: async (a, b) => (await unary(helperClient.sum.bind(helperClient), { a, b })).r,
              };
              await impl.put(key, value, helper);
            } finally {
              channel.close();
            }
          };
          run().then(() => callback(null, {}), (err: Error) => callback(err));
        },
      };
      server.addService(CounterService, service);
    },
    grpcClient(broker, channel) {
      const client = clientOn(CounterClient, channel);
      return {
        async put(key, value, helper, options) {
          const addServer = broker.nextId();
          const helperService: AddHelperServer = {
            sum: (call, callback) => {
              helper.sum(call.request.a, call.request.b).then((r) => callback(null, { r }), (err: Error) => callback(err));
            },
          };
          await broker.acceptAndServe(addServer, (server) => server.addService(AddHelperService, helperService), options);
          await unary(client.put.bind(client), { addServer, key, value }, options);
        },
        async get(key, options) {
          return (await unary(client.get.bind(client), { key }, options)).value;
        },
      };
    },
  };
}
