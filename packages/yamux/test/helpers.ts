// Test helpers of yamux's own tests: the shared ones (also used by other packages) live in src/testing.ts, exported
// as `@plugwire/yamux/testing`; a TS session facing a raw socket is yamux's own.
import type { Socket } from 'node:net';
import { createFrameDecoder, createSession, type DecodedFrame, type YamuxOptions, type YamuxSession } from '../src/index.js';
import { socketPair } from '../src/testing.js';

export * from '../src/testing.js';

export interface RawPeer {
  readonly session: YamuxSession;
  readonly raw: Socket;
  /** Frames the session sent so far. */
  readonly frames: DecodedFrame[];
  /** Resolves with the first frame (already sent or still to come) matching `match`. */
  frame(match: (f: DecodedFrame) => boolean): Promise<DecodedFrame>;
  send(...bytes: Buffer[]): void;
  cleanup(): Promise<void>;
}

/** A TS session facing a raw socket the test writes frames to by hand. */
export async function rawPeer(role: 'client' | 'server', options?: YamuxOptions): Promise<RawPeer> {
  const pair = await socketPair();
  const session = createSession(pair.a, role, options);
  const frames: DecodedFrame[] = [];
  const waiters: Array<{ match: (f: DecodedFrame) => boolean; resolve: (f: DecodedFrame) => void }> = [];
  const decoder = createFrameDecoder(
    (f) => {
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.match(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    },
    { maxDataLength: 16 << 20 },
  );
  pair.b.on('data', (c: Buffer) => decoder.push(c));
  pair.b.on('error', () => {});
  return {
    session,
    raw: pair.b,
    frames,
    frame(match) {
      const seen = frames.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    send(...bytes) {
      for (const b of bytes) pair.b.write(b);
    },
    async cleanup() {
      session.abort();
      await session.closed;
      pair.cleanup();
    },
  };
}
