import { PluginError } from '@plugwire/core';
import type { Logger } from '@plugwire/core';
import type { Handshake } from '@plugwire/handshake';
import { safeLog } from './log.js';
import type { PluginProcess, ProcessExit, ReattachConfig } from './types.js';
import { waitForAbort } from './wait.js';

/** What the launched and the reattached kinds of process give {@link createPluginProcess}. */
export interface ProcessControl {
  readonly pid: number;
  readonly name: string;
  readonly handshake: Handshake;
  readonly logger: Logger;
  readonly killTimeout: number;
  /** Test-mode reattach: kill() only runs the graceful step. */
  readonly gracefulOnly: boolean;
  readonly exited: AbortSignal;
  readonly exit: Promise<ProcessExit>;
  hasExited(): boolean;
  /** Sends a signal; false when the process could not be signalled. Never throws. */
  signal(sig: NodeJS.Signals): boolean;
  /** Called when an exit is expected soon (a reattached process polls faster). */
  expectExit(): void;
  /** Releases pipes, timers and listeners; idempotent. */
  release(): Promise<void>;
  reattachConfig(): ReattachConfig;
}

/**
 * How long a test-mode (reattached, graceful-only) close may take: nothing is killed after it, so it gets at least 5 s
 * to connect and ask. Launched plugins share one `killTimeout` budget between the graceful step and the exit.
 */
function testModeLimit(killTimeout: number): number {
  return Math.max(killTimeout, 5_000);
}

/** Runs the transport's graceful close, bounded by `ms`; failure or no answer counts as `false`. */
async function runGraceful(graceful: () => Promise<boolean>, ms: number, logger: Logger, name: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      Promise.resolve().then(graceful),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    return answer === true;
  } catch (err) {
    safeLog(logger, 'debug', { plugin: name, error: PluginError.from(err).message }, 'graceful plugin close failed');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Builds the public {@link PluginProcess} with its kill/close/abort semantics over a {@link ProcessControl}. */
export function createPluginProcess(c: ProcessControl): PluginProcess {
  let stopping: Promise<void> | undefined;

  const forceKill = async (): Promise<void> => {
    if (c.hasExited()) return;
    if (!c.signal('SIGKILL') && !c.hasExited()) {
      throw new PluginError('internal', `could not kill plugin ${c.name} (pid ${c.pid}); kill it by hand`);
    }
    c.expectExit();
    await c.exit;
  };

  const stop = async (graceful: (() => Promise<boolean>) | undefined): Promise<void> => {
    try {
      if (c.gracefulOnly) {
        if (graceful && !c.hasExited()) await runGraceful(graceful, testModeLimit(c.killTimeout), c.logger, c.name);
        return;
      }
      if (c.hasExited()) return;
      // One budget from the request to SIGKILL: a close that hangs (a frozen plugin) cannot stretch it.
      const deadline = performance.now() + c.killTimeout;
      let acknowledged: boolean;
      if (graceful) {
        acknowledged = await runGraceful(graceful, c.killTimeout, c.logger, c.name);
      } else {
        // Without a transport to close, SIGTERM is the graceful request.
        acknowledged = c.signal('SIGTERM');
      }
      const left = deadline - performance.now();
      if (acknowledged && !c.hasExited() && left > 0) {
        c.expectExit();
        await waitForAbort(c.exited, left);
      }
      if (!c.hasExited()) {
        safeLog(c.logger, 'warn', { plugin: c.name, pid: c.pid }, 'plugin failed to exit gracefully');
        await forceKill();
      }
      await c.exit;
    } finally {
      await c.release();
    }
  };

  const proc: PluginProcess = {
    pid: c.pid,
    name: c.name,
    handshake: c.handshake,
    exited: c.exited,
    exit: c.exit,
    hasExited: () => c.hasExited(),
    kill(graceful) {
      stopping ??= stop(graceful);
      return stopping;
    },
    reattachConfig: () => c.reattachConfig(),
    close() {
      return proc.kill();
    },
    abort(reason) {
      if (reason !== undefined) {
        safeLog(c.logger, 'debug', { plugin: c.name, pid: c.pid, reason: PluginError.from(reason).message }, 'plugin aborted');
      }
      if (!c.gracefulOnly && !c.hasExited()) {
        c.signal('SIGKILL');
        c.expectExit();
      }
      if (stopping === undefined) {
        stopping = (async () => {
          try {
            if (!c.gracefulOnly) await c.exit;
          } finally {
            await c.release();
          }
        })();
        // abort() returns nothing, so nobody else would see a failure here.
        stopping.catch(() => {});
      }
    },
    [Symbol.asyncDispose]() {
      return proc.close();
    },
  };
  return proc;
}
