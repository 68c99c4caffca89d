// go-plugin's KV example, defined once for host and plugin (gRPC here; netrpc in netrpc.ts).
import type { AbortOptions } from '@plugwire/core';
import { clientOn, definePlugin, unary, type HandshakeConfig } from '@plugwire/plugin';
import { KVClient, KVService, type KVServer } from '../gen/kv/kv.js';

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

/**
 * The KV plugin over gRPC. The plugin passes its implementation; the host passes nothing.
 * @param impl - the implementation served by the plugin process
 */
export function kvGrpcPlugin(impl?: KV) {
  return definePlugin<KV>({
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
  });
}
