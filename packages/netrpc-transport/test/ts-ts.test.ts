import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { type ClientProtocol, PluginError, type ServerProtocol, silentLogger } from '@plugwire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNetRpc, serveNetRpc } from '../src/index.js';
import { unixListener } from './listener.js';
import { type Counter, type KV, add, counterPlugin, kvPlugin } from './plugins.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('netrpc TypeScript host ↔ TypeScript plugin over a unix socket', () => {
  let server: ServerProtocol;
  let client: ClientProtocol;
  let socketPath = '';
  const pluginStdout = new PassThrough();
  const pluginStderr = new PassThrough();
  const hostStdout = new PassThrough();
  const hostStderr = new PassThrough();

  let baseline = { sockets: 0, timers: 0 };
  /** Sockets and timers of this process that the connection could leak. */
  const resources = (): { sockets: number; timers: number } => {
    const info = process.getActiveResourcesInfo();
    return {
      sockets: info.filter((r) => r === 'PipeWrap' || r === 'TCPSocketWrap' || r === 'PipeServerWrap').length,
      timers: info.filter((r) => r === 'Timeout').length,
    };
  };

  beforeAll(async () => {
    baseline = resources();
    const listener = await unixListener();
    socketPath = listener.path;
    server = await serveNetRpc({
      plugins: { kv: kvPlugin(), counter: counterPlugin(), grpconly: {} },
      listener,
      createListener: unixListener,
      stdout: pluginStdout,
      stderr: pluginStderr,
      logger: silentLogger,
    });
    expect(server.protocol).toBe('netrpc');
    client = await connectNetRpc({
      address: server.address,
      plugins: { kv: kvPlugin(), counter: counterPlugin(), grpconly: {}, hostonly: kvPlugin() },
      logger: silentLogger,
      syncStdout: hostStdout,
      syncStderr: hostStderr,
    });
  });

  afterAll(async () => {
    client.abort();
    server.abort();
  });

  it('pings', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('dispenses kv; Put/Get work and plugin errors come back as remote errors', async () => {
    const kv = (await client.dispense('kv')) as KV;
    await kv.put('a', utf8('1'));
    await expect(kv.get('a')).resolves.toEqual(utf8('1'));
    await expect(kv.get('zz')).rejects.toMatchObject({ code: 'remote', message: 'kv: no key "zz"' });
  });

  it('runs many calls in flight on one connection', async () => {
    const kv = (await client.dispense('kv')) as KV;
    await Promise.all(Array.from({ length: 64 }, (_, i) => kv.put(`k${i}`, utf8(`v${i}`))));
    const values = await Promise.all(Array.from({ length: 64 }, (_, i) => kv.get(`k${i}`)));
    expect(values).toEqual(Array.from({ length: 64 }, (_, i) => utf8(`v${i}`)));
  });

  it('carries a 1 MiB value', async () => {
    const kv = (await client.dispense('kv')) as KV;
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
    await kv.put('big', big);
    const back = await kv.get('big');
    // Compared as bytes: a deep equality over a million elements would take seconds.
    expect(Buffer.compare(back, big)).toBe(0);
  });

  it("mirrors the plugin's stdout and stderr to the host", async () => {
    pluginStdout.write('out line\n');
    pluginStderr.write('err line\n');
    const [o, e] = await Promise.all([once(hostStdout, 'data'), once(hostStderr, 'data')]);
    expect(String(o[0])).toBe('out line\n');
    expect(String(e[0])).toBe('err line\n');
  });

  it('calls back into the host through the broker (counter + AddHelper)', async () => {
    const counter = (await client.dispense('counter')) as Counter;
    const helper = { sum: async (a: number | bigint, b: number | bigint) => add(a, b) };
    await counter.put('x', 40, helper);
    await counter.put('x', 2, helper);
    await expect(counter.get('x')).resolves.toBe(42);
  });

  it('reports unknown and gRPC-only plugins with go-plugin words, locally and from the plugin', async () => {
    await expect(client.dispense('nope')).rejects.toMatchObject({ code: 'not_found', message: 'unknown plugin type: nope' });
    await expect(client.dispense('hostonly')).rejects.toMatchObject({ code: 'remote', message: 'unknown plugin type: hostonly' });
    await expect(client.dispense('grpconly')).rejects.toMatchObject({ code: 'unimplemented' });
  });

  it('aborts a call through its signal', async () => {
    const kv = (await client.dispense('kv')) as KV;
    const controller = new AbortController();
    controller.abort();
    await expect(kv.get('a', { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    await expect(kv.get('a')).resolves.toEqual(utf8('1'));
  });

  it('closes with Control.Quit: the plugin side is done, the listener and its socket file are gone', async () => {
    expect(resources().sockets).toBeGreaterThan(baseline.sockets); // the connection's sockets, while it is open
    await expect(client.close()).resolves.toBe(true);
    await server.done;
    await server.close();
    expect(existsSync(socketPath)).toBe(false);
    await expect(client.ping()).rejects.toBeInstanceOf(PluginError);
    // Sockets, the listener and every keepalive or broker timer are gone once both sides closed.
    for (let i = 0; i < 100 && resources().sockets > baseline.sockets; i++) await new Promise((r) => setImmediate(r));
    expect(resources().sockets).toBe(baseline.sockets);
    // The test runner's own timers come and go; none may be left by the connection.
    expect(resources().timers).toBeLessThanOrEqual(baseline.timers);
  });
});
