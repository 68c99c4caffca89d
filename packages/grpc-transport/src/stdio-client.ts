import * as grpc from '@grpc/grpc-js';
import type { Writable } from 'node:stream';
import type { Logger } from '@plugwire/core';
import { clientOn } from './channel.js';
import { CLOSED_DETAILS, EXITED_DETAILS } from './errors.js';
import { GRPCStdioClient, StdioData_Channel, type StdioData } from './gen/grpc_stdio.js';

/** The host's end of GRPCStdio. */
export interface StdioMirror {
  /** Settles when the stream ended (plugin closed it, connection dropped, or no stdio service). */
  readonly ended: Promise<void>;
  /** Stops mirroring. */
  cancel(): void;
}

/** First delay before the stdio stream is reopened after its connection dropped; doubles up to the last. */
const REOPEN_FIRST_MS = 50;
const REOPEN_LAST_MS = 2_000;
/** Reopen attempts in a row without any data before the mirroring gives up. */
const REOPEN_ATTEMPTS = 8;

/** The stream ended with its connection (dropped, or reset by the peer's HTTP/2 layer), not by a bad message. */
function connectionDropped(err: grpc.ServiceError): boolean {
  if (err.code === grpc.status.UNAVAILABLE) return true;
  return err.code === grpc.status.INTERNAL && /RST_STREAM|Session closed|ECONNRESET|GOAWAY/.test(err.details);
}

/**
 * Opens GRPCStdio/StreamStdio at once, as go-plugin's client does, and writes each chunk to `stdout` or `stderr`,
 * pausing the stream while a target is full. A plugin without the service (go-plugin < 1.1.0) only logs a warning.
 * When the connection drops under a live plugin (a reset session; the channel reconnects for the next call), the
 * stream is opened again, with backoff, until `stop` fires.
 * @param channel - the connection to the plugin
 * @param stdout - target of the plugin's stdout, or undefined to discard
 * @param stderr - target of the plugin's stderr, or undefined to discard
 * @param logger - the host's logger
 * @param stop - fires when the connection is closed or the plugin exited: no more reopening
 */
export function mirrorStdio(
  channel: grpc.ChannelInterface,
  stdout: Writable | undefined,
  stderr: Writable | undefined,
  logger: Logger,
  stop?: AbortSignal,
): StdioMirror {
  const client = clientOn(GRPCStdioClient, channel);
  let call: grpc.ClientReadableStream<StdioData>;
  let cancelled = false;
  let attempts = 0;
  let retry: NodeJS.Timeout | undefined;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const end = (): void => {
    clearTimeout(retry);
    resolveEnded();
  };
  stop?.addEventListener('abort', end, { once: true });

  const open = (): void => {
    const current = client.streamStdio({});
    call = current;
    let waiting = 0;
    const resume = (): void => {
      if (--waiting === 0) current.resume();
    };
    current.on('data', (msg: StdioData) => {
      attempts = 0;
      const target = msg.channel === StdioData_Channel.STDOUT ? stdout : msg.channel === StdioData_Channel.STDERR ? stderr : null;
      if (target === null) {
        logger.warn({ channel: msg.channel }, 'unknown channel, dropping');
        return;
      }
      // A target the user already ended or destroyed would throw or emit 'error' on write.
      if (!target || msg.data.length === 0 || target.destroyed || target.writableEnded) return;
      if (!target.write(msg.data)) {
        waiting++;
        current.pause();
        target.once('drain', resume);
      }
    });
    current.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) end();
    });
    current.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNIMPLEMENTED) {
        logger.warn({ error: err.details }, 'stdio service not available, stdout/stderr syncing unavailable');
        end();
        return;
      }
      const lost = !cancelled && !stop?.aborted && err.details !== EXITED_DETAILS && err.details !== CLOSED_DETAILS;
      if (lost && connectionDropped(err) && attempts < REOPEN_ATTEMPTS) {
        const delay = Math.min(REOPEN_LAST_MS, REOPEN_FIRST_MS * 2 ** attempts);
        attempts++;
        logger.debug({ error: err.details, delay }, 'stdio stream lost with its connection; reopening');
        retry = setTimeout(open, delay);
        retry.unref();
        return;
      }
      if (lost && connectionDropped(err)) {
        logger.warn({ error: err.details }, 'stdio stream lost and could not be reopened; stdout/stderr syncing stopped');
      } else if (err.code === grpc.status.CANCELLED || err.code === grpc.status.UNAVAILABLE) {
        logger.debug({ error: err.details }, 'stdio stream ended');
      } else {
        logger.error({ error: err.details, code: err.code }, 'error receiving plugin stdio data');
      }
      end();
    });
  };
  open();
  return {
    ended,
    cancel() {
      cancelled = true;
      end();
      call.cancel();
    },
  };
}
