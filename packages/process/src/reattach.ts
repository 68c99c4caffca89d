import { connect } from 'node:net';
import { PluginError, abortError, throwIfAborted } from '@plugwire/core';
import type { Handshake } from '@plugwire/handshake';
import { createPluginProcess } from './handle.js';
import { safeLog } from './log.js';
import { DEFAULT_KILL_TIMEOUT } from './options.js';
import type { PluginProcess, ProcessExit, ReattachConfig, ReattachOptions } from './types.js';

// go-plugin polls a reattached pid once a second; while a kill waits for the exit we look more often.
const POLL_MS = 1_000;
const FAST_POLL_MS = 50;
const DEFAULT_DIAL_TIMEOUT = 5_000;

/** Whether a process with this pid exists (signal 0); EPERM means it exists but belongs to someone else. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function notFound(detail: string, cause?: unknown): PluginError {
  return new PluginError(
    'not_found',
    `reattachment process not found: ${detail}. The plugin has exited or the reattach config is stale; launch it again.`,
    cause === undefined ? {} : { cause },
  );
}

function validate(config: ReattachConfig): void {
  const bad = (what: string): never => {
    throw new PluginError('invalid_argument', `invalid reattach config: ${what}`);
  };
  if (typeof config !== 'object' || config === null) bad('it must be an object');
  if (!Number.isSafeInteger(config.pid) || config.pid <= 0) bad(`pid must be a positive integer, got ${String(config.pid)}`);
  if (config.protocol !== 'grpc' && config.protocol !== 'netrpc') bad(`protocol must be "grpc" or "netrpc"`);
  if (!Number.isSafeInteger(config.protocolVersion)) bad('protocolVersion must be an integer');
  const a = config.address;
  if (typeof a !== 'object' || a === null || (a.network !== 'unix' && a.network !== 'tcp') || typeof a.address !== 'string') {
    bad('address must be { network: "unix" | "tcp", address: string }');
  }
  if (a.network === 'tcp' && !/^.*:[0-9]{1,5}$/.test(a.address)) bad(`tcp address must be host:port, got ${a.address}`);
}

/** Connects once to the plugin's address to prove it still serves, then hangs up. */
function probe(config: ReattachConfig, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const { network, address } = config.address;
    let socket;
    if (network === 'unix') {
      socket = connect({ path: address });
    } else {
      const i = address.lastIndexOf(':');
      socket = connect({ host: address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(i + 1)) });
    }
    const s = socket;
    let settled = false;
    const done = (err?: PluginError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // A late error after destroy must not go unhandled.
      s.on('error', () => {});
      // Settle once the socket and its connect request are released, so nothing of ours outlives the call.
      s.once('close', () =>
        setImmediate(() => {
          if (err) reject(err);
          else resolve();
        }),
      );
      s.destroy();
    };
    const onAbort = (): void => done(abortError(signal as AbortSignal, 'reattach'));
    const timer = setTimeout(() => done(notFound(`no answer from ${network} ${address} within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => done());
    s.once('error', (err) => done(notFound(`cannot connect to ${network} ${address} (${err.message})`, err)));
  });
}

/**
 * Takes charge of a plugin another host (or an earlier run) launched, as go-plugin's reattach does: checks that the
 * pid is alive and the address accepts a connection, then watches the pid every second to fire `exited`. Nothing
 * is spawned and no version is negotiated.
 * @param config - what {@link PluginProcess.reattachConfig} returned
 * @param options - logger, timeouts and abort signal
 * @throws PluginError `not_found` ("reattachment process not found") when the pid is gone or the address is dead,
 *   `invalid_argument`, `aborted`
 */
export async function reattach(config: ReattachConfig, options: ReattachOptions): Promise<PluginProcess> {
  validate(config);
  if (typeof options?.logger !== 'object' || options.logger === null) {
    throw new PluginError('invalid_argument', 'reattach() needs a logger (console works)');
  }
  throwIfAborted(options.signal, 'reattach');
  const { pid } = config;
  const name = `pid-${pid}`;
  if (!pidAlive(pid)) throw notFound(`no process with pid ${pid}`);
  await probe(config, options.dialTimeout ?? DEFAULT_DIAL_TIMEOUT, options.signal);

  const logger = options.logger;
  const exitedController = new AbortController();
  let gone = false;
  let resolveExit: (exit: ProcessExit) => void = () => {};
  const exit = new Promise<ProcessExit>((resolve) => {
    resolveExit = resolve;
  });
  let timer: NodeJS.Timeout | undefined;
  let pollMs = POLL_MS;
  const stopPolling = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  const check = (): void => {
    if (gone || pidAlive(pid)) return;
    gone = true;
    stopPolling();
    safeLog(logger, 'info', { plugin: name, pid }, 'plugin process exited');
    exitedController.abort(new PluginError('exited', `plugin ${name} exited (reattached: its exit status is unknown)`));
    resolveExit({ code: null, signal: null });
  };
  const startPolling = (ms: number): void => {
    stopPolling();
    pollMs = ms;
    timer = setInterval(check, pollMs);
    // Watching must not keep the host alive by itself; the transport's socket does that.
    if (ms === POLL_MS) timer.unref();
  };
  startPolling(POLL_MS);

  const handshake: Handshake = {
    coreVersion: 1,
    protocolVersion: config.protocolVersion,
    network: config.address.network,
    address: config.address.address,
    protocol: config.protocol,
  };
  const reattachConfig: ReattachConfig = { ...config, address: { ...config.address } };
  let released = false;

  return createPluginProcess({
    pid,
    name,
    handshake,
    logger,
    killTimeout: options.killTimeout ?? DEFAULT_KILL_TIMEOUT,
    gracefulOnly: config.test === true,
    exited: exitedController.signal,
    exit,
    hasExited: () => {
      check();
      return gone;
    },
    signal: (sig) => {
      if (gone) return false;
      try {
        process.kill(pid, sig);
        return true;
      } catch {
        return false;
      }
    },
    expectExit: () => {
      if (!gone && pollMs !== FAST_POLL_MS) startPolling(FAST_POLL_MS);
    },
    release: async () => {
      if (released) return;
      released = true;
      stopPolling();
      // A process we stop watching without seeing it exit leaves `exit` pending; settle it for waiters.
      if (!gone) resolveExit({ code: null, signal: null });
    },
    reattachConfig: () => ({ ...reattachConfig, address: { ...reattachConfig.address } }),
  });
}
