/**
 * How long a transport that lost its connection waits for the plugin's `exited` signal before it reports the loss as
 * `unavailable`. A killed plugin's socket usually closes a moment before the host sees the exit (and the exit is only
 * announced once the plugin's stderr has drained), so without this wait its calls would blame the connection.
 */
export const EXIT_GRACE_MS = 1_500;

/**
 * Resolves true as soon as `exited` fires, or false after `ms` (at once when there is no signal); never rejects,
 * and removes its timer and listener either way.
 * @param exited - the plugin's exit signal, if the transport has one
 * @param ms - how long to wait @default EXIT_GRACE_MS
 */
export function waitForExit(exited: AbortSignal | undefined, ms: number = EXIT_GRACE_MS): Promise<boolean> {
  if (exited === undefined) return Promise.resolve(false);
  if (exited.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (fired: boolean): void => {
      clearTimeout(timer);
      exited.removeEventListener('abort', onAbort);
      resolve(fired);
    };
    const onAbort = (): void => done(true);
    const timer = setTimeout(() => done(false), ms);
    exited.addEventListener('abort', onAbort, { once: true });
  });
}
