// A burst of cancelled calls must not wedge or reset the connection: 5,000 concurrent calls, each with a signal that
// fires after 0..5 ms, then the same Client must still answer (on both protocols), with no unhandled rejection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/plugin';
import { misbehavingKvClient } from './support.js';

const BURST = 5_000;

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe.each(['grpc', 'netrpc'] as const)('a burst of %s calls cancelled by their signals', (proto) => {
  it(`leaves the connection working after ${BURST} cancellations`, async () => {
    const client = misbehavingKvClient(proto);
    try {
      const kv = await client.dispense('kv');
      await kv.put('k', new Uint8Array([42]));
      const outcomes = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          kv.get('k', { signal: AbortSignal.timeout(i % 6) }).then(
            () => 'ok',
            (err: unknown) => (err instanceof PluginError ? err.code : 'untyped'),
          ),
        ),
      );
      // Every call ended either with its answer or by its own signal (a timeout signal says timeout): none was lost to
      // a reset connection.
      expect(outcomes.filter((o) => o !== 'ok' && o !== 'aborted' && o !== 'timeout')).toEqual([]);
      // The same connection still answers, without a signal to rescue a hang (the test's own timeout would fail it).
      for (let i = 0; i < 20; i++) expect([...(await kv.get('k'))]).toEqual([42]);
      await client.ping();
      expect(unhandled).toEqual([]);
    } finally {
      await client.kill();
    }
  });

  it('loses no call to a reset connection when 32 callers keep cancelling', async () => {
    const client = misbehavingKvClient(proto);
    try {
      const kv = await client.dispense('kv');
      await kv.put('k', new Uint8Array([42]));
      const outcomes = new Map<string, number>();
      let left = BURST;
      await Promise.all(
        Array.from({ length: 32 }, async (_, worker) => {
          for (let i = worker; left-- > 0; i++) {
            const outcome = await kv.get('k', { signal: AbortSignal.timeout(i % 6) }).then(
              () => 'ok',
              (err: unknown) => (err instanceof PluginError ? err.code : 'untyped'),
            );
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          }
        }),
      );
      expect([...outcomes.keys()].filter((o) => o !== 'ok' && o !== 'aborted' && o !== 'timeout')).toEqual([]);
      expect([...(await kv.get('k'))]).toEqual([42]);
      expect(unhandled).toEqual([]);
    } finally {
      await client.kill();
    }
  });
});
