// Hostile peers: raw bytes written at a TS session. Every malformed input ends the session with a protocol
// PluginError and a go-away (protocol error) on the wire; never a hang, a crash or a giant buffer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { createFrameDecoder, createSession, encodeHeader, Flag, FrameType, type DecodedFrame } from '../src/index.js';
import { socketPair } from './helpers.js';

/** Sends `bytes` to a client session from a raw socket; resolves with the session's error and the frames it sent. */
async function feed(bytes: Buffer[], endAfter = false) {
  const pair = await socketPair();
  const session = createSession(pair.a, 'client', { enableKeepAlive: false });
  const frames: DecodedFrame[] = [];
  const decoder = createFrameDecoder((f) => frames.push(f), { maxDataLength: 1 << 20 });
  pair.b.on('data', (c: Buffer) => decoder.push(c));
  pair.b.on('error', () => {});
  for (const b of bytes) pair.b.write(b);
  if (endAfter) pair.b.end();
  await session.closed;
  pair.cleanup();
  return { error: session.error, frames };
}

const syn = (id: number): Buffer => encodeHeader(FrameType.WindowUpdate, Flag.SYN, id, 0);

describe('yamux session against hostile input', () => {
  it.each([
    ['a bad version', [Buffer.from([7, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0])], /invalid protocol version/],
    ['an unknown frame type', [Buffer.from([0, 9, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0])], /invalid frame type/],
    ['a data frame longer than any window', [syn(2), encodeHeader(FrameType.Data, 0, 2, 0xfffffff0)], /exceeds/],
    [
      'data beyond the stream window',
      [syn(2), encodeHeader(FrameType.Data, 0, 2, 200_000), Buffer.alloc(200_000), encodeHeader(FrameType.Data, 0, 2, 100_000), Buffer.alloc(100_000)],
      /only 62144 left in its window/,
    ],
    // Rejected at the header, before any payload arrives: nothing is buffered for it (no payload is sent here).
    ['a data frame longer than its stream window', [syn(2), encodeHeader(FrameType.Data, 0, 2, 1 << 20)], /1048576 bytes with only 262144 left/],
    ['a SYN with more data than the initial window', [encodeHeader(FrameType.Data, Flag.SYN, 2, 300_000)], /more than the 262144-byte initial window/],
    ['a stream id of this side’s parity', [syn(3)], /this side's parity/],
    ['stream id 0 with SYN', [syn(0)], /parity/],
    ['the same stream opened twice', [syn(2), syn(2)], /twice/],
    ['a reused stream id', [syn(2), encodeHeader(FrameType.WindowUpdate, Flag.RST, 2, 0), syn(4), syn(2)], /reused stream id 2/],
    ['a second FIN', [syn(2), encodeHeader(FrameType.WindowUpdate, Flag.FIN, 2, 0), encodeHeader(FrameType.WindowUpdate, Flag.FIN, 2, 0)], /second FIN/],
    ['a window update overflowing 32 bits', [syn(2), encodeHeader(FrameType.WindowUpdate, 0, 2, 0xffffffff)], /overflows/],
  ])('ends the session on %s with a protocol go-away', async (_name, bytes, message) => {
    const { error, frames } = await feed(bytes);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: 'protocol', goAwayCode: 1 });
    expect(error?.message).toMatch(message);
    const goAway = frames.find((f) => f.type === FrameType.GoAway);
    expect(goAway?.length).toBe(1);
  });

  it('ends cleanly on any random garbage followed by EOF', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }), async (chunks) => {
        const { error } = await feed(
          chunks.map((c) => Buffer.from(c)),
          true,
        );
        expect(error).toBeInstanceOf(PluginError);
        expect(['protocol', 'closed', 'remote', 'unavailable']).toContain(error?.code);
      }),
      { numRuns: 60 },
    );
  });
});
