// The examples end to end over both protocols and across languages: TS host ↔ TS plugin, and against real go-plugin
// in both directions, parametrised over go-plugin v1.0.1 (Debian, GOPATH) and v1.8.0 (Go module): Go host → TS plugin,
// TS host → Go plugin; kv (0 B, 1 KiB, 4 MiB values) and counter (broker callbacks); wrong cookie and version
// mismatch on both sides; plugin logs mirrored at their level; synced stdio; kill with the socket removed.
// Where v1.0.1 and v1.8 behave differently, the test says which and why. v1.8-only features (broker multiplexing,
// reattach across languages, SkipHostEnv, socket group/dir) are in the v1.8 block at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, PluginError, definePlugin } from '@plugwire/plugin';
import type { GrpcBroker } from '@plugwire/plugin/grpc';
import { buildGoModern, goPluginVersions, goSkipReason } from '../../test/support/go.js';
import { dirname, join } from 'node:path';
import type { ProtocolName } from '@plugwire/core';
import { counter as counterDefinition, handshake, type AddHelper } from '../src/counter/definition.js';
import { kv as kvDefinition } from '../src/kv/definition.js';
import { alive, jsonLines, nodePlugin, recordingLogger, runCommand } from './support.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
const adder = (): AddHelper & { calls: number } => {
  const h = { calls: 0, async sum(a: number, b: number) { h.calls++; return a + b; } };
  return h;
};

async function exerciseKv(client: Client<{ kv: typeof kvDefinition }>): Promise<void> {
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

async function exerciseCounter(client: Client<{ counter: typeof counterDefinition }>): Promise<void> {
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
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto], logger });
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
    const client = new Client({ handshake, plugins: { counter: counterDefinition }, cmd: nodePlugin(`counter/plugin-${proto}.js`), allowedProtocols: [proto] });
    await exerciseCounter(client);
  });

  it('counter with grpcBrokerMultiplex: the callback works over the one multiplexed connection (gRPC; netrpc ignores it)', async () => {
    const logger = recordingLogger();
    const client = new Client({ handshake, plugins: { counter: counterDefinition }, cmd: nodePlugin(`counter/plugin-${proto}.js`), allowedProtocols: [proto], grpcBrokerMultiplex: true, logger });
    await exerciseCounter(client);
    expect(logger.entries.some((e) => e.message === 'initial server connection accepted')).toBe(proto === 'grpc');
  });

  it('refuses the plugin when the host does not allow its protocol', async () => {
    const other = proto === 'grpc' ? 'netrpc' : 'grpc';
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [other] });
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).message).toContain(`unsupported plugin protocol "${proto}"`);
    await client.kill();
  });

  it('a wrong cookie makes the plugin exit 1 with go-plugin message, reported by the host', async () => {
    const client = new Client({
      handshake: { ...handshake, magicCookieValue: 'nope' },
      plugins: { kv: kvDefinition },
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
    const client = new Client({ handshake, versionedPlugins: { 2: { kv: kvDefinition }, 3: { kv: kvDefinition } }, cmd: nodePlugin(`kv/plugin-${proto}.js`), allowedProtocols: [proto] });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('incompatible_version');
    expect(err.message).toMatch(/Plugin version: 1, Client versions: \[(3 2|2 3)\]/);
    await client.kill();
  });
});

