// Fuzzing of the whole client (frame reader, HPACK decoder, stream and flow-control state, gRPC framing) with a
// fixed budget: mutated and random server transcripts are fed to a connection with calls in flight, then the
// server side ends. Every call must settle, every failure must be a PluginError, and nothing may throw
// elsewhere (vitest fails the run on an uncaught error or unhandled rejection). H2_FUZZ_RUNS raises the budget.
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { HpackEncoder, createCaller, createH2Client } from '../src/index.js';
import { Flag, FrameType, frame, settingsFrame } from '../src/frame.js';
import { TestService } from './test-service.js';

function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
    });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a, b];
}

/** A well-formed answer to streams 1 (unary), 3 (unary) and 5 (server stream), frame by frame. */
function transcript(): Buffer[] {
  const enc = new HpackEncoder(4096);
  const ok: [string, string][] = [[':status', '200'], ['content-type', 'application/grpc'], ['x-meta', 'v']];
  const msg = (s: string): Buffer => {
    const body = Buffer.from(s);
    const out = Buffer.alloc(5 + body.length);
    out.writeUInt32BE(body.length, 1);
    body.copy(out, 5);
    return out;
  };
  // Encoded in the order sent: the HPACK table depends on it.
  const h1 = enc.encode(ok);
  const trailers = enc.encode([['grpc-status', '0'], ['grpc-message', 'fine%20ok'], ['x-trailer', 't']]);
  const split = enc.encode(ok);
  const inc = Buffer.alloc(4);
  inc.writeUInt32BE(1000);
  return [
    settingsFrame([[4, 100000], [5, 20000], [3, 50]]),
    settingsFrame([], true),
    frame(FrameType.WINDOW_UPDATE, 0, 0, inc),
    frame(FrameType.HEADERS, Flag.END_HEADERS, 1, h1),
    frame(FrameType.DATA, 0, 1, msg('one')),
    frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, trailers),
    frame(FrameType.PING, 0, 0, Buffer.alloc(8, 7)),
    frame(FrameType.HEADERS, 0, 3, split.subarray(0, 2)),
    frame(FrameType.CONTINUATION, Flag.END_HEADERS, 3, split.subarray(2)),
    frame(FrameType.DATA, Flag.PADDED, 3, Buffer.concat([Buffer.from([3]), msg('two'), Buffer.alloc(3)])),
    frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, enc.encode([['grpc-status', '0']])),
    frame(FrameType.HEADERS, Flag.END_HEADERS, 5, enc.encode(ok)),
    frame(FrameType.DATA, 0, 5, Buffer.concat([msg('a'), msg('b'), msg('c').subarray(0, 3)])),
    frame(FrameType.DATA, 0, 5, msg('c').subarray(3)),
    frame(FrameType.WINDOW_UPDATE, 0, 5, inc),
    frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 5, enc.encode([['grpc-status', '13'], ['grpc-message', 'bad']])),
    frame(FrameType.RST_STREAM, 0, 5, Buffer.alloc(4)),
    frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(8)),
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('random' as const),
    at: fc.nat(),
    type: fc.integer({ min: 0, max: 11 }),
    flags: fc.integer({ min: 0, max: 255 }),
    stream: fc.oneof(fc.constantFrom(0, 1, 3, 5, 7), fc.nat()),
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(frames: Buffer[], mutations: Mutation[]): Buffer[] {
  const out: Buffer[] = frames.map((f) => Buffer.from(f));
  for (const m of mutations) {
    if (out.length === 0) break;
    const i = m.at % out.length;
    const f = out[i]!;
    switch (m.kind) {
      case 'flip':
        f[m.at % f.length] = m.value;
        break;
      case 'drop':
        out.splice(i, 1);
        break;
      case 'dup':
        out.splice(i, 0, Buffer.from(f));
        break;
      case 'truncate':
        out[i] = f.subarray(0, m.at % f.length);
        break;
      case 'random':
        out.splice(i, 0, frame(m.type, m.flags, m.stream & 0x7fffffff, Buffer.from(m.payload)));
        break;
    }
  }
  return out;
}

async function runCase(bytes: Buffer[], splits: number[]): Promise<unknown[]> {
  const [client, server] = duplexPair();
  server.on('data', () => {});
  const conn = createH2Client(client, { streamWindow: 65535 });
  const caller = createCaller(conn);
  const calls: Promise<unknown>[] = [
    caller.unary(TestService.unary, Buffer.from('1')),
    caller.unary(TestService.unary, Buffer.from('3')),
    (async () => {
      for await (const m of caller.serverStream(TestService.serverStream, Buffer.from('5'))) void m;
    })(),
  ].map((p) => p.catch((e: unknown) => e));
  const all = Buffer.concat(bytes);
  // Deliver in irregular chunks so frames straddle reads.
  let pos = 0;
  for (const s of splits) {
    if (pos >= all.length) break;
    const n = 1 + (s % 200);
    server.write(all.subarray(pos, pos + n));
    pos += n;
    await new Promise((r) => setImmediate(r));
  }
  if (pos < all.length) server.write(all.subarray(pos));
  server.end();
  const results = await Promise.all(calls);
  for (const r of results) if (r !== undefined && !Buffer.isBuffer(r)) expect(r).toBeInstanceOf(PluginError);
  await conn.closed;
  expect(conn.streamCount).toBe(0);
  return results;
}

describe('h2 client fuzzing', () => {
  const runs = Number(process.env.H2_FUZZ_RUNS ?? 150);
  let reachedData = 0;

  it('the unmutated transcript completes every call', async () => {
    const [one, two, stream] = await runCase(transcript(), [7, 50, 3, 199]);
    expect(String(one)).toBe('one');
    expect(String(two)).toBe('two');
    expect(stream).toMatchObject({ code: 'remote', grpcStatus: 13 });
  });

  it('settles every call with a value or a PluginError on mutated server transcripts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 }), async (mutations, splits) => {
        const results = await runCase(mutate(transcript(), mutations), splits);
        if (results.some((r) => Buffer.isBuffer(r))) reachedData++;
      }),
      { numRuns: runs },
    );
    // The mutations must leave many transcripts good enough to carry calls through, or they test only the preface.
    expect(reachedData).toBeGreaterThan(runs / 10);
  });

  it('settles every call on random server bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        await runCase([Buffer.from(bytes)], []);
      }),
      { numRuns: runs },
    );
  });
});
