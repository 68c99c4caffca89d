import { PluginError, silentLogger, type Logger } from '@plugwire/core';

/** Settings of a MuxBroker; the defaults are go-plugin's. */
export interface MuxBrokerOptions {
  /**
   * Milliseconds `accept(id)` waits for the other side's dial, and an arrived stream waits for `accept(id)` before
   * it is closed.
   * @default 5000
   */
  acceptTimeout?: number;
  /**
   * Milliseconds `dial(id)` waits for the ack (go-plugin waits forever; its acceptor closes unclaimed streams
   * after 5 s, so twice that only cuts off a broken peer).
   * @default 10000
   */
  dialTimeout?: number;
  /**
   * Where the broker logs dropped streams.
   * @default silentLogger
   */
  logger?: Logger;
}

/** {@link MuxBrokerOptions} with every default applied. */
export type ResolvedMuxBrokerOptions = Required<MuxBrokerOptions>;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new PluginError('invalid_argument', `broker option ${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/**
 * Applies defaults and checks every option.
 * @param options - what the caller passed
 * @throws PluginError `invalid_argument` for a value out of range
 */
export function validateMuxBrokerOptions(options: MuxBrokerOptions = {}): ResolvedMuxBrokerOptions {
  return {
    acceptTimeout: positive('acceptTimeout', options.acceptTimeout, 5000),
    dialTimeout: positive('dialTimeout', options.dialTimeout, 10_000),
    logger: options.logger ?? silentLogger,
  };
}
