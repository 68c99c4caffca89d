// The gRPC server core against clients that break the protocol on purpose: every failure ends in the right
// RST_STREAM or GOAWAY code, the handlers see a PluginError on their signal, memory and work stay bounded, nothing
// hangs, and every socket and timer is released after close()/abort().
import { afterEach, describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { Status, type GrpcServerCall, type GrpcServerHandler, type GrpcServerOptions } from '../src/index.js';
import { ErrorCode, Flag, FrameType, Setting, settingsFrame } from '../src/frame.js';
import { REQUEST, field, rawClient, type RawClient, type ServerFrame } from './raw-client.js';

const calls: GrpcServerCall[] = [];
let flooded = 0;
const handlers: Record<string, GrpcServerHandler> = {
  '/t.T/Echo': (call) => {
    const got: Buffer[] = [];
    call.listen({
      onMessage: (m) => got.push(Buffer.from(m)),
      onEnd: () => {
        call.sendMessage(Buffer.concat(got));
        call.end({ code: 0 });
      },
    });
  },
  '/t.T/Hang': (call) => {
    calls.push(call);
    call.listen({ onMessage() {}, onEnd() {} });
  },
  // Streams 64 KiB messages, each after the previous one reached the socket, until the call ends.
  '/t.T/Flood': (call) => {
    calls.push(call);
    const chunk = Buffer.alloc(65536);
    const next = (err?: Error): void => {
      if (err || call.signal.aborted) return;
      flooded++;
      call.sendMessage(chunk, next);
    };
    call.listen({ onMessage() {}, onEnd: () => next() });
  },
};

const goAway = async (c: RawClient): Promise<{ last: number; code: number; debug: string }> => {
  const f = await c.waitFor((x) => x.type === FrameType.GOAWAY);
  return { last: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString() };
};
const rst = async (c: RawClient, id: number): Promise<number> =>
  (await c.waitFor((f) => f.type === FrameType.RST_STREAM && f.streamId === id)).payload.readUInt32BE(0);
const trailers = (c: RawClient, id: number): Promise<ServerFrame> =>
  c.waitFor((f) => f.type === FrameType.HEADERS && f.streamId === id && (f.flags & Flag.END_STREAM) !== 0);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

describe('h2 gRPC server against a hostile client', () => {
  let client: RawClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    calls.length = 0;
    flooded = 0;
  });
  const open = async (options?: GrpcServerOptions, how?: { preface?: boolean; read?: boolean }): Promise<RawClient> => (client = await rawClient(handlers, options, how));

  it('serves a well-formed request (the baseline of this file)', async () => {
    const c = await open();
    c.request(1, '/t.T/Echo');
    c.message(1, Buffer.from('hi'));
    const t = await trailers(c, 1);
    expect(field(t, 'grpc-status')).toBe('0');
    const data = c.frames.find((f) => f.type === FrameType.DATA && f.streamId === 1)!;
    expect(data.payload.subarray(5).toString()).toBe('hi');
    // SETTINGS advertise the limits; no ENABLE_PUSH from a server.
    const settings = c.frames.find((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK))!;
    const ids = Array.from({ length: settings.payload.length / 6 }, (_, i) => settings.payload.readUInt16BE(i * 6));
    expect(ids).toEqual(expect.arrayContaining([Setting.MAX_CONCURRENT_STREAMS, Setting.INITIAL_WINDOW_SIZE, Setting.MAX_HEADER_LIST_SIZE]));
    expect(ids).not.toContain(Setting.ENABLE_PUSH);
  });

  it('ends the connection on a missing preface', async () => {
    const c = await open({}, { preface: false });
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await goAway(c)).code).toBe(ErrorCode.PROTOCOL_ERROR);
    await c.conn.closed;
  });

  it('closes a connection that sends no preface and SETTINGS within handshakeTimeout', async () => {
    const c = await open({ handshakeTimeout: 50 }, { preface: false });
    const g = await goAway(c);
    expect(g.code).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(g.debug).toContain('no HTTP/2 preface');
    await c.conn.closed;
  });

  it('ends the connection on HEADERS on an even stream id, on a reused or decreasing id, and on frames on idle streams', async () => {
    for (const bad of [
      (c: RawClient) => c.request(2, '/t.T/Echo'),
      (c: RawClient) => {
        c.request(5, '/t.T/Hang');
        c.request(3, '/t.T/Hang');
      },
      (c: RawClient) => {
        c.request(1, '/t.T/Echo', [], true);
        c.request(1, '/t.T/Echo', [], true);
      },
      (c: RawClient) => c.send(FrameType.DATA, 0, 7, Buffer.alloc(5)),
      (c: RawClient) => c.send(FrameType.RST_STREAM, 0, 9, u32(ErrorCode.CANCEL)),
      (c: RawClient) => c.send(FrameType.WINDOW_UPDATE, 0, 11, u32(10)),
    ]) {
      const c = await open();
      bad(c);
      expect((await goAway(c)).code).toBe(ErrorCode.PROTOCOL_ERROR);
      await c.conn.closed;
      await c.close();
      client = undefined;
    }
  });

  it('ends the connection on malformed frames: bad SETTINGS length, oversized frame, PUSH_PROMISE, stray CONTINUATION, bad PING', async () => {
    const cases: [(c: RawClient) => void, number][] = [
      [(c) => c.send(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)), ErrorCode.FRAME_SIZE_ERROR],
      [(c) => c.send(FrameType.DATA, 0, 1, Buffer.alloc(20000)), ErrorCode.FRAME_SIZE_ERROR],
      [(c) => c.send(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4)), ErrorCode.PROTOCOL_ERROR],
      [(c) => c.send(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.alloc(1)), ErrorCode.PROTOCOL_ERROR],
      [(c) => c.send(FrameType.PING, 0, 0, Buffer.alloc(3)), ErrorCode.FRAME_SIZE_ERROR],
      [(c) => c.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), ErrorCode.COMPRESSION_ERROR],
    ];
    for (const [bad, code] of cases) {
      const c = await open();
      bad(c);
      expect((await goAway(c)).code).toBe(code);
      await c.conn.closed;
      await c.close();
      client = undefined;
    }
  });

  it('ends the connection on endless CONTINUATION after a bounded header block', async () => {
    const c = await open({ maxHeaderListSize: 16384 });
    c.send(FrameType.HEADERS, 0, 1, c.headers(REQUEST('/t.T/Hang')));
    const chunk = Buffer.alloc(16384, 0x82);
    let sent = 0;
    while (!c.frames.some((f) => f.type === FrameType.GOAWAY) && sent < 64 << 20) {
      c.send(FrameType.CONTINUATION, 0, 1, chunk);
      sent += chunk.length;
      await new Promise((r) => setImmediate(r));
    }
    expect((await goAway(c)).code).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(sent).toBeLessThan(4 << 20);
    expect(calls).toHaveLength(0);
  });

  it('answers a header list that expands past its limit (HPACK bomb) with RESOURCE_EXHAUSTED, keeping the connection', async () => {
    const c = await open({ maxHeaderListSize: 16384 });
    const insert = c.headers([...REQUEST('/t.T/Hang'), ['x-big', 'v'.repeat(4000)]]);
    const refs = Buffer.alloc(5000, 0xbe); // 5000 references to the 4000-byte entry: 20 MB decoded without a limit
    c.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, Buffer.concat([insert, refs]));
    const t = await trailers(c, 1);
    expect(field(t, 'grpc-status')).toBe(String(Status.RESOURCE_EXHAUSTED));
    expect(calls).toHaveLength(0);
    c.request(3, '/t.T/Echo');
    c.message(3, Buffer.from('still'));
    expect(field(await trailers(c, 3), 'grpc-status')).toBe('0');
  });

  it('answers a non-POST request 405 and a non-gRPC content-type 415, with a grpc-status, as grpc-go does', async () => {
    const c = await open();
    const get = REQUEST('/t.T/Echo').map(([n, v]): [string, string] => (n === ':method' ? [n, 'GET'] : [n, v]));
    c.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, c.headers(get));
    const a = await trailers(c, 1);
    expect(field(a, ':status')).toBe('405');
    expect(field(a, 'grpc-status')).toBe(String(Status.INTERNAL));
    const json = REQUEST('/t.T/Echo').map(([n, v]): [string, string] => (n === 'content-type' ? [n, 'application/json'] : [n, v]));
    c.send(FrameType.HEADERS, Flag.END_HEADERS, 3, c.headers(json));
    const b = await trailers(c, 3);
    expect(field(b, ':status')).toBe('415');
    expect(field(b, 'grpc-message')).toContain('invalid gRPC request content-type');
    // The client had not ended stream 3: it is told to stop sending.
    expect(await rst(c, 3)).toBe(ErrorCode.NO_ERROR);
    c.request(5, '/t.T/Echo', [['grpc-timeout', 'soon']], true);
    expect(field(await trailers(c, 5), 'grpc-message')).toContain('malformed grpc-timeout');
    c.request(7, '/t.T/Echo', [['grpc-encoding', 'gzip']]);
    expect(field(await trailers(c, 7), 'grpc-status')).toBe(String(Status.UNIMPLEMENTED));
    expect(calls).toHaveLength(0);
  });

  it('answers a compressed-flag message INTERNAL and a message over the limit RESOURCE_EXHAUSTED, aborting the handler', async () => {
    const c = await open({ maxReceiveMessageLength: 1000 });
    c.request(1, '/t.T/Hang');
    const compressed = Buffer.from([1, 0, 0, 0, 1, 0x41]);
    c.send(FrameType.DATA, 0, 1, compressed);
    const t1 = await trailers(c, 1);
    expect(field(t1, 'grpc-status')).toBe(String(Status.INTERNAL));
    expect(field(t1, 'grpc-message')).toContain('compressed flag');
    c.request(3, '/t.T/Hang');
    c.message(3, Buffer.alloc(2000), false);
    const t3 = await trailers(c, 3);
    expect(field(t3, 'grpc-status')).toBe(String(Status.RESOURCE_EXHAUSTED));
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.signal.aborted).toBe(true);
      expect(call.signal.reason).toBeInstanceOf(PluginError);
    }
  });

  it('does not allocate what a message prefix claims before the bytes arrive', async () => {
    const c = await open();
    const before = process.memoryUsage().arrayBuffers;
    // 500 streams, each a 5-byte prefix announcing a 4 MiB message and one byte of it: 2 GB if allocated up front.
    const prefix = Buffer.from([0, 0, 0x3f, 0xff, 0xff, 0x41]);
    for (let id = 1; id < 1000; id += 2) {
      c.request(id, '/t.T/Hang');
      c.send(FrameType.DATA, 0, id, prefix);
    }
    while (calls.length < 500) await new Promise((r) => setImmediate(r));
    c.request(1001, '/t.T/Echo');
    c.message(1001, Buffer.from('ok'));
    expect(field(await trailers(c, 1001), 'grpc-status')).toBe('0');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100 << 20);
  });

  it('resets the stream whose client overruns its receive window, and ends the connection on the connection window', async () => {
    const c = await open({ streamWindow: 65535, connectionWindow: 65535 * 4 });
    c.request(1, '/t.T/Hang');
    // The handler never reads (paused), so the window does not reopen; one byte too many overruns it.
    await c.waitFor((f) => f.type === FrameType.SETTINGS);
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    calls[0]!.pause();
    for (let i = 0; i < 4; i++) c.send(FrameType.DATA, 0, 1, Buffer.alloc(16383));
    c.send(FrameType.DATA, 0, 1, Buffer.alloc(5));
    expect(await rst(c, 1)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    expect(calls[0]!.signal.reason).toMatchObject({ code: 'protocol' });

    c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(0x7fffffff));
    expect((await goAway(c)).code).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    await c.conn.closed;
  });

  it('resets a stream whose window the client overflows, keeping the connection', async () => {
    const c = await open();
    c.request(1, '/t.T/Hang');
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(0x7fffffff));
    expect(await rst(c, 1)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    c.request(3, '/t.T/Echo');
    c.message(3, Buffer.from('ok'));
    expect(field(await trailers(c, 3), 'grpc-status')).toBe('0');
  });

  it('refuses streams over maxConcurrentStreams with REFUSED_STREAM and serves again once one ends', async () => {
    const c = await open({ maxConcurrentStreams: 2 });
    c.request(1, '/t.T/Hang');
    c.request(3, '/t.T/Hang');
    c.request(5, '/t.T/Echo');
    expect(await rst(c, 5)).toBe(ErrorCode.REFUSED_STREAM);
    expect(calls).toHaveLength(2);
    c.send(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL));
    c.request(7, '/t.T/Echo');
    c.message(7, Buffer.from('ok'));
    expect(field(await trailers(c, 7), 'grpc-status')).toBe('0');
    expect(calls[0]!.signal.reason).toMatchObject({ code: 'aborted' });
  });

  it('stops a rapid-reset flood with GOAWAY ENHANCE_YOUR_CALM after a bounded number of handlers', async () => {
    const c = await open({ peerResetBurst: 100, peerResetsPerSecond: 1 });
    let id = 1;
    while (!c.frames.some((f) => f.type === FrameType.GOAWAY) && id < 100_000) {
      for (let i = 0; i < 50; i++, id += 2) {
        c.request(id, '/t.T/Hang');
        c.send(FrameType.RST_STREAM, 0, id, u32(ErrorCode.CANCEL));
      }
      await new Promise((r) => setImmediate(r));
    }
    expect((await goAway(c)).code).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(calls.length).toBeLessThan(300);
    for (const call of calls) expect(call.signal.aborted).toBe(true);
  });

  it('answers PING and SETTINGS floods from a reading client, and ends the connection of one that never reads', async () => {
    const c = await open();
    for (let i = 0; i < 2000; i++) {
      c.send(FrameType.PING, 0, 0, Buffer.alloc(8, i & 0xff));
      c.send(FrameType.SETTINGS, 0, 0, settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 65535]]).subarray(9));
    }
    await c.waitFor(() => c.frames.filter((f) => f.type === FrameType.PING && f.flags & Flag.ACK).length === 2000);
    c.request(1, '/t.T/Echo');
    c.message(1, Buffer.from('ok'));
    expect(field(await trailers(c, 1), 'grpc-status')).toBe('0');
    await c.close();

    const deaf = await open({ writeHighWater: 16384 }, { read: false });
    let sent = 0;
    // Until the server gives up on the connection (ends its side).
    while (!deaf.serverSocket.writableEnded && !deaf.serverSocket.destroyed && sent < 2_000_000) {
      for (let i = 0; i < 1000; i++) deaf.send(FrameType.PING, 0, 0, Buffer.alloc(8));
      sent += 1000;
      await new Promise((r) => setImmediate(r));
    }
    expect(sent).toBeLessThan(2_000_000);
    await deaf.conn.closed;
  });

  it('holds a bounded backlog for a client that never reads the responses of a streaming call', async () => {
    const c = await open({ writeHighWater: 65536 }, { read: false });
    c.request(1, '/t.T/Flood', [], true);
    c.send(FrameType.WINDOW_UPDATE, 0, 0, u32(1 << 30));
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(1 << 30));
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    // The handler waits for each message to reach the socket: the socket stops taking them, so it stops too.
    expect(flooded).toBeGreaterThan(0);
    expect(flooded).toBeLessThan(200);
    const before = flooded;
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    expect(flooded).toBe(before);
    c.conn.abort();
    await c.conn.closed;
    expect(calls[0]!.signal.reason).toMatchObject({ code: 'unavailable' });
  });

  it('ends a call at its deadline with DEADLINE_EXCEEDED and RST_STREAM, aborting the handler with timeout', async () => {
    const c = await open();
    c.request(1, '/t.T/Hang', [['grpc-timeout', '50m']]);
    const t = await trailers(c, 1);
    expect(field(t, 'grpc-status')).toBe(String(Status.DEADLINE_EXCEEDED));
    expect(await rst(c, 1)).toBeTypeOf('number');
    expect(calls[0]!.signal.reason).toMatchObject({ code: 'timeout' });
    expect(calls[0]!.deadline).toBeTypeOf('number');
  });

  it('closes gracefully: GOAWAY names the last stream, running calls finish, later streams are not processed', async () => {
    const c = await open();
    c.request(1, '/t.T/Hang');
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    const closing = c.conn.close();
    const g = await goAway(c);
    expect(g).toMatchObject({ last: 1, code: ErrorCode.NO_ERROR });
    c.request(3, '/t.T/Echo', [], true);
    calls[0]!.end({ code: 0 });
    await closing;
    expect(calls).toHaveLength(1);
    expect(c.frames.some((f) => f.streamId === 3)).toBe(false);
    expect(field(await trailers(c, 1), 'grpc-status')).toBe('0');
  });

  it('releases every timer and socket after abort(), with deadlines pending', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const c = await open();
    await c.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0); // handshake timer cleared
    const before = timers();
    for (let i = 1; i < 40; i += 2) c.request(i, '/t.T/Hang', [['grpc-timeout', '60S']]);
    while (calls.length < 20) await new Promise((r) => setImmediate(r));
    expect(timers()).toBeGreaterThanOrEqual(before + 20);
    c.conn.abort(new PluginError('closed', 'test over'));
    await c.conn.closed;
    await c.closed;
    expect(timers()).toBeLessThanOrEqual(before);
    for (const call of calls) expect(call.signal.reason).toMatchObject({ code: 'unavailable' });
  });
});
