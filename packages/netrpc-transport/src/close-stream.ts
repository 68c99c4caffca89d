// Closing a connection the way Go's net/rpc closes its conn: send our end (FIN after the queued data) and do not
// wait for the peer, which may keep its side open (a Go rpc.Client never closes on EOF). A yamux stream is then
// released by its session when the peer ends too or the session closes; any other Duplex is destroyed.
import type { Duplex } from 'node:stream';

interface Resettable {
  reset(): void;
}

function isYamuxStream(stream: Duplex): stream is Duplex & Resettable {
  return typeof (stream as Partial<Resettable>).reset === 'function';
}

/** Ends `stream` after its queued data; resolves once that end is written (or the stream is gone). */
export async function closeStream(stream: Duplex): Promise<void> {
  if (stream.destroyed) return;
  if (!stream.writableFinished) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('finish', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('finish', done);
      stream.on('close', done);
      stream.on('error', done);
      if (!stream.writableEnded) stream.end();
    });
  }
  if (!isYamuxStream(stream)) stream.destroy();
}
