// A real host drives a TypeScript plugin: OpenTofu (built unmodified from its Go module) runs init, plan, apply,
// a no-change plan and destroy against the example provider written with plugwire (examples/src/terraform),
// started by the test in debug mode and handed to tofu through TF_REATTACH_PROVIDERS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, nodePlugin, runCommand } from '../../examples/test/support.js';
import { ensureTofu, findModuleGo, OPENTOFU, skipUnlessAvailable } from './setup.js';

const skip = skipUnlessAvailable(`the OpenTofu test (${OPENTOFU.module}@${OPENTOFU.version})`, (await findModuleGo()) ? undefined : 'Go 1.21+');
const ADDRESS = 'registry.opentofu.org/plugwire/plugwire';

/** Starts the TypeScript provider in debug mode and returns it with its TF_REATTACH_PROVIDERS value and its log. */
async function startProvider(): Promise<{ child: ChildProcess; reattach: string; log: () => string }> {
  const { command, args } = nodePlugin('terraform/provider.js');
  const child = spawn(command, [...args, '--debug'], { env: { ...process.env, PLUGWIRE_PROVIDER_ADDRESS: ADDRESS }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const reattach = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the provider exited (${code}) before printing TF_REATTACH_PROVIDERS`)));
    lines.on('line', (line) => {
      const m = /^TF_REATTACH_PROVIDERS='(.*)'$/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { child, reattach, log: () => log };
}

describe.skipIf(skip)(`OpenTofu ${OPENTOFU.version} (real host) → TypeScript provider (plugwire, tfplugin5, reattach)`, () => {
  let tofu: string;
  let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
  let work: string;

  beforeAll(async () => {
    tofu = await ensureTofu();
    work = mkdtempSync(join(tmpdir(), 'plugwire-tofu-'));
  }, 45 * 60_000);

  afterAll(async () => {
    if (provider && provider.child.exitCode === null) {
      provider.child.kill('SIGTERM');
      await new Promise((resolve) => provider!.child.once('exit', resolve));
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('init, plan and apply create the file; state records it; a second plan has no changes; destroy removes it', async () => {
    provider = await startProvider();
    const reattach = JSON.parse(provider.reattach) as Record<string, { Protocol: string; ProtocolVersion: number; Pid: number }>;
    expect(reattach[ADDRESS]).toMatchObject({ Protocol: 'grpc', ProtocolVersion: 5, Pid: provider.child.pid });

    const target = join(work, 'hello.txt');
    const configure = (text: string) => writeFileSync(
      join(work, 'main.tf'),
      `terraform {
  required_providers {
    plugwire = { source = "${ADDRESS}" }
  }
}

resource "plugwire_file" "greeting" {
  path    = "\${abspath(path.module)}/hello.txt"
  content = "${text}"
}

output "id" {
  value = plugwire_file.greeting.id
}
`,
    );
    configure('hello from tofu, through plugwire');
    const cliConfig = join(work, 'tofurc');
    writeFileSync(cliConfig, '');
    const env = {
      ...process.env,
      TF_REATTACH_PROVIDERS: provider.reattach,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
    };
    const tf = async (...args: string[]) => {
      const r = await runCommand('sh', ['-c', `cd "$0" && exec "$@"`, work, tofu, ...args], env, 5 * 60_000);
      return { ...r, output: `${r.stdout}${r.stderr}\nprovider log:\n${provider!.log()}` };
    };

    const version = await tf('version');
    expect(version.stdout).toContain(`OpenTofu ${OPENTOFU.version}`);

    const init = await tf('init', '-input=false', '-no-color');
    expect(init.code, init.output).toBe(0);

    const plan = await tf('plan', '-input=false', '-no-color', '-out=tfplan');
    expect(plan.code, plan.output).toBe(0);
    expect(plan.stdout).toContain('plugwire_file.greeting will be created');
    expect(plan.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');

    const apply = await tf('apply', '-input=false', '-no-color', 'tfplan');
    expect(apply.code, apply.output).toBe(0);
    expect(apply.stdout).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');

    const content = 'hello from tofu, through plugwire';
    const id = createHash('sha256').update(content).digest('hex');
    expect(readFileSync(target, 'utf8')).toBe(content);
    const state = JSON.parse(readFileSync(join(work, 'terraform.tfstate'), 'utf8')) as {
      outputs: Record<string, { value: unknown }>;
      resources: Array<{ type: string; name: string; provider: string; instances: Array<{ schema_version: number; attributes: Record<string, unknown> }> }>;
    };
    expect(state.outputs.id?.value).toBe(id);
    expect(state.resources).toHaveLength(1);
    expect(state.resources[0]).toMatchObject({ type: 'plugwire_file', name: 'greeting', provider: `provider["${ADDRESS}"]` });
    expect(state.resources[0]!.instances[0]).toMatchObject({ schema_version: 0, attributes: { path: target, content, id } });

    // With state: tofu upgrades and reads the resource through the provider, and plans no change.
    const again = await tf('plan', '-input=false', '-no-color', '-detailed-exitcode');
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toContain('No changes.');

    // An edit of the content is planned and applied in place.
    configure('changed by tofu');
    const update = await tf('apply', '-auto-approve', '-input=false', '-no-color');
    expect(update.code, update.output).toBe(0);
    expect(update.stdout).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(readFileSync(target, 'utf8')).toBe('changed by tofu');

    const destroy = await tf('destroy', '-auto-approve', '-input=false', '-no-color');
    expect(destroy.code, destroy.output).toBe(0);
    expect(destroy.stdout).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(existsSync(target)).toBe(false);

    // tofu never owned the reattached provider: it is still running until the test stops it.
    const pid = provider.child.pid!;
    expect(alive(pid)).toBe(true);
    provider.child.kill('SIGTERM');
    const code = await new Promise((resolve) => provider!.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(alive(pid)).toBe(false);
  });
});
