// plugwire doctor, run as a user runs it, against the example plugins, Go go-plugin plugins and misbehaving ones.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goPluginVersions, goSkipReason } from '../../../test/support/go.js';
import { bin, example, fixture, foreignBinary, plugwire, root } from './support.js';

const COOKIE = ['--cookie', 'BASIC_PLUGIN=hello'];

/** Whether a process still runs. */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) throw new Error('the report has no pid');
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
const misbehaving = join(root, 'packages/process/test/fixtures/plugin.mjs');

interface Report {
  ok: boolean;
  pid?: number;
  steps: Array<{ id: string; status: string; details: string[] }>;
  stdoutBeforeHandshake: string[];
  handshake?: { protocol: string; network: string; address: string; coreVersion: number; protocolVersion: number };
  negotiatedVersion?: number;
  health?: string;
  reflection?: string | null;
  services?: Array<{ name: string; methods: string[] }>;
  stderr: Array<{ level: string; message: string }>;
  exit?: { code: number | null; signal: string | null; forced: boolean; graceful: boolean };
  diagnosis?: { cause: string; problem: string; fix: string; hostSees?: string };
}

async function doctorJson(args: string[]): Promise<{ code: number | null; report: Report }> {
  const run = await plugwire(['doctor', '--json', ...args]);
  return { code: run.code, report: JSON.parse(run.stdout) as Report };
}

describe('plugwire doctor on healthy plugins', () => {
  it('walks a TS gRPC plugin through every step, text output', async () => {
    const run = await plugwire(['doctor', ...COOKIE, '--', process.execPath, example('kv/plugin-grpc.js')]);
    expect(run.code).toBe(0);
    for (const line of [
      '✓ launch',
      '✓ stdout before the handshake',
      '✓ handshake line',
      'protocol               grpc',
      'network                unix',
      '✓ negotiated version',
      '✓ health',
      'service "plugin": SERVING',
      '✓ services',
      'reflection v1',
      'go-plugin built-ins: plugin.GRPCBroker, plugin.GRPCController, plugin.GRPCStdio, grpc.health.v1.Health',
      '✓ shutdown',
      'asked to shut down (acknowledged)',
      'exit status 0',
      'OK: a go-plugin host with these options can load this plugin.',
    ]) {
      expect(run.stdout).toContain(line);
    }
  });

  it('reports a TS netrpc plugin as JSON: Control.Ping, clean exit', async () => {
    const { code, report } = await doctorJson([...COOKIE, '--', process.execPath, example('kv/plugin-netrpc.js')]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.handshake).toMatchObject({ coreVersion: 1, protocolVersion: 1, network: 'unix', protocol: 'netrpc' });
    expect(report.negotiatedVersion).toBe(1);
    expect(report.health).toBe('PING_OK');
    expect(report.exit).toEqual({ code: 0, signal: null, forced: false, graceful: true });
    expect(report.stderr.some((e) => e.level === 'debug' && e.message === 'plugin address')).toBe(true);
    // Nothing left behind: the process is gone and its socket removed.
    expect(alive(report.pid)).toBe(false);
    expect(existsSync(report.handshake?.address as string)).toBe(false);
  });

  describe.each(goPluginVersions)('Go go-plugin $version plugins', ({ version, modern, build }) => {
    let goPlugin: string | undefined;
    beforeAll(async () => {
      if (goSkipReason() === undefined) goPlugin = await build('explugin');
    });
    it.each(['grpc', 'netrpc'])('diagnoses the Go kv plugin over %s', async (protocol) => {
      if (goPlugin === undefined) return;
      const { code, report } = await doctorJson([...COOKIE, '--', goPlugin, 'kv', protocol]);
      expect(code).toBe(0);
      expect(report.ok).toBe(true);
      expect(report.handshake?.protocol).toBe(protocol);
      expect(report.health).toBe(protocol === 'grpc' ? 'SERVING' : 'PING_OK');
      // The hclog JSON line the Go plugin logs, at its level.
      expect(report.stderr).toContainEqual(expect.objectContaining({ level: 'warn', message: 'go plugin starting' }));
      if (protocol === 'grpc' && modern) {
        // go-plugin v1.8 registers reflection: the kv service and its methods are listed.
        expect(report.reflection).toMatch(/^v1/);
        expect(report.services).toContainEqual({
          name: 'proto.KV',
          methods: ['Get(proto.GetRequest) returns (proto.GetResponse)', 'Put(proto.PutRequest) returns (proto.Empty)'],
        });
      } else if (protocol === 'grpc') {
        // go-plugin v1.0.1 registers no reflection service: said so, not failed.
        expect(report.reflection, version).toBeNull();
        expect(report.steps.find((s) => s.id === 'services')?.status).toBe('warn');
      }
      expect(report.exit?.forced).toBe(false);
    });
  });
});

