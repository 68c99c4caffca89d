// The host's Client against a real TS plugin process: crashes, hangs, aborts, stdio sync, managed cleanup,
// reattach, and that kill() releases everything.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cleanupClients, Client, PluginError, type ClientOptions } from '@plugwire/plugin';
import { handshake, kv } from '../src/kv/definition.js';
import { alive, recordingLogger } from './support.js';

const text = (s: string) => new TextEncoder().encode(s);

function collect(stream: PassThrough): () => string {
  let out = '';
  stream.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}

describe.each(['grpc', 'netrpc'] as const)('Client with a real plugin process over %s', (proto) => {
  const fixture = { command: process.execPath, args: [join(import.meta.dirname, 'fixtures/misbehaving-kv.mjs'), proto] };
  function newClient(extra: Partial<ClientOptions<{ kv: typeof kv }>> = {}) {
    return new Client({ handshake, plugins: { kv }, cmd: fixture, allowedProtocols: [proto], logger: recordingLogger(), ...extra });
  }

  it('a plugin crashing mid-call rejects the pending call with a PluginError and the host lives on', async () => {
    const client = newClient();
    const kv = await client.dispense('kv');
    const pending = kv.get('hang');
    const err = await kv.put('crash', text('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(['exited', 'unavailable']).toContain((err as PluginError).code);
    const hung = await pending.catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(PluginError);
    await expect.poll(() => client.exited()).toBe(true);
    await client.kill();
  });

  it('an AbortSignal cancels a call that never answers', async () => {
    const client = newClient();
    const kv = await client.dispense('kv');
    const controller = new AbortController();
    const pending = kv.get('hang', { signal: controller.signal });
    controller.abort();
    const err = (await pending.catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('aborted');
    await client.kill();
  });

  it('syncs what the plugin writes to stdout and stderr after the handshake', async () => {
    const syncStdout = new PassThrough();
    const syncStderr = new PassThrough();
    const out = collect(syncStdout);
    const errOut = collect(syncStderr);
    const client = newClient({ syncStdout, syncStderr });
    const kv = await client.dispense('kv');
    await kv.put('print', text('hello'));
    await expect.poll(() => out()).toContain('stdout: hello\n');
    await expect.poll(() => errOut()).toContain('stderr: hello\n');
    await client.kill();
  });

  it('kill() is idempotent and leaves no process, socket file or handle', async () => {
    const before = new Set(process.getActiveResourcesInfo());
    const client = newClient();
    const address = await client.start();
    await client.dispense('kv');
    const pid = client.reattachConfig()!.pid;
    await Promise.all([client.kill(), client.kill()]);
    expect(alive(pid)).toBe(false);
    expect(existsSync(address.address)).toBe(false);
    await expect.poll(() => process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== 'TTYWrap')).toEqual([]);
    await expect(client.start()).rejects.toMatchObject({ code: 'closed' });
  });

  it('kill() asks even a never-used plugin to shut down before forcing it', async () => {
    const logger = recordingLogger();
    const client = newClient({ logger });
    await client.start();
    await client.kill();
    expect(client.exited()).toBe(true);
    expect(logger.entries.some((e) => e.message.includes('failed to exit gracefully'))).toBe(false);
  });

  it('cleanupClients() kills every managed client', async () => {
    const a = newClient({ managed: true });
    const b = newClient({ managed: true });
    await Promise.all([a.start(), b.start()]);
    const pids = [a.reattachConfig()!.pid, b.reattachConfig()!.pid];
    await cleanupClients();
    expect(pids.map(alive)).toEqual([false, false]);
    expect(a.exited() && b.exited()).toBe(true);
  });

  it('reattaches to a running plugin from a new Client and kills it from there', async () => {
    const first = newClient();
    const kv1 = await first.dispense('kv');
    await kv1.put('kept', text('value'));
    const config = first.reattachConfig()!;
    const second = new Client({ handshake, plugins: { kv }, reattach: config, allowedProtocols: [proto], logger: recordingLogger() });
    const kv2 = await second.dispense('kv');
    expect(new TextDecoder().decode(await kv2.get('kept'))).toBe('value');
    await second.kill();
    expect(alive(config.pid)).toBe(false);
    await first.kill();
  });

  it('a plugin asked to listen on TCP binds 127.0.0.1 inside the host port range', async () => {
    const client = newClient({ cmd: { ...fixture, args: [...fixture.args, 'tcp'] }, minPort: 23100, maxPort: 23199 });
    const address = await client.start();
    expect(address.network).toBe('tcp');
    const [host, port] = address.address.split(':');
    expect(host).toBe('127.0.0.1');
    expect(Number(port)).toBeGreaterThanOrEqual(23100);
    expect(Number(port)).toBeLessThanOrEqual(23199);
    const kv = await client.dispense('kv');
    await kv.put('k', text('v'));
    expect(new TextDecoder().decode(await kv.get('k'))).toBe('v');
    await client.kill();
  });

  it('a plugin whose host died without killing it exits by itself (no orphans, unlike go-plugin)', async () => {
    const host = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/host-then-die.mjs'), proto], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: host.stdout! }), 'line')) as [string];
    const pluginPid = Number(line);
    expect(alive(pluginPid)).toBe(true);
    host.kill('SIGKILL');
    await once(host, 'exit');
    await expect.poll(() => alive(pluginPid), { timeout: 15_000, interval: 100 }).toBe(false);
  });

  it('launches only an executable whose checksum matches (secureConfig)', async () => {
    const digest = createHash('sha256').update(readFileSync(process.execPath)).digest('hex');
    const good = newClient({ secureConfig: { hash: 'sha256', checksum: digest } });
    await good.start();
    await good.kill();
    const bad = newClient({ secureConfig: { hash: 'sha256', checksum: '00'.repeat(32) } });
    const err = (await bad.start().catch((e: unknown) => e)) as PluginError;
    expect(err.code).toBe('checksum');
    expect(err.message).toMatch(/checksums did not match/);
    expect(bad.reattachConfig()).toBeUndefined();
    await bad.kill();
  });

  it('a mirrored plugin log line reaches the host logger at its level', async () => {
    const logger = recordingLogger();
    const client = newClient({ logger });
    await client.start();
    await expect.poll(() => logger.entries.find((e) => e.message === 'plugin address')?.level).toBe('debug');
    await client.kill();
  });
});
