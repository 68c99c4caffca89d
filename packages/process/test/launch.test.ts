import { PluginError } from '@plugwire/core';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { launch } from '../src/launch.js';
import { expectNoLeaks, options, pidGone, quitOver, recorder, rejection, resources } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'pw-process-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('launch', () => {
  it('starts a plugin, passes the env, mirrors stderr and stops it gracefully', async () => {
    const before = resources();
    const { logger, entries, waitFor } = recorder();
    const raw: Buffer[] = [];
    const copy = new PassThrough().on('data', (b: Buffer) => raw.push(b));
    const p = await launch(options('serve', logger, { env: { USER_VAR: 'from-user' }, stderr: copy, versions: [1, 3] }));
    expect(p.name).toBe('node');
    expect(p.handshake).toMatchObject({ coreVersion: 1, protocolVersion: 1, network: 'unix', protocol: 'netrpc' });
    expect(p.reattachConfig()).toEqual({
      protocol: 'netrpc',
      protocolVersion: 1,
      address: { network: 'unix', address: p.handshake.address },
      pid: p.pid,
    });
    const entry = await waitFor('plugin address');
    expect(entry.level).toBe('debug');
    expect(entry.fields).toMatchObject({
      plugin: 'node',
      network: 'unix',
      timestamp: '2026-11-23T10:29:35.682Z',
      env: { BASIC_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '1,3', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000', USER_VAR: 'from-user' },
    });
    expect(p.hasExited()).toBe(false);
    await p.kill(quitOver(p.handshake.address));
    expect(p.hasExited()).toBe(true);
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect(p.exited.aborted).toBe(true);
    expect(p.exited.reason).toBeInstanceOf(PluginError);
    expect((p.exited.reason as PluginError).code).toBe('exited');
    expect(pidGone(p.pid)).toBe(true);
    expect(entries.some((e) => e.message === 'plugin failed to exit gracefully')).toBe(false);
    expect(Buffer.concat(raw).toString()).toContain('"@message":"plugin address"');
    // kill is idempotent, close is kill.
    await p.kill();
    await p.close();
    expectNoLeaks(before);
  });

  it('keeps draining stdout after the handshake so the plugin never blocks', async () => {
    const before = resources();
    const { logger, waitFor } = recorder();
    const p = await launch(options('serve', logger, { env: { FIXTURE_FLOOD: '1' } }));
    await waitFor('[INFO] flood done');
    await p.kill();
    expectNoLeaks(before);
  });

  it('without a graceful step sends SIGTERM and the plugin exits without SIGKILL', async () => {
    const before = resources();
    const { logger, entries } = recorder();
    const p = await launch(options('serve', logger));
    await p.kill();
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect(entries.some((e) => e.message === 'plugin failed to exit gracefully')).toBe(false);
    expectNoLeaks(before);
  });

  it('SIGKILLs a plugin that ignores the graceful close, with a warning', async () => {
    const before = resources();
    const { logger, entries } = recorder();
    const p = await launch(options('stubborn', logger, { killTimeout: 200 }));
    const exitedReason = new Promise((resolve) => p.exited.addEventListener('abort', () => resolve(p.exited.reason)));
    const [a, b] = [p.kill(quitOver(p.handshake.address)), p.kill()];
    await Promise.all([a, b]);
    expect(await p.exit).toEqual({ code: null, signal: 'SIGKILL' });
    const warn = entries.find((e) => e.message === 'plugin failed to exit gracefully');
    expect(warn?.level).toBe('warn');
    expect(pidGone(p.pid)).toBe(true);
    expect(((await exitedReason) as PluginError).message).toMatch(/killed by signal SIGKILL/);
    expectNoLeaks(before);
  });

  it('SIGKILLs a frozen plugin whose graceful close hangs once killTimeout is spent, not later', async () => {
    const { logger } = recorder();
    const killTimeout = 300;
    const p = await launch(options('serve', logger, { killTimeout }));
    process.kill(p.pid, 'SIGSTOP');
    // The kernel accepts the connection for the stopped process, so the graceful close waits for an answer forever.
    let graceEnded = false;
    const kill = p.kill(quitOver(p.handshake.address));
    // Before the fix the graceful step alone got 5 s; the whole kill now fits killTimeout plus process teardown,
    // far below that (the margin is for a loaded machine).
    const slowest = new Promise<void>((resolve) => setTimeout(() => resolve(), 4_000).unref());
    await Promise.race([kill.then(() => (graceEnded = true)), slowest]);
    expect(graceEnded).toBe(true);
    expect(await p.exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('SIGKILLs at once when the graceful step reports failure', async () => {
    const { logger, entries } = recorder();
    const p = await launch(options('stubborn', logger));
    await p.kill(async () => false);
    expect(await p.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(entries.some((e) => e.message === 'plugin failed to exit gracefully')).toBe(true);
  });

  it('abort() kills at once and a later close() waits for the release', async () => {
    const before = resources();
    const { logger } = recorder();
    const p = await launch(options('stubborn', logger));
    p.abort(new Error('host shutting down'));
    await p.close();
    expect(await p.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expectNoLeaks(before);
  });

  it('fires exited with the status and last stderr lines when the plugin dies on its own', async () => {
    const before = resources();
    const { logger, entries, waitFor } = recorder();
    const p = await launch(options('serve', logger));
    await waitFor('plugin address');
    process.kill(p.pid, 'SIGKILL');
    await new Promise((resolve) => p.exited.addEventListener('abort', resolve, { once: true }));
    const reason = p.exited.reason as PluginError;
    expect(reason.code).toBe('exited');
    expect(reason.signal).toBe('SIGKILL');
    expect(reason.message).toMatch(/^plugin node \(pid \d+\) exited: killed by signal SIGKILL/);
    expect(reason.message).toContain('"@message":"plugin address"');
    expect(p.hasExited()).toBe(true);
    expect(entries.find((e) => e.message === 'plugin process exited')?.level).toBe('error');
    await p[Symbol.asyncDispose]();
    expectNoLeaks(before);
  });

  it('times out waiting for a handshake and kills the plugin', async () => {
    const before = resources();
    const { logger } = recorder();
    const err = await rejection(launch(options('hang', logger, { startTimeout: 500 })));
    expect(err).toBeInstanceOf(PluginError);
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/^timeout while waiting for plugin to start/);
    expectNoLeaks(before);
  });

  it('reports a plugin that exits before the handshake, with its status and stderr', async () => {
    const before = resources();
    const { logger, entries } = recorder();
    const err = await rejection(launch(options('exit3', logger)));
    expect(err.code).toBe('exited');
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^plugin exited before we could connect: exit status 3/);
    expect(err.message).toContain('[ERROR] cannot open database /nonexistent');
    expect(entries.find((e) => e.message === '[ERROR] cannot open database /nonexistent')?.level).toBe('error');
    expectNoLeaks(before);
  });

  it('reports the go-plugin cookie message of a plugin run with the wrong cookie', async () => {
    const { logger } = recorder();
    const err = await rejection(
      launch(options('serve', logger, { handshake: { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'nope' } })),
    );
    expect(err.code).toBe('exited');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('This binary is a plugin. These are not meant to be executed directly.');
  });

  it('logs and skips stdout lines before the handshake (a banner, a warning) and starts', async () => {
    const { logger, entries } = recorder();
    const p = await launch(options('noisy', logger));
    const skipped = entries.filter((e) => e.message === 'plugin wrote to stdout before its handshake; line skipped');
    expect(skipped.map((e) => [e.level, e.fields.line])).toEqual([
      ['warn', 'Welcome to SomeLib 2.1 (banner)'],
      ['warn', ''],
      ['warn', 'WARNING: deprecated option | use the new one'],
    ]);
    await p.kill();
  });

  it('with maxLinesBeforeHandshake 0 fails on the first stray line, as go-plugin does', async () => {
    const { logger } = recorder();
    const err = await rejection(launch(options('noisy', logger, { maxLinesBeforeHandshake: 0 })));
    expect(err.code).toBe('handshake');
    expect(err.message).toMatch(/^Unrecognized remote plugin message: Welcome to SomeLib 2.1 \(banner\)\n/);
    expect((await rejection(launch(options('noisy', logger, { maxLinesBeforeHandshake: -1 })))).code).toBe('invalid_argument');
  });

  it('rejects garbage on stdout past the bound with the diagnosis, what was seen and file notes', async () => {
    const before = resources();
    const { logger } = recorder();
    const err = await rejection(launch(options('garbage', logger)));
    expect(err.code).toBe('handshake');
    expect(err.message).toMatch(/^Unrecognized remote plugin message: hello, I am not a plugin\nThis usually means/);
    expect(err.message).toContain('No handshake line within the first 101 lines of stdout');
    expect(err.message).toContain('other line(s) to stdout:\n  hello, I am not a plugin\n  noise 1\n');
    expect(err.message).toContain(`Path: ${process.execPath}`);
    expect(err.message).toMatch(/ELF architecture: .*current architecture/);
    expectNoLeaks(before);
  });

  it('reports a plugin that closes stdout without a line', async () => {
    const before = resources();
    const { logger } = recorder();
    const err = await rejection(launch(options('close-stdout', logger)));
    expect(err.code).toBe('handshake');
    expect(err.message).toContain("Failed to read any lines from plugin's stdout");
    expectNoLeaks(before);
  });

  it('refuses a first line over 64 KiB without buffering it all', async () => {
    const { logger } = recorder();
    const err = await rejection(launch(options('long-stdout', logger)));
    expect(err.code).toBe('handshake');
    expect(err.message).toMatch(/longer than 65536 bytes/);
    expect(err.message.length).toBeLessThan(4000);
  });

  it('checks the version and protocol the plugin chose', async () => {
    const { logger } = recorder();
    const version = await rejection(launch(options('serve', logger, { env: { FIXTURE_VERSION: '2' }, versions: [1, 3] })));
    expect(version.code).toBe('incompatible_version');
    expect(version.message).toMatch(/^incompatible API version with plugin. Plugin version: 2, Client versions: \[1 3\]/);
    const protocol = await rejection(
      launch(options('serve', logger, { env: { FIXTURE_PROTOCOL: 'grpc' }, allowedProtocols: ['netrpc'] })),
    );
    expect(protocol.code).toBe('handshake');
    expect(protocol.message).toMatch(/^unsupported plugin protocol "grpc". Supported: \[netrpc\]/);
  });

  it('refuses a gRPC plugin without multiplexing support when the host asked for it', async () => {
    const { logger } = recorder();
    const err = await rejection(launch(options('serve', logger, { env: { FIXTURE_PROTOCOL: 'grpc' }, multiplexGrpc: true })));
    expect(err.code).toBe('handshake');
    expect(err.message).toMatch(/^client requested gRPC broker multiplexing but plugin does not support the feature/);
  });

  it('logs a 200 KiB stderr line in 64 KiB fragments at debug and still starts', async () => {
    const { logger, entries, waitFor } = recorder();
    const p = await launch(options('big-stderr', logger));
    await waitFor('plugin address');
    const fragments = entries.filter((e) => /^e+$/.test(e.message));
    expect(fragments.map((e) => e.message.length)).toEqual([65536, 65536, 65536, 200 * 1024 - 3 * 65536]);
    expect(fragments.every((e) => e.level === 'debug')).toBe(true);
    await p.kill();
  });

  it('stops on its AbortSignal and kills the plugin', async () => {
    const before = resources();
    const { logger, waitFor } = recorder();
    const controller = new AbortController();
    const started = launch(options('hang', logger, { signal: controller.signal }));
    await waitFor('[INFO] starting slowly');
    controller.abort();
    const err = await rejection(started);
    expect(err.code).toBe('aborted');
    expectNoLeaks(before);
    const pre = new AbortController();
    pre.abort();
    expect((await rejection(launch(options('hang', logger, { signal: pre.signal })))).code).toBe('aborted');
  });

  it('gives clear errors for a missing or non-executable command and bad options', async () => {
    const before = resources();
    const { logger } = recorder();
    const missing = await rejection(launch({ ...options('serve', logger), command: join(scratch, 'no-such-plugin'), args: [] }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain('no-such-plugin');
    const file = join(scratch, 'not-executable');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const denied = await rejection(launch({ ...options('serve', logger), command: file, args: [] }));
    expect(denied.code).toBe('handshake');
    expect(denied.message).toMatch(/permission denied/);
    expect(denied.message).toContain('Mode: -rw-r--r--');
    const cwd = await rejection(launch(options('serve', logger, { cwd: join(scratch, 'missing-dir') })));
    expect(cwd.code).toBe('invalid_argument');
    expect((await rejection(launch(options('serve', logger, { startTimeout: -1 })))).code).toBe('invalid_argument');
    expect((await rejection(launch(options('serve', logger, { versions: [] })))).code).toBe('invalid_argument');
    expectNoLeaks(before);
  });

  it('names the architecture of a binary built for another machine', async () => {
    const { logger } = recorder();
    const file = join(scratch, 'foreign-elf');
    const header = Buffer.alloc(64);
    header.write('\x7fELF', 0, 'latin1');
    header[4] = 2; // 64-bit
    header[5] = 1; // little endian
    header[6] = 1;
    header.writeUInt16LE(2, 16); // executable
    header.writeUInt16LE(process.arch === 's390x' ? 62 : 22, 18); // amd64 on s390x, s390x elsewhere
    writeFileSync(file, header);
    chmodSync(file, 0o755);
    const err = await rejection(launch({ ...options('serve', logger), command: file, args: [] }));
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toMatch(/built for another architecture/);
  });
});

describe('launch with secureConfig', () => {
  it('runs a plugin whose checksum matches and refuses one that does not, without spawning it', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const { logger } = recorder();
    const script = join(scratch, 'checked-plugin.sh');
    writeFileSync(script, '#!/bin/sh\necho "1|1|unix|/tmp/x.sock|netrpc|"\nexec sleep 30\n');
    chmodSync(script, 0o755);
    const digest = createHash('sha256').update(readFileSync(script)).digest('hex');
    const ok = await launch({ ...options('serve', logger), command: script, args: [], secureConfig: { hash: 'sha256', checksum: digest } });
    expect(ok.handshake.address).toBe('/tmp/x.sock');
    await ok.kill();
    const before = resources();
    const bad = await rejection(
      launch({ ...options('serve', logger), command: script, args: [], secureConfig: { hash: 'sha256', checksum: '00'.repeat(32) } }),
    );
    expect(bad.code).toBe('checksum');
    expect(bad.message).toMatch(/^checksums did not match/);
    const none = await rejection(launch({ ...options('serve', logger), command: script, args: [], secureConfig: { hash: 'sha256', checksum: '' } }));
    expect(none.message).toMatch(/^no checksum provided/);
    const noHash = await rejection(launch({ ...options('serve', logger), command: script, args: [], secureConfig: { hash: '', checksum: digest } }));
    expect(noHash.message).toMatch(/^no hash implementation provided/);
    expectNoLeaks(before);
  });
});
