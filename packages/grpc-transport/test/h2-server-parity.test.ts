// Handler-semantics parity: the same grpc-js handlers served by plugwire's h2 server and by grpc-js's server,
// called by the same grpc-js client, give the same replies, status codes, details, headers and trailers; the
// handlers see the same metadata, cancellation, deadline and backpressure. Both drop a peer sending garbage and
// close a connection that never spoke HTTP/2.
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConnectionServer } from '../src/grpc-server.js';
import { serveOn, type ServingServer } from '../src/serve-on.js';
import { SERVER_TRANSPORTS } from './transports.js';
import { socketDir, unixListener } from './support.js';

interface Msg {
  readonly mode?: string;
  readonly n?: number;
  readonly size?: number;
  readonly text?: string;
  readonly seen?: unknown;
}

const serialize = (value: Msg): Buffer => {
  if (value.seen === 'unserializable') throw new Error('cannot serialize this');
  return Buffer.from(JSON.stringify(value));
};
const deserialize = (bytes: Buffer): Msg => JSON.parse(bytes.toString()) as Msg;

function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Msg, Msg> {
  return {
    path: `/parity.Parity/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  };
}

const service = {
  unary: method('Unary', false, false),
  serverStream: method('ServerStream', false, true),
  clientStream: method('ClientStream', true, false),
  bidi: method('Bidi', true, true),
  missing: method('Missing', false, false),
} satisfies grpc.ServiceDefinition;

/** What the handlers observed, per test. */
interface Observed {
  cancelled: string[];
  started: number;
  backpressure: boolean;
  deadline?: boolean;
}

function handlers(observed: Observed): grpc.UntypedServiceImplementation {
  const unary: grpc.handleUnaryCall<Msg, Msg> = (call, callback) => {
    const req = call.request;
    const trailer = new grpc.Metadata();
    trailer.set('x-trail', 't');
    trailer.set('x-trail-bin', Buffer.from([0, 1, 2, 255]));
    switch (req.mode) {
      case 'ok': {
        const head = new grpc.Metadata();
        head.set('x-head', 'h');
        call.sendMetadata(head);
        const bin = call.metadata.get('x-in-bin')[0];
        callback(null, { text: req.text, seen: { in: call.metadata.get('x-in'), bin: Buffer.isBuffer(bin) ? [...bin] : null, path: call.getPath() } }, trailer);
        return;
      }
      case 'status-error':
        callback({ code: grpc.status.NOT_FOUND, details: 'no such key', metadata: trailer });
        return;
      case 'plain-error':
        callback(new Error('plain failure'));
        return;
      case 'throw':
        throw new Error('handler threw');
      case 'unserializable':
        callback(null, { seen: 'unserializable' });
        return;
      case 'deadline':
        observed.deadline = Number.isFinite(call.getDeadline() as number) || call.getDeadline() instanceof Date;
        call.on('cancelled', () => observed.cancelled.push('deadline'));
        return;
      case 'hang':
        call.on('cancelled', () => observed.cancelled.push(String(call.cancelled)));
        observed.started++;
        return;
      default:
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `mode ${req.mode}` });
    }
  };
  const serverStream: grpc.handleServerStreamingCall<Msg, Msg> = (call) => {
    const { n = 0, size = 1, mode } = call.request;
    void (async () => {
      for (let i = 0; i < n; i++) {
        if (mode === 'error' && i === 2) {
          call.emit('error', { code: grpc.status.ABORTED, details: 'stream failed', metadata: new grpc.Metadata() });
          return;
        }
        if (!call.write({ n: i, text: 'x'.repeat(size) })) {
          observed.backpressure = true;
          await new Promise((resolve) => call.once('drain', resolve));
        }
      }
      const trailer = new grpc.Metadata();
      trailer.set('x-done', String(n));
      call.end(trailer);
    })();
  };
  const clientStream: grpc.handleClientStreamingCall<Msg, Msg> = (call, callback) => {
    const style = call.metadata.get('x-style')[0];
    if (style === 'for-await' || style === 'slow') {
      // The iterator destroys the stream when the loop ends; the callback still answers (as on grpc-js).
      void (async () => {
        let sum = 0;
        for await (const m of call as AsyncIterable<Msg>) {
          sum += m.n ?? 0;
          if (style === 'slow') await new Promise((resolve) => setTimeout(resolve, 2));
        }
        callback(null, { n: sum });
      })();
      return;
    }
    let sum = 0;
    call.on('data', (m: Msg) => (sum += m.n ?? 0));
    call.on('end', () => callback(null, { n: sum }));
  };
  const bidi: grpc.handleBidiStreamingCall<Msg, Msg> = (call) => {
    let hanging = false;
    call.on('data', (m: Msg) => {
      if (m.mode === 'hang') {
        hanging = true;
        call.on('cancelled', () => observed.cancelled.push('bidi'));
        observed.started++;
      } else call.write({ n: (m.n ?? 0) * 2 });
    });
    // A hanging call does not answer even when the client half-closes: only a cancel ends it.
    call.on('end', () => hanging || call.end());
  };
  return { unary, serverStream, clientStream, bidi };
}

interface Outcome {
  value?: Msg;
  code: number;
  details: string;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
}

function plain(md: grpc.Metadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(md.getMap())) if (k.startsWith('x-')) out[k] = Buffer.isBuffer(v) ? [...v] : v;
  return out;
}

describe.each(SERVER_TRANSPORTS)('grpc-js handlers served by the %s server', (kind) => {
  let dir: ReturnType<typeof socketDir>;
  let serving: ServingServer;
  let client: grpc.Client;
  let observed: Observed;
  let socketPath: string;
  let registrar: ReturnType<typeof createConnectionServer>['registrar'];

  beforeEach(async () => {
    dir = socketDir();
    observed = { cancelled: [], started: 0, backpressure: false };
    const server = createConnectionServer(kind, 4 * 1024 * 1024);
    server.registrar.addService(service, handlers(observed));
    registrar = server.registrar;
    const listener = await unixListener(dir.dir);
    serving = serveOn(server, listener);
    socketPath = listener.address.address;
    client = new grpc.Client(`unix:${listener.address.address}`, grpc.credentials.createInsecure());
  });
  afterEach(async () => {
    client.close();
    await serving.close();
    expect(dir.files()).toEqual([]);
    dir.remove();
  });

  function unary(req: Msg | Buffer, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}, path = service.unary.path): Promise<Outcome> {
    return new Promise((resolve) => {
      const out: Outcome = { code: -1, details: '', headers: {}, trailers: {} };
      const call = client.makeUnaryRequest<Msg | Buffer, Msg>(
        path,
        (v) => (Buffer.isBuffer(v) ? v : serialize(v)),
        deserialize,
        req,
        metadata,
        options,
        (err, value) => {
          if (value) out.value = value;
          if (err) {
            out.code = err.code;
            out.details = err.details;
          }
        },
      );
      call.on('metadata', (md) => (out.headers = plain(md)));
      call.on('status', (status) => {
        out.code = status.code;
        out.details = status.code === 0 ? '' : status.details;
        out.trailers = plain(status.metadata);
        setImmediate(() => resolve(out));
      });
    });
  }

  it('unary: reply, request metadata (-bin decoded), response headers and trailers', async () => {
    const md = new grpc.Metadata();
    md.set('x-in', 'hello');
    md.set('x-in-bin', Buffer.from([9, 8, 7]));
    const out = await unary({ mode: 'ok', text: 'hi' }, md);
    expect(out).toEqual({
      value: { text: 'hi', seen: { in: ['hello'], bin: [9, 8, 7], path: '/parity.Parity/Unary' } },
      code: 0,
      details: '',
      headers: { 'x-head': 'h' },
      trailers: { 'x-trail': 't', 'x-trail-bin': [0, 1, 2, 255] },
    });
  });

  it("unary errors follow grpc-js's rules: a status error with its trailers, an Error → UNKNOWN, a throw, a failing serializer", async () => {
    expect(await unary({ mode: 'status-error' })).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'no such key', trailers: { 'x-trail': 't', 'x-trail-bin': [0, 1, 2, 255] } });
    expect(await unary({ mode: 'plain-error' })).toMatchObject({ code: grpc.status.UNKNOWN, details: 'plain failure' });
    expect(await unary({ mode: 'throw' })).toMatchObject({ code: grpc.status.UNKNOWN, details: 'Unknown error' });
    expect(await unary({ mode: 'unserializable' })).toMatchObject({ code: grpc.status.INTERNAL, details: 'Error serializing response' });
    // The server survived all of them.
    expect((await unary({ mode: 'ok', text: 'still' })).value?.text).toBe('still');
  });

  it('a request that does not deserialize is INTERNAL; a method the implementation lacks is UNIMPLEMENTED', async () => {
    expect(await unary(Buffer.from('{not json'))).toMatchObject({ code: grpc.status.INTERNAL, details: 'Error deserializing request' });
    expect(await unary({ mode: 'ok' }, undefined, undefined, service.missing.path)).toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
      details: 'The server does not implement the method missing',
    });
  });

  it('the handler sees the deadline, and is cancelled when it passes', async () => {
    const out = await unary({ mode: 'deadline' }, undefined, { deadline: Date.now() + 300 });
    expect(out.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(observed.deadline).toBe(true);
    await expect.poll(() => observed.cancelled).toEqual(['deadline']);
  });

  it('the handler sees the client cancel (cancelled set, cancelled event)', async () => {
    const call = client.makeUnaryRequest<Msg, Msg>(service.unary.path, serialize, deserialize, { mode: 'hang' }, () => undefined);
    await expect.poll(() => observed.started).toBe(1);
    call.cancel();
    await expect.poll(() => observed.cancelled).toEqual(['true']);
  });

  it('server streaming: messages in order, backpressure while the client does not read, trailers on end', async () => {
    const call = client.makeServerStreamRequest<Msg, Msg>(service.serverStream.path, serialize, deserialize, { n: 64, size: 64 * 1024 });
    call.pause();
    await expect.poll(() => observed.backpressure).toBe(true);
    const got: number[] = [];
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('data', (m: Msg) => got.push(m.n ?? -1));
    call.resume();
    const st = await status;
    expect(st.code).toBe(0);
    expect(plain(st.metadata)).toEqual({ 'x-done': '64' });
    expect(got).toEqual([...Array(64).keys()]);
  });

  it("server streaming: emit('error', status) ends the call with that status after the messages sent", async () => {
    const call = client.makeServerStreamRequest<Msg, Msg>(service.serverStream.path, serialize, deserialize, { n: 5, mode: 'error' });
    const got: number[] = [];
    call.on('data', (m: Msg) => got.push(m.n ?? -1));
    call.on('error', () => undefined);
    const st = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect({ code: st.code, details: st.details, got }).toEqual({ code: grpc.status.ABORTED, details: 'stream failed', got: [0, 1] });
  });

  it.each(['events', 'for-await'])('client streaming (%s): the handler reads every message and answers once the client ended', async (style) => {
    const md = new grpc.Metadata();
    md.set('x-style', style);
    const result = await new Promise<Msg>((resolve, reject) => {
      const call = client.makeClientStreamRequest<Msg, Msg>(service.clientStream.path, serialize, deserialize, md, (err, value) => (err ? reject(err) : resolve(value!)));
      for (let i = 1; i <= 100; i++) call.write({ n: i });
      call.end();
    });
    expect(result).toEqual({ n: 5050 });
  });

  it('client streaming: a handler slower than the client (paused reads) still gets every message in order', async () => {
    const md = new grpc.Metadata();
    md.set('x-style', 'slow');
    const big = 'y'.repeat(256 * 1024);
    const result = await new Promise<Msg>((resolve, reject) => {
      const call = client.makeClientStreamRequest<Msg, Msg>(service.clientStream.path, serialize, deserialize, md, (err, value) => (err ? reject(err) : resolve(value!)));
      // 32 × 256 KiB: more than the stream's receive window, so the server must pause and resume the client.
      for (let i = 1; i <= 32; i++) call.write({ n: i, text: big });
      call.end();
    });
    expect(result).toEqual({ n: 528 });
  });

  it('bidi: replies interleave with requests; cancellation reaches the handler', async () => {
    const call = client.makeBidiStreamRequest<Msg, Msg>(service.bidi.path, serialize, deserialize);
    const got: number[] = [];
    call.on('data', (m: Msg) => got.push(m.n ?? -1));
    for (let i = 1; i <= 3; i++) {
      call.write({ n: i });
      await expect.poll(() => got.length).toBe(i);
    }
    expect(got).toEqual([2, 4, 6]);
    call.write({ mode: 'hang' });
    await expect.poll(() => observed.started).toBe(1);
    call.on('error', () => undefined);
    call.cancel();
    await expect.poll(() => observed.cancelled).toEqual(['bidi']);
  });

  it('bidi: ending both sides ends the call OK', async () => {
    const call = client.makeBidiStreamRequest<Msg, Msg>(service.bidi.path, serialize, deserialize);
    const got: number[] = [];
    call.on('data', (m: Msg) => got.push(m.n ?? -1));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.write({ n: 5 });
    call.end();
    expect((await status).code).toBe(0);
    expect(got).toEqual([10]);
  });

  it('a peer sending garbage loses its connection; the server keeps serving', async () => {
    const raw = connect(socketPath);
    raw.on('error', () => undefined);
    raw.resume(); // read what the server sends, so its hang-up is seen
    await once(raw, 'connect');
    raw.write(Buffer.alloc(64 * 1024, 'x'));
    await once(raw, 'close');
    expect((await unary({ mode: 'ok', text: 'after' })).value?.text).toBe('after');
  });

  it('close() ends a connection that never sent the HTTP/2 preface (after the grace period at most)', async () => {
    const raw = connect(socketPath);
    raw.on('error', () => undefined);
    raw.resume(); // read what the server sends, so its hang-up is seen
    await once(raw, 'connect');
    const closed = once(raw, 'close');
    await serving.close();
    await closed;
  });

  it('addService refuses a method added twice; after removeService its methods are UNIMPLEMENTED', async () => {
    expect(() => registrar.addService(service, handlers(observed))).toThrow('Method handler for /parity.Parity/Unary already provided.');
    registrar.removeService(service);
    expect((await unary({ mode: 'ok' })).code).toBe(grpc.status.UNIMPLEMENTED);
  });
});
