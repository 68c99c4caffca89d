// The host's gRPC client is selectable: plugwire's h2 (default) or grpc-js, same plugin definitions either way.
import { describe, expect, it } from 'vitest';
import { Client, PluginError, type GrpcClientTransport } from '@plugwire/plugin';
import { handshake, kv } from '../src/kv/definition.js';
import { nodePlugin } from './support.js';

describe.each<GrpcClientTransport | undefined>([undefined, 'h2', 'grpc-js'])('Client grpcTransport %s', (grpcTransport) => {
  it('calls a TS gRPC plugin, 4 MiB both ways, pings and kills it', async () => {
    const client = new Client({ handshake, plugins: { kv }, cmd: nodePlugin('kv/plugin-grpc.js'), allowedProtocols: ['grpc'], ...(grpcTransport && { grpcTransport }) });
    try {
      const store = await client.dispense('kv');
      const big = Buffer.alloc(4 << 20, 7);
      await store.put('big', big);
      expect(Buffer.from(await store.get('big')).equals(big)).toBe(true);
      await client.ping();
    } finally {
      await client.kill();
    }
    expect(client.exited()).toBe(true);
  });
});

it('refuses an unknown grpcTransport', () => {
  expect(() => new Client({ handshake, plugins: { kv }, cmd: nodePlugin('kv/plugin-grpc.js'), grpcTransport: 'http1' as GrpcClientTransport })).toThrow(PluginError);
});
