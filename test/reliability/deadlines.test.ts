// Every call can end: a plugin that accepted the connection but never answers fails the connect deadline, a call
// without a signal ends at the Client's callTimeout, and a frozen plugin is found out by the liveness check.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Client, PluginError, silentLogger, type ClientOptions } from '@plugwire/plugin';
import { handshake, kv as kvDefinition } from '../../examples/src/kv/definition.js';

const kvFixture = join(import.meta.dirname, '../../examples/test/fixtures/misbehaving-kv.mjs');
// Prints a handshake line and accepts connections on its socket, but never says a word on them.
const silentFixture = fileURLToPath(new URL('../../packages/process/test/fixtures/plugin.mjs', import.meta.url));

type Options = ClientOptions<{ kv: typeof kvDefinition }>;

async function failure(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe.each(['grpc', 'netrpc'] as const)('deadlines and liveness over %s', (proto) => {
  const client = (extra: Partial<Options>): Client<{ kv: typeof kvDefinition }> =>
    new Client({
      handshake,
      plugins: { kv: kvDefinition },
      cmd: { command: process.execPath, args: [kvFixture, proto] },
      allowedProtocols: [proto],
      logger: silentLogger,
      ...extra,
    });

  it('a plugin that accepted the connection but never answers fails dispense with timeout (connectTimeout)', async () => {
    const c = client({
      cmd: { command: process.execPath, args: [silentFixture, 'serve'], env: { FIXTURE_PROTOCOL: proto } },
      connectTimeout: 500,
    });
    try {
      const err = await failure(c.dispense('kv'));
      expect(err.code).toBe('timeout');
      expect(err.message).toMatch(/never answered/);
    } finally {
      await c.kill();
    }
  });

  it('a call without a signal ends at callTimeout while other calls go on', async () => {
    const c = client({ callTimeout: 300 });
    try {
      const kv = await c.dispense('kv');
      const err = await failure(kv.get('hang'));
      expect(err.code).toBe('timeout');
      expect(err.message).toMatch(/callTimeout/);
      await kv.put('k', new Uint8Array([7]));
      expect([...(await kv.get('k'))]).toEqual([7]);
    } finally {
      await c.kill();
    }
  });

  it('a frozen plugin is found out by the liveness check: pending calls fail saying it stopped answering', async () => {
    const c = client({ livenessInterval: 200, livenessTimeout: 300 });
    try {
      const kv = await c.dispense('kv');
      await kv.put('k', new Uint8Array([1]));
      process.kill(c.reattachConfig()!.pid, 'SIGSTOP');
      const err = await failure(kv.get('k'));
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/stopped answering/);
    } finally {
      await c.kill();
    }
  });
});
