import { PassThrough, Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TRANSPORT_PAIRS } from './transports.js';
import { PluginError, silentLogger, type ClientProtocol, type Logger, type ServerProtocol } from '@plugwire/core';
import { connectGrpc, serveGrpc, type GrpcPlugin } from '../src/index.js';
import { echoPlugin, type EchoApi } from './echo-plugin.js';
import { GRPCStdioClient } from '../src/gen/grpc_stdio.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../src/gen/grpc/health/v1/health.js';
import { echoDescriptorSet } from './gen/echo-descriptor.js';
import { Collector, listServices, socketDir, unixListener } from './support.js';

/** Open sockets, servers and timers of this process, by kind. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/Pipe|TCP|Timeout|Immediate/.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Kinds of which more are open now than in `before`. */
function leaksSince(before: Record<string, number>): Record<string, number> {
  const now = handles();
  return Object.fromEntries(Object.entries(now).filter(([kind, n]) => n > (before[kind] ?? 0)));
}

interface Harness {
  server: ServerProtocol;
  client: ClientProtocol;
  api: EchoApi;
  stdout: Collector;
  stderr: Collector;
  pluginStdout: PassThrough;
  pluginStderr: PassThrough;
  exited: AbortController;
  warnings: string[];
}

describe.each(TRANSPORT_PAIRS)('gRPC transport, TS host ($client client) and TS plugin ($server server) over a unix socket', ({ client: transport, server: grpcServer }) => {
  let sockets: ReturnType<typeof socketDir>;
  let h: Harness;

  async function start(plugins?: Record<string, Partial<GrpcPlugin>>): Promise<Harness> {
    const pluginStdout = new PassThrough();
    const pluginStderr = new PassThrough();
    const listener = await unixListener(sockets.dir);
    const server = await serveGrpc({ grpcServer,
      plugins: plugins ?? { echo: echoPlugin({ stdout: pluginStdout, stderr: pluginStderr }) },
      listener,
      createListener: () => unixListener(sockets.dir),
      stdout: pluginStdout,
      stderr: pluginStderr,
      logger: silentLogger,
    });
    const stdout = new Collector();
    const stderr = new Collector();
    const exited = new AbortController();
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_f, m) => warnings.push(m) };
    const client = await connectGrpc({ transport,
      address: server.address,
      plugins: plugins ?? { echo: echoPlugin(), half: {} },
      logger,
      syncStdout: stdout,
      syncStderr: stderr,
      exited: exited.signal,
      brokerSocketDir: sockets.dir,
    });
    const api = plugins ? ({} as EchoApi) : ((await client.dispense('echo')) as EchoApi);
    return { server, client, api, stdout, stderr, pluginStdout, pluginStderr, exited, warnings };
  }

  beforeEach(() => {
    sockets = socketDir();
  });
  afterEach(async () => {
    h?.client.abort();
    h?.server.abort();
    await h?.server.done;
    sockets.remove();
  });

  it('echoes 0 B, 1 KiB and 4 MiB payloads', async () => {
    h = await start();
    for (const size of [0, 1024, 4 * 1024 * 1024]) {
      const data = Buffer.alloc(size, size % 251);
      const back = await h.api.echo(data);
      expect(back.length).toBe(size);
      expect(back.equals(data)).toBe(true);
    }
  });

  it('rejects a message over the plugin receive limit with a PluginError carrying the gRPC status', async () => {
    h = await start();
    const err = await h.api.echo(Buffer.alloc(5 * 1024 * 1024)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('remote');
    expect((err as PluginError).grpcStatus).toBe(8); // RESOURCE_EXHAUSTED
    expect(await h.api.echo(Buffer.from('still fine'))).toEqual(Buffer.from('still fine'));
  });

  it('works over a TCP listener on 127.0.0.1 too', async () => {
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as AddressInfo;
    const listener = {
      server: tcp,
      address: { network: 'tcp' as const, address: `127.0.0.1:${port}` },
      close: () => new Promise<void>((resolve) => tcp.close(() => resolve())),
    };
    const server = await serveGrpc({ grpcServer, plugins: { echo: echoPlugin() }, listener, createListener: () => unixListener(sockets.dir), logger: silentLogger });
    const client = await connectGrpc({ transport, address: server.address, plugins: { echo: echoPlugin() }, logger: silentLogger, brokerSocketDir: sockets.dir });
    h = { server, client } as Harness;
    const api = (await client.dispense('echo')) as EchoApi;
    expect((await api.echo(Buffer.from('over tcp'))).toString()).toBe('over tcp');
    expect(await api.add(1, 2)).toBe(3);
    await expect(client.close()).resolves.toBe(true);
    await server.done;
    expect(tcp.listening).toBe(false);
  });

  it('serves one stdio reader at a time and health Watch, as grpc-go does', async () => {
    h = await start();
    const channel = new grpc.Channel(`unix:${h.server.address.address}`, grpc.credentials.createInsecure(), {});
    try {
      const second = new GRPCStdioClient('unused', grpc.credentials.createInsecure(), { channelOverride: channel }).streamStdio({});
      const status = await new Promise<grpc.ServiceError>((resolve) => second.on('error', resolve));
      expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
      const health = new HealthClient('unused', grpc.credentials.createInsecure(), { channelOverride: channel });
      const watch = health.watch({ service: 'plugin' });
      const first = await new Promise<{ status: number }>((resolve) => watch.once('data', resolve));
      expect(first.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      watch.on('error', () => {}); // the CANCELLED status of our own cancel
      watch.cancel();
      const unknown = await new Promise<grpc.ServiceError>((resolve) => health.check({ service: 'other' }, (err) => resolve(err!)));
      expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      channel.close();
    }
    // The host's own stdio stream was not disturbed.
    await h.api.print('after\n');
    await h.client.close();
    expect(h.stdout.text()).toBe('after\n');
  });

  it('pings through the health service', async () => {
    h = await start();
    await expect(h.client.ping()).resolves.toBeUndefined();
  });

  it('mirrors plugin stdout and stderr to the host in order, in chunks of at most 1024 bytes', async () => {
    h = await start();
    const big = 'x'.repeat(2500) + '\n';
    await h.api.print('first line\n');
    await h.api.print(big);
    h.pluginStdout.write('only stdout\n');
    const expected = 'first line\n' + big;
    // The host stops mirroring only once the plugin ended the stream on Shutdown, so everything has arrived.
    await expect(h.client.close()).resolves.toBe(true);
    expect(h.stdout.text()).toBe(expected + 'only stdout\n');
    expect(h.stderr.text()).toBe(expected);
    expect(Math.max(...h.stdout.chunks.map((c) => c.length))).toBeLessThanOrEqual(1024);
    expect(h.warnings).toEqual([]);
  });

  it('holds plugin output until a host reads it (backpressure), then delivers it all', async () => {
    const pluginStdout = new PassThrough({ highWaterMark: 1024 });
    const listener = await unixListener(sockets.dir);
    const server = await serveGrpc({ grpcServer,
      plugins: {},
      listener,
      createListener: () => unixListener(sockets.dir),
      stdout: pluginStdout,
      logger: silentLogger,
    });
    const payload = Buffer.alloc(256 * 1024, 7);
    // Nobody reads yet: the writer is told to wait.
    expect(pluginStdout.write(payload)).toBe(false);
    const stdout = new Collector();
    const client = await connectGrpc({ transport, address: server.address, plugins: {}, logger: silentLogger, syncStdout: stdout });
    h = { server, client } as Harness;
    await new Promise<void>((resolve) => pluginStdout.once('drain', resolve));
    await client.close();
    expect(Buffer.concat(stdout.chunks).equals(payload)).toBe(true);
  });

  it('pauses mirroring while the host target is full and loses nothing', async () => {
    const pluginStdout = new PassThrough();
    const listener = await unixListener(sockets.dir);
    const server = await serveGrpc({ grpcServer, plugins: {}, listener, createListener: () => unixListener(sockets.dir), stdout: pluginStdout, logger: silentLogger });
    const received: Buffer[] = [];
    let pending = 0;
    let maxPending = 0;
    // A target that is always full: every write must wait for its callback.
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        received.push(Buffer.from(chunk));
        maxPending = Math.max(maxPending, ++pending);
        setImmediate(() => {
          pending--;
          cb();
        });
      },
    });
    const client = await connectGrpc({ transport, address: server.address, plugins: {}, logger: silentLogger, syncStdout: slow });
    h = { server, client } as Harness;
    const payload = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => i % 253));
    pluginStdout.write(payload);
    await vi.waitFor(() => expect(Buffer.concat(received).length).toBe(payload.length), { timeout: 20_000 });
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    // The host never piled writes onto the full target.
    expect(maxPending).toBe(1);
    await client.close();
  });

  it('reports dispense errors with go-plugin texts', async () => {
    h = await start();
    const unknown = await h.client.dispense('nope').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(PluginError);
    expect((unknown as PluginError).code).toBe('not_found');
    expect((unknown as PluginError).message).toBe('unknown plugin type: nope');
    const half = await h.client.dispense('half').catch((e: unknown) => e);
    expect(half).toBeInstanceOf(PluginError);
    expect((half as PluginError).message).toMatch(/^plugin "half" doesn't support gRPC/);
    expect((half as PluginError).code).toBe('unimplemented');
  });

  it('refuses to serve a plugin that has no gRPC server half, releasing the listener', async () => {
    const listener = await unixListener(sockets.dir);
    const err = await serveGrpc({ grpcServer, plugins: { kv: {} }, listener, createListener: () => unixListener(sockets.dir), logger: silentLogger }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).message).toMatch(/^"kv" is not a GRPC-compatible plugin/);
    expect((err as PluginError).code).toBe('unimplemented');
    expect(sockets.files()).toEqual([]);
  });

  it('serves reflection v1 and v1alpha listing the built-in services', async () => {
    h = await start();
    const expected = [
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'plugin.GRPCBroker',
      'plugin.GRPCController',
      'plugin.GRPCStdio',
    ];
    expect(await listServices(`unix:${h.server.address.address}`, 'v1')).toEqual(expected);
    expect(await listServices(`unix:${h.server.address.address}`, 'v1alpha')).toEqual(expected);
  });

  it('describes the user services given as descriptor sets in reflection too', async () => {
    const listener = await unixListener(sockets.dir);
    const server = await serveGrpc({ grpcServer,
      plugins: { echo: echoPlugin() },
      listener,
      createListener: () => unixListener(sockets.dir),
      logger: silentLogger,
      reflectionDescriptorSets: [echoDescriptorSet],
    });
    h = { server, client: { abort() {} } } as Harness;
    const names = await listServices(`unix:${server.address.address}`, 'v1');
    expect(names).toContain('echo.Echo');
    expect(names).toContain('echo.AddHelper');
    expect(names).toContain('plugin.GRPCController');
    await server.close();
    await server.done;
    expect(sockets.files()).toEqual([]);
  });

  it('lets the plugin call back into a service the host serves through the broker', async () => {
    h = await start();
    expect(await h.api.add(2, 40)).toBe(42);
    expect(await h.api.add(-5, 5)).toBe(0);
  });

  it('lets the host dial a service the plugin serves through the broker', async () => {
    h = await start();
    expect(await h.api.sumOnPlugin(20, 22)).toBe(42);
  });

  it('fails a dial for an id nobody announced with a timeout', async () => {
    h = await start({ probe: { server: () => {}, client: (broker) => broker } });
    const broker = (await h.client.dispense('probe')) as { dial(id: number): Promise<unknown> };
    const err = await broker.dial(999).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('timeout');
    expect((err as PluginError).message).toMatch(/^timeout waiting for connection info/);
  });

  it('Shutdown ends done, and every socket file, socket and timer is gone', async () => {
    const before = handles();
    h = await start();
    expect(await h.api.add(1, 1)).toBe(2);
    expect(await h.api.sumOnPlugin(1, 2)).toBe(3);
    const socket = h.server.address.address;
    expect(existsSync(socket)).toBe(true);
    await expect(h.client.close()).resolves.toBe(true);
    await h.server.done;
    expect(existsSync(socket)).toBe(false);
    expect(sockets.files()).toEqual([]);
    // close is idempotent
    await expect(h.client.close()).resolves.toBe(true);
    // Sockets finish closing on the next turns of the event loop.
    await vi.waitFor(() => expect(leaksSince(before)).toEqual({}), { timeout: 20_000 });
    const after = await h.client.ping().catch((e: unknown) => e);
    expect(after).toBeInstanceOf(PluginError);
    expect((after as PluginError).code).toBe('closed');
  });

  it('rejects a pending call with a PluginError when the plugin server is aborted', async () => {
    h = await start();
    const pending = h.api.hang().catch((e: unknown) => e);
    await h.client.ping(); // the hang call is on the wire before the abort
    h.server.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('unavailable');
    // CANCELLED (RST_STREAM from the stopping server) or UNAVAILABLE (connection gone), whichever lands first.
    expect([1, 14]).toContain((err as PluginError).grpcStatus);
    await h.server.done;
    expect(sockets.files()).toEqual([]);
  });

  it('rejects a pending call with `exited` when the plugin process exits', async () => {
    h = await start();
    const pending = h.api.hang().catch((e: unknown) => e);
    await h.client.ping();
    h.exited.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('exited');
    const later = await h.api.echo(Buffer.from('x')).catch((e: unknown) => e);
    expect((later as PluginError).code).toBe('exited');
    await expect(h.client.close()).resolves.toBe(false);
  });

  it('rejects a pending call with `aborted` when the host aborts the connection', async () => {
    h = await start();
    const pending = h.api.hang().catch((e: unknown) => e);
    await h.client.ping();
    h.client.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('aborted');
    await expect(h.client.close()).resolves.toBe(false);
  });

  it('ping and dispense honour an aborted signal', async () => {
    h = await start();
    const c = new AbortController();
    c.abort();
    await expect(h.client.ping({ signal: c.signal })).rejects.toMatchObject({ code: 'aborted' });
    await expect(h.client.dispense('echo', { signal: c.signal })).rejects.toMatchObject({ code: 'aborted' });
  });
});
