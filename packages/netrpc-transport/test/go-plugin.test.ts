import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { type ClientProtocol, PluginError, silentLogger } from '@plugwire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { connectNetRpc } from '../src/index.js';
import { type Counter, type KV, add, counterPlugin, kvPlugin } from './plugins.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Collects a stream's text and waits for a substring. */
function collector(stream: PassThrough): { text: () => string; waitFor: (s: string) => Promise<void> } {
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return {
    text: () => text,
    async waitFor(s) {
      while (!text.includes(s)) await once(stream, 'data');
    },
  };
}

describe.skipIf(goSkipReason() !== undefined)('TypeScript host, go-plugin v1.0.1 netrpc plugin', () => {
  let child: ChildProcess;
  let address = '';
  let client: ClientProtocol;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collector(stdout);
  const err = collector(stderr);
  const exit = new AbortController();
  let exitCode: Promise<number | null>;

  beforeAll(async () => {
    const bin = await buildGo('netrpcfix/plugin-go');
    child = spawn(bin, [], {
      env: {
        ...process.env,
        PLUGWIRE_NETRPC_TEST: 'netrpc',
        PLUGIN_PROTOCOL_VERSIONS: '1',
        PLUGIN_MIN_PORT: '10000',
        PLUGIN_MAX_PORT: '25000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.resume();
    exitCode = new Promise((resolve) =>
      child.once('exit', (code) => {
        exit.abort(new PluginError('exited', 'the plugin process exited'));
        resolve(code);
      }),
    );
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, 'line')) as [string];
    lines.close();
    child.stdout?.resume();
    const parts = line.split('|');
    expect(parts.slice(0, 3)).toEqual(['1', '1', 'unix']);
    expect(parts[4]).toBe('netrpc');
    address = parts[3] ?? '';
    client = await connectNetRpc({
      address: { network: 'unix', address },
      plugins: { kv: kvPlugin(), counter: counterPlugin(), grpconly: {} },
      logger: silentLogger,
      syncStdout: stdout,
      syncStderr: stderr,
      exited: exit.signal,
    });
  });

  afterAll(async () => {
    client?.abort();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('pings the plugin', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('dispenses kv and calls Put (map[string]interface{}) and Get', async () => {
    const kv = (await client.dispense('kv')) as KV;
    await kv.put('hello', utf8('world'));
    await expect(kv.get('hello')).resolves.toEqual(utf8('world'));
    await expect(kv.get('missing')).rejects.toMatchObject({ code: 'remote', message: 'kv: no key "missing"' });
    await expect(kv.put('fail', utf8('x'))).rejects.toMatchObject({ code: 'remote', message: 'kv: refusing key fail' });
  });

  it("mirrors the plugin's stdout and stderr into syncStdout and syncStderr", async () => {
    const kv = (await client.dispense('kv')) as KV;
    await kv.put('print', utf8('synced'));
    await out.waitFor('stdout: synced\n');
    await err.waitFor('stderr: synced\n');
    expect(out.text()).toBe('stdout: synced\n');
  });

  it("runs the counter, whose plugin calls back the host's AddHelper over the broker", async () => {
    const counter = (await client.dispense('counter')) as Counter;
    const calls: Array<[number | bigint, number | bigint]> = [];
    const helper = {
      async sum(a: number | bigint, b: number | bigint) {
        calls.push([a, b]);
        return add(a, b);
      },
    };
    await counter.put('n', 40, helper);
    await counter.put('n', 2, helper);
    await expect(counter.get('n')).resolves.toBe(42);
    expect(calls).toEqual([
      [0, 40],
      [40, 2],
    ]);
  });

  it("refuses unknown plugins and plugins without a netrpc half with go-plugin's words", async () => {
    await expect(client.dispense('nope')).rejects.toMatchObject({ code: 'not_found', message: 'unknown plugin type: nope' });
    await expect(client.dispense('grpconly')).rejects.toMatchObject({ code: 'unimplemented' });
    await expect(client.dispense('grpconly')).rejects.toThrow(/net\/rpc plugin protocol not supported/);
  });

  it('closes with Control.Quit: the plugin exits with status 0 and removes its socket', async () => {
    await expect(client.close()).resolves.toBe(true);
    expect(await exitCode).toBe(0);
    expect(existsSync(address)).toBe(false);
    await expect(client.close()).resolves.toBe(true);
  });
});

describe.skipIf(goSkipReason() !== undefined)('TypeScript host, go-plugin netrpc plugin that dies', () => {
  it('fails pending and later calls with a PluginError when the plugin process is killed', async () => {
    const bin = await buildGo('netrpcfix/plugin-go');
    const child = spawn(bin, [], {
      env: { ...process.env, PLUGWIRE_NETRPC_TEST: 'netrpc', PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exit = new AbortController();
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exit.abort(new PluginError('exited', 'the plugin process exited'));
        resolve();
      }),
    );
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, 'line')) as [string];
    lines.close();
    child.stdout?.resume();
    const client = await connectNetRpc({
      address: { network: 'unix', address: line.split('|')[3] ?? '' },
      plugins: { kv: kvPlugin() },
      logger: silentLogger,
      exited: exit.signal,
    });
    const kv = (await client.dispense('kv')) as KV;
    await kv.put('a', utf8('1'));
    child.kill('SIGKILL');
    await exited;
    const failure = await kv.get('a').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PluginError);
    expect(['exited', 'unavailable', 'closed']).toContain((failure as PluginError).code);
    await expect(client.ping()).rejects.toBeInstanceOf(PluginError);
    await expect(client.close()).resolves.toBe(false);
  });
});
