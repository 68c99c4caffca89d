// The h2 client over mutual TLS (ALPN h2): a plugin presenting the certificate the host pinned is reached; one
// presenting another certificate is refused with `unavailable`, and so is a host whose own certificate the plugin
// does not know.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type ClientProtocol, type ServerProtocol } from '@plugwire/core';
import { generateIdentity, listenUnix, mutualTls } from '@plugwire/net';
import { connectGrpc, serveGrpc } from '../src/index.js';
import { echoPlugin, type EchoApi } from './echo-plugin.js';
import { socketDir } from './support.js';
import { TRANSPORT_PAIRS } from './transports.js';

const host = generateIdentity();
const plugin = generateIdentity();
const stranger = generateIdentity();

describe.each(TRANSPORT_PAIRS)('host ($client client) over pinned mutual TLS to a plugin ($server server)', ({ client: transport, server: grpcServer }) => {
  let server: ServerProtocol | undefined;
  let client: ClientProtocol | undefined;
  let sockets: ReturnType<typeof socketDir> | undefined;
  afterEach(async () => {
    client?.abort();
    await server?.close();
    sockets?.remove();
    client = undefined;
  });

  async function serve(): Promise<ServerProtocol> {
    sockets = socketDir();
    const dir = join(sockets.dir, 'plugin');
    mkdirSync(dir);
    server = await serveGrpc({
      grpcServer,
      plugins: { echo: echoPlugin() },
      listener: await listenUnix({ dir }),
      createListener: () => listenUnix({ dir }),
      logger: silentLogger,
      tls: mutualTls(plugin, host.der),
    });
    return server;
  }

  it('calls a plugin that presents the pinned certificate, 4 MiB included', async () => {
    const s = await serve();
    client = await connectGrpc({ transport, address: s.address, plugins: { echo: echoPlugin() }, logger: silentLogger, tls: mutualTls(host, plugin.der) });
    const api = (await client.dispense('echo')) as EchoApi;
    const big = Buffer.alloc(4 << 20, 3);
    expect((await api.echo(big)).equals(big)).toBe(true);
    await client.ping();
  });

  it('refuses a plugin whose certificate is not the pinned one', async () => {
    const s = await serve();
    client = await connectGrpc({ transport, address: s.address, plugins: { echo: echoPlugin() }, logger: silentLogger, tls: mutualTls(host, stranger.der) });
    await expect(client.ping()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('is refused by a plugin that does not know the host certificate', async () => {
    const s = await serve();
    client = await connectGrpc({ transport, address: s.address, plugins: { echo: echoPlugin() }, logger: silentLogger, tls: mutualTls(stranger, plugin.der) });
    await expect(client.ping()).rejects.toMatchObject({ code: 'unavailable' });
  });
});
