// The h2 client against a server that breaks the protocol on purpose: every failure is a typed PluginError, memory
// stays bounded, nothing hangs.
import { setMaxListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { Status, createCaller, createH2Client, startCall, statusError, type GrpcStatus, type H2ClientOptions, type H2Connection } from '../src/index.js';
import { ErrorCode, Flag, FrameType, Setting, settingsFrame } from '../src/frame.js';
import { rawPeer, type RawPeer } from './raw-peer.js';
import { TestService } from './test-service.js';

const OK_HEADERS: [string, string][] = [[':status', '200'], ['content-type', 'application/grpc']];

describe('h2 client against a hostile server', () => {
  let peer: RawPeer | undefined;
  let conn: H2Connection | undefined;
  afterEach(async () => {
    conn?.abort();
    await conn?.closed;
    await peer?.close();
    peer = undefined;
    conn = undefined;
  });

  async function setup(options?: H2ClientOptions, read = true): Promise<{ peer: RawPeer; conn: H2Connection }> {
    peer = await rawPeer({ read });
    conn = createH2Client(peer.client, options);
    peer.send(FrameType.SETTINGS, 0, 0);
    return { peer, conn };
  }

  const call = (c: H2Connection, options = {}) => createCaller(c).unary(TestService.unary, Buffer.from('x'), options).catch((e: unknown) => e);
  const goAwayCode = async (p: RawPeer): Promise<number> => (await p.waitFor((f) => f.type === FrameType.GOAWAY)).payload.readUInt32BE(4);

  it('ends the connection on endless CONTINUATION after a bounded header block', async () => {
    const { peer, conn } = await setup();
    const pending = call(conn);
    await peer.waitFor((f) => f.type === FrameType.HEADERS);
    peer.send(FrameType.HEADERS, 0, 1, peer.headers(OK_HEADERS));
    let sent = 0;
    const chunk = Buffer.alloc(16384, 0x82);
    // Keep sending until the client gives up; the budget only guards the test itself.
    while (!conn.error && sent < 64 << 20) {
      peer.send(FrameType.CONTINUATION, 0, 1, chunk);
      sent += chunk.length;
      await new Promise((r) => setImmediate(r));
    }
    const err = await pending;
    expect(err).toBeInstanceOf(PluginError);
    expect(err).toMatchObject({ code: 'protocol' });
    expect((err as Error).message).toMatch(/header block over/);
    expect(await goAwayCode(peer)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(sent).toBeLessThan(4 << 20);
  });

  it('refuses a header list that expands past its limit (HPACK bomb) with RESOURCE_EXHAUSTED, keeping the connection', async () => {
    const { peer, conn } = await setup({ maxHeaderListSize: 16384 });
    const pending = call(conn);
    await peer.waitFor((f) => f.type === FrameType.HEADERS);
    // One 4000-byte entry, then 5000 one-byte references to it: 20 MB if decoded without a limit.
    const insert = peer.headers([...OK_HEADERS, ['x-big', 'v'.repeat(4000)]]);
    const refs = Buffer.alloc(5000, 0xbe);
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.concat([insert, refs]));
    const err = await pending;
    expect(err).toMatchObject({ code: 'protocol', grpcStatus: Status.RESOURCE_EXHAUSTED });
    expect(conn.error).toBeUndefined();
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.streamId === 1);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.CANCEL);
  });

  it('ends the connection when the peer overflows the connection send window', async () => {
    const { peer, conn } = await setup();
    const pending = call(conn);
    await peer.waitFor((f) => f.type === FrameType.HEADERS);
    const inc = Buffer.alloc(4);
    inc.writeUInt32BE(0x7fffffff);
    peer.send(FrameType.WINDOW_UPDATE, 0, 0, inc);
    expect(await pending).toMatchObject({ code: 'protocol' });
    expect(await goAwayCode(peer)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('fails only the stream whose window the peer overflows', async () => {
    const { peer, conn } = await setup();
    const pending = call(conn);
    await peer.waitFor((f) => f.type === FrameType.HEADERS);
    const inc = Buffer.alloc(4);
    inc.writeUInt32BE(0x7fffffff);
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, inc);
    expect(await pending).toMatchObject({ code: 'protocol', grpcStatus: Status.INTERNAL });
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.streamId === 1);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    expect(conn.error).toBeUndefined();
  });

  it('resets a stream whose peer sends more DATA than its window while nothing is read', async () => {
    const { peer, conn } = await setup({ streamWindow: 65535 });
    // A streaming call whose messages are never read: the window is not reopened.
    const status = new Promise<GrpcStatus>((resolve) => {
      const c = startCall(conn, TestService.serverStream.path, {}, { onMessage: () => {}, onStatus: resolve });
      c.sendMessage(Buffer.from('x'));
      c.halfClose();
    });
    await peer.waitFor((f) => f.type === FrameType.HEADERS);
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, peer.headers(OK_HEADERS));
    const messages = Buffer.alloc(16384); // 16384 / 5 empty messages
    for (let i = 0; i < 5; i++) peer.send(FrameType.DATA, 0, 1, messages);
    expect(statusError(await status)).toMatchObject({ code: 'protocol' });
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.streamId === 1);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    expect(conn.error).toBeUndefined();
  });

  it('ends the connection on frames larger than allowed, on streams it never opened, and on PUSH_PROMISE', async () => {
    for (const bad of [
      (p: RawPeer) => p.socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'),
      (p: RawPeer) => p.send(FrameType.DATA, 0, 2, Buffer.from('x')),
      (p: RawPeer) => p.send(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4)),
      (p: RawPeer) => p.send(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)),
      (p: RawPeer) => p.send(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.alloc(1)),
    ]) {
      const { peer: p, conn: c } = await setup();
      const pending = call(c);
      await p.waitFor((f) => f.type === FrameType.HEADERS);
      bad(p);
      const err = await pending;
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).code).toBe('protocol');
      await c.closed;
      await p.close();
      peer = undefined;
      conn = undefined;
    }
  });

  it('ends the connection when a peer that never reads floods it with PINGs', async () => {
    const { peer, conn } = await setup({ writeHighWater: 16384 }, false);
    const pending = call(conn);
    const ping = Buffer.alloc(8);
    let sent = 0;
    while (!conn.error && sent < 2_000_000) {
      for (let i = 0; i < 1000; i++) peer.send(FrameType.PING, 0, 0, ping);
      sent += 1000;
      await new Promise((r) => setImmediate(r));
    }
    const err = await pending;
    expect(err).toMatchObject({ code: 'protocol' });
    expect((err as Error).message).toMatch(/does not read/);
  });

  it('stops sending at the peer window when the peer never reads, and a deadline still ends the call', async () => {
    const { peer, conn } = await setup({}, false);
    const caller = createCaller(conn);
    const err = await caller.unary(TestService.unary, Buffer.alloc(8 << 20), { deadline: Date.now() + 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', grpcStatus: Status.DEADLINE_EXCEEDED });
    void peer;
  });

  it('opens no more streams than the peer allows; the rest wait their turn', async () => {
    const { peer, conn } = await setup();
    peer.send(FrameType.SETTINGS, 0, 0, settingsFrame([[Setting.MAX_CONCURRENT_STREAMS, 2]]).subarray(9));
    await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0 && peer.frames.filter((x) => x.type === FrameType.SETTINGS && x.flags & Flag.ACK).length >= 2);
    const calls = Array.from({ length: 5 }, () => call(conn));
    await peer.waitFor((f) => f.type === FrameType.HEADERS && f.streamId === 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.frames.filter((f) => f.type === FrameType.HEADERS).length).toBe(2);
    expect(conn.streamCount).toBe(5);
    // Answer stream 1 (trailers-only): stream 5 starts.
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, peer.headers([...OK_HEADERS, ['grpc-status', '5'], ['grpc-message', 'gone']]));
    await peer.waitFor((f) => f.type === FrameType.HEADERS && f.streamId === 5);
    expect(await calls[0]).toMatchObject({ code: 'remote', grpcStatus: 5 });
    conn.abort();
    for (const c of calls.slice(1)) expect(await c).toMatchObject({ code: 'aborted' });
  });

  it('paces the RST_STREAMs of a burst of cancellations', async () => {
    const { peer, conn } = await setup({ resetBurst: 10, resetsPerSecond: 1 });
    const ac = new AbortController();
    setMaxListeners(100, ac.signal);
    const calls = Array.from({ length: 50 }, () => call(conn, { signal: ac.signal }));
    await peer.waitFor((f) => f.type === FrameType.HEADERS && f.streamId === 99);
    ac.abort();
    for (const c of calls) expect(await c).toMatchObject({ code: 'aborted', grpcStatus: Status.CANCELLED });
    await peer.waitFor((f) => f.type === FrameType.RST_STREAM && peer.frames.filter((x) => x.type === FrameType.RST_STREAM).length >= 10);
    await new Promise((r) => setTimeout(r, 100));
    const resets = peer.frames.filter((f) => f.type === FrameType.RST_STREAM).length;
    expect(resets).toBeGreaterThanOrEqual(10);
    expect(resets).toBeLessThan(50);
    // Until their RST_STREAM is sent, the cancelled streams still count against concurrency.
    expect(conn.streamCount).toBeGreaterThan(0);
  });

  it('maps a non-200 answer, a non-gRPC content-type, DATA without trailers and a bad grpc-status', async () => {
    const cases: [Buffer[] | ((p: RawPeer) => void), Partial<PluginError>][] = [
      [(p) => p.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, p.headers([[':status', '503']])), { code: 'protocol', grpcStatus: Status.UNAVAILABLE }],
      [(p) => p.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, p.headers([[':status', '200'], ['content-type', 'text/html']])), { code: 'protocol', grpcStatus: Status.UNKNOWN }],
      [
        (p) => {
          p.send(FrameType.HEADERS, Flag.END_HEADERS, 1, p.headers(OK_HEADERS));
          p.send(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from([0, 0, 0, 0, 1, 7]));
        },
        { code: 'protocol', grpcStatus: Status.INTERNAL },
      ],
      [(p) => p.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, p.headers([...OK_HEADERS, ['grpc-status', 'abc']])), { code: 'remote', grpcStatus: Status.UNKNOWN }],
      [
        (p) => {
          p.send(FrameType.HEADERS, Flag.END_HEADERS, 1, p.headers(OK_HEADERS));
          p.send(FrameType.DATA, 0, 1, Buffer.from([1, 0, 0, 0, 1, 7]));
        },
        { code: 'protocol', grpcStatus: Status.INTERNAL },
      ],
    ];
    for (const [act, expected] of cases) {
      const { peer: p, conn: c } = await setup();
      const pending = call(c);
      await p.waitFor((f) => f.type === FrameType.HEADERS);
      (act as (p: RawPeer) => void)(p);
      expect(await pending).toMatchObject(expected);
      c.abort();
      await c.closed;
      await p.close();
      peer = undefined;
      conn = undefined;
    }
  });
});
