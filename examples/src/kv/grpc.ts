// The gRPC half of the KV plugin (go-plugin's examples/grpc): proto.KV Get/Put.
import { clientOn, unary, type PluginDefinition } from '@plugwire/plugin';
import { KVClient, KVService, type KVServer } from '../gen/kv/kv.js';
import type { KV } from './shared.js';

/**
 * The gRPC halves of the KV plugin.
 * @param impl - the implementation served by the plugin process (the host passes none)
 */
export function kvGrpc(impl?: KV): Pick<PluginDefinition<KV>, 'grpcServer' | 'grpcClient'> {
  return {
    grpcServer(_broker, server) {
      if (!impl) throw new Error('kvGrpcPlugin needs an implementation on the plugin side');
      const service: KVServer = {
        get: (call, callback) => {
          impl.get(call.request.key).then((value) => callback(null, { value }), (err: Error) => callback(err));
        },
        put: (call, callback) => {
          impl.put(call.request.key, call.request.value).then(() => callback(null, {}), (err: Error) => callback(err));
        },
      };
      server.addService(KVService, service);
    },
    grpcClient(_broker, channel) {
      const client = clientOn(KVClient, channel);
      return {
        async put(key, value, options) {
          await unary(client.put.bind(client), { key, value }, options);
        },
        async get(key, options) {
          return (await unary(client.get.bind(client), { key }, options)).value;
        },
      };
    },
  };
}
