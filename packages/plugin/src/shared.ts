import { PluginError, abortError } from '@plugwire/core';

/**
 * One operation many callers wait for (the plugin's launch, the connection to it). Each caller's `AbortSignal`
 * ends only that caller's wait; the operation itself is aborted when every waiter gave up, or by `abort()`.
 */
export interface Shared<T> {
  /** The operation's own result, whoever waits. */
  readonly result: Promise<T>;
  /**
   * Waits for the result, giving up (alone) when `signal` fires.
   * @param signal - this caller's signal
   * @param what - the operation, for the abort message
   */
  wait(signal: AbortSignal | undefined, what: string): Promise<T>;
  /** Aborts the operation itself. */
  abort(reason: unknown): void;
}

/**
 * Starts `run` with a signal of its own, shared by every later `wait()`.
 * @param run - the operation; it must stop when its signal fires
 */
export function share<T>(run: (signal: AbortSignal) => Promise<T>): Shared<T> {
  const controller = new AbortController();
  const result = run(controller.signal);
  result.catch(() => {});
  let waiters = 0;
  let settled = false;
  void result.finally(() => (settled = true)).catch(() => {});
  return {
    result,
    abort(reason) {
      controller.abort(reason);
    },
    wait(signal, what) {
      if (signal?.aborted) return Promise.reject(abortError(signal, what));
      waiters++;
      if (!signal) return result.finally(() => waiters--);
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => {
          waiters--;
          reject(abortError(signal, what));
          // The last caller gave up: nobody wants the operation any more.
          if (waiters === 0 && !settled) controller.abort(new PluginError('aborted', `${what} was aborted: every caller waiting for it gave up`));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        result.then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            if (signal.aborted) return;
            waiters--;
            resolve(value);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', onAbort);
            if (signal.aborted) return;
            waiters--;
            reject(err);
          },
        );
      });
    },
  };
}
