// The 4-byte little-endian id go-plugin's MuxBroker writes at the start of a brokered stream (and echoes as ack).
import type { Readable } from 'node:stream';
import { PluginError, abortError } from '@plugwire/core';

/** Encodes a broker id as 4 little-endian bytes. */
export function encodeBrokerId(id: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(id >>> 0, 0);
  return b;
}

/**
 * Reads the next 4 bytes of `stream` as a little-endian uint32, leaving any later bytes in the stream.
 * Rejects `unavailable` if the stream ends first, `timeout` after `timeoutMs`, or the signal's error.
 * @param stream - the brokered stream
 * @param timeoutMs - how long to wait
 * @param what - what is being read, for messages
 * @param signal - cancels the read
 */
export function readBrokerId(stream: Readable, timeoutMs: number, what: string, signal?: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (err: PluginError | undefined, id?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(id as number);
    };
    const onReadable = (): void => {
      const b = stream.read(4) as Buffer | null;
      if (b === null) return;
      if (b.length < 4) {
        onEnd();
        return;
      }
      finish(undefined, b.readUInt32LE(0));
    };
    const onEnd = (): void =>
      finish(new PluginError('unavailable', `broker: the stream ended before its ${what} arrived; the other side did not accept it`));
    const onError = (err: Error): void =>
      finish(new PluginError('unavailable', `broker: the stream failed before its ${what} arrived: ${err.message}`, { cause: err }));
    const onAbort = (): void => finish(abortError(signal as AbortSignal, `broker ${what} read`));
    const timer = setTimeout(
      () => finish(new PluginError('timeout', `broker: no ${what} within ${timeoutMs} ms; the other side did not answer`)),
      timeoutMs,
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
    onReadable();
  });
}
