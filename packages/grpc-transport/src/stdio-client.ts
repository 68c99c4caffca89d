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

/**
 * Opens GRPCStdio/StreamStdio at once, as go-plugin's client does, and writes each chunk to `stdout` or `stderr`,
 * pausing the stream while a target is full. A plugin without the service (go-plugin < 1.1.0) only logs a warning.
 * @param channel - the connection to the plugin
 * @param stdout - target of the plugin's stdout, or undefined to discard
 * @param stderr - target of the plugin's stderr, or undefined to discard
 * @param logger - the host's logger
 */
export function mirrorStdio(channel: grpc.ChannelInterface, stdout: Writable | undefined, stderr: Writable | undefined, logger: Logger): StdioMirror {
  const call = clientOn(GRPCStdioClient, channel).streamStdio({});
  let waiting = 0;
  const resume = (): void => {
    if (--waiting === 0) call.resume();
  };
  call.on('data', (msg: StdioData) => {
    const target = msg.channel === StdioData_Channel.STDOUT ? stdout : msg.channel === StdioData_Channel.STDERR ? stderr : null;
    if (target === null) {
      logger.warn({ channel: msg.channel }, 'unknown channel, dropping');
      return;
    }
    // A target the user already ended or destroyed would throw or emit 'error' on write.
    if (!target || msg.data.length === 0 || target.destroyed || target.writableEnded) return;
    if (!target.write(msg.data)) {
      waiting++;
      call.pause();
      target.once('drain', resume);
    }
  });
  const ended = new Promise<void>((resolve) => {
    call.on('status', () => resolve());
    call.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNIMPLEMENTED || (err.code === grpc.status.UNAVAILABLE && err.details !== EXITED_DETAILS && err.details !== CLOSED_DETAILS)) {
        logger.warn({ error: err.details }, 'stdio service not available, stdout/stderr syncing unavailable');
      } else if (err.code === grpc.status.CANCELLED || err.code === grpc.status.UNAVAILABLE) {
        logger.debug({ error: err.details }, 'stdio stream ended');
      } else {
        logger.error({ error: err.details, code: err.code }, 'error receiving plugin stdio data');
      }
      resolve();
    });
  });
  return {
    ended,
    cancel() {
      call.cancel();
    },
  };
}
