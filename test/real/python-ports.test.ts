// The Python ports of go-plugin as peers, unmodified from PyPI (pinned in test/real/python/requirements.txt):
// python-plugin (`pyplugin`, grpclib) and pyvider-rpcplugin (`pyvider.rpcplugin`, grpcio). Each port's host loads
// plugwire's TypeScript kv plugin, plugwire's host loads each port's kv plugin, and each port talks to itself for
// reference, all over gRPC on go-plugin's kv example (BASIC_PLUGIN=hello, version 1).
//
// Where a port departs from go-plugin, the test says so rather than bending plugwire:
// - pyvider-rpcplugin takes the magic cookie from its own environment (PLUGIN_MAGIC_COOKIE_KEY/_VALUE), not from
//   code; its host and plugin run with those set (pyvider_kv.py sets them to BASIC_PLUGIN=hello).
// - pyplugin's host counts a Shutdown RPC whose connection drops as a failed graceful exit and sends SIGTERM. A
//   plugin that stops its server inside Shutdown (go-plugin's and plugwire's both do) drops it; the plugin has
//   already begun exiting, so the result is the same.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@plugwire/plugin';
import { handshake, kv as kvPlugin, type KV } from '../../examples/src/kv/definition.js';
import { alive, nodePlugin, recordingLogger, runCommand } from '../../examples/test/support.js';
import { buildGoModern } from '../support/go.js';
import { ensureVenv, findModuleGo, findPython, repoRoot, skipUnlessAvailable, type Venv } from './setup.js';

const skip = skipUnlessAvailable(
  'the Python ports test',
  !(await findPython()) ? 'Python 3.11+' : !(await findModuleGo()) ? 'Go 1.26 (go-plugin v1.8 reference plugin)' : undefined,
);

/** What a port's kv host script prints. */
interface HostResult {
  get: string;
  protocol_version: number;
  network: string;
  tls: boolean;
  pid: number;
}

const ports = [
  { name: 'python-plugin (pyplugin) 0.1.0', script: 'pyplugin_kv.py', mtlsHost: true },
  { name: 'pyvider-rpcplugin 0.5.5', script: 'pyvider_kv.py', mtlsHost: false },
] as const;