describe('gRPC broker multiplexing, TS host ↔ TS plugin', () => {
  it('dialing a broker id the TS plugin does not serve fails at once with go-plugin\'s texts', async () => {
    const probe = definePlugin<{ broker: GrpcBroker }>({ grpc: { server() {}, client: (conn) => ({ broker: conn.broker }) } });
    const client = new Client({ handshake, plugins: { counter: probe }, cmd: nodePlugin('counter/plugin-grpc.js'), allowedProtocols: ['grpc'], grpcBrokerMultiplex: true });
    const { broker } = await client.dispense('counter');
    // go-plugin's plugin side leaves such a knock unanswered (the dialer times out); plugwire answers with the
    // error text go-plugin's host side uses.
    const err = (await broker.dial(999).catch((e: unknown) => e)) as PluginError;
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toBe('failed to knock before dialling client: failed to knock for id 999: no listener for id 999');
    await client.ping();
    await client.kill();
  });

  it('the plugin prints the 7th handshake field whenever PLUGIN_MULTIPLEX_GRPC is set; "false" keeps plain gRPC', async () => {
    const { command, args } = nodePlugin('kv/plugin-grpc.js');
    for (const [value, field] of [[undefined, ''], ['false', '|true'], ['true', '|true']] as const) {
      const env: NodeJS.ProcessEnv = { ...process.env, BASIC_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1' };
      if (value !== undefined) env.PLUGIN_MULTIPLEX_GRPC = value;
      const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child);
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      expect(line.endsWith(`|grpc|${field}`)).toBe(true);
      child.kill('SIGTERM');
      await done;
    }
    // go-plugin: any non-empty value gets the field, only strconv.ParseBool true multiplexes.
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command, args, env: { PLUGIN_MULTIPLEX_GRPC: 'false' } }, allowedProtocols: ['grpc'] });
    await exerciseKv(client);
    await client.kill();
  });
});

const goCases = goPluginVersions.flatMap((v) => protocols.map((proto) => ({ ...v, proto })));

