// Transport-level interop with a real go-plugin v1.0.1 gRPC plugin (test/go/src/grpcfix/plugin): this test
// launches it itself, reads its handshake line, and connects with connectGrpc.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLIENT_TRANSPORTS, SERVER_TRANSPORTS } from './transports.js';
import { PluginError, silentLogger, type ClientProtocol, type Logger } from '@plugwire/core';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { PassThrough } from 'node:stream';
import { connectGrpc, serveGrpc } from '../src/index.js';
import { echoPlugin, type EchoApi } from './echo-plugin.js';
import { socketDir, unixListener } from './support.js';

interface GoPlugin {
  child: ChildProcess;
  socket: string;
  exited: AbortController;
  exit: Promise<number | null>;
  stderr: string[];
}

async function launch(binary: string): Promise<GoPlugin> {
  const child = spawn(binary, [], {
    env: { ...process.env, GRPCFIX_PLUGIN: 'echo', PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new AbortController();
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited.abort();
      resolve(code);
    }),
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', () => reject(new Error(`plugin exited before its handshake: ${stderr.join('\n')}`)));
  });
  // Keep draining stdout as go-plugin's host does.
  lines.on('line', () => {});
  const parts = line.trim().split('|');
  expect(parts.slice(0, 3)).toEqual(['1', '1', 'unix']);
  expect(parts[4]).toBe('grpc');
  return { child, socket: parts[3]!, exited, exit, stderr };
}

describe.skipIf(goSkipReason() !== undefined).each(CLIENT_TRANSPORTS)('gRPC transport (%s client) against a go-plugin v1.0.1 plugin', (transport) => {
  let binary: string;
  let plugin: GoPlugin | undefined;
  let client: ClientProtocol | undefined;
  const sockets = socketDir();

  beforeAll(async () => {
    binary = await buildGo('grpcfix/plugin');
  });
  afterEach(async () => {
    client?.abort();
    if (plugin && plugin.child.exitCode === null) plugin.child.kill('SIGKILL');
    await plugin?.exit;
    plugin = undefined;
    client = undefined;
  });
  afterAll(() => sockets.remove());

  async function connect(warnings: string[] = []): Promise<EchoApi> {
    plugin = await launch(binary);
    const logger: Logger = { ...silentLogger, warn: (_f, m) => warnings.push(m) };
    client = await connectGrpc({ transport,
      address: { network: 'unix', address: plugin.socket },
      plugins: { echo: echoPlugin() },
      logger,
      exited: plugin.exited.signal,
      brokerSocketDir: sockets.dir,
    });
    return (await client.dispense('echo')) as EchoApi;
  }

  it('calls the Go plugin, pings it, and handles the missing stdio service', async () => {
    const warnings: string[] = [];
    const api = await connect(warnings);
    await client!.ping();
    for (const size of [0, 1024, 3 * 1024 * 1024]) {
      const data = Buffer.alloc(size, 3);
      expect((await api.echo(data)).equals(data)).toBe(true);
    }
    // grpc-go keeps its 4 MiB receive limit.
    const err = await api.echo(Buffer.alloc(5 * 1024 * 1024)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).grpcStatus).toBe(8);
    await vi.waitFor(() => expect(warnings).toContain('stdio service not available, stdout/stderr syncing unavailable'), { timeout: 20_000 });
  });

  it('lets the Go plugin call back into a service the host serves through the broker, and the host dial the plugin', async () => {
    const api = await connect();
    expect(await api.add(40, 2)).toBe(42);
    expect(await api.sumOnPlugin(7, 8)).toBe(15);
  });

  it('close shuts the Go plugin down: it exits 0 and removes its socket', async () => {
    const api = await connect();
    expect(await api.add(1, 2)).toBe(3);
    const socket = plugin!.socket;
    expect(existsSync(socket)).toBe(true);
    // go-plugin's Shutdown stops the server before its reply is sent; the dropped connection counts as the answer.
    await expect(client!.close()).resolves.toBe(true);
    expect(await plugin!.exit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(sockets.files()).toEqual([]);
  });

  it('fails a pending call with `exited` when the Go plugin is killed', async () => {
    const api = await connect();
    await client!.ping();
    plugin!.child.kill('SIGKILL');
    await plugin!.exit;
    const err = await api.echo(Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('exited');
    expect(await client!.close()).toBe(false);
  });
});

describe.skipIf(goSkipReason() !== undefined).each(SERVER_TRANSPORTS)('gRPC transport (%s server) serving a go-plugin v1.0.1 host', (grpcServer) => {
  const sockets = socketDir();
  let binary: string;
  beforeAll(async () => {
    binary = await buildGo('grpcfix/host');
  });
  afterAll(() => sockets.remove());

  it('answers a Go host: ping, echo, broker callbacks both ways, Shutdown ends done and removes the socket', async () => {
    const pluginStdout = new PassThrough();
    const pluginStderr = new PassThrough();
    const server = await serveGrpc({
      grpcServer,
      plugins: { echo: echoPlugin({ stdout: pluginStdout, stderr: pluginStderr }) },
      listener: await unixListener(sockets.dir),
      createListener: () => unixListener(sockets.dir),
      stdout: pluginStdout,
      stderr: pluginStderr,
      logger: silentLogger,
    });
    // go-plugin v1.0.1 kills the reattach pid when it cannot connect: give it a decoy, never this process.
    const decoy = spawn('sleep', ['600'], { stdio: 'ignore' });
    const decoyExit = new Promise((resolve) => decoy.once('exit', resolve));
    try {
      const host = spawn(binary, [server.address.address, String(decoy.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      host.stdout.on('data', (d: Buffer) => (out += d.toString()));
      host.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => host.once('exit', resolve));
      expect({ code, out, err: err.split('\n').filter((l) => !l.includes('"@level":"debug"') && !l.includes('[DEBUG]') && !l.includes('[INFO] step:')).join('\n').trim() }).toEqual({
        code: 0,
        out: 'ok\n',
        err: '',
      });
      await server.done;
      expect(existsSync(server.address.address)).toBe(false);
      expect(sockets.files()).toEqual([]);
    } finally {
      server.abort();
      decoy.kill('SIGKILL');
      await decoyExit;
    }
  });
});
