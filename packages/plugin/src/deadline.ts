import { PluginError } from '@plugwire/core';

/** A signal with a deadline; `clear()` stops its timer once the guarded work is done. */
export interface Deadline {
  readonly signal: AbortSignal;
  clear(): void;
}

/**
 * A signal that fires with the caller's reason when `signal` does, or with a `timeout` PluginError saying `what`
 * after `ms`.
 * @param signal - the caller's signal, if any
 * @param ms - the deadline
 * @param what - the message of the timeout
 */
export function deadline(signal: AbortSignal | undefined, ms: number, what: string): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new PluginError('timeout', what)), ms);
  return {
    signal: signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]),
    clear: () => clearTimeout(timer),
  };
}
