import { COOKIE_MISMATCH_MESSAGE } from '@plugwire/handshake';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { launch } from '../src/launch.js';
import type { LaunchOptions } from '../src/options.js';
import { expectNoLeaks, recorder, rejection, resources, settle, waitGone } from './helpers.js';

const run = promisify(execFile);
const TS_PLUGIN = fileURLToPath(new URL('./fixtures/ts-plugin.mjs', import.meta.url));

describe.skipIf(goSkipReason() !== undefined)('interop with go-plugin v1.0.1', () => {
  let goPlugin = '';
  let goHost = '';
  const dir = mkdtempSync(join(tmpdir(), 'pw-proc-interop-'));
  beforeAll(async () => {
    [goPlugin, goHost] = await Promise.all([buildGo('proc/goplugin'), buildGo('proc/gohost')]);
    // Let the build processes' handles close so the leak baseline below is clean.
    await settle();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const goOptions = (extra: Partial<LaunchOptions>): LaunchOptions => ({
    command: goPlugin,
    handshake: { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' },
    versions: [1, 2],
    allowedProtocols: ['netrpc', 'grpc'],
    logger: recorder().logger,
    killTimeout: 10_000,
    ...extra,
  });

  describe('TypeScript host, Go plugin', () => {
    it('reads the handshake, mirrors hclog stderr and stops the plugin', async () => {
      const before = resources();
      const { logger, entries, waitFor } = recorder();
      const p = await launch(goOptions({ logger }));
      expect(p.name).toBe('proc_goplugin');
      expect(p.handshake).toMatchObject({ coreVersion: 1, protocolVersion: 2, network: 'unix', protocol: 'netrpc' });
      const address = await waitFor('plugin address');
      expect(address.level).toBe('debug');
      expect(address.fields).toMatchObject({ plugin: 'proc_goplugin', network: 'unix', address: p.handshake.address });
      expect(typeof address.fields.timestamp).toBe('string');
      await p.kill();
      // A Go plugin has no SIGTERM handler: it dies of the signal.
      expect(await p.exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(entries.some((e) => e.message === 'plugin failed to exit gracefully')).toBe(false);
      rmSync(p.handshake.address, { force: true });
      expectNoLeaks(before);
    });

    it('negotiates the version the Go plugin picks from PLUGIN_PROTOCOL_VERSIONS', async () => {
      const p = await launch(goOptions({ versions: [1] }));
      expect(p.handshake.protocolVersion).toBe(1);
      await p.kill();
      rmSync(p.handshake.address, { force: true });
      // No shared version: the Go plugin falls back to its lowest and the host refuses it.
      const err = await rejection(launch(goOptions({ versions: [3] })));
      expect(err.code).toBe('incompatible_version');
      expect(err.message).toMatch(/^incompatible API version with plugin. Plugin version: 1, Client versions: \[3\]/);
      const protocol = await rejection(launch(goOptions({ allowedProtocols: ['grpc'] })));
      expect(protocol.code).toBe('handshake');
      expect(protocol.message).toMatch(/^unsupported plugin protocol "netrpc". Supported: \[grpc\]/);
    });

    it('reports the exact cookie text of a Go plugin run with the wrong cookie', async () => {
      const raw: Buffer[] = [];
      const copy = new PassThrough().on('data', (b: Buffer) => raw.push(b));
      const err = await rejection(
        launch(goOptions({ handshake: { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'x' }, stderr: copy })),
      );
      expect(err.code).toBe('exited');
      expect(err.exitCode).toBe(1);
      expect(Buffer.concat(raw).toString()).toBe(COOKIE_MISMATCH_MESSAGE);
      expect(err.message).toContain('Please execute the program that consumes these plugins');
    });
  });

  describe('Go host, plugin speaking plugwire handshake and logging', () => {
    async function goStart(env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
      try {
        return await run(goHost, [process.execPath, TS_PLUGIN], { env: { ...process.env, FIXTURE_DIR: dir, ...env } });
      } catch (err) {
        const e = err as { stdout: string; stderr: string };
        return { stdout: e.stdout, stderr: e.stderr };
      }
    }

    it('accepts the handshake line and the negotiated version, and parses the hclog JSON stderr', async () => {
      const { stdout, stderr } = await goStart();
      const m = /^unix (\S+) netrpc 2\n$/.exec(stdout);
      expect(m, `${stdout}\n${stderr}`).not.toBeNull();
      const pid = Number(/plugin(\d+)$/.exec(m?.[1] ?? '')?.[1]);
      expect(await waitGone(pid)).toBe(true);
      // go-plugin re-logged our JSON entry at its level with its fields, and our text line at WARN.
      expect(stderr).toMatch(/\[INFO\] +plugin\.node: plugin address: .*@module=ts-plugin/);
      expect(stderr).toMatch(/versions="2 1"|versions=2 1/);
      expect(stderr).toMatch(/\[WARN\] +plugin\.node: \[WARN\] a text line/);
    });

    it('falls back to the lowest server version like a Go plugin, which the Go host then rejects', async () => {
      const { stdout } = await goStart({ FIXTURE_SERVER_VERSIONS: '5,7' });
      expect(stdout).toMatch(/^error Incompatible API version with plugin. Plugin version: 5, Client versions: \[1 2\]|^error Incompatible API version with plugin. Plugin version: 5, Client versions: \[2 1\]/);
    });

    it('is refused by its own cookie check when the Go host sends another cookie', async () => {
      const { stdout } = await goStart({ BASIC_PLUGIN: 'ignored-host-value' });
      // The Go host always sets its own cookie last, so the plugin still starts.
      expect(stdout).toMatch(/^unix /);
    });
  });
});
