// A fake plugin that speaks gRPC but sends what no go-plugin would: every byte from another process may be hostile.
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CLIENT_TRANSPORTS } from './transports.js';
import { PluginError, silentLogger, type ClientProtocol, type Logger } from '@plugwire/core';
import { connectGrpc, type GrpcBroker } from '../src/index.js';
import { ConnInfo, GRPCBrokerService } from '../src/gen/grpc_broker.js';
import { StdioData, type StdioData_Channel } from '../src/gen/grpc_stdio.js';
import { Collector, socketDir } from './support.js';

describe.each(CLIENT_TRANSPORTS)('gRPC transport, host side (%s client), facing a hostile plugin', (transport) => {
  const sockets = socketDir();
  let server: grpc.Server | undefined;
  let client: ClientProtocol | undefined;

  afterEach(async () => {
    client?.abort();
    server?.forceShutdown();
    server = undefined;
    client = undefined;
  });
  afterAll(() => sockets.remove());

  async function fakePlugin(setup: (s: grpc.Server) => void): Promise<string> {
    server = new grpc.Server();
    setup(server);
    const path = join(sockets.dir, `fake${Math.random().toString().slice(2)}`);
    await new Promise<void>((resolve, reject) =>
      server!.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    return path;
  }

  it('rejects dials to unusable broker addresses and answers knocks with an error, without crashing', async () => {
    const received: ConnInfo[] = [];
    const path = await fakePlugin((s) =>
      s.addService(GRPCBrokerService, {
        startStream(call: grpc.ServerDuplexStream<ConnInfo, ConnInfo>) {
          call.on('data', (m: ConnInfo) => received.push(m));
          call.write({ serviceId: 1, network: 'bogus', address: 'x', knock: undefined });
          call.write({ serviceId: 2, network: 'unix', address: '', knock: undefined });
          call.write({ serviceId: 3, network: 'tcp', address: 'not an address', knock: undefined });
          call.write({ serviceId: 4, network: '', address: '', knock: { knock: true, ack: false, error: '' } });
        },
      }),
    );
    client = await connectGrpc({ transport,
      address: { network: 'unix', address: path },
      plugins: { probe: { server: () => {}, client: (broker: GrpcBroker) => broker } },
      logger: silentLogger,
    });
    const broker = (await client.dispense('probe')) as GrpcBroker;
    for (const [id, message] of [
      [1, /^Unknown address type: x/],
      [2, /unusable unix address/],
      [3, /invalid tcp address/],
    ] as const) {
      const err = await broker.dial(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).code).toBe('protocol');
      expect((err as PluginError).message).toMatch(message);
    }
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 20_000 });
    expect(received[0]!.serviceId).toBe(4);
    expect(received[0]!.knock).toMatchObject({ knock: true, ack: true });
    expect(received[0]!.knock!.error).not.toBe('');
  });

  it('survives undecodable and unknown-channel stdio data, and reports missing services as PluginErrors', async () => {
    const path = await fakePlugin((s) =>
      s.addService(
        {
          streamStdio: {
            path: '/plugin.GRPCStdio/StreamStdio',
            requestStream: false,
            responseStream: true,
            requestSerialize: (m: Buffer) => m,
            requestDeserialize: (b: Buffer) => b,
            responseSerialize: (b: Buffer) => b,
            responseDeserialize: (b: Buffer) => b,
          },
        },
        {
          streamStdio(call: grpc.ServerWritableStream<Buffer, Buffer>) {
            call.write(Buffer.from(StdioData.encode({ channel: 1, data: Buffer.from('good\n') }).finish()));
            call.write(Buffer.from(StdioData.encode({ channel: 99 as StdioData_Channel, data: Buffer.from('lost') }).finish()));
            call.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
            call.end();
          },
        },
      ),
    );
    const warnings: string[] = [];
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_f, m) => warnings.push(m), error: (_f, m) => errors.push(m) };
    const stdout = new Collector();
    client = await connectGrpc({ transport,
      address: { network: 'unix', address: path },
      plugins: { probe: { server: () => {}, client: (broker: GrpcBroker) => broker } },
      logger,
      syncStdout: stdout,
      brokerSocketDir: sockets.dir,
    });
    const broker = (await client.dispense('probe')) as GrpcBroker;
    await vi.waitFor(() => expect(errors).toContain('error receiving plugin stdio data'), { timeout: 20_000 });
    expect(stdout.text()).toBe('good\n');
    expect(warnings).toContain('unknown channel, dropping');
    const ping = await client.ping().catch((e: unknown) => e);
    expect(ping).toBeInstanceOf(PluginError);
    expect((ping as PluginError).code).toBe('unimplemented');
    expect((ping as PluginError).grpcStatus).toBe(12);
    // No GRPCBroker on this plugin either (its StartStream failed before the ping did): announcing a brokered
    // server fails instead of waiting forever, and leaves no socket behind.
    const accept = await broker.acceptAndServe(broker.nextId(), () => {}).catch((e: unknown) => e);
    expect(accept).toBeInstanceOf(PluginError);
    expect((accept as PluginError).code).toBe('unavailable');
    expect(sockets.files().filter((f) => f.startsWith('plugin'))).toEqual([]);
    // A plugin without GRPCController cannot be asked to stop.
    await expect(client.close()).resolves.toBe(false);
  });
});
