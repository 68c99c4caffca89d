// One interop suite for the h2 client, run against each server kind (grpc-js in-process, grpc-go fixtures).
import { setMaxListeners } from 'node:events';
import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { Status, createCaller, createH2Client, startCall, type GrpcStatus, type H2ClientOptions, type H2Connection, type HeaderField } from '../src/index.js';
import { TestService } from './test-service.js';

/** How a suite reaches its server. */
export interface ServerHandle {
  /** Opens a fresh socket to the server. */
  dial(): Socket;
  /** Makes the server go away gracefully (GOAWAY) while calls run; optional. */
  goAway?(): Promise<void>;
  /** Kills the server abruptly. */
  kill?(): Promise<void>;
}

export function dialTcp(port: number): Socket {
  const s = connect({ host: '127.0.0.1', port, noDelay: true });
  return s;
}

/** Registers the interop tests; `server()` returns the current server. */
export function interopSuite(server: () => ServerHandle, track: (c: H2Connection) => void): void {
  function open(options?: H2ClientOptions): H2Connection {
    const conn = createH2Client(server().dial(), options);
    track(conn);
    return conn;
  }

  it('makes unary calls with metadata both ways and reads trailers', async () => {
    const conn = open();
    const caller = createCaller(conn);
    const res = await caller.unary(TestService.unary, Buffer.from('hello'), { metadata: { 'x-echo': 'abc' } });
    expect(res.toString()).toBe('hello');
    // Many concurrent calls share the connection (HPACK dynamic table reused).
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) => caller.unary(TestService.unary, Buffer.from(`m${i}`))));
    expect(all.map(String)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });

  it('hands response headers and trailers to the low-level listener, -bin values included', async () => {
    const conn = open();
    const bin = Buffer.from([0, 1, 2, 254, 255]);
    const result = await new Promise<{ headers: HeaderField[]; status: GrpcStatus; messages: Buffer[] }>((resolve) => {
      let headers: HeaderField[] = [];
      const messages: Buffer[] = [];
      const call = startCall(
        conn,
        TestService.unary.path,
        { metadata: [['x-echo', 'e1'], ['x-data-bin', bin.toString('base64')]], autoRead: true },
        {
          onMetadata: (m) => (headers = m),
          onMessage: (m) => messages.push(m),
          onStatus: (status) => resolve({ headers, status, messages }),
        },
      );
      call.sendMessage(Buffer.from('low'));
      call.halfClose();
    });
    expect(result.status).toMatchObject({ code: Status.OK });
    expect(result.messages.map(String)).toEqual(['low']);
    expect(result.headers).toContainEqual(['x-echo', 'e1']);
    const got = result.headers.find(([n]) => n === 'x-data-bin');
    expect(Buffer.from(got![1], 'base64').equals(bin)).toBe(true);
    expect(result.status.metadata).toContainEqual(['x-trailer', 'e1']);
  });

  it('maps a status and its message into a PluginError with grpcStatus', async () => {
    const caller = createCaller(open());
    const err = await caller
      .unary(TestService.unary, Buffer.from('x'), { metadata: { 'x-status': String(Status.NOT_FOUND), 'x-message': 'no such key: 100%' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ code: 'remote', grpcStatus: Status.NOT_FOUND });
    expect((err as PluginError).message).toContain('no such key: 100% \u2713');
  });

  it('streams from the server, to the server, and both ways', async () => {
    const caller = createCaller(open());
    const got: string[] = [];
    for await (const m of caller.serverStream(TestService.serverStream, Buffer.from('s'), { metadata: { 'x-count': '5' } })) got.push(m.toString());
    expect(got).toEqual(['s', 's', 's', 's', 's']);

    const sum = await caller.clientStream(TestService.clientStream, ['a', 'bb', 'ccc'].map((s) => Buffer.from(s)));
    expect(sum.readUInt32BE(0)).toBe(3);
    expect(sum.subarray(4).toString()).toBe('abbccc');

    async function* reqs(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 10; i++) yield Buffer.from(`b${i}`);
    }
    const echoed: string[] = [];
    for await (const m of caller.bidiStream(TestService.bidi, reqs())) echoed.push(m.toString());
    expect(echoed).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));
  });

  it('moves messages larger than every flow-control window, both ways', async () => {
    const caller = createCaller(open({ streamWindow: 65535 }));
    const big = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    const res = await caller.unary(TestService.unary, big, { maxReceiveMessageLength: 8 << 20 });
    expect(res.equals(big)).toBe(true);
    // Several large messages in flight at once on one connection.
    const many = await Promise.all(Array.from({ length: 4 }, () => caller.unary(TestService.unary, big, { maxReceiveMessageLength: 8 << 20 })));
    for (const m of many) expect(m.length).toBe(big.length);
    const sum = await caller.clientStream(TestService.clientStream, [big, big], { maxReceiveMessageLength: 16 << 20 });
    expect(sum.readUInt32BE(0)).toBe(2);
  });

  it('refuses a response over maxReceiveMessageLength with RESOURCE_EXHAUSTED, and the connection stays usable', async () => {
    const caller = createCaller(open());
    const err = await caller.unary(TestService.unary, Buffer.alloc(100_000), { maxReceiveMessageLength: 50_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'protocol', grpcStatus: Status.RESOURCE_EXHAUSTED });
    expect((await caller.unary(TestService.unary, Buffer.from('ok'))).toString()).toBe('ok');
  });

  it('ends a call at its deadline with timeout, and the server sees grpc-timeout', async () => {
    const caller = createCaller(open());
    const err = await caller
      .unary(TestService.unary, Buffer.from('x'), { metadata: { 'x-sleep-ms': '60000' }, deadline: Date.now() + 200 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', grpcStatus: Status.DEADLINE_EXCEEDED });
  });

  it('cancels calls from an AbortSignal, including a burst of them, and keeps working', async () => {
    const conn = open();
    const caller = createCaller(conn);
    const ac = new AbortController();
    setMaxListeners(1000, ac.signal);
    const pending = Array.from({ length: 300 }, () =>
      caller.unary(TestService.unary, Buffer.from('x'), { metadata: { 'x-sleep-ms': '60000' }, signal: ac.signal }).catch((e: unknown) => e),
    );
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    const errs = await Promise.all(pending);
    for (const e of errs) expect(e).toMatchObject({ code: 'aborted', grpcStatus: Status.CANCELLED });
    // After the paced resets the connection is still usable.
    expect((await caller.unary(TestService.unary, Buffer.from('after'))).toString()).toBe('after');
    // Breaking out of a server stream cancels it.
    for await (const m of caller.serverStream(TestService.serverStream, Buffer.from('z'), { metadata: { 'x-count': '1000' } })) {
      expect(m.toString()).toBe('z');
      break;
    }
    expect((await caller.unary(TestService.unary, Buffer.from('still'))).toString()).toBe('still');
  });

  it('fails pending calls with unavailable when the server dies, and refuses new ones', async () => {
    const handle = server();
    if (!handle.kill) return;
    const conn = open();
    const caller = createCaller(conn);
    await caller.unary(TestService.unary, Buffer.from('warm'));
    const pending = caller.unary(TestService.unary, Buffer.from('x'), { metadata: { 'x-sleep-ms': '60000' } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await handle.kill();
    expect(await pending).toMatchObject({ code: 'unavailable' });
    await conn.closed;
    await expect(caller.unary(TestService.unary, Buffer.from('x'))).rejects.toMatchObject({ code: 'unavailable' });
  });
}

/** The GOAWAY test, for servers that can stop gracefully on request. */
export function goAwaySuite(server: () => ServerHandle, track: (c: H2Connection) => void): void {
  it('finishes calls in flight across a graceful GOAWAY, then refuses new ones with unavailable', async () => {
    const handle = server();
    const conn = createH2Client(handle.dial());
    track(conn);
    const caller = createCaller(conn);
    await caller.unary(TestService.unary, Buffer.from('warm'));
    const inflight = caller.unary(TestService.unary, Buffer.from('slow'), { metadata: { 'x-sleep-ms': '500' } });
    await new Promise((r) => setTimeout(r, 100));
    await handle.goAway!();
    expect((await inflight).toString()).toBe('slow');
    await conn.closed;
    await expect(caller.unary(TestService.unary, Buffer.from('x'))).rejects.toMatchObject({ code: 'unavailable' });
  });
}
