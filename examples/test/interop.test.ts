// The examples end to end over both protocols and across languages: TS host ↔ TS plugin, Go host (go-plugin
// v1.0.1) → TS plugin, TS host → Go plugin; wrong cookie and version mismatch on both sides; plugin logs mirrored
// at their level; synced stdio.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, PluginError } from '@plugwire/plugin';
import { buildGo, goSkipReason } from '../../test/support/go.js';
import { join } from 'node:path';
import type { ProtocolName } from '@plugwire/core';
import { counter, handshake, type AddHelper } from '../src/counter/definition.js';
import { kv } from '../src/kv/definition.js';
import { alive, jsonLines, nodePlugin, recordingLogger, runCommand } from './support.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
const adder = (): AddHelper & { calls: number } => {
  const h = { calls: 0, async sum(a: number, b: number) { h.calls++; return a + b; } };
  return h;
};

async function exerciseKv(client: Client<{ kv: typeof kv }>): Promise<void> {
  const kv = await client.dispense('kv');
  for (const size of [0, 1024, 4 << 20]) {
    const value = bytes(size);
    await kv.put(`k${size}`, value);
    const got = await kv.get(`k${size}`);
    expect(got.length).toBe(size);
    expect(Buffer.from(got).equals(Buffer.from(value))).toBe(true);
  }
  await client.ping();
}

async function exerciseCounter(client: Client<{ counter: typeof counter }>): Promise<void> {
  const counter = await client.dispense('counter');
  const helper = adder();
  await counter.put('n', 2, helper);
  await counter.put('n', 40, helper);
  expect(await counter.get('n')).toBe(42);
  expect(helper.calls).toBe(2);
  await client.kill();
}

async function expectGone(client: Client, pid: number, socket: string): Promise<void> {
  await client.kill();
  expect(client.exited()).toBe(true);
  expect(alive(pid)).toBe(false);
  expect(existsSync(socket)).toBe(false);
}

const protocols: ProtocolName[] = ['grpc', 'netrpc'];
const misbehaving = join(import.meta.dirname, 'fixtures/misbehaving-kv.mjs');

describe.each(protocols)('TS host ↔ TS plugin over %s', (proto) => {
  it('kv: put/get 0 B, 1 KiB and 4 MiB, ping, kill leaves no process or socket', async () => {
    const logger = recordingLogger();
    const client = new Client({ handshake, plugins: { kv }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto], logger });
    const address = await client.start();
    expect(client.protocol()).toBe(proto);
    expect(client.negotiatedVersion()).toBe(1);
    await exerciseKv(client);
    const pid = client.reattachConfig()!.pid;
    await expectGone(client, pid, address.address);
    await client.kill();
    expect(logger.entries.some((e) => e.message === 'plugin address' && e.level === 'debug')).toBe(true);
  });

  it('counter: the plugin calls the host back through the broker', async () => {
    const client = new Client({ handshake, plugins: { counter }, cmd: nodePlugin(`counter/plugin-${proto}.js`), allowedProtocols: [proto] });
    await exerciseCounter(client);
  });

  it('refuses the plugin when the host does not allow its protocol', async () => {
    const other = proto === 'grpc' ? 'netrpc' : 'grpc';
    const client = new Client({ handshake, plugins: { kv }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [other] });
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).message).toContain(`unsupported plugin protocol "${proto}"`);
    await client.kill();
  });

  it('a wrong cookie makes the plugin exit 1 with go-plugin message, reported by the host', async () => {
    const client = new Client({
      handshake: { ...handshake, magicCookieValue: 'nope' },
      plugins: { kv },
      cmd: nodePlugin(`kv/plugin-${proto}.js`),
      allowedProtocols: [proto],
    });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe('exited');
    expect(err.message).toMatch(/This binary is a plugin/);
    await client.kill();
  });

  it('a plugin run by hand prints exactly go-plugin cookie message and exits 1', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const env = { ...process.env };
    delete env.BASIC_PLUGIN;
    const res = await runCommand(command, args, env);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      'This binary is a plugin. These are not meant to be executed directly.\n' +
        'Please execute the program that consumes these plugins, which will\n' +
        'load any plugins automatically\n',
    );
  });

  it('version mismatch: the plugin falls back to its lowest version and the host refuses it', async () => {
    const client = new Client({ handshake, versionedPlugins: { 2: { kv }, 3: { kv } }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto] });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('incompatible_version');
    expect(err.message).toMatch(/Plugin version: 1, Client versions: \[(3 2|2 3)\]/);
    await client.kill();
  });
});

