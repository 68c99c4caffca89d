// Receive-window growth: a stream starts at yamux's 256 KiB and doubles its window while the application reads
// everything that arrives, up to maxStreamWindowSize; a raw peer checks the exact window updates on the wire.
// Also: data for reset streams is skipped, and replies to one received chunk leave in one write.
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { createFrameDecoder, createSession, encodeHeader, Flag, FrameType, type DecodedFrame, type YamuxStream } from '../src/index.js';
import { rawPeer, socketPair } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const FRAME = 128 * KiB;

const isUpdate = (id: number) => (f: DecodedFrame) => f.type === FrameType.WindowUpdate && f.streamId === id && f.length > 0;

describe('yamux receive window', () => {
  it('doubles while the reader keeps up, up to maxStreamWindowSize, and never lets the peer past it', async () => {
    const peer = await rawPeer('client', { enableKeepAlive: false, maxStreamWindowSize: MiB });
    try {
      const accepted = peer.session.accept();
      peer.send(encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0));
      const s = await accepted;
      let read = 0;
      const all = new Promise<void>((resolve) =>
        s.on('data', (c: Buffer) => {
          read += c.length;
          if (read === 16 * FRAME) resolve();
        }),
      );
      // Send 128 KiB frames within the window granted so far, as a Go writer does.
      let window = 256 * KiB;
      let seen = 0;
      const deltas: number[] = [];
      for (let i = 0; i < 16; i++) {
        while (window < FRAME) {
          const u = await peer.frame(nthUpdate(++seen));
          window += u.length;
          deltas.push(u.length / KiB);
        }
        peer.send(encodeHeader(FrameType.Data, 0, 2, FRAME), Buffer.alloc(FRAME, i));
        window -= FRAME;
        // Never more than maxStreamWindowSize outstanding.
        expect(window + (i + 1) * FRAME - read).toBeLessThanOrEqual(MiB);
      }
      await all;
      // 256 KiB → 512 KiB (update of 384 KiB after 128 KiB read), → 1 MiB (768 KiB), then half of 1 MiB at a time.
      expect(deltas.slice(0, 4)).toEqual([384, 768, 512, 512]);
    } finally {
      await peer.cleanup();
    }
  });

  it('does not grow for a reader that falls behind: the peer stays held to 256 KiB', async () => {
    const peer = await rawPeer('client', { enableKeepAlive: false, maxStreamWindowSize: MiB });
    try {
      const accepted = peer.session.accept();
      peer.send(encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0));
      const s: YamuxStream = await accepted;
      s.on('error', () => {});
      // Nobody reads: 256 KiB fills the window and earns no update; one byte more is a protocol error.
      peer.send(encodeHeader(FrameType.Data, 0, 2, FRAME), Buffer.alloc(FRAME), encodeHeader(FrameType.Data, 0, 2, FRAME), Buffer.alloc(FRAME));
      await processed(peer, 7);
      expect(peer.frames.filter(isUpdate(2))).toEqual([]);
      peer.send(encodeHeader(FrameType.Data, 0, 2, 1), Buffer.alloc(1));
      await peer.session.closed;
      expect(peer.session.error).toBeInstanceOf(PluginError);
      expect(peer.session.error).toMatchObject({ code: 'protocol' });
      expect(peer.session.error?.message).toMatch(/only 0 left in its window/);
    } finally {
      await peer.cleanup();
    }
  });

  it('skips data still in flight for a stream this side reset, and goes on with the next frames', async () => {
    const peer = await rawPeer('client', { enableKeepAlive: false });
    try {
      const accepted = peer.session.accept();
      peer.send(encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0));
      const s = await accepted;
      s.reset();
      await peer.frame((f) => f.streamId === 2 && (f.flags & Flag.RST) !== 0);
      peer.send(encodeHeader(FrameType.Data, 0, 2, FRAME), Buffer.alloc(FRAME / 2));
      await new Promise((r) => setImmediate(r));
      peer.send(Buffer.alloc(FRAME / 2));
      await processed(peer, 9);
      expect(peer.session.isClosed).toBe(false);
      const next = peer.session.accept();
      peer.send(encodeHeader(FrameType.Data, Flag.SYN, 4, 2), Buffer.from('hi'));
      const s4 = await next;
      expect(String(await new Promise<Buffer>((resolve) => s4.once('data', resolve)))).toBe('hi');
    } finally {
      await peer.cleanup();
    }
  });

  it('stays at 256 KiB with maxStreamWindowSize 262144 (Go’s fixed window), re-opened by resume() without a data listener', async () => {
    const peer = await rawPeer('client', { enableKeepAlive: false, maxStreamWindowSize: 256 * KiB });
    try {
      const accepted = peer.session.accept();
      peer.send(encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0));
      const s = await accepted;
      s.resume(); // consumes through read(): Node calls _read only when it wants more
      peer.send(encodeHeader(FrameType.Data, 0, 2, FRAME), Buffer.alloc(FRAME));
      const u = await peer.frame(isUpdate(2));
      expect(u.length).toBe(FRAME); // what was read, nothing more
    } finally {
      await peer.cleanup();
    }
  });
});

/** Resolves once the session has handled everything sent before: it answers a ping sent after it. */
async function processed(peer: Awaited<ReturnType<typeof rawPeer>>, value: number): Promise<void> {
  peer.send(encodeHeader(FrameType.Ping, Flag.SYN, 0, value));
  await peer.frame((f) => f.type === FrameType.Ping && (f.flags & Flag.ACK) !== 0 && f.length === value);
}

/** Matches the `n`th window update of stream 2 (frames are matched in order). */
function nthUpdate(n: number): (f: DecodedFrame) => boolean {
  let k = 0;
  return (f) => isUpdate(2)(f) && ++k === n;
}

describe('yamux write batching', () => {
  it('answers 16 pings that arrived in one chunk with one write to the connection', async () => {
    const pair = await socketPair();
    let writes = 0;
    const conn = pair.a as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    for (const name of ['_write', '_writev'] as const) {
      const original = conn[name].bind(pair.a);
      conn[name] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    const session = createSession(pair.a, 'client', { enableKeepAlive: false });
    try {
      let acks = 0;
      const all = new Promise<void>((resolve) => {
        const d = createFrameDecoder(
          (f) => {
            if (f.type === FrameType.Ping && ++acks === 16) resolve();
          },
          { maxDataLength: 1 << 20 },
        );
        pair.b.on('data', (c: Buffer) => d.push(c));
      });
      pair.b.write(Buffer.concat(Array.from({ length: 16 }, (_, i) => encodeHeader(FrameType.Ping, Flag.SYN, 0, i))));
      await all;
      expect(writes).toBe(1);
    } finally {
      session.abort();
      await session.closed;
      pair.cleanup();
    }
  });
});
