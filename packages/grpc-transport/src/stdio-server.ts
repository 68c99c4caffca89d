import * as grpc from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import type { Logger } from '@plugwire/core';
import type { Empty } from './gen/google/protobuf/empty.js';
import { StdioData, StdioData_Channel, type GRPCStdioServer } from './gen/grpc_stdio.js';

/** go-plugin's `grpcStdioBuffer`: the plugin sends its output in chunks of at most this many bytes. */
export const STDIO_CHUNK = 1024;

type StdioCall = grpc.ServerWritableStream<Empty, StdioData>;

/** The plugin side of GRPCStdio plus its shutdown. */
export interface StdioService {
  /** The grpc-js implementation to add to the server. */
  readonly implementation: GRPCStdioServer;
  /** Sends what is already captured, ends the active stream and stops reading the sources. */
  close(): void;
}

/**
 * Pulls one captured output stream: reads only while a host stream is attached and not full, so the plugin's
 * writes back up (go-plugin's unbuffered channels) until the host reads them.
 */
function createPump(source: Readable, channel: StdioData_Channel, target: () => StdioCall | undefined, logger: Logger) {
  let carry: Buffer[] = [];
  // `flush` ignores backpressure: used once, when the server stops, so nothing already captured is lost.
  const pump = (flush = false): void => {
    for (;;) {
      const call = target();
      if (!call || (call.writableNeedDrain && !flush)) return;
      const chunk = carry.shift();
      if (chunk === undefined) {
        const read: unknown = source.read();
        if (read === null || read === undefined) return;
        const buf = typeof read === 'string' ? Buffer.from(read) : Buffer.isBuffer(read) ? read : Buffer.from(read as Uint8Array);
        for (let i = 0; i < buf.length; i += STDIO_CHUNK) carry.push(buf.subarray(i, i + STDIO_CHUNK));
        continue;
      }
      if (chunk.length > 0) call.write({ channel, data: chunk });
    }
  };
  const onReadable = (): void => pump();
  const onError = (err: Error): void => logger.error({ error: err.message }, 'error reading plugin output for stdio sync');
  source.on('readable', onReadable);
  source.on('error', onError);
  return {
    pump,
    stop() {
      source.off('readable', onReadable);
      source.off('error', onError);
      carry = [];
    },
  };
}

/**
 * go-plugin's GRPCStdio server: one host stream at a time carries everything the plugin writes to stdout and
 * stderr, in chunks of at most {@link STDIO_CHUNK} bytes, each channel in order.
 * @param stdout - captured stdout (optional)
 * @param stderr - captured stderr (optional)
 * @param logger - the plugin's logger
 */
export function createStdioService(stdout: Readable | undefined, stderr: Readable | undefined, logger: Logger): StdioService {
  let active: StdioCall | undefined;
  const current = (): StdioCall | undefined => active;
  const pumps = [
    stdout ? createPump(stdout, StdioData_Channel.STDOUT, current, logger) : undefined,
    stderr ? createPump(stderr, StdioData_Channel.STDERR, current, logger) : undefined,
  ].filter((p) => p !== undefined);
  const pumpAll = (): void => {
    for (const p of pumps) p.pump();
  };
  let closed = false;

  return {
    implementation: {
      streamStdio(call: StdioCall) {
        if (closed) {
          call.end();
          return;
        }
        if (active) {
          // go-plugin documents that this must be called once; a second reader would split the output.
          call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'plugin output is already being streamed to another caller' });
          return;
        }
        active = call;
        const detach = (): void => {
          if (active === call) active = undefined;
          call.off('drain', pumpAll);
        };
        call.on('drain', pumpAll);
        call.on('cancelled', detach);
        call.on('close', detach);
        call.on('error', detach);
        pumpAll();
      },
    },
    close() {
      if (closed) return;
      closed = true;
      for (const p of pumps) {
        p.pump(true);
        p.stop();
      }
      const call = active;
      active = undefined;
      call?.end();
    },
  };
}