describe.skipIf(goSkipReason() !== undefined).each(protocols)('go-plugin v1.0.1 interop over %s', (proto) => {
  let goHost = '';
  let goPlugin = '';
  beforeAll(async () => {
    [goHost, goPlugin] = await Promise.all([buildGo('exhost'), buildGo('explugin')]);
  });

  function processExited(stderr: string) {
    return jsonLines(stderr).find((l) => l['@message'] === 'plugin process exited');
  }

  it('Go host → TS kv plugin: ping, put/get 0 B, 1 KiB, 4 MiB, kill with exit status 0 and the socket gone', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['kv', proto, command, ...args]);
    const steps = jsonLines(res.stdout);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const started = steps.find((s) => s.step === 'started')!;
    expect(started).toMatchObject({ network: 'unix', protocol: proto, version: 1 });
    expect(steps.some((s) => s.step === 'ping')).toBe(true);
    const putgets = steps.filter((s) => s.step === 'putget');
    expect(putgets.map((s) => [s.size, s.len, s.same])).toEqual([[0, 0, true], [1024, 1024, true], [4 << 20, 4 << 20, true]]);
    const exited = processExited(res.stderr);
    expect(exited).toBeDefined();
    expect(exited!.error).toBeUndefined();
    expect(existsSync(String(started.address))).toBe(false);
  });

  it('Go host → TS plugin: what the plugin prints after the handshake reaches the Go host', async () => {
    const res = await runCommand(goHost, ['kv', proto, process.execPath, misbehaving, proto], { ...process.env, EXHOST_PRINT: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    if (proto === 'netrpc') {
      expect(res.stdout).toContain('stdout: hello\n');
      expect(res.stderr).toContain('stderr: hello\n');
    } else {
      // go-plugin v1.0.1 has no GRPCStdio: the output stays in the plugin, which must not block or fail.
      expect(jsonLines(res.stdout).some((s) => s.step === 'printed')).toBe(true);
    }
  });

  it('Go host → TS counter plugin: the TS plugin calls the Go host back through the broker', async () => {
    const { command, args } = nodePlugin(`counter/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['counter', proto, command, ...args]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).find((s) => s.step === 'counter')).toMatchObject({ value: 42, helperCalls: 2 });
    expect(processExited(res.stderr)!.error).toBeUndefined();
  });

  it('Go host with the wrong cookie: the TS plugin exits 1 and the Go host reports it', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['kv', proto, command, ...args], { ...process.env, EXHOST_COOKIE: 'wrong' });
    expect(res.code).toBe(1);
    expect(jsonLines(res.stdout).find((s) => s.step === 'start')!.error).toMatch(/plugin exited before we could connect|Unrecognized remote plugin message/); // go-plugin v1.0.1 reports either, racing exit against EOF
    expect(res.stderr).toContain('This binary is a plugin.');
  });

  it('Go host offering versions 2,3: the TS plugin answers 1 and the Go host refuses it', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['kv', proto, command, ...args], { ...process.env, EXHOST_VERSIONS: '2,3' });
    expect(res.code).toBe(1);
    expect(jsonLines(res.stdout).find((s) => s.step === 'start')!.error).toMatch(/Incompatible API version with plugin. Plugin version: 1/);
  });

  it('TS host → Go kv plugin: put/get, ping, Go hclog lines at their level, kill with the Go plugin gone', async () => {
    const logger = recordingLogger();
    const client = new Client({ handshake, plugins: { kv }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto], logger });
    const address = await client.start();
    await exerciseKv(client);
    const pid = client.reattachConfig()!.pid;
    await expectGone(client, pid, address.address);
    const warn = logger.entries.find((e) => e.message === 'go plugin starting');
    expect(warn?.level).toBe('warn');
    expect(warn?.fields.example).toBe('kv');
    expect(logger.entries.find((e) => e.message === 'plugin address')?.level).toBe('debug');
  });

  it('TS host → Go counter plugin: the Go plugin calls the TS host back through the broker', async () => {
    const client = new Client({ handshake, plugins: { counter }, cmd: { command: goPlugin, args: ['counter', proto] }, allowedProtocols: [proto] });
    await exerciseCounter(client);
  });

  it('TS host with the wrong cookie: the Go plugin exits 1 with its message', async () => {
    const client = new Client({ handshake: { ...handshake, magicCookieValue: 'nope' }, plugins: { kv }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto] });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('exited');
    expect(err.message).toMatch(/This binary is a plugin/);
  });

  it('TS host offering versions 2,3 to a Go plugin of version 1: incompatible_version', async () => {
    const client = new Client({ handshake, versionedPlugins: { 2: { kv }, 3: { kv } }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto] });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('incompatible_version');
    await client.kill();
  });
});
