// A real @grpc/grpc-js client against this package's gRPC server core: the four call kinds, metadata (-bin
// included) and trailers, error statuses with percent-encoded messages, deadlines, cancellation seen by the
// handler, unknown methods, message limits, large messages past every window, graceful close.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { Status, type GrpcServerCall, type GrpcServerHandler } from '../src/index.js';
import { serverHandlers, startOwnServer, type OwnServer } from './server-service.js';
import { TestService } from './test-service.js';

const Client = grpc.makeGenericClientConstructor(TestService as unknown as grpc.ServiceDefinition, 'Test');
type Fn = (...args: unknown[]) => unknown;
type AnyClient = grpc.Client & { unary: Fn; serverStream: Fn; clientStream: Fn; bidi: Fn };

describe('grpc-js client against the h2 gRPC server', () => {
  let own: OwnServer;
  let client: AnyClient;
  const seen: GrpcServerCall[] = [];
  const extra: Record<string, GrpcServerHandler> = {
    ...serverHandlers,
    // Records the call and never answers: the client's deadline or cancellation must end it.
    '/h2test.Test/Hang': (call) => {
      seen.push(call);
      call.listen({ onMessage() {}, onEnd() {} });
    },
  };
  beforeEach(async () => {
    seen.length = 0;
    own = await startOwnServer({ maxReceiveMessageLength: 8 << 20 }, 'unix', extra);
    client = new Client(`unix:${own.path}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    }) as unknown as AnyClient;
  });
  afterEach(async () => {
    client.close();
    await own.kill();
  });

  const unary = (req: Buffer, md = new grpc.Metadata(), options: grpc.CallOptions = {}) =>
    new Promise<{ res?: Buffer; err?: grpc.ServiceError; headers?: grpc.Metadata; trailers?: grpc.Metadata }>((resolve) => {
      let headers: grpc.Metadata | undefined;
      const call = client.unary!(req, md, options, (err: grpc.ServiceError | null, res?: Buffer) => {
        call.on('status', (s: grpc.StatusObject) => resolve({ res, err: err ?? undefined, headers, trailers: s.metadata }));
      }) as grpc.ClientUnaryCall;
      call.on('metadata', (m: grpc.Metadata) => (headers = m));
    });

  it('answers unary calls with metadata both ways (-bin included) and trailers', async () => {
    const md = new grpc.Metadata();
    md.set('x-echo', 'abc');
    const bin = Buffer.from([0, 1, 2, 250, 255]);
    md.set('x-data-bin', bin);
    const r = await unary(Buffer.from('hello'), md);
    expect(r.err).toBeUndefined();
    expect(r.res!.toString()).toBe('hello');
    expect(r.headers!.get('x-echo')).toEqual(['abc']);
    expect(Buffer.compare(r.headers!.get('x-data-bin')[0] as Buffer, bin)).toBe(0);
    expect(r.trailers!.get('x-trailer')).toEqual(['abc']);
    const many = await Promise.all(Array.from({ length: 300 }, (_, i) => unary(Buffer.from(`m${i}`))));
    expect(many.map((x) => x.res!.toString())).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
  });

  it('sends error statuses with their message percent-encoded and trailers', async () => {
    const md = new grpc.Metadata();
    md.set('x-status', String(Status.NOT_FOUND));
    md.set('x-message', 'no such key: 100%');
    md.set('x-echo', 'e');
    const r = await unary(Buffer.from('x'), md);
    expect(r.err).toMatchObject({ code: Status.NOT_FOUND, details: 'no such key: 100% \u2713' });
    expect(r.trailers!.get('x-trailer')).toEqual(['e']);
  });

  it('streams from the server, to the server, and both ways', async () => {
    const md = new grpc.Metadata();
    md.set('x-count', '5');
    const ss = client.serverStream!(Buffer.from('s'), md) as grpc.ClientReadableStream<Buffer>;
    const got: string[] = [];
    for await (const m of ss) got.push((m as Buffer).toString());
    expect(got).toEqual(['s', 's', 's', 's', 's']);

    const sum = await new Promise<Buffer>((resolve, reject) => {
      const cs = client.clientStream!((err: grpc.ServiceError | null, res: Buffer) => (err ? reject(err) : resolve(res))) as grpc.ClientWritableStream<Buffer>;
      for (const s of ['a', 'bb', 'ccc']) cs.write(Buffer.from(s));
      cs.end();
    });
    expect(sum.readUInt32BE(0)).toBe(3);
    expect(sum.subarray(4).toString()).toBe('abbccc');

    const bidi = client.bidi!() as grpc.ClientDuplexStream<Buffer, Buffer>;
    const echoed: string[] = [];
    const done = (async () => {
      for await (const m of bidi) echoed.push((m as Buffer).toString());
    })();
    for (let i = 0; i < 10; i++) bidi.write(Buffer.from(`b${i}`));
    bidi.end();
    await done;
    expect(echoed).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`));
  });

  it('moves 5 MiB messages both ways, past every flow-control window, several at once', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i += 999) big[i] = i & 0xff;
    const all = await Promise.all(Array.from({ length: 3 }, () => unary(big)));
    for (const r of all) expect(r.res!.equals(big)).toBe(true);
  });

  it('refuses a request message over maxReceiveMessageLength with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const r = await unary(Buffer.alloc(9 << 20));
    expect(r.err).toMatchObject({ code: Status.RESOURCE_EXHAUSTED });
    expect(r.err!.details).toContain('larger than max');
    expect((await unary(Buffer.from('ok'))).res!.toString()).toBe('ok');
  });

  it('answers an unknown method UNIMPLEMENTED as grpc-go words it, without calling a handler', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest('/h2test.Test/Nope', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), (e) => resolve(e!)),
    );
    expect(err).toMatchObject({ code: Status.UNIMPLEMENTED, details: 'unknown method Nope for service h2test.Test' });
  });

  it('ends a call at its deadline: the client sees DEADLINE_EXCEEDED and the handler its signal abort with timeout', async () => {
    const r = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest('/h2test.Test/Hang', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), { deadline: Date.now() + 300 }, (e) => resolve(e!)),
    );
    expect(r.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.deadline).toBeGreaterThan(Date.now() - 5000);
    await new Promise((res) => (seen[0]!.signal.aborted ? res(undefined) : seen[0]!.signal.addEventListener('abort', res)));
    expect(seen[0]!.signal.reason).toBeInstanceOf(PluginError);
    expect(['timeout', 'aborted']).toContain((seen[0]!.signal.reason as PluginError).code);
  });

  it('aborts the handler signal with aborted when the client cancels', async () => {
    const call = client.makeUnaryRequest('/h2test.Test/Hang', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), () => {});
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    const aborted = new Promise((res) => seen[0]!.signal.addEventListener('abort', res));
    call.cancel();
    await aborted;
    expect(seen[0]!.signal.reason).toMatchObject({ code: 'aborted' });
    expect(seen[0]!.metadata.find(([n]) => n === 'user-agent')?.[1]).toContain('grpc-node-js');
    expect(seen[0]!.authority).toBeTypeOf('string');
    expect(seen[0]!.peer).toMatch(/^unix:/);
    expect(seen[0]!.metadata.some(([n]) => n === 'content-type' || n === 'te' || n.startsWith(':'))).toBe(false);
  });

  it('lets a running call finish across a graceful close, then the client gets UNAVAILABLE', async () => {
    await unary(Buffer.from('warm'));
    const md = new grpc.Metadata();
    md.set('x-sleep-ms', '300');
    const slow = unary(Buffer.from('slow'), md);
    await new Promise((r) => setTimeout(r, 100));
    await own.goAway();
    expect((await slow).res!.toString()).toBe('slow');
    const after = await unary(Buffer.from('x'), new grpc.Metadata(), { deadline: Date.now() + 2000 });
    expect(after.err?.code).toBe(Status.UNAVAILABLE);
  });
});
