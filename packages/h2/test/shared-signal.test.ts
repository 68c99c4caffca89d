// An AbortSignal shared by many calls: one 'abort' listener however many calls are in flight (no listener-leak
// warning from Node past 10), every call cancelled when it fires, and the listener removed when the last call ends.
import { getEventListeners } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Status, createCaller, createH2Client, type H2Connection } from '../src/index.js';
import { dialTcp } from './interop-suite.js';
import { TestService, startGrpcJsServer } from './test-service.js';

describe('a signal shared by calls', () => {
  let server: grpc.Server;
  let conn: H2Connection;
  beforeEach(async () => {
    const s = await startGrpcJsServer();
    server = s.server;
    conn = createH2Client(dialTcp(s.port));
  });
  afterEach(async () => {
    conn.abort();
    await conn.closed;
    server.forceShutdown();
  });

  it('gets one listener for 50 calls in flight, cancels them all, and keeps none afterwards', async () => {
    const caller = createCaller(conn);
    const ac = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const pending = Array.from({ length: 50 }, () =>
        caller.unary(TestService.unary, Buffer.from('x'), { metadata: { 'x-sleep-ms': '60000' }, signal: ac.signal }).catch((e: unknown) => e),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      ac.abort();
      for (const e of await Promise.all(pending)) expect(e).toMatchObject({ code: 'aborted', grpcStatus: Status.CANCELLED });
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('releases the listener when the calls sharing a live signal complete', async () => {
    const caller = createCaller(conn);
    const signal = AbortSignal.timeout(60_000);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => caller.unary(TestService.unary, Buffer.from(`m${i}`), { signal })));
    expect(answers.map(String)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    // A timeout signal with a listener is kept alive by Node until it fires: none may be left behind.
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // A call after the others still listens, and the signal still cancels it.
    const ac = new AbortController();
    const late = caller.unary(TestService.unary, Buffer.from('y'), { metadata: { 'x-sleep-ms': '60000' }, signal: ac.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    expect(await late).toMatchObject({ code: 'aborted' });
  });
});
