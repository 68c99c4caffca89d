// grpc-go pings with every response while no ping of its own is outstanding (its bandwidth estimator). The ACK is
// queued rather than written at once, so that a caller starting its next call in answer to the response sends the
// ACK and the next request in one write: one wake-up of the plugin per sequential call instead of two.
import { afterEach, expect, it } from 'vitest';
import { createCaller, createH2Client, type H2Connection } from '../src/index.js';
import { Flag, FrameReader, FrameType, frame, type Frame } from '../src/frame.js';
import { rawPeer, type RawPeer } from './raw-peer.js';
import { TestService } from './test-service.js';

let peer: RawPeer | undefined;
let conn: H2Connection | undefined;
afterEach(async () => {
  conn?.abort();
  await conn?.closed;
  await peer?.close();
});

/** The frames of each buffer the client writes (after the preface). */
function recordWrites(socket: RawPeer['client']): Frame[][] {
  const writes: Frame[][] = [];
  const original = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  socket.write = ((chunk: Buffer) => {
    const frames: Frame[] = [];
    try {
      new FrameReader(1 << 24).push(Buffer.from(chunk), (f) => frames.push({ ...f, payload: Buffer.from(f.payload) }));
    } catch {
      // the preface is not a frame
    }
    writes.push(frames);
    return original(chunk);
  }) as typeof socket.write;
  return writes;
}

it('acknowledges a PING that came with a response in the same write as the next request', async () => {
  peer = await rawPeer();
  const writes = recordWrites(peer.client);
  conn = createH2Client(peer.client);
  peer.send(FrameType.SETTINGS, 0, 0);
  const caller = createCaller(conn);
  const first = caller.unary(TestService.unary, Buffer.from('a'));
  await peer.waitFor((f) => f.type === FrameType.HEADERS && f.streamId === 1);
  // The response as grpc-go sends it: headers, a PING, the message and the trailers in one write.
  const message = Buffer.from([0, 0, 0, 0, 1, 0x61]);
  peer.socket.write(
    Buffer.concat([
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, peer.headers([[':status', '200'], ['content-type', 'application/grpc']])),
      frame(FrameType.PING, 0, 0, Buffer.from('bdp-ping')),
      frame(FrameType.DATA, 0, 1, message),
      frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, peer.headers([['grpc-status', '0']])),
    ]),
  );
  await first;
  const second = caller.unary(TestService.unary, Buffer.from('b')).catch(() => undefined);
  const ack = await peer.waitFor((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0);
  expect(ack.payload.toString()).toBe('bdp-ping');
  const withAck = writes.find((w) => w.some((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0));
  expect(withAck?.some((f) => f.type === FrameType.HEADERS && f.streamId === 3)).toBe(true);
  conn.abort();
  await second;
});

it('acknowledges a PING on its own when nothing else is sent in that turn of the event loop', async () => {
  peer = await rawPeer();
  conn = createH2Client(peer.client);
  peer.send(FrameType.SETTINGS, 0, 0);
  peer.send(FrameType.PING, 0, 0, Buffer.from('keepaliv'));
  const ack = await peer.waitFor((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0);
  expect(ack.payload.toString()).toBe('keepaliv');
});
