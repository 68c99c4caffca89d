// Launches a plugin the way a go-plugin host does, but watches everything a host hides: every stdout line before
// the handshake, the raw handshake line, stderr entries with their levels, and how the process ends. `doctor`
// needs this view; `call` uses @plugwire/process's launch() like any host.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LogLevel, Logger } from '@plugwire/core';
import { manage } from '@plugwire/process';
import { MAX_HANDSHAKE_LINE, clientEnv, parseHandshake } from '@plugwire/handshake';
import type { Handshake } from '@plugwire/handshake';
import { mirrorStderr } from '@plugwire/logging';
import type { StderrMirror } from '@plugwire/logging';
import type { LaunchSpec } from './launch-spec.js';

/** One stderr entry of the plugin, as a host's logger receives it. */
export interface StderrEntry {
  /** The level the host logs it at. */
  level: LogLevel;
  /** The message (hclog `@message`, or the whole text line). */
  message: string;
  /** The other hclog fields. */
  fields: Record<string, unknown>;
}

/** How the process ended. */
export interface ExitInfo {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: string | null;
}

/** Why waiting for the handshake stopped. */
export type StartOutcome =
  | { kind: 'handshake'; line: string; handshake: Handshake }
  | { kind: 'bad-handshake'; line: string; error: string }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException }
  | { kind: 'exited'; exit: ExitInfo }
  | { kind: 'stdout-closed' }
  | { kind: 'timeout' }
  | { kind: 'line-too-long'; start: string };

/** A plugin process under observation. */
export interface ObservedPlugin {
  /** Process id (undefined when spawning failed). */
  readonly pid: number | undefined;
  /** The stdout lines printed before the handshake line (each cut to 1 KiB). */
  readonly noise: string[];
  /** How many stdout lines came after the handshake (a host discards them). */
  readonly linesAfter: () => number;
  /** Every stderr entry seen so far (at most 500 kept). */
  readonly stderr: StderrEntry[];
  /** The last raw stderr lines. */
  lastStderrLines(): string[];
  /** Settles when the handshake line came, or why it did not. */
  readonly started: Promise<StartOutcome>;
  /** Resolves when the process has exited (immediately with code null after a spawn error). */
  readonly exit: Promise<ExitInfo>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** Sends a signal if still running. */
  signal(sig: NodeJS.Signals): void;
  /** Waits for the exit up to `ms`, then SIGKILLs; resolves with the exit and whether it was forced. */
  stop(ms: number): Promise<{ exit: ExitInfo; forced: boolean }>;
}

const MAX_ENTRIES = 500;
const NOISE_LINE_MAX = 1024;
const MAX_NOISE_LINES = 100;

// clientEnv insists on a cookie; without one, the variable is dropped again so the plugin sees none.
const NO_COOKIE_KEY = 'PLUGWIRE_DOCTOR_NO_COOKIE';

/**
 * The environment a go-plugin host would give the plugin.
 * @param spec - the launch options
 * @param clientCert - the host's AutoMTLS certificate (PEM)
 */
export function pluginEnv(spec: LaunchSpec, clientCert?: string): Record<string, string> {
  const env = clientEnv({
    handshake: spec.cookie ?? { protocolVersion: spec.versions[0] ?? 1, magicCookieKey: NO_COOKIE_KEY, magicCookieValue: '' },
    versions: spec.versions,
    env: spec.env,
    ...(spec.multiplexGrpc && { multiplexGrpc: true }),
    ...(clientCert !== undefined && { clientCert }),
  });
  if (spec.cookie === undefined) delete env[NO_COOKIE_KEY];
  return env;
}

/**
 * Spawns the plugin and watches it. Never throws; every failure is an outcome.
 * @param spec - what to launch and how
 * @param clientCert - the host's AutoMTLS certificate (PEM), passed as PLUGIN_CLIENT_CERT
 */
