/**
 * How long a transport that lost its connection waits for the plugin's `exited` signal before it reports the loss as
 * `unavailable`. A killed plugin's socket usually closes a moment before the host sees the exit (and the exit is only
 * announced once the plugin's stderr has drained), so without this wait its calls would blame the connection.
 */
export const EXIT_GRACE_MS = 1_500;

/**
 * Resolves true as soon as `exited` fires, or false after `ms` (at once when there is no signal); never rejects,
 * and clears its timer either way.
 * @param exited - the plugin's exit signal, if the transport has one
 * @param ms - how long to wait @default EXIT_GRACE_MS
 */
export function waitForExit(exited: AbortSignal | undefined, ms: number = EXIT_GRACE_MS): Promise<boolean> {
  if (exited === undefined) return Promise.resolve(false);
  if (exited.aborted) return Promise.resolve(true);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    exitOf(exited).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// One listener per signal however many calls wait on it (a hundred lost calls would otherwise add a hundred).
const exits = new WeakMap<AbortSignal, Promise<void>>();

function exitOf(signal: AbortSignal): Promise<void> {
  let exit = exits.get(signal);
  if (exit === undefined) {
    exit = new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    exits.set(signal, exit);
  }
  return exit;
}
