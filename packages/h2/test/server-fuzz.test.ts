// Fuzzing of the whole server (preface check, frame reader, HPACK decoder, stream and flow-control state, gRPC
// request checks and framing) with a fixed budget: mutated and random client transcripts are fed to a server
// connection, then the client side ends. The connection must close, every call a handler saw must end (answered
// or its signal aborted with a PluginError), and nothing may throw elsewhere (vitest fails the run on an uncaught
// error or unhandled rejection). H2_FUZZ_RUNS raises the budget.
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { HpackEncoder, PREFACE, serveGrpcConnection, type GrpcServerCall, type GrpcServerHandler } from '../src/index.js';
import { ErrorCode, Flag, FrameType, frame, settingsFrame } from '../src/frame.js';
import { REQUEST } from './raw-client.js';

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

const msg = (s: string): Buffer => {
  const body = Buffer.from(s);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A well-formed client session: unary 1, unary 3 (split header block, padded DATA), bidi 5, cancelled 7. */
function transcript(): Buffer[] {
  const enc = new HpackEncoder(4096);
  const h1 = enc.encode([...REQUEST('/t.T/Echo'), ['x-meta', 'v'], ['grpc-timeout', '10S']]);
  const h3 = enc.encode([...REQUEST('/t.T/Echo'), ['x-bin', 'AAEC']]);
  const h5 = enc.encode(REQUEST('/t.T/Echo'));
  const h7 = enc.encode(REQUEST('/t.T/Hang'));
  return [
    Buffer.from(PREFACE),
    settingsFrame([[4, 100000], [5, 20000], [1, 1024]]),
    settingsFrame([], true),
    frame(FrameType.WINDOW_UPDATE, 0, 0, u32(1000)),
    frame(FrameType.HEADERS, Flag.END_HEADERS, 1, h1),
    frame(FrameType.DATA, Flag.END_STREAM, 1, msg('one')),
    frame(FrameType.PING, 0, 0, Buffer.alloc(8, 7)),
    frame(FrameType.HEADERS, 0, 3, h3.subarray(0, 2)),
    frame(FrameType.CONTINUATION, Flag.END_HEADERS, 3, h3.subarray(2)),
    frame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 3, Buffer.concat([Buffer.from([3]), msg('two'), Buffer.alloc(3)])),
    frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY, 5, Buffer.concat([Buffer.alloc(5), h5])),
    frame(FrameType.DATA, 0, 5, Buffer.concat([msg('a'), msg('b'), msg('c').subarray(0, 3)])),
    frame(FrameType.DATA, 0, 5, msg('c').subarray(3)),
    frame(FrameType.WINDOW_UPDATE, 0, 5, u32(1000)),
    frame(FrameType.DATA, Flag.END_STREAM, 5, Buffer.alloc(0)),
    frame(FrameType.HEADERS, Flag.END_HEADERS, 7, h7),
    frame(FrameType.RST_STREAM, 0, 7, u32(ErrorCode.CANCEL)),
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
    stream: fc.oneof(fc.constantFrom(0, 1, 3, 5, 7, 9), fc.nat()),
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(frames: Buffer[], mutations: Mutation[]): Buffer[] {
  const out: Buffer[] = frames.map((f) => Buffer.from(f));
  for (const m of mutations) {
    if (out.length === 0) break;
    // The preface (index 0) is left alone by most mutations, or nearly every case would only test it.
    const i = out.length > 1 && m.kind !== 'flip' ? 1 + (m.at % (out.length - 1)) : m.at % out.length;
    const f = out[i]!;
    switch (m.kind) {
      case 'flip':
        if (f.length > 0) f[m.at % f.length] = m.value;
        break;
      case 'drop':
        out.splice(i, 1);
        break;
      case 'dup':
        out.splice(i, 0, Buffer.from(f));
        break;
      case 'truncate':
        out[i] = f.subarray(0, f.length === 0 ? 0 : m.at % f.length);
        break;
      case 'random':
        out.splice(i, 0, frame(m.type, m.flags, m.stream & 0x7fffffff, Buffer.from(m.payload)));
        break;
    }
  }
  return out;
}

async function runCase(bytes: Buffer[], splits: number[]): Promise<{ answered: number; calls: number }> {
  const [client, server] = duplexPair();
  client.on('data', () => {});
  const calls: GrpcServerCall[] = [];
  const ended = new Set<GrpcServerCall>();
  let answered = 0;
  const handlers: Record<string, GrpcServerHandler> = {
    '/t.T/Echo': (call) => {
      calls.push(call);
      call.listen({
        onMessage: (m) => call.sendMessage(m),
        onEnd: () => {
          answered++;
          ended.add(call);
          call.end({ code: 0, details: 'fine \u2713' });
        },
      });
    },
    '/t.T/Hang': (call) => {
      calls.push(call);
      call.listen({ onMessage() {}, onEnd() {} });
    },
  };
  const conn = serveGrpcConnection(server, (p) => handlers[p], { streamWindow: 65535 });
  const all = Buffer.concat(bytes);
  // Deliver in irregular chunks so frames straddle reads.
  let pos = 0;
  for (const s of splits) {
    if (pos >= all.length) break;
    const n = 1 + (s % 200);
    client.write(all.subarray(pos, pos + n));
    pos += n;
    await new Promise((r) => setImmediate(r));
  }
  if (pos < all.length) client.write(all.subarray(pos));
  client.end();
  await conn.closed;
  for (const call of calls) {
    // Every call ended: answered, or its signal aborted with a PluginError (the connection closed under it).
    if (ended.has(call)) continue;
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBeInstanceOf(PluginError);
  }
  expect(calls.length).toBeLessThanOrEqual(all.length / 9);
  return { answered, calls: calls.length };
}

describe('h2 server fuzzing', () => {
  const runs = Number(process.env.H2_FUZZ_RUNS ?? 150);
  let reachedAnswers = 0;

  it('the unmutated transcript answers every call', async () => {
    const r = await runCase(transcript(), [7, 50, 3, 199, 24, 11]);
    expect(r).toEqual({ answered: 3, calls: 4 });
  });

  it('closes, and ends every call, on mutated client transcripts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 }), async (mutations, splits) => {
        const r = await runCase(mutate(transcript(), mutations), splits);
        if (r.answered > 0) reachedAnswers++;
      }),
      { numRuns: runs },
    );
    // The mutations must leave many transcripts good enough to carry calls through, or they test only the preface.
    expect(reachedAnswers).toBeGreaterThan(runs / 10);
  });

  it('closes on random client bytes, with and without a valid preface', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 400 }), async (preface, bytes) => {
        await runCase(preface ? [Buffer.from(PREFACE), Buffer.from(bytes)] : [Buffer.from(bytes)], []);
      }),
      { numRuns: runs },
    );
  });
});
