// Codes tell the truth: calls lost because the plugin process died say `exited`, on both protocols, whether they
// were in flight when it died or started after the host saw the exit.
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/plugin';
import { misbehavingKvClient } from './support.js';


describe.each(['grpc', 'netrpc'] as const)('a plugin SIGKILLed under %s', (proto) => {
  it('rejects every call in flight with exited, and later calls and ping with exited too', async () => {
    const client = misbehavingKvClient(proto);
    try {
      const kv = await client.dispense('kv');
      await kv.put('k', new Uint8Array([1]));
      const inflight = Array.from({ length: 20 }, () => kv.get('hang').then(() => undefined, (e: unknown) => e));
      // Let the calls reach the plugin before it dies.
      await kv.get('k');
      process.kill(client.reattachConfig()!.pid, 'SIGKILL');
      const errors = await Promise.all(inflight);
      for (const err of errors) {
        expect(err).toBeInstanceOf(PluginError);
        expect((err as PluginError).code).toBe('exited');
      }
      await expect.poll(() => client.exited()).toBe(true);
      const later = (await kv.get('k').catch((e: unknown) => e)) as PluginError;
      expect(later).toBeInstanceOf(PluginError);
      expect(later.code).toBe('exited');
      const ping = (await client.ping().catch((e: unknown) => e)) as PluginError;
      expect(ping.code).toBe('exited');
    } finally {
      await client.kill();
    }
  });
});
