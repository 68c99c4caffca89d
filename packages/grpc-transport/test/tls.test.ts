// gRPC over AutoMTLS in one process: the main connection and both directions of GRPCBroker (the host's and the
// plugin's broker listeners) use the same pinned mutual TLS, and a broker listener turns away a client without
// the right certificate.
import * as grpc from '@grpc/grpc-js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_TRANSPORTS } from './transports.js';
import { silentLogger, type ClientProtocol, type ServerProtocol } from '@plugwire/core';
import { generateIdentity, listenUnix, mutualTls, type TransportTls } from '@plugwire/net';
import { channelCredentials, connectGrpc, serveGrpc, unaryCall } from '../src/index.js';
import { echoPlugin, type EchoApi } from './echo-plugin.js';
import { AddHelperClient } from './gen/echo.js';
import { socketDir } from './support.js';

const host = generateIdentity();
const plugin = generateIdentity();

let server: ServerProtocol | undefined;
let client: ClientProtocol | undefined;
let sockets: ReturnType<typeof socketDir> | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  sockets?.remove();
});

/** Calls AddHelper.Sum on a broker listener with the given credentials. */
async function sumAt(path: string, creds: grpc.ChannelCredentials): Promise<number> {
  const helper = new AddHelperClient(`unix:${path}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  try {
    const res = await unaryCall<{ r: number }>((cb) => helper.sum({ a: 20, b: 22 }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, cb));
    return res.r;
  } finally {
    helper.close();
  }
}

describe.each(SERVER_TRANSPORTS)('gRPC transport over AutoMTLS (%s server)', (grpcServer) => {
  it('serves, calls back through the host broker and the plugin broker, and broker listeners refuse strangers', async () => {
    sockets = socketDir();
    const pluginTls: TransportTls = mutualTls(plugin, host.der);
    const hostTls: TransportTls = mutualTls(host, plugin.der);
    const pluginDir = join(sockets.dir, 'plugin');
    const hostDir = join(sockets.dir, 'host');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(pluginDir);
    mkdirSync(hostDir);
    server = await serveGrpc({
      grpcServer,
      plugins: { echo: echoPlugin() },
      listener: await listenUnix({ dir: pluginDir }),
      createListener: () => listenUnix({ dir: pluginDir }),
      logger: silentLogger,
      tls: pluginTls,
    });
    client = await connectGrpc({ address: server.address, plugins: { echo: echoPlugin() }, logger: silentLogger, brokerSocketDir: hostDir, tls: hostTls });
    const api = (await client.dispense('echo')) as EchoApi;
    expect((await api.echo(Buffer.from('hi'))).toString()).toBe('hi');
    // Plugin dials the host's broker listener; host dials the plugin's.
    expect(await api.add(2, 3)).toBe(5);
    expect(await api.sumOnPlugin(4, 5)).toBe(9);

    const brokerSocket = (dir: string, skip: string[]): string => {
      const found = readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));
      return found.find((p) => !skip.includes(p))!;
    };
    const hostBroker = brokerSocket(hostDir, []);
    const pluginBroker = brokerSocket(pluginDir, [server.address.address]);
    expect(hostBroker).toBeDefined();
    expect(pluginBroker).toBeDefined();

    // The host's broker listener answers the plugin's certificate only; the plugin's answers the host's only.
    expect(await sumAt(hostBroker, channelCredentials(pluginTls))).toBe(42);
    expect(await sumAt(pluginBroker, channelCredentials(hostTls))).toBe(42);
    const stranger = generateIdentity();
    for (const [path, peer] of [[hostBroker, host], [pluginBroker, plugin]] as const) {
      await expect(sumAt(path, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: 'unavailable' });
      await expect(sumAt(path, channelCredentials(mutualTls(stranger, peer.der)))).rejects.toMatchObject({ code: 'unavailable' });
    }
    // The plugin's main listener too.
    await expect(sumAt(server.address.address, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: 'unavailable' });
    await expect(sumAt(server.address.address, channelCredentials(mutualTls(stranger, plugin.der)))).rejects.toMatchObject({ code: 'unavailable' });
  });
});