describe.skipIf(goSkipReason() !== undefined).each(goCases)('go-plugin $version interop over $proto', ({ version, modern, build, proto }) => {
  let goHost = '';
  let goPlugin = '';
  beforeAll(async () => {
    [goHost, goPlugin] = await Promise.all([build('exhost'), build('explugin')]);
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
    expect(steps.find((s) => s.step === 'killed')).toMatchObject({ exited: true });
    expect(existsSync(String(started.address))).toBe(false);
  });

  it('Go host → TS plugin: what the plugin prints after the handshake reaches the Go host (GRPCStdio since v1.1)', async () => {
    const res = await runCommand(goHost, ['kv', proto, process.execPath, misbehaving, proto], { ...process.env, EXHOST_PRINT: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).some((s) => s.step === 'printed')).toBe(true);
    if (proto === 'netrpc' || modern) {
      // netrpc syncs stdio over its yamux streams in every version; gRPC over the GRPCStdio stream since v1.1.0.
      expect(res.stdout).toContain('stdout: hello\n');
      expect(res.stderr).toContain('stderr: hello\n');
    } else {
      // go-plugin v1.0.1 has no GRPCStdio: the output stays in the plugin, which must not block or fail.
      expect(res.stdout).not.toContain('stdout: hello');
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
    // Both versions report either, racing the exit against the EOF on stdout.
    expect(jsonLines(res.stdout).find((s) => s.step === 'start')!.error).toMatch(/plugin exited before we could connect|Unrecognized remote plugin message/);
    expect(res.stderr).toContain('This binary is a plugin.');
  });

  it('Go host offering versions 2,3: the TS plugin answers 1 and the Go host refuses it', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['kv', proto, command, ...args], { ...process.env, EXHOST_VERSIONS: '2,3' });
    expect(res.code).toBe(1);
    // go-plugin lower-cased its error texts in v1.7.0.
    const text = modern ? 'incompatible API version with plugin. Plugin version: 1' : 'Incompatible API version with plugin. Plugin version: 1';
    expect(jsonLines(res.stdout).find((s) => s.step === 'start')!.error).toContain(text);
  });

  it('TS host → Go kv plugin: put/get, ping, Go hclog lines at their level, kill with the Go plugin and its socket gone', async () => {
    const logger = recordingLogger();
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto], logger });
    const address = await client.start();
    await exerciseKv(client);
    const pid = client.reattachConfig()!.pid;
    await expectGone(client, pid, address.address);
    const warn = logger.entries.find((e) => e.message === 'go plugin starting');
    expect(warn?.level).toBe('warn');
    expect(warn?.fields.example).toBe('kv');
    expect(logger.entries.find((e) => e.message === 'plugin address')?.level).toBe('debug');
  });

  it('TS host → Go plugin: what the Go plugin prints reaches syncStdout/syncStderr (gRPC: GRPCStdio since v1.1)', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const collected = { out: '', err: '' };
    out.on('data', (c: Buffer) => (collected.out += String(c)));
    err.on('data', (c: Buffer) => (collected.err += String(c)));
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto], syncStdout: out, syncStderr: err });
    const kv = await client.dispense('kv');
    await kv.put('print', new TextEncoder().encode('hello'));
    await client.kill();
    if (proto === 'netrpc' || modern) {
      expect(collected.out).toBe('stdout: hello\n');
      expect(collected.err).toBe('stderr: hello\n');
    } else {
      // go-plugin v1.0.1's gRPC server has no GRPCStdio service: the host warns and nothing is synced.
      expect(collected.out).toBe('');
    }
  });

  it('TS host → Go counter plugin: the Go plugin calls the TS host back through the broker', async () => {
    const client = new Client({ handshake, plugins: { counter: counterDefinition }, cmd: { command: goPlugin, args: ['counter', proto] }, allowedProtocols: [proto] });
    await exerciseCounter(client);
  });

  it('TS host with the wrong cookie: the Go plugin exits 1 with its message', async () => {
    const client = new Client({ handshake: { ...handshake, magicCookieValue: 'nope' }, plugins: { kv: kvDefinition }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto] });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('exited');
    expect(err.message).toMatch(/This binary is a plugin/);
  });

  it('TS host offering versions 2,3 to a Go plugin of version 1: incompatible_version', async () => {
    const client = new Client({ handshake, versionedPlugins: { 2: { kv: kvDefinition }, 3: { kv: kvDefinition } }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto] });
    const err = (await client.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('incompatible_version');
    expect(err.message).toMatch(/Plugin version: 1, Client versions: \[(3 2|2 3)\]/);
    await client.kill();
  });

  it(`TS host asking for gRPC broker multiplexing: ${modern ? 'works with' : 'refused by'} a Go ${version} plugin over ${proto}`, async () => {
    const client = new Client({ handshake, plugins: { counter: counterDefinition }, cmd: { command: goPlugin, args: ['counter', proto] }, allowedProtocols: [proto], grpcBrokerMultiplex: true });
    if (proto === 'netrpc' || modern) {
      // netrpc has no GRPCBroker to multiplex (the request is ignored); a v1.6+ plugin announces support.
      await exerciseCounter(client);
    } else {
      // go-plugin v1.0.1 prints no 7th handshake field, so the host refuses it with go-plugin v1.6+'s error.
      const err = (await client.start().catch((e: unknown) => e)) as PluginError;
      expect(err).toBeInstanceOf(PluginError);
      expect(err.message).toContain(
        'client requested gRPC broker multiplexing but plugin does not support the feature; for Go plugins, you will need to update the github.com/hashicorp/go-plugin dependency and recompile',
      );
      await client.kill();
    }
  });
});

/** Starts a long-running command and resolves with its first stdout JSON line matching `want`. */
async function firstLine(child: ChildProcess, want: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for await (const line of createInterface({ input: child.stdout! })) {
    const [parsed] = jsonLines(line);
    if (parsed && want(parsed)) return parsed;
  }
  throw new Error('the process ended before printing the line the test waits for');
}

async function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr?.on('data', (c: Buffer) => (stderr += String(c)));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** A group for the socket tests: another group than ours as root (so the chown is visible), else our own. */
function socketGroup(): { name: string; gid: number } {
  const lines = readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':'));
  const wanted = process.getuid?.() === 0 ? 'daemon' : undefined;
  const found = lines.find(([name, , gid]) => (wanted ? name === wanted : Number(gid) === process.getgid?.()));
  if (!found) throw new Error('no group for the socket group tests in /etc/group');
  return { name: found[0]!, gid: Number(found[2]) };
}

