import { readFileSync } from 'node:fs';
import type { LogLevel, Logger } from '@plugwire/core';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { LaunchOptions } from '../src/options.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/plugin.mjs', import.meta.url));

export interface Logged {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that records entries and resolves waiters when a message shows up. */
export function recorder(): { logger: Logger; entries: Logged[]; waitFor(message: string): Promise<Logged> } {
  const entries: Logged[] = [];
  const waiters: Array<{ message: string; resolve: (l: Logged) => void }> = [];
  const at =
    (level: LogLevel) =>
    (fields: Readonly<Record<string, unknown>>, message: string): void => {
      const entry = { level, message, fields: { ...fields } };
      entries.push(entry);
      for (const w of waiters.filter((x) => x.message === message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    };
  return {
    entries,
    logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    waitFor(message) {
      const found = entries.find((e) => e.message === message);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ message, resolve }));
    },
  };
}

export function options(mode: string, logger: Logger, extra: Partial<LaunchOptions> = {}): LaunchOptions {
  return {
    command: process.execPath,
    args: [FIXTURE, mode],
    handshake: { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' },
    versions: [1],
    allowedProtocols: ['netrpc', 'grpc'],
    logger,
    // Generous, so a loaded machine never turns a graceful exit into a SIGKILL; tests of SIGKILL set it low.
    killTimeout: 10_000,
    ...extra,
  };
}

/** The fixture's graceful close: ask it to quit over its socket; true when it answered. */
export function quitOver(path: string): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      const s = connect({ path });
      let answer = '';
      s.on('data', (d) => (answer += d.toString()));
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(answer.includes('ok')));
      s.on('connect', () => s.write('quit\n'));
    });
}

/** True when no live process has this pid (a zombie waiting for a reaper counts as gone). */
export function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    // Linux: "pid (comm) S ..." where S is the state; Z and X are dead.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Active handles and timers, sorted, to compare before and after a test. */
export function resources(): string[] {
  return [...process.getActiveResourcesInfo()].sort();
}

/**
 * Checks that handles are back to `before`. Timers are only checked not to grow, because vitest's own come and go.
 */
export function expectNoLeaks(before: string[]): void {
  const after = resources();
  expect(after.filter((r) => r !== 'Timeout')).toEqual(before.filter((r) => r !== 'Timeout'));
  expect(after.filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before.filter((r) => r === 'Timeout').length);
}

/** Awaits a rejection and returns it. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; exitCode?: number | null }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Waits (up to 5 s, polling) for a pid that was just killed to be gone; a process killed by another one dies asynchronously. */
export async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    if (pidGone(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return pidGone(pid);
}

/** Two turns of the event loop: handles closed just before are then released (libuv's close phase has run). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
}
