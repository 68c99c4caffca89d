// Closing a connection gracefully whatever it is: a yamux stream has its own close (FIN, then wait for the
// peer's), any other Duplex is ended and then destroyed once its data is flushed.
import type { Duplex } from 'node:stream';

interface Closable {
  close(): Promise<void>;
}

function hasClose(stream: Duplex): stream is Duplex & Closable {
  return typeof (stream as Partial<Closable>).close === 'function';
}

/** Ends `stream` after its queued data and releases it; resolves when done. */
export async function closeStream(stream: Duplex): Promise<void> {
  if (stream.destroyed) return;
  if (hasClose(stream)) {
    await stream.close();
    return;
  }
  if (stream.writableFinished || stream.writableEnded) {
    stream.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    stream.end(() => resolve());
    stream.once('close', () => resolve());
  });
  stream.destroy();
}