describe('plugwire doctor with AutoMTLS', () => {
  it.each(['grpc', 'netrpc'])('TS %s plugin: certificate decoded, pinned, health over mutual TLS', async (protocol) => {
    const run = await plugwire(['doctor', '--auto-mtls', ...COOKIE, '--', process.execPath, example(`kv/plugin-${protocol}.js`)]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/server certificate {5}O=HashiCorp, CN=localhost; ECDSA secp521r1; valid .* SHA-256 [0-9A-F:]{95}/);
    expect(run.stdout).toContain(`|${protocol}|<certificate, `);
    expect(run.stdout).toContain('✓ AutoMTLS');
    expect(run.stdout).toContain(protocol === 'grpc' ? 'service "plugin": SERVING' : 'Control.Ping answered');
  });

  it('Go go-plugin v1.8 plugin over both protocols', async () => {
    if (goSkipReason() !== undefined) return;
    const go = await goPluginVersions.find((v) => v.modern)!.build('explugin');
    for (const protocol of ['grpc', 'netrpc']) {
      const { code, report } = await doctorJson(['--auto-mtls', ...COOKIE, '--', go, 'kv', protocol]);
      expect(code, JSON.stringify(report.diagnosis)).toBe(0);
      expect(report.steps.find((s) => s.id === 'tls')?.status).toBe('ok');
      expect(report.health).toBe(protocol === 'grpc' ? 'SERVING' : 'PING_OK');
    }
  });

  it('a plugin that prints no certificate when AutoMTLS is asked for', async () => {
    const { code, report } = await doctorJson(['--auto-mtls', ...COOKIE, '--', process.execPath, misbehaving, 'serve']);
    expect(code).toBe(1);
    expect(report.diagnosis?.cause).toBe('tls');
    expect(report.diagnosis?.problem).toContain('the plugin printed no certificate');
    expect(report.exit?.forced).toBe(false);
  });
});

