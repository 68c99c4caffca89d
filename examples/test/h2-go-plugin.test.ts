// @plugwire/h2's own call API, with no grpc-js on the calling side, against real go-plugin plugins (v1.0.1 from
// Debian and v1.8 from the module proxy): ts-proto service definitions (kv, health, controller, stdio, broker)
// drive unary, server-streaming and bidi calls on the plugin's grpc-go server.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, createH2Client, type H2Connection } from '@plugwire/h2';
import { goPluginVersions, goSkipReason } from '../../test/support/go.js';
import { GetRequest, GetResponse, KVService } from '../src/gen/kv/kv.js';
import { HealthService, HealthCheckResponse_ServingStatus } from '../../packages/grpc-transport/src/gen/grpc/health/v1/health.js';
import { GRPCControllerService } from '../../packages/grpc-transport/src/gen/grpc_controller.js';
import { GRPCStdioService, StdioData_Channel } from '../../packages/grpc-transport/src/gen/grpc_stdio.js';
import { GRPCBrokerService, type ConnInfo } from '../../packages/grpc-transport/src/gen/grpc_broker.js';

void GetRequest;
void GetResponse;

async function launch(binary: string): Promise<{ child: ChildProcess; socket: string; exit: Promise<unknown> }> {
  const child = spawn(binary, ['kv', 'grpc'], {
    env: { ...process.env, BASIC_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise((resolve) => child.once('exit', resolve));
  child.stderr!.resume();
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`plugin exited (${code}) before its handshake`)));
  });
  lines.on('line', () => {});
  const parts = line.trim().split('|');
  expect(parts[2]).toBe('unix');
  expect(parts[4]).toBe('grpc');
  return { child, socket: parts[3]!, exit };
}

describe.skipIf(goSkipReason() !== undefined).each(goPluginVersions)('h2 calls on a go-plugin $version kv plugin', ({ version, modern, build }) => {
  let plugin: Awaited<ReturnType<typeof launch>> | undefined;
  let conn: H2Connection | undefined;
  let binary: string;
  beforeAll(async () => {
    binary = await build('explugin');
  });
  afterEach(async () => {
    conn?.abort();
    if (plugin && plugin.child.exitCode === null) plugin.child.kill('SIGKILL');
    await plugin?.exit;
    plugin = undefined;
  });

  async function open(): Promise<ReturnType<typeof createCaller>> {
    plugin = await launch(binary);
    conn = createH2Client(connect(plugin.socket));
    return createCaller(conn);
  }

  it('calls kv Put and Get (16 B and 4 MiB) and the health service', async () => {
    const caller = await open();
    for (const size of [16, 4 << 20]) {
      const value = Buffer.alloc(size, size & 0xff);
      await caller.unary(KVService.put, { key: `k${size}`, value });
      const got = await caller.unary(KVService.get, { key: `k${size}` }, { maxReceiveMessageLength: 8 << 20 });
      expect(Buffer.from(got.value).equals(value)).toBe(true);
    }
    const health = await caller.unary(HealthService.check, { service: 'plugin' });
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it(`${modern ? 'streams the plugin stdout over GRPCStdio' : 'reports GRPCStdio as unimplemented'} (server streaming)`, async () => {
    const caller = await open();
    const stream = caller.serverStream(GRPCStdioService.streamStdio, {});
    if (!modern) {
      await expect(stream[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'unimplemented' });
      return;
    }
    // Put with the key "print" makes the plugin write the value to its stdout.
    const printed = (async () => {
      await new Promise((r) => setTimeout(r, 200));
      await caller.unary(KVService.put, { key: 'print', value: Buffer.from('through h2') });
    })();
    let out = '';
    for await (const d of stream) {
      if (d.channel === StdioData_Channel.STDOUT) out += Buffer.from(d.data).toString();
      if (out.includes('\n')) break;
    }
    await printed;
    expect(out).toBe('stdout: through h2\n');
  });

  it('holds the GRPCBroker bidi stream open, then Shutdown ends the plugin and the connection', async () => {
    const caller = await open();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    async function* requests(): AsyncGenerator<ConnInfo> {
      await held;
    }
    const broker = (async () => {
      const got: ConnInfo[] = [];
      for await (const info of caller.bidiStream(GRPCBrokerService.startStream, requests())) got.push(info);
      return got;
    })().catch((e: unknown) => e);
    await caller.unary(GRPCControllerService.shutdown, {}).catch(() => undefined);
    await plugin!.exit;
    release();
    const ended = await broker;
    // The broker stream ends with the plugin: cleanly (nothing received) or as unavailable.
    if (Array.isArray(ended)) expect(ended).toEqual([]);
    else expect(ended).toMatchObject({ code: 'unavailable' });
    await conn!.closed;
    void version;
  });
});
