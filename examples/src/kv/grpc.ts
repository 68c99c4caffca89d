// The gRPC halves of the KV plugin (go-plugin's examples/grpc): proto.KV Get/Put, from the ts-proto code.
import type { GrpcHalves } from '@plugwire/plugin';
import { implement } from '@plugwire/plugin/grpc';
import { KVService, protoMetadata } from '../gen/kv/kv.js';
import type { KV } from './kv.js';

/** Plugin side serves `impl` as proto.KV; host side calls proto.KV. */
export const kvGrpc: GrpcHalves<KV> = {
  server: (impl) =>
    implement(KVService, {
      get: async ({ key }) => ({ value: await impl.get(key) }),
      put: async ({ key, value }) => {
        await impl.put(key, value);
        return {};
      },
    }, { schema: protoMetadata }), // ts-proto's schema (outputSchema=true): gRPC reflection describes proto.KV
  client: (conn) => {
    const kv = conn.client(KVService);
    return {
      get: async (key, options) => (await kv.get({ key }, options)).value,
      put: async (key, value, options) => {
        await kv.put({ key, value }, options);
      },
    };
  },
};
