// A KV plugin defined for netrpc only: it never loads grpc-js or protobuf code (see bench/startup.bench.ts).
import { definePlugin, serve } from '@plugwire/plugin';
import { handshake, memoryKV, type KV } from './kv.js';
import { kvNetRpc } from './netrpc.js';

const kv = definePlugin<KV>({ netrpc: kvNetRpc });
await serve({ handshake, plugins: { kv: kv.implement(memoryKV()) } });
