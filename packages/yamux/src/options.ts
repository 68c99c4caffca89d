import { PluginError, silentLogger, type Logger } from '@plugwire/core';
import { DEFAULT_MAX_STREAM_WINDOW, INITIAL_STREAM_WINDOW } from './constants.js';

/**
 * Settings of a yamux session; the defaults are go-plugin's (`yamux.DefaultConfig()`), except that the receive
 * window grows (see `maxStreamWindowSize`).
 */
export interface YamuxOptions {
  /**
   * Streams opened by the peer that may wait for `accept()`; more are reset. Also caps this side's opened streams
   * still waiting for the peer's ACK (`open()` waits for room).
   * @default 256
   */
  acceptBacklog?: number;
  /**
   * Sends a ping every `keepAliveInterval`; an unanswered one (after `connectionWriteTimeout`) ends the session.
   * @default true
   */
  enableKeepAlive?: boolean;
  /**
   * Milliseconds between keepalive pings.
   * @default 30000
   */
  keepAliveInterval?: number;
  /**
   * Milliseconds the connection may stay unwritable (or a ping unanswered) before the session is ended as dead.
   * @default 10000
   */
  connectionWriteTimeout?: number;
  /**
   * Largest receive window of a stream in bytes; at least 262144 (yamux's initial window). Every stream starts
   * at 256 KiB, as in Go; while the application reads all that arrived, the window doubles at each window update
   * up to this size (a Go sender honours any window it is given). This is also how much unread data one stream
   * may buffer, and the largest data frame accepted. Set it to 262144 for Go's fixed window.
   * @default 16777216
   */
  maxStreamWindowSize?: number;
  /**
   * Milliseconds an opened stream may wait for the peer's ACK before the session is ended (newer yamux; a
   * go-plugin v1.0.1 peer ACKs only when its application accepts).
   * @default 75000
   */
  streamOpenTimeout?: number;
  /**
   * Milliseconds a stream may wait for the peer's FIN after this side's FIN before it is reset.
   * @default 300000
   */
  streamCloseTimeout?: number;
  /**
   * Where the session logs (protocol errors, resets it sends, keepalive failures).
   * @default silentLogger
   */
  logger?: Logger;
}

/** {@link YamuxOptions} with every default applied. */
export type ResolvedYamuxOptions = Required<YamuxOptions>;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new PluginError('invalid_argument', `yamux option ${name} must be a number >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Applies defaults and checks every option.
 * @param options - what the caller passed
 * @throws PluginError `invalid_argument` for a value out of range
 */
export function validateYamuxOptions(options: YamuxOptions = {}): ResolvedYamuxOptions {
  const maxStreamWindowSize = positive('maxStreamWindowSize', options.maxStreamWindowSize, DEFAULT_MAX_STREAM_WINDOW, INITIAL_STREAM_WINDOW);
  if (maxStreamWindowSize > 0xffffffff) {
    throw new PluginError('invalid_argument', 'yamux option maxStreamWindowSize must fit in 32 bits');
  }
  return {
    acceptBacklog: Math.floor(positive('acceptBacklog', options.acceptBacklog, 256)),
    enableKeepAlive: options.enableKeepAlive ?? true,
    keepAliveInterval: positive('keepAliveInterval', options.keepAliveInterval, 30_000),
    connectionWriteTimeout: positive('connectionWriteTimeout', options.connectionWriteTimeout, 10_000),
    maxStreamWindowSize: Math.floor(maxStreamWindowSize),
    streamOpenTimeout: positive('streamOpenTimeout', options.streamOpenTimeout, 75_000),
    streamCloseTimeout: positive('streamCloseTimeout', options.streamCloseTimeout, 300_000),
    logger: options.logger ?? silentLogger,
  };
}
