// Real go-plugin hosts (v1.0.1 and v1.8, test/go/src/exhost) launching a KV plugin served by this package's gRPC
// server core (test/fixtures/kv-plugin.ts): handshake, health-check ping, dispense, Put/Get of 0 B, 1 KiB and 4 MiB
// values, and Kill through Controller.Shutdown, after which the plugin process exits by itself.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildGo, buildGoModern, goSkipReason } from '../../../test/support/go.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const plugin = [process.execPath, '--import', 'tsx', join(root, 'packages/h2/test/fixtures/kv-plugin.ts')];

const hosts: [string, () => Promise<string>][] = [
  ['go-plugin v1.0.1', () => buildGo('exhost')],
  ['go-plugin v1.8', () => buildGoModern('exhost')],
];

describe.skipIf(goSkipReason() !== undefined).each(hosts)('%s host → TS plugin on the h2 gRPC server core', (_name, build) => {
  it('shakes hands, pings, dispenses, puts and gets up to 4 MiB, and kills the plugin through Shutdown', async () => {
    const host = await build();
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
      execFile(host, ['kv', 'grpc', ...plugin], { cwd: root, timeout: 60_000, maxBuffer: 16 << 20 }, (_err, stdout, stderr) => resolve({ stdout, stderr })),
    );
    const steps = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const why = `${stdout}\n${stderr.slice(-4000)}`;
    expect(steps.find((s) => s.error), why).toBeUndefined();
    expect(steps.find((s) => s.step === 'started'), why).toMatchObject({ network: 'unix', protocol: 'grpc' });
    expect(steps.some((s) => s.step === 'ping'), why).toBe(true);
    const putget = steps.filter((s) => s.step === 'putget');
    expect(putget.map((s) => [s.size, s.same]), why).toEqual([
      [0, true],
      [1024, true],
      [4 << 20, true],
    ]);
    expect(steps.find((s) => s.step === 'killed'), why).toMatchObject({ exited: true });
    // The plugin left through Controller.Shutdown (exit status 0), not a kill signal.
    const exited = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['@message'] === 'plugin process exited');
    expect(exited, why).toBeDefined();
    expect(JSON.stringify(exited)).not.toMatch(/signal: killed/);
  }, 90_000);
});