// The blocks above serve the TS gRPC plugins on plugwire's h2 server (the default); the same Go hosts load them on
// grpc-js's server too (the `grpcServer: 'grpc-js'` serve option, which the example plugins read from
// PLUGWIRE_EXAMPLE_GRPC_SERVER).
describe.skipIf(goSkipReason() !== undefined).each(goPluginVersions)("go-plugin $version host → TS gRPC plugin on grpc-js's server", ({ build, modern }) => {
  let goHost = '';
  const env = { ...process.env, PLUGWIRE_EXAMPLE_GRPC_SERVER: 'grpc-js' };
  beforeAll(async () => {
    goHost = await build('exhost');
  });

  it('kv: ping, put/get 0 B, 1 KiB, 4 MiB, kill with exit status 0 and the socket gone', async () => {
    const { command, args } = nodePlugin('kv/plugin-grpc.js');
    const res = await runCommand(goHost, ['kv', 'grpc', command, ...args], env);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const steps = jsonLines(res.stdout);
    expect(steps.filter((s) => s.step === 'putget').map((s) => [s.size, s.len, s.same])).toEqual([[0, 0, true], [1024, 1024, true], [4 << 20, 4 << 20, true]]);
    expect(jsonLines(res.stderr).find((l) => l['@message'] === 'plugin process exited')!.error).toBeUndefined();
    expect(existsSync(String(steps.find((s) => s.step === 'started')!.address))).toBe(false);
  });

  it('counter: the TS plugin calls the Go host back through the broker', async () => {
    const { command, args } = nodePlugin('counter/plugin-grpc.js');
    const res = await runCommand(goHost, ['counter', 'grpc', command, ...args], env);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).find((s) => s.step === 'counter')).toMatchObject({ value: 42, helperCalls: 2 });
  });

  it(`stdio: what the plugin prints ${modern ? 'reaches the Go host over GRPCStdio' : 'stays in the plugin (no GRPCStdio in v1.0.1)'}`, async () => {
    const res = await runCommand(goHost, ['kv', 'grpc', process.execPath, misbehaving, 'grpc'], { ...env, EXHOST_PRINT: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    if (modern) expect(res.stdout).toContain('stdout: hello\n');
    else expect(res.stdout).not.toContain('stdout: hello');
  });
});

