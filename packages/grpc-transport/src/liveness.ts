import { PluginError } from '@plugwire/core';

/** Defaults of the liveness check (the Client's `livenessInterval` / `livenessTimeout`), in ms. */
export const DEFAULT_LIVENESS_INTERVAL = 30_000;
/** How long a liveness probe may wait for its answer by default, in ms. */
export const DEFAULT_LIVENESS_TIMEOUT = 10_000;

/** Options of {@link watchLiveness}. */
export interface LivenessOptions {
  /** Milliseconds between probes. */
  readonly interval: number;
  /** Milliseconds a probe may take. */
  readonly timeout: number;
}

/**
 * Probes the plugin every `interval` until `stop` fires. Any answer, even an error status, proves the plugin alive;
 * a probe that gets no answer within `timeout` means it stopped answering, and `onDead` runs once with a
 * `PluginError` (`unavailable`) saying so. A probe lost with the connection is retried at the next interval (the
 * channel reconnects). Timers are unref'd and cleared when `stop` fires.
 * @param probe - one request to the plugin; rejects when it fails
 * @param options - interval and timeout
 * @param stop - ends the watch
 * @param onDead - what to do with a plugin that stopped answering
 */
export function watchLiveness(
  probe: (signal: AbortSignal) => Promise<unknown>,
  options: LivenessOptions,
  stop: AbortSignal,
  onDead: (err: PluginError) => void,
): void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (stop.aborted) return;
    timer = setTimeout(run, options.interval);
    timer.unref();
  };
  const run = (): void => {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), options.timeout);
    deadline.unref();
    const onStop = (): void => controller.abort();
    stop.addEventListener('abort', onStop, { once: true });
    const settle = (): void => {
      clearTimeout(deadline);
      stop.removeEventListener('abort', onStop);
    };
    probe(controller.signal).then(
      () => {
        settle();
        schedule();
      },
      () => {
        settle();
        if (stop.aborted) return;
        if (controller.signal.aborted) {
          onDead(
            new PluginError(
              'unavailable',
              `the plugin stopped answering: no answer to a liveness check within ${options.timeout} ms, so its pending calls were cancelled`,
            ),
          );
          return;
        }
        schedule();
      },
    );
  };
  stop.addEventListener('abort', () => clearTimeout(timer), { once: true });
  schedule();
}
