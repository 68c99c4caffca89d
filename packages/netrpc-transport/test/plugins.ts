// The kv and counter plugins of the tests, netrpc halves matching test/go/src/netrpcfix/shared.
import { type GobDynamic, gob } from '@plugwire/gob';
import type { AbortOptions } from '@plugwire/core';
import { type NetRpcPlugin, acceptAndServe, dialRpc, method } from '../src/index.js';

export const KVPutArgs = gob.map(gob.string, gob.interface);
export const PutArgs = gob.struct({ AddServer: gob.uint32, Key: gob.string, Value: gob.int64 }, 'PutArgs');
export const SumArgs = gob.struct({ A: gob.int64, B: gob.int64 }, 'SumArgs');

/** The kv interface. */
export interface KV {
  put(key: string, value: Uint8Array, options?: AbortOptions): Promise<void>;
  get(key: string, options?: AbortOptions): Promise<Uint8Array>;
}

/** The host-side callback of the counter. */
export interface AddHelper {
  sum(a: number | bigint, b: number | bigint): Promise<number | bigint>;
}

/** The counter interface: `put` adds `value` to `key` through the caller's AddHelper. */
export interface Counter {
  put(key: string, value: number, helper: AddHelper): Promise<void>;
  get(key: string): Promise<number | bigint>;
}

export function add(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  const s = BigInt(a) + BigInt(b);
  return s >= -BigInt(Number.MAX_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
}

/** An in-memory KV. */
export function memoryKV(): KV {
  const m = new Map<string, Uint8Array>();
  return {
    async put(key, value) {
      if (key === 'fail') throw new Error('kv: refusing key fail');
      m.set(key, value);
    },
    async get(key) {
      const v = m.get(key);
      if (v === undefined) throw new Error(`kv: no key "${key}"`);
      return v;
    },
  };
}

/** An in-memory Counter. */
export function memoryCounter(): Counter {
  const m = new Map<string, number | bigint>();
  return {
    async put(key, value, helper) {
      m.set(key, await helper.sum(m.get(key) ?? 0, value));
    },
    async get(key) {
      return m.get(key) ?? 0;
    },
  };
}

export function kvPlugin(impl: KV = memoryKV()): NetRpcPlugin<KV> {
  return {
    server: () => ({
      Put: method(KVPutArgs, gob.interface, async (args) => {
        const key = gob.unwrap(args.get('key'));
        const value = gob.unwrap(args.get('value'));
        if (typeof key !== 'string' || !(value instanceof Uint8Array)) throw new Error('kv: Put needs a string key and []byte value');
        await impl.put(key, value);
        return null;
      }),
      Get: method(gob.string, gob.bytes, (key) => impl.get(key)),
    }),
    client: (_broker, rpc) => ({
      async put(key, value, options) {
        const arg = new Map<string, GobDynamic>([['key', key], ['value', value]]);
        await rpc.call('Plugin.Put', gob.value(KVPutArgs, arg), { ...options, reply: gob.interface });
      },
      get: (key, options) => rpc.call('Plugin.Get', gob.value(gob.string, key), { ...options, reply: gob.bytes }),
    }),
  };
}

export function counterPlugin(impl: Counter = memoryCounter()): NetRpcPlugin<Counter> {
  return {
    server: (broker) => ({
      Put: method(PutArgs, gob.interface, async (args) => {
        const rpc = await dialRpc(broker, args.AddServer);
        try {
          await impl.put(args.Key, Number(args.Value), {
            sum: (a, b) => rpc.call('Plugin.Sum', gob.value(SumArgs, { A: a, B: b }), { reply: gob.int64 }),
          });
        } finally {
          await rpc.close();
        }
        return null;
      }),
      Get: method(gob.string, gob.int64, (key) => impl.get(key)),
    }),
    client: (broker, rpc) => ({
      async put(key, value, helper) {
        const id = broker.nextId();
        const serving = acceptAndServe(broker, id, { Sum: method(SumArgs, gob.int64, ({ A, B }) => helper.sum(A, B)) });
        // The plugin may fail before it dials: then the accept times out, which is not this call's error.
        serving.catch(() => undefined);
        try {
          await rpc.call('Plugin.Put', gob.value(PutArgs, { AddServer: id, Key: key, Value: value }), { reply: gob.interface });
        } finally {
          void serving.then((s) => s.close(), () => undefined);
        }
      },
      get: (key) => rpc.call('Plugin.Get', gob.value(gob.string, key), { reply: gob.int64 }),
    }),
  };
}