describe.skipIf(goSkipReason() !== undefined)('go-plugin v1.8.0 only: broker multiplexing, reattach across languages, environment', () => {
  let goHost = '';
  let goPlugin = '';
  beforeAll(async () => {
    [goHost, goPlugin] = await Promise.all([buildGoModern('exhost'), buildGoModern('explugin')]);
  });

  const multiplexCases = [
    { proto: 'grpc', server: 'h2' },
    { proto: 'grpc', server: 'grpc-js' },
    { proto: 'netrpc', server: 'none' },
  ] as const;
  it.each(multiplexCases)('a Go v1.8 host with GRPCBrokerMultiplex loads the TS counter plugin over $proto ($server server) and the callback works', async ({ proto, server }) => {
    const { command, args } = nodePlugin(`counter/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['counter', proto, command, ...args], { ...process.env, EXHOST_MULTIPLEX: '1', PLUGWIRE_EXAMPLE_GRPC_SERVER: server === 'none' ? '' : server });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const steps = jsonLines(res.stdout);
    expect(steps.find((s) => s.step === 'counter')).toMatchObject({ value: 42, helperCalls: 2 });
    // Killed cleanly: exit status 0 and the socket gone.
    expect(jsonLines(res.stderr).find((l) => l['@message'] === 'plugin process exited')!.error).toBeUndefined();
    expect(existsSync(String(steps.find((s) => s.step === 'started')!.address))).toBe(false);
    const logs = jsonLines(res.stderr).map((l) => String(l['@message']));
    if (proto === 'grpc') {
      // One connection carries everything: Go's client muxer, and the TS plugin's yamux server session over it.
      expect(logs).toContain('client muxer connected');
      expect(logs).toContain('initial server connection accepted');
    } else {
      expect(logs).not.toContain('client muxer connected'); // go-plugin multiplexes only the gRPC broker
    }
  });

  it.each(['h2', 'grpc-js'])('a Go v1.8 host with GRPCBrokerMultiplex: 4 MiB kv values over the multiplexed TS plugin (%s server)', async (server) => {
    const { command, args } = nodePlugin('kv/plugin-grpc.js');
    const res = await runCommand(goHost, ['kv', 'grpc', command, ...args], { ...process.env, EXHOST_MULTIPLEX: '1', PLUGWIRE_EXAMPLE_GRPC_SERVER: server });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const putgets = jsonLines(res.stdout).filter((s) => s.step === 'putget');
    expect(putgets.map((s) => [s.size, s.same])).toEqual([[0, true], [1024, true], [4 << 20, true]]);
  });

  it('a TS host with grpcBrokerMultiplex: the Go v1.8 plugin serves on one connection (its muxer logs say so)', async () => {
    const logger = recordingLogger();
    const client = new Client({ handshake, plugins: { counter: counterDefinition }, cmd: { command: goPlugin, args: ['counter', 'grpc'] }, allowedProtocols: ['grpc'], grpcBrokerMultiplex: true, logger });
    await exerciseCounter(client);
    const messages = logger.entries.map((e) => e.message);
    expect(messages).toContain('initial server connection accepted');
  });

  it('reattach refuses broker multiplexing on both sides with go-plugin\'s text', async () => {
    const text = 'gRPC broker multiplexing is not supported with Reattach config';
    expect(
      () => new Client({ handshake, plugins: { kv: kvDefinition }, reattach: { protocol: 'grpc', protocolVersion: 1, address: { network: 'unix', address: '/nonexistent' }, pid: process.pid }, grpcBrokerMultiplex: true }),
    ).toThrow(text);
    const reattach = JSON.stringify({ protocol: 'grpc', protocolVersion: 1, network: 'unix', address: '/nonexistent', pid: process.pid });
    const res = await runCommand(goHost, ['kv', 'grpc', 'reattach'], { ...process.env, EXHOST_MULTIPLEX: '1', EXHOST_REATTACH: reattach });
    expect(res.code).toBe(1);
    expect(jsonLines(res.stdout).find((s) => s.step === 'start')!.error).toBe(text);
  });

  it.each(protocols)('a TS host reattaches to a Go v1.8 plugin another host process started (%s)', async (proto) => {
    const holder = spawn(goHost, ['kv', proto, goPlugin, 'kv', proto], { env: { ...process.env, EXHOST_HOLD: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(holder);
    try {
      const r = await firstLine(holder, (l) => l.step === 'reattach');
      expect(r).toMatchObject({ protocol: proto, protocolVersion: 1, network: 'unix' });
      const client = new Client({
        handshake,
        plugins: { kv: kvDefinition },
        reattach: { protocol: proto, protocolVersion: Number(r.protocolVersion), address: { network: 'unix', address: String(r.address) }, pid: Number(r.pid) },
      });
      const store = await client.dispense('kv');
      await store.put('k', bytes(1 << 20));
      expect(Buffer.from(await store.get('k')).equals(Buffer.from(bytes(1 << 20)))).toBe(true);
      await client.ping();
      // The reattached host is in charge now: kill() stops the Go plugin, and its socket goes with it.
      await expectGone(client, Number(r.pid), String(r.address));
    } finally {
      holder.stdin!.end();
    }
    const res = await done;
    // The host that started it sees its plugin gone.
    expect(jsonLines(res.stderr).some((l) => l['@message'] === 'plugin process exited')).toBe(true);
  });

  it.each(protocols)('a Go v1.8 host reattaches (ReattachConfig.Test) to a TS plugin in serve() test mode (%s)', async (proto) => {
    const plugin = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/test-mode-kv.mjs'), proto], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pluginDone = collect(plugin);
    try {
      const config = await firstLine(plugin, (l) => l.pid !== undefined);
      expect(config).toMatchObject({ protocol: proto, protocolVersion: 1, pid: plugin.pid, test: true });
      const res = await runCommand(goHost, ['kv', proto, 'reattach'], { ...process.env, EXHOST_REATTACH: JSON.stringify(config) });
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const steps = jsonLines(res.stdout);
      expect(steps.find((s) => s.step === 'started')).toMatchObject({ address: config.address, protocol: proto, version: 1 });
      expect(steps.filter((s) => s.step === 'putget').map((s) => s.same)).toEqual([true, true, true]);
      // ReattachConfig.Test: go-plugin's Kill() leaves the plugin alone; the test that started it stops it.
      expect(steps.find((s) => s.step === 'killed')).toMatchObject({ exited: false });
      expect(alive(plugin.pid!)).toBe(true);
      plugin.kill('SIGTERM');
      expect((await pluginDone).code).toBe(0);
      expect(existsSync(String(config.address))).toBe(false);
    } finally {
      plugin.kill();
    }
  });

  it('a TS host dialing a broker id the Go v1.8 plugin does not serve: go-plugin\'s knock timeout after 5 s', async () => {
    let broker: GrpcBroker | undefined;
    const probe = definePlugin<{ broker: GrpcBroker }>({ grpc: { server() {}, client: (conn) => ({ broker: conn.broker }) } });
    const client = new Client({ handshake, plugins: { counter: probe }, cmd: { command: goPlugin, args: ['counter', 'grpc'] }, allowedProtocols: ['grpc'], grpcBrokerMultiplex: true });
    ({ broker } = await client.dispense('counter'));
    const err = (await broker.dial(999).catch((e: unknown) => e)) as PluginError;
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe('timeout');
    expect(err.message).toBe('failed to knock before dialling client: timeout waiting for multiplexing knock handshake on id 999');
    await exerciseCounter(new Client({ handshake, plugins: { counter: counterDefinition }, cmd: { command: goPlugin, args: ['counter', 'grpc'] }, allowedProtocols: ['grpc'], grpcBrokerMultiplex: true }));
    await client.kill();
  });

  it.each(['go', 'ts'] as const)('a multiplexing %s plugin nobody connects to gives up with go-plugin\'s error (5 s waits)', async (kind) => {
    const cmd = kind === 'go' ? { command: goPlugin, args: ['kv', 'grpc'] } : nodePlugin('kv/plugin-grpc.js');
    const child = spawn(cmd.command, cmd.args, {
      env: { ...process.env, BASIC_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_MULTIPLEX_GRPC: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = collect(child);
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    expect(line).toMatch(/^1\|1\|unix\|[^|]+\|grpc\|\|true$/);
    const res = await done;
    const logged = jsonLines(res.stderr).find((l) => l['@message'] === 'grpc server');
    expect(logged).toMatchObject({ '@level': 'error', error: 'error establishing yamux session: timed out waiting for connection to be established' });
    const socket = line.split('|')[3]!;
    // go-plugin v1.8 leaves its socket file behind here (its muxer replaces the listener that would remove it);
    // plugwire removes it.
    expect(existsSync(socket)).toBe(kind === 'go');
    rmSync(socket, { force: true });
  });

  it('SkipHostEnv: a Go v1.8 host passes its environment to the TS plugin unless SkipHostEnv is set', async () => {
    const env = { ...process.env, PLUGWIRE_PROBE: 'from-host', EXHOST_GETENV: 'PLUGWIRE_PROBE' };
    const withEnv = await runCommand(goHost, ['kv', 'grpc', process.execPath, misbehaving, 'grpc'], env);
    expect(jsonLines(withEnv.stdout).find((s) => s.step === 'env')).toMatchObject({ value: 'from-host' });
    const skipped = await runCommand(goHost, ['kv', 'grpc', process.execPath, misbehaving, 'grpc'], { ...env, EXHOST_SKIPHOSTENV: '1' });
    expect(skipped.code, skipped.stdout + skipped.stderr).toBe(0);
    expect(jsonLines(skipped.stdout).find((s) => s.step === 'env')).toMatchObject({ value: '<unset>' });
  });

  it('skipHostEnv: a TS host passes only go-plugin\'s variables to a Go v1.8 plugin', async () => {
    process.env.PLUGWIRE_PROBE = 'from-host';
    try {
      for (const [skipHostEnv, want] of [[false, 'from-host'], [true, '<unset>']] as const) {
        const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: goPlugin, args: ['kv', 'grpc'] }, allowedProtocols: ['grpc'], skipHostEnv });
        const kv = await client.dispense('kv');
        expect(new TextDecoder().decode(await kv.get('env:PLUGWIRE_PROBE'))).toBe(want);
        expect(new TextDecoder().decode(await kv.get('env:BASIC_PLUGIN'))).toBe('hello');
        await client.kill();
      }
    } finally {
      delete process.env.PLUGWIRE_PROBE;
    }
  });

  it('PLUGIN_UNIX_SOCKET_GROUP from a Go v1.8 host: the TS plugin gives its socket to the group, mode 0660', async () => {
    const group = socketGroup();
    const { command, args } = nodePlugin('kv/plugin-grpc.js');
    const holder = spawn(goHost, ['kv', 'grpc', command, ...args], { env: { ...process.env, EXHOST_HOLD: '1', EXHOST_SOCKET_GROUP: group.name }, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(holder);
    try {
      const r = await firstLine(holder, (l) => l.step === 'reattach');
      const st = statSync(String(r.address));
      expect(st.gid).toBe(group.gid);
      expect(st.mode & 0o777).toBe(0o660);
    } finally {
      holder.stdin!.end();
    }
    expect((await done).code).toBe(0);
  });

  it('PLUGIN_UNIX_SOCKET_DIR from a Go v1.8 host (RunnerFunc launch): the TS plugin listens inside it, gone after Kill', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'plugwire-runner-'));
    try {
      const { command, args } = nodePlugin('kv/plugin-grpc.js');
      const res = await runCommand(goHost, ['kv', 'grpc', command, ...args], { ...process.env, EXHOST_RUNNER: '1', EXHOST_SOCKET_TEMPDIR: tempDir });
      expect(res.code, res.stdout + res.stderr).toBe(0);
      const started = jsonLines(res.stdout).find((s) => s.step === 'started')!;
      const socketDir = String(started.socketDir);
      expect(dirname(socketDir), res.stdout).toBe(tempDir);
      expect(String(started.address).startsWith(`${socketDir}/`), res.stdout).toBe(true);
      expect(jsonLines(res.stdout).filter((s) => s.step === 'putget')).toHaveLength(3);
      // go-plugin's Kill removes the directory it made, and the plugin removed its socket before.
      expect(readdirSync(tempDir), res.stdout + res.stderr).toEqual([]);
    } finally {
      rmSync(tempDir, { recursive: true, force: true });
    }
  });

  it('unixSocketGroup from a TS host: the Go v1.8 plugin gives its socket to the group, mode 0660', async () => {
    const group = socketGroup();
    const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: goPlugin, args: ['kv', 'grpc'] }, allowedProtocols: ['grpc'], unixSocketGroup: String(group.gid) });
    const address = await client.start();
    const st = statSync(address.address);
    expect(st.gid).toBe(group.gid);
    expect(st.mode & 0o777).toBe(0o660);
    await exerciseKv(client);
    await client.kill();
  });

  it('unixSocketDir from a TS host: a Go v1.8 plugin puts its socket there (v1.0.1 has no PLUGIN_UNIX_SOCKET_DIR)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plugwire-sockdir-'));
    try {
      const client = new Client({ handshake, plugins: { kv: kvDefinition }, cmd: { command: goPlugin, args: ['kv', 'grpc'] }, allowedProtocols: ['grpc'], unixSocketDir: dir });
      const address = await client.start();
      expect(dirname(address.address)).toBe(dir);
      await exerciseKv(client);
      await client.kill();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
