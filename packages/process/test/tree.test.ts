// No orphans: kill() takes the plugin's whole process tree (wrapper scripts, children), and a host that dies, even by
// SIGKILL, takes its plugins with it, Go plugins included.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { launch } from '../src/launch.js';
import { findSetpriv } from '../src/tree.js';
import { FIXTURE, options, pidGone, recorder, waitGone } from './helpers.js';

const HOST = fileURLToPath(new URL('./fixtures/host-die.mts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'pw-tree-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function pids(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').map(Number);
}

/** A shell script that runs the fixture as its child (no exec), as a wrapper would. */
function wrapper(name: string): string {
  const file = join(scratch, name);
  writeFileSync(file, `#!/bin/sh\n"${process.execPath}" "${FIXTURE}" "$@"\necho wrapper done >&2\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('kill() takes the whole process tree', () => {
  it.each(['SIGTERM step', 'SIGKILL step'] as const)('a plugin behind a shell wrapper, with children (%s)', async (how) => {
    const pidfile = join(scratch, `pids-${how.split(' ')[0]}`);
    const { logger } = recorder();
    const p = await launch({
      ...options(how === 'SIGTERM step' ? 'serve' : 'stubborn', logger, { killTimeout: 300 }),
      command: wrapper(`wrap-${how.split(' ')[0]}.sh`),
      args: [how === 'SIGTERM step' ? 'serve' : 'stubborn'],
      env: { FIXTURE_PIDFILE: pidfile, FIXTURE_CHILDREN: '2' },
    });
    const tree = pids(pidfile);
    expect(tree).toHaveLength(3);
    for (const pid of [p.pid, ...tree]) expect(pidGone(pid)).toBe(false);
    await p.kill();
    for (const pid of [p.pid, ...tree]) expect(await waitGone(pid)).toBe(true);
  });

  it('abort() takes the tree too', async () => {
    const pidfile = join(scratch, 'pids-abort');
    const { logger } = recorder();
    const p = await launch({ ...options('serve', logger), env: { FIXTURE_PIDFILE: pidfile, FIXTURE_CHILDREN: '2' } });
    const tree = pids(pidfile);
    p.abort();
    await p.close();
    for (const pid of tree) expect(await waitGone(pid)).toBe(true);
  });

  it('keeps passing the host stdin to the plugin (same pid: setpriv execs it in place)', async () => {
    const { logger } = recorder();
    const pidfile = join(scratch, 'pids-stdin');
    const p = await launch({ ...options('serve', logger), env: { FIXTURE_PIDFILE: pidfile } });
    expect(pids(pidfile)).toEqual([p.pid]);
    // fd 0 of the plugin is the host's fd 0.
    const { readlinkSync } = await import('node:fs');
    expect(readlinkSync(`/proc/${p.pid}/fd/0`)).toBe(readlinkSync('/proc/self/fd/0'));
    await p.kill();
  });
});

async function hostThenDie(spec: { command: string; args?: string[]; env?: Record<string, string> }): Promise<{ pid: number; network: string; address: string }> {
  const host = spawn(process.execPath, ['--import', 'tsx', HOST, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: host.stdout! }), 'line')) as [string];
  const [, pid, network, address] = line.split(' ');
  expect(pidGone(Number(pid))).toBe(false);
  host.kill('SIGKILL');
  await once(host, 'exit');
  return { pid: Number(pid), network: network!, address: address! };
}

describe.skipIf(process.platform !== 'linux')('a SIGKILLed host takes its plugins with it', () => {
  beforeAll(() => {
    if (findSetpriv() === undefined) throw new Error('setpriv (util-linux) is missing: apt-get install -y util-linux');
  });

  it('a Node plugin that does not watch its parent', async () => {
    const plugin = await hostThenDie({ command: process.execPath, args: [FIXTURE, 'stubborn'] });
    expect(await waitGone(plugin.pid)).toBe(true);
  });

  describe.skipIf(goSkipReason() !== undefined)('Go', () => {
    let goPlugin = '';
    beforeAll(async () => {
      goPlugin = await buildGo('proc/goplugin');
    });

    it('a go-plugin v1.0.1 plugin (its socket file stays: nothing is left alive to remove it)', async () => {
      const plugin = await hostThenDie({ command: goPlugin });
      expect(await waitGone(plugin.pid)).toBe(true);
      expect(plugin.network).toBe('unix');
      // Go's plugin removes its socket only on a graceful exit; SIGKILL leaves it, and the host is dead too.
      expect(existsSync(plugin.address)).toBe(true);
      rmSync(plugin.address, { force: true });
    });

    it('the host removes the socket of a Go plugin that was SIGKILLed while the host lives', async () => {
      const { logger } = recorder();
      const p = await launch({
        command: goPlugin,
        handshake: { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' },
        versions: [1, 2],
        allowedProtocols: ['netrpc'],
        logger,
      });
      expect(existsSync(p.handshake.address)).toBe(true);
      p.abort();
      await p.close();
      expect(existsSync(p.handshake.address)).toBe(false);
    });
  });
});
