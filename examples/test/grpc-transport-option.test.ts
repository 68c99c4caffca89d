// The host's gRPC client is selectable: plugwire's h2 (default) or grpc-js, same plugin definitions either way. On
// h2 the typed clients (conn.client, client(Service, brokerChannel)) call straight through the h2 caller, so both
// are run against real go-plugin plugins of v1.0.1 and v1.8 too.
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, PluginError, type GrpcClientTransport } from '@plugwire/plugin';
import { counter, handshake as counterHandshake, type AddHelper } from '../src/counter/definition.js';
import { handshake, kv } from '../src/kv/definition.js';
import { goPluginVersions, goSkipReason } from '../../test/support/go.js';
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

const goCases = goPluginVersions.flatMap((v) => (['h2', 'grpc-js'] as const).map((grpcTransport) => ({ ...v, grpcTransport })));

describe.skipIf(goSkipReason() !== undefined).each(goCases)('typed clients on grpcTransport $grpcTransport → go-plugin $version', ({ build, modern, grpcTransport }) => {
  let goPlugin = '';
  beforeAll(async () => {
    goPlugin = await build('explugin');
  });

  it('kv: put/get 0 B, 1 KiB and 4 MiB; a call after the plugin was killed says exited', async () => {
    const client = new Client({ handshake, plugins: { kv }, cmd: { command: goPlugin, args: ['kv', 'grpc'] }, allowedProtocols: ['grpc'], grpcTransport });
    try {
      const store = await client.dispense('kv');
      for (const size of [0, 1024, 4 << 20]) {
        const value = Buffer.alloc(size, size & 0xff);
        await store.put(`k${size}`, value);
        expect(Buffer.from(await store.get(`k${size}`)).equals(value)).toBe(true);
      }
      await expect(store.get('k0', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
      process.kill(client.reattachConfig()!.pid, 'SIGKILL');
      await expect(store.get('k0')).rejects.toMatchObject({ code: 'exited' });
    } finally {
      await client.kill();
    }
  });

  it('counter: calls back into the host through the broker (a typed client on a broker channel)', async () => {
    const client = new Client({ handshake: counterHandshake, plugins: { counter }, cmd: { command: goPlugin, args: ['counter', 'grpc'] }, allowedProtocols: ['grpc'], grpcBrokerMultiplex: modern });
    try {
      const c = await client.dispense('counter');
      let calls = 0;
      const helper: AddHelper = { sum: async (a, b) => (calls++, a + b) };
      await c.put('n', 2, helper);
      await c.put('n', 40, helper);
      expect(await c.get('n')).toBe(42);
      expect(calls).toBe(2);
    } finally {
      await client.kill();
    }
  });
});
