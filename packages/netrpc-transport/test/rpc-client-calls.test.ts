// The net/rpc client's pending calls against a peer the test plays by hand: a signal that fires mid-call, the default
// deadline, and what each leaves behind (no abort listener, no timer), with late replies dropped.
import { getEventListeners } from 'node:events';
import { Duplex } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { createEncoder, gob } from '@plugwire/gob';
import { afterEach, describe, expect, it } from 'vitest';
import { createRpcClient, type RpcClient } from '../src/index.js';
import { ResponseHeader } from '../src/wire.js';

/** A connection whose replies the test pushes. */
function peer(): { stream: Duplex; reply(seq: number, body: string, error?: string): void } {
  const encoder = createEncoder();
  const stream = new Duplex({
    read() {},
    write(_chunk: Uint8Array, _enc, cb) {
      cb();
    },
  });
  return {
    stream,
    reply(seq, body, error = '') {
      stream.push(encoder.encodeAll([{ type: ResponseHeader, value: { ServiceMethod: 'Plugin.Get', Seq: seq, Error: error } }, { type: gob.string, value: body }]));
    },
  };
}

describe('net/rpc client calls', () => {
  let client: RpcClient | undefined;
  afterEach(() => client?.abort());

  it('a signal that fires mid-call rejects it with aborted, drops its late reply, and leaves no listener', async () => {
    const p = peer();
    client = createRpcClient(p.stream);
    const ac = new AbortController();
    const first = client.call('Plugin.Get', gob.value(gob.string, 'a'), { signal: ac.signal });
    const second = client.call<string>('Plugin.Get', gob.value(gob.string, 'b'), { signal: ac.signal, reply: gob.string });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(2);
    p.reply(2, 'two');
    await expect(second).resolves.toBe('two');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    await expect(first).rejects.toMatchObject({ code: 'aborted' });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    p.reply(1, 'late'); // dropped, as Go drops replies to unknown Seqs
    await tick();
    const third = client.call<string>('Plugin.Get', gob.value(gob.string, 'c'), { reply: gob.string });
    p.reply(3, 'three');
    await expect(third).resolves.toBe('three');
  });

  it('a call past callTimeout rejects with timeout and its reply is dropped; answered calls clear their timer', async () => {
    const p = peer();
    client = createRpcClient(p.stream, { callTimeout: 30 });
    const answered = client.call<string>('Plugin.Get', gob.value(gob.string, 'a'), { reply: gob.string });
    p.reply(1, 'one');
    await expect(answered).resolves.toBe('one');
    const ac = new AbortController();
    const silent = client.call('Plugin.Get', gob.value(gob.string, 'b'), { signal: ac.signal });
    await expect(silent).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('callTimeout') });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    p.reply(2, 'late');
    await tick();
    const next = client.call<string>('Plugin.Get', gob.value(gob.string, 'c'), { reply: gob.string });
    p.reply(3, 'three');
    await expect(next).resolves.toBe('three');
  });

  it('a server error rejects with remote and the signal listener goes with it', async () => {
    const p = peer();
    client = createRpcClient(p.stream);
    const ac = new AbortController();
    const failing = client.call('Plugin.Get', gob.value(gob.string, 'a'), { signal: ac.signal });
    p.reply(1, '', 'no such key');
    await expect(failing).rejects.toMatchObject({ code: 'remote', message: 'no such key' });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
