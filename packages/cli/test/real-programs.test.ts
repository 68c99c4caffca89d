// plugwire doctor and call on plugins nobody wrote for plugwire: HashiCorp's terraform-provider-time (go-plugin,
// AutoMTLS, protocol 5) and a Python plugin on the python-plugin port (pyplugin), both unmodified releases.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTimeProvider, ensureVenv, findModuleGo, findPython, repoRoot, skipUnlessAvailable } from '../../../test/real/setup.js';
import type { Venv } from '../../../test/real/setup.js';
import { plugwire } from './support.js';

const TF_COOKIE = 'TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

describe('plugwire doctor on terraform-provider-time', () => {
  let provider: string | undefined;
  beforeAll(async () => {
    if (!skipUnlessAvailable('the Terraform provider doctor test', (await findModuleGo()) ? undefined : 'Go 1.21+')) provider = await ensureTimeProvider();
  }, 900_000);

  it('with AutoMTLS: the certificate, health and tfplugin5.Provider\'s methods', async () => {
    if (provider === undefined) return;
    const run = await plugwire(['doctor', '--auto-mtls', '--versions', '5,6', '--protocols', 'grpc', '--cookie', TF_COOKIE, '--', provider]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('app protocol version   5');
    expect(run.stdout).toContain('✓ AutoMTLS');
    expect(run.stdout).toContain('tfplugin5.Provider');
    expect(run.stdout).toContain('GetSchema(tfplugin5.GetProviderSchema.Request) returns (tfplugin5.GetProviderSchema.Response)');
    expect(run.stdout).toContain('[INFO] configuring server automatic mTLS');
  });

  it('without the cookie: go-plugin\'s refusal, and the fix', async () => {
    if (provider === undefined) return;
    const run = await plugwire(['doctor', '--', provider]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM (cookie_missing)');
  });
});

describe('plugwire on a Python plugin (python-plugin)', () => {
  let venv: Venv | undefined;
  beforeAll(async () => {
    if (!skipUnlessAvailable('the Python plugin doctor test', (await findPython()) ? undefined : 'Python 3.11+')) venv = await ensureVenv();
  }, 900_000);
  const plugin = () => [venv!.python, join(repoRoot, 'test/real/python/pyplugin_kv.py'), 'plugin'];

  it('doctor: health, and proto.KV through reflection', async () => {
    if (venv === undefined) return;
    const run = await plugwire(['doctor', '--cookie', 'BASIC_PLUGIN=hello', '--env', `PYTHONPATH=${venv.gen}`, '--', ...plugin()]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('service "plugin": SERVING');
    expect(run.stdout).toContain('Put(proto.PutRequest) returns (proto.Empty)');
  });

  it('call: Put then Get through reflection', async () => {
    if (venv === undefined) return;
    const run = await plugwire([
      'call', '--cookie', 'BASIC_PLUGIN=hello', '--env', `PYTHONPATH=${venv.gen}`, '--', ...plugin(),
      'proto.KV/Put', '{"key":"py","value":"aGk="}', 'proto.KV/Get', '{"key":"py"}',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('{}\n{\n  "value": "aGk="\n}\n');
  });
});
