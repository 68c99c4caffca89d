import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { sessionPair, readAll, timerCount } from '@plugwire/yamux/testing';
import { createMuxBroker, encodeBrokerId } from '../src/index.js';

async function brokers(acceptTimeout?: number) {
  const p = await sessionPair();
  const opts = acceptTimeout === undefined ? {} : { acceptTimeout };
  const host = createMuxBroker(p.client, opts);
  const plugin = createMuxBroker(p.server, opts);
  host.run();
  plugin.run();
  return { p, host, plugin };
}

describe('MuxBroker TS <-> TS', () => {
  it('hands out ids counting up from 1', async () => {
    const { p, host } = await brokers();
    expect([host.nextId(), host.nextId(), host.nextId()]).toEqual([1, 2, 3]);
    await p.close();
  });

  it('connects accept and dial in either order and either direction', async () => {
    const { p, host, plugin } = await brokers();
    try {
      // accept first, then dial
      const id = plugin.nextId();
      const accepting = plugin.accept(id);
      const dialed = await host.dial(id);
      const accepted = await accepting;
      dialed.end('to plugin');
      expect((await readAll(accepted)).toString()).toBe('to plugin');
      accepted.end('to host');
      expect((await readAll(dialed)).toString()).toBe('to host');

      // dial first (the stream waits for its accept), the other way round
      const id2 = host.nextId();
      const dialing = plugin.dial(id2);
      await p.client.ping(); // the stream and its id have arrived before accept is called
      const acc2 = await host.accept(id2);
      const d2 = await dialing;
      d2.end('late accept');
      expect((await readAll(acc2)).toString()).toBe('late accept');
    } finally {
      await p.close();
    }
  });

  it('rejects a wrong ack with "bad ack"', async () => {
    const p = await sessionPair();
    try {
      // A peer that answers every stream with the wrong id instead of running a broker.
      void p.server.accept().then((s) => s.write(encodeBrokerId(99)));
      const host = createMuxBroker(p.client);
      const err = await host.dial(7).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginError);
      expect(err).toMatchObject({ code: 'protocol' });
      expect((err as PluginError).message).toMatch(/bad ack: 99 \(expected 7\)/);
    } finally {
      await p.close();
    }
  });

  it('times out an accept nobody dials, and closes a stream nobody accepts', async () => {
    const { p, host, plugin } = await brokers(100);
    try {
      const err = await plugin.accept(plugin.nextId()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).code).toBe('timeout');
      expect((err as PluginError).message).toMatch(/timeout waiting for accept/);
      // Dialing an id the other side never accepts: its broker closes the stream, the dial fails.
      await expect(host.dial(42)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await p.close();
    }
  });

  it('accept honours AbortSignal; close rejects pending accepts and leaves no timer', async () => {
    const before = timerCount();
    const { p, host, plugin } = await brokers();
    const ctl = new AbortController();
    const aborted = plugin.accept(5, { signal: ctl.signal });
    ctl.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    const pending = expect(plugin.accept(6)).rejects.toMatchObject({ code: 'closed' });
    await plugin.close();
    await pending;
    await host.close();
    await expect(host.dial(1)).rejects.toMatchObject({ code: 'closed' });
    await p.close();
    expect(timerCount()).toBeLessThanOrEqual(before);
  });

  it('rejects ids that are not uint32', async () => {
    const { p, host } = await brokers();
    await expect(host.dial(-1)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(host.accept(2 ** 32)).rejects.toMatchObject({ code: 'invalid_argument' });
    await p.close();
  });
});

describe('validateMuxBrokerOptions', () => {
  it('applies go-plugin defaults and rejects bad values', async () => {
    const { validateMuxBrokerOptions } = await import('../src/index.js');
    expect(validateMuxBrokerOptions()).toMatchObject({ acceptTimeout: 5000, dialTimeout: 10_000 });
    expect(() => validateMuxBrokerOptions({ acceptTimeout: 0 })).toThrow(PluginError);
    expect(() => validateMuxBrokerOptions({ dialTimeout: Number.NaN })).toThrow(/dialTimeout/);
  });
});
