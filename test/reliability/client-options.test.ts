// The Client passes go-plugin's remaining host options down: a runner hook (RunnerFunc) and discover().
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, discover, silentLogger } from '@plugwire/plugin';
import { handshake, kv as kvDefinition } from '../../examples/src/kv/definition.js';

const fixtures = join(import.meta.dirname, '../../examples/test/fixtures');

describe('Client host options', () => {
  it('starts the plugin through a runner and uses it as usual', async () => {
    const [fixture] = await discover('misbehaving-*.mjs', fixtures);
    const started: string[] = [];
    const client = new Client({
      handshake,
      plugins: { kv: kvDefinition },
      cmd: { command: process.execPath, args: [fixture!, 'netrpc'] },
      allowedProtocols: ['netrpc'],
      logger: silentLogger,
      runner: (spec) => {
        started.push(spec.command);
        return spawn(spec.command, [...spec.args], { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
      },
    });
    try {
      const store = await client.dispense('kv');
      await store.put('k', new Uint8Array([5]));
      expect([...(await store.get('k'))]).toEqual([5]);
      expect(started).toEqual([process.execPath]);
    } finally {
      await client.kill();
    }
    expect(client.exited()).toBe(true);
  });
});