describe('plugwire doctor names the cause and the fix', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plugwire-doctor-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('missing cookie: go-plugin refusal seen, --cookie suggested', async () => {
    const run = await plugwire(['doctor', '--', process.execPath, example('kv/plugin-grpc.js')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM (cookie_missing)');
    expect(run.stdout).toContain('This binary is a plugin. These are not meant to be executed directly.');
    expect(run.stdout).toContain('FIX: pass the host\'s cookie with --cookie KEY=VALUE');
  });

  it('wrong cookie', async () => {
    const { code, report } = await doctorJson(['--cookie', 'BASIC_PLUGIN=nope', '--', process.execPath, example('kv/plugin-netrpc.js')]);
    expect(code).toBe(1);
    expect(report.diagnosis?.cause).toBe('cookie_mismatch');
    expect(report.diagnosis?.problem).toContain('BASIC_PLUGIN=nope');
  });

  it('names the variable the plugin wants when its stderr tells, and works once given', async () => {
    const { report } = await doctorJson(['--', process.execPath, fixture('cookie-hint.mjs')]);
    expect(report.diagnosis?.cause).toBe('cookie_missing');
    expect(report.diagnosis?.fix).toContain('--cookie MYAPP_PLUGIN_COOKIE=<value>');
    const fixed = await doctorJson(['--cookie', 'MYAPP_PLUGIN_COOKIE=secret', '--', process.execPath, fixture('cookie-hint.mjs')]);
    expect(fixed.report.ok).toBe(true);
  });

  it('hang: timed out, process stopped', async () => {
    const { code, report } = await doctorJson([...COOKIE, '--timeout', '1000', '--', process.execPath, misbehaving, 'hang']);
    expect(code).toBe(1);
    expect(report.diagnosis?.cause).toBe('timeout');
    expect(report.diagnosis?.problem).toContain('no handshake line on stdout within 1000 ms');
    expect(report.exit?.signal ?? report.exit?.code).not.toBeUndefined();
    expect(alive(report.pid)).toBe(false);
  });

  it('exit 3: the status and the last stderr lines', async () => {
    const run = await plugwire(['doctor', ...COOKIE, '--', process.execPath, misbehaving, 'exit3']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM (exited): the plugin exited before printing its handshake line (exit status 3)');
    expect(run.stdout).toContain('[ERROR] cannot open database /nonexistent');
  });

  it('garbage on stdout: not a plugin, with go-plugin\'s message', async () => {
    const { report } = await doctorJson([...COOKIE, '--timeout', '1500', '--', process.execPath, misbehaving, 'garbage']);
    expect(report.diagnosis?.cause).toBe('not_a_plugin');
    // The fixture prints 1000 lines that are no handshake; the doctor keeps those a host reads before giving up.
    expect(report.stdoutBeforeHandshake?.slice(0, 2)).toEqual(['hello, I am not a plugin', 'noise 1']);
    expect(report.diagnosis?.hostSees).toContain('Unrecognized remote plugin message: hello, I am not a plugin');
  });

  it('stdout noise before a real handshake: found, and the rest still checked', async () => {
    const run = await plugwire(['doctor', ...COOKIE, '--', process.execPath, fixture('noisy-plugin.mjs')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ stdout before the handshake');
    expect(run.stdout).toContain('"kv plugin v1.2.0 starting"');
    expect(run.stdout).toContain('PROBLEM (stdout_noise)');
    expect(run.stdout).toContain('Unrecognized remote plugin message: kv plugin v1.2.0 starting');
    expect(run.stdout).toContain('write logs and banners to stderr');
    // The plugin behind the noise still answered.
    expect(run.stdout).toContain('service "plugin": SERVING');
  });

  it('protocol not allowed', async () => {
    const { code, report } = await doctorJson([...COOKIE, '--protocols', 'netrpc', '--', process.execPath, example('kv/plugin-grpc.js')]);
    expect(code).toBe(1);
    expect(report.diagnosis?.cause).toBe('protocol_not_allowed');
    expect(report.diagnosis?.hostSees).toContain('unsupported plugin protocol "grpc". Supported: [netrpc]');
    expect(report.exit?.forced).toBe(false);
  });

  it('version mismatch', async () => {
    const { report } = await doctorJson([...COOKIE, '--versions', '2,3', '--', process.execPath, example('kv/plugin-netrpc.js')]);
    expect(report.diagnosis?.cause).toBe('version_mismatch');
    expect(report.diagnosis?.hostSees).toContain('incompatible API version with plugin. Plugin version: 1, Client versions: [2 3]');
  });

  it.each(['grpc', 'netrpc'])('a process that prints a handshake but does not speak %s: unhealthy, stopped', async (protocol) => {
    const { code, report } = await doctorJson([...COOKIE, '--env', `FIXTURE_PROTOCOL=${protocol}`, '--', process.execPath, misbehaving, 'serve']);
    expect(code).toBe(1);
    expect(report.diagnosis?.cause).toBe('unhealthy');
    expect(report.diagnosis?.problem).toContain('no answer within 5000 ms');
    expect(report.health).toBe('FAILED');
    expect(report.exit).toMatchObject({ code: 0, forced: false });
    expect(alive(report.pid)).toBe(false);
  });

  it('not executable', async () => {
    const file = join(dir, 'plugin.mjs');
    copyFileSync(example('kv/plugin-grpc.js'), file);
    chmodSync(file, 0o644);
    const run = await plugwire(['doctor', ...COOKIE, '--', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM (not_executable)');
    expect(run.stdout).toContain(`FIX: make it executable: chmod +x ${file}`);
  });

  it('not found', async () => {
    const { report } = await doctorJson(['--', join(dir, 'no-such-plugin')]);
    expect(report.diagnosis?.cause).toBe('not_found');
  });

  it('a binary for another architecture: read from its ELF header', async () => {
    const foreign = await foreignBinary();
    if (foreign === undefined) return;
    const run = await plugwire(['doctor', ...COOKIE, '--', foreign]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM (wrong_architecture)');
    expect(run.stdout).toMatch(/ELF architecture: (AArch64 \(arm64\)|x86-64 \(amd64\)) \(current architecture: /);
    expect(run.stdout).toContain('FIX: rebuild the plugin for linux/');
  });
});

describe('plugwire doctor interrupted', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s stops the plugin too, even one that ignores SIGINT', async (sig) => {
    const dir = mkdtempSync(join(tmpdir(), 'plugwire-int-'));
    const pidFile = join(dir, 'pid');
    try {
      const child = spawn(bin, ['doctor', ...COOKIE, '--timeout', '60000', '--env', `PID_FILE=${pidFile}`, '--', process.execPath, fixture('hang-pid.mjs')], {
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal === null ? code : -1)));
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await new Promise((r) => setTimeout(r, 50));
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(pid)).toBe(true);
      child.kill(sig);
      await exited;
      // The plugin goes with the command (the process package's manage() kills it, then re-raises the signal).
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      expect(alive(pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plugwire command line', () => {
  it('runs through npx in the workspace, as a user runs it', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'plugwire', '--help'], { cwd: root });
    expect(stdout).toContain('Usage: plugwire <command> [options]');
    expect(stdout).toMatch(/doctor\s+launch a plugin as a go-plugin host would/);
  });

  it('--help on every command, exit status 2 on a usage error', async () => {
    for (const command of ['doctor']) {
      const run = await plugwire([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: plugwire ${command}`);
      expect(run.stdout).toContain('Exit status');
    }
    const bad = await plugwire(['doctor', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--bogus'");
    const none = await plugwire(['doctor']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give the plugin command after --');
  });
});
