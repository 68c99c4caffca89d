// go-plugin's bidirectional example: the plugin's Put calls back into the host's AddHelper through the broker.
import type { AbortOptions } from '@plugwire/core';
import { clientOn, definePlugin, unary, type HandshakeConfig } from '@plugwire/plugin';
import {
  AddHelperClient,
  AddHelperService,
  CounterClient,
  CounterService,
  type AddHelperServer,
  type CounterServer,
} from '../gen/counter/counter.js';

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

/**
 * The counter plugin over gRPC.
 * @param impl - the implementation served by the plugin process
 */
export function counterGrpcPlugin(impl?: Counter) {
  return definePlugin<Counter>({
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
  });
}