export function observe(spec: LaunchSpec, clientCert?: string): ObservedPlugin {
  const noise: string[] = [];
  const stderr: StderrEntry[] = [];
  let after = 0;
  let exitInfo: ExitInfo | undefined;
  const capture = (level: LogLevel) => (fields: Record<string, unknown>, message?: string) => {
    if (stderr.length >= MAX_ENTRIES) return;
    const { plugin: _plugin, ...rest } = fields;
    // Text lines keep their "[LEVEL]" prefix in the message; the level is shown apart.
    stderr.push({ level, message: (message ?? '').replace(/^\[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s*/, ''), fields: rest });
  };
  const logger: Logger = {
    trace: capture('trace'),
    debug: capture('debug'),
    info: capture('info'),
    warn: capture('warn'),
    error: capture('error'),
  } as Logger;

  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: pluginEnv(spec, clientCert), stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    const exit = Promise.resolve<ExitInfo>({ code: null, signal: null });
    return {
      pid: undefined,
      noise,
      linesAfter: () => 0,
      stderr,
      lastStderrLines: () => [],
      started: Promise.resolve({ kind: 'spawn-error', error }),
      exit,
      hasExited: () => true,
      signal: () => {},
      stop: async () => ({ exit: await exit, forced: false }),
    };
  }
  const stdout = child.stdout as Readable;
  // Ctrl-C or SIGTERM on the command must not leave the plugin behind (go-plugin plugins ignore SIGINT).
  const unmanage = manage({
    ...(child.pid !== undefined && { pid: child.pid }),
    kill: async () => {
      signal('SIGKILL');
      await exit;
    },
  });
  const mirror: StderrMirror = mirrorStderr(child.stderr as Readable, { logger, keepLines: 40 });

  let spawnError: NodeJS.ErrnoException | undefined;
  const exit = new Promise<ExitInfo>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) {
        unmanage();
        exitInfo = { code: null, signal: null };
        resolve(exitInfo);
      }
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      unmanage();
      // Let the last stderr lines in before anyone reads them.
      let timer: NodeJS.Timeout | undefined;
      void Promise.race([mirror.done, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]).then(() => {
        clearTimeout(timer);
        resolve(exitInfo as ExitInfo);
      });
    });
  });

  const started = new Promise<StartOutcome>((resolve) => {
    let buffered = '';
    let done = false;
    const finish = (outcome: StartOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), spec.timeout);
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => {
      if (done) {
        after += chunk.split('\n').length - 1;
        return;
      }
      buffered += chunk;
      let nl: number;
      while (!done && (nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let handshake: Handshake | undefined;
        try {
          handshake = parseHandshake(line);
        } catch (err) {
          handshake = undefined;
          // A line shaped like a handshake (4+ fields, a number first) that fails the host's checks.
          if (/^\s*\d+\|[^|]*\|[^|]*\|/.test(line)) {
            finish({ kind: 'bad-handshake', line: line.trim().slice(0, NOISE_LINE_MAX), error: (err as Error).message });
            return;
          }
        }
        if (handshake !== undefined) {
          finish({ kind: 'handshake', line: line.trim(), handshake });
          after += buffered.split('\n').length - 1;
          return;
        }
        if (noise.length < MAX_NOISE_LINES) noise.push(line.length > NOISE_LINE_MAX ? `${line.slice(0, NOISE_LINE_MAX)}…` : line);
      }
      if (buffered.length > MAX_HANDSHAKE_LINE) finish({ kind: 'line-too-long', start: buffered.slice(0, 200) });
    });
    stdout.once('end', () => {
      if (buffered.trim() !== '') {
        try {
          finish({ kind: 'handshake', line: buffered.trim(), handshake: parseHandshake(buffered) });
          return;
        } catch {
          noise.push(buffered.slice(0, NOISE_LINE_MAX));
        }
      }
      // The exit (with its status) usually follows a closed stdout at once; prefer reporting it.
      void Promise.race([exit, new Promise((r) => setTimeout(r, 2000).unref())]).then(() => {
        if (spawnError !== undefined && child.pid === undefined) finish({ kind: 'spawn-error', error: spawnError });
        else finish(exitInfo !== undefined ? { kind: 'exited', exit: exitInfo } : { kind: 'stdout-closed' });
      });
    });
    void exit.then((info) => {
      if (spawnError !== undefined && child.pid === undefined) finish({ kind: 'spawn-error', error: spawnError });
      else finish({ kind: 'exited', exit: info });
    });
  });

  const signal = (sig: NodeJS.Signals): void => {
    if (exitInfo !== undefined || child.pid === undefined) return;
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };

  return {
    pid: child.pid,
    noise,
    linesAfter: () => after,
    stderr,
    lastStderrLines: () => mirror.lastLines(),
    started,
    exit,
    hasExited: () => exitInfo !== undefined,
    signal,
    async stop(ms: number) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exit.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms))),
      ]);
      clearTimeout(timer);
      if (timedOut) signal('SIGKILL');
      const info = await exit;
      stdout.destroy();
      return { exit: info, forced: timedOut };
    },
  };
}
