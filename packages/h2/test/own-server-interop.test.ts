// The h2 client against this package's own gRPC server core, in process: the same interop suite the client runs
// against grpc-js and grpc-go servers, plus the graceful GOAWAY of close().
import { createConnection } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PluginError } from '@plugwire/core';
import { Status, createCaller, createH2Client, type GrpcServerCall, type GrpcServerHandler, type GrpcServerOptions, type H2Connection } from '../src/index.js';
import { dialTcp, goAwaySuite, interopSuite, type ServerHandle } from './interop-suite.js';
import { startOwnServer, type OwnServer } from './server-service.js';
import { TestService } from './test-service.js';

describe('h2 client against the h2 gRPC server', () => {
  let own: OwnServer;
  let handle: ServerHandle;
  const conns: H2Connection[] = [];
  beforeEach(async () => {
    own = await startOwnServer({ maxReceiveMessageLength: -1 });
    handle = { dial: () => dialTcp(own.port), goAway: () => own.goAway(), kill: () => own.kill() };
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) {
      c.abort();
      await c.closed;
    }
    await own.kill();
  });
  interopSuite(() => handle, (c) => conns.push(c));
  goAwaySuite(() => handle, (c) => conns.push(c));
});

describe('h2 client and h2 gRPC server, server-specific behaviour', () => {
  let own: OwnServer | undefined;
  const conns: H2Connection[] = [];
  afterEach(async () => {
    for (const c of conns.splice(0)) {
      c.abort();
      await c.closed;
    }
    await own?.kill();
    own = undefined;
  });
  const connect = async (options?: GrpcServerOptions, handlers?: Record<string, GrpcServerHandler>): Promise<H2Connection> => {
    own = await startOwnServer(options, 'unix', handlers);
    const conn = createH2Client(createConnection(own.path!));
    conns.push(conn);
    return conn;
  };

  it('answers an unknown method trailers-only, and the client maps it to unimplemented', async () => {
    const caller = createCaller(await connect());
    const missing = { ...TestService.unary, path: '/h2test.Test/Missing' };
    await expect(caller.unary(missing, Buffer.from('x'))).rejects.toMatchObject({ code: 'unimplemented', grpcStatus: Status.UNIMPLEMENTED });
    const bad = { ...TestService.unary, path: 'nonsense' };
    const err = await caller.unary(bad, Buffer.from('x')).catch((e: unknown) => e);
    expect((err as PluginError).message).toContain('malformed method name');
  });

  it('serves more calls than its maxConcurrentStreams: the client waits for slots, nothing is refused', async () => {
    const caller = createCaller(await connect({ maxConcurrentStreams: 2 }));
    await caller.unary(TestService.unary, Buffer.from('warm')); // the client has read the SETTINGS
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => caller.unary(TestService.unary, Buffer.from(`c${i}`), { metadata: { 'x-sleep-ms': '20' } })));
    expect(all.map(String)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
  });

  it('a handler that ends a bidi call early ends it for the client; the rest of the request is refused with RST_STREAM', async () => {
    const handlers: Record<string, GrpcServerHandler> = {
      '/h2test.Test/Bidi': (call) =>
        call.listen({
          onMessage: (m) => {
            call.sendMessage(m);
            call.end({ code: Status.FAILED_PRECONDITION, details: 'enough' });
          },
          onEnd() {},
        }),
    };
    const caller = createCaller(await connect({}, handlers));
    async function* forever(): AsyncGenerator<Buffer> {
      for (let i = 0; ; i++) {
        yield Buffer.from(`m${i}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const got: string[] = [];
    const err = await (async () => {
      for await (const m of caller.bidiStream(TestService.bidi, forever())) got.push(m.toString());
    })().catch((e: unknown) => e);
    expect(got).toEqual(['m0']);
    expect(err).toMatchObject({ code: 'remote', grpcStatus: Status.FAILED_PRECONDITION });
  });

  it('a client deadline and a client cancel reach the handler signal', async () => {
    const seen: GrpcServerCall[] = [];
    const handlers: Record<string, GrpcServerHandler> = {
      '/h2test.Test/Unary': (call) => {
        seen.push(call);
        call.listen({ onMessage() {}, onEnd() {} });
      },
    };
    const caller = createCaller(await connect({}, handlers));
    const late = await caller.unary(TestService.unary, Buffer.from('x'), { deadline: Date.now() + 100 }).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'timeout' });
    const ac = new AbortController();
    const cancelled = caller.unary(TestService.unary, Buffer.from('x'), { signal: ac.signal }).catch((e: unknown) => e);
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await cancelled).toMatchObject({ code: 'aborted' });
    for (const call of seen) {
      if (!call.signal.aborted) await new Promise((r) => call.signal.addEventListener('abort', r));
      expect(['timeout', 'aborted']).toContain((call.signal.reason as PluginError).code);
    }
    expect(seen[0]!.deadline).toBeTypeOf('number');
    expect(seen[1]!.deadline).toBeUndefined();
  });

  it('pause() holds the request window until resume(): a client streaming into a paused call waits, then finishes', async () => {
    let paused: GrpcServerCall | undefined;
    let received = 0;
    const handlers: Record<string, GrpcServerHandler> = {
      '/h2test.Test/ClientStream': (call) => {
        paused = call;
        call.pause();
        call.listen({
          onMessage: (m) => (received += m.length),
          onEnd: () => {
            call.sendMessage(Buffer.from(String(received)));
            call.end({ code: 0 });
          },
        });
      },
    };
    const caller = createCaller(await connect({ streamWindow: 65535 }, handlers));
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(16384));
    const done = caller.clientStream(TestService.clientStream, chunks);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(received).toBe(0); // paused: nothing delivered, and the 1 MiB cannot all fit in the 64 KiB window
    paused!.resume();
    expect((await done).toString()).toBe(String(64 * 16384));
  });

  it('close() waits for running calls, then releases every socket and timer', async () => {
    const conn = await connect();
    const caller = createCaller(conn);
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await caller.unary(TestService.unary, Buffer.from('warm'));
    const before = timers();
    const slow = caller.unary(TestService.unary, Buffer.from('slow'), { metadata: { 'x-sleep-ms': '200' }, deadline: Date.now() + 30_000 });
    await new Promise((r) => setTimeout(r, 50));
    const closing = Promise.all(own!.connections.map((c) => c.close()));
    expect((await slow).toString()).toBe('slow');
    await closing;
    await conn.closed;
    expect(timers()).toBeLessThanOrEqual(before);
    await Promise.all(own!.connections.map((c) => c.closed));
    expect(await new Promise<number>((resolve) => own!.server.getConnections((_e, n) => resolve(n)))).toBe(0);
  });
});