describe.skipIf(skip)('Python ports of go-plugin ↔ plugwire (gRPC, kv)', () => {
  let venv: Venv;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    venv = await ensureVenv();
    env = { ...process.env, PYTHONPATH: venv.gen };
  }, 20 * 60_000);

  const script = (file: string) => join(repoRoot, 'test/real/python', file);

  function runPythonHost(file: string, plugin: readonly string[], mtls: boolean, extraEnv: Record<string, string> = {}) {
    return runCommand(venv.python, [script(file), 'host', ...(mtls ? [] : ['--no-mtls']), '--', ...plugin], { ...env, ...extraEnv }, 120_000);
  }

  /** pyvider's connection retries, shortened where the test expects the connection to fail (default: 3 × 10 s). */
  const failFast = { PLUGIN_CHANNEL_READY_TIMEOUT: '3', PLUGIN_CLIENT_MAX_RETRIES: '1', PLUGIN_CLIENT_RETRY_TOTAL_TIMEOUT_S: '5' };

  async function pythonHost(file: string, plugin: readonly string[], mtls: boolean): Promise<HostResult> {
    const r = await runPythonHost(file, plugin, mtls);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').pop()!;
    return JSON.parse(line) as HostResult;
  }

  for (const port of ports) {
    describe(port.name, () => {
      it('its host loads the TypeScript kv plugin (plaintext)', async () => {
        const ts = nodePlugin('kv/plugin-grpc.js');
        const result = await pythonHost(port.script, [ts.command, ...ts.args], false);
        expect(result).toMatchObject({ get: 'world', protocol_version: 1, network: 'unix', tls: false });
        expect(alive(result.pid)).toBe(false);
      });

      if (port.mtlsHost) {
        it('its host with AutoMTLS on (its default) loads the TypeScript kv plugin over mutual TLS', async () => {
          // The host passes PLUGIN_CLIENT_CERT; plugwire's serve() answers with its own certificate on the
          // handshake line and serves mutual TLS, which the port dials.
          const ts = nodePlugin('kv/plugin-grpc.js');
          const result = await pythonHost(port.script, [ts.command, ...ts.args], true);
          expect(result).toMatchObject({ get: 'world', protocol_version: 1, tls: true });
          expect(alive(result.pid)).toBe(false);
        });
      } else {
        it('its host with AutoMTLS on fails the TLS handshake with the TypeScript plugin, as with go-plugin v1.8 (a pyvider deviation)', async () => {
          // pyvider's AutoMTLS host is refused by go-plugin's own plugins too (the next test: go-plugin v1.8's kv
          // plugin gives the same "SSLV3_ALERT_HANDSHAKE_FAILURE ... Invalid certificate verification context"),
          // while its host and plugin agree with each other. plugwire follows go-plugin here.
          const ts = nodePlugin('kv/plugin-grpc.js');
          const r = await runPythonHost(port.script, [ts.command, ...ts.args], true, failFast);
          expect(r.code).not.toBe(0);
          expect(r.stderr).toContain('SSLV3_ALERT_HANDSHAKE_FAILURE');
        }, 180_000);
      }

      it(`its host with AutoMTLS on and go-plugin v1.8's own kv plugin: ${port.mtlsHost ? 'mutual TLS' : 'the same handshake failure'} (reference)`, async () => {
        const goPlugin = await buildGoModern('explugin');
        if (port.mtlsHost) {
          const result = await pythonHost(port.script, [goPlugin, 'kv', 'grpc'], true);
          expect(result).toMatchObject({ get: 'world', protocol_version: 1, tls: true });
        } else {
          const r = await runPythonHost(port.script, [goPlugin, 'kv', 'grpc'], true, failFast);
          expect(r.code).not.toBe(0);
          expect(r.stderr).toContain('SSLV3_ALERT_HANDSHAKE_FAILURE');
        }
      }, 180_000);

      for (const autoMTLS of [false, true]) {
      it(`plugwire's host loads its kv plugin (AutoMTLS ${autoMTLS ? 'on' : 'off'})`, async () => {
        const logger = recordingLogger();
        const client = new Client({
          autoMTLS,
          handshake,
          plugins: { kv: kvPlugin },
          allowedProtocols: ['grpc'],
          cmd: { command: venv.python, args: [script(port.script), 'plugin'], env: { PYTHONPATH: venv.gen } },
          logger,
        });
        let pid = 0;
        try {
          const kv: KV = await client.dispense('kv');
          pid = client.reattachConfig()!.pid;
          expect(client.protocol()).toBe('grpc');
          await kv.put('hello', new TextEncoder().encode('from plugwire'));
          expect(new TextDecoder().decode(await kv.get('hello'))).toBe('from plugwire');
          expect(new TextDecoder().decode(await kv.get('missing'))).toBe('');
          await client.ping();
        } finally {
          await client.kill();
        }
        expect(client.exited()).toBe(true);
        expect(pid).toBeGreaterThan(0);
        expect(alive(pid)).toBe(false);
      });
      }

      for (const mtls of [false, true]) {
        it(`its host loads its own plugin (reference for the bench, AutoMTLS ${mtls ? 'on' : 'off'})`, async () => {
          const result = await pythonHost(port.script, [venv.python, script(port.script), 'plugin'], mtls);
          expect(result).toMatchObject({ get: 'world', protocol_version: 1, tls: mtls });
        });
      }
    });
  }

  it('the venv holds the pinned, unmodified releases', async () => {
    const r = await runCommand(venv.python, ['-c', "import importlib.metadata as m; print(m.version('python-plugin'), m.version('pyvider-rpcplugin'))"], env);
    expect(r.stdout.trim()).toBe('0.1.0 0.5.5');
  });
});
