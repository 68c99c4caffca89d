/** Options of every asynchronous call that can be cancelled. */
export interface AbortOptions {
  /** Cancels the call; it then rejects with a `PluginError` of code `aborted` (or the signal's `PluginError` reason). */
  readonly signal?: AbortSignal;
}

/** Something that holds processes, sockets or timers and must be released. */
export interface Resource extends AsyncDisposable {
  /** Graceful release; idempotent. Resolves when everything is released. */
  close(): Promise<void>;
  /** Immediate release; idempotent. Pending operations reject with `reason` (as a `PluginError`). */
  abort(reason?: unknown): void;
}
