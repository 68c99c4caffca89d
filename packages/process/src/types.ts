import type { AbortOptions, Logger, PluginAddress, ProtocolName, Resource } from '@plugwire/core';
import type { Handshake } from '@plugwire/handshake';

/** How a plugin process ended. */
export interface ProcessExit {
  /** Exit status, or null when a signal ended it (or it was reattached and its status is unknown). */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: string | null;
}

/** What a host needs to reconnect to a running plugin later (go-plugin's `ReattachConfig`). */
export interface ReattachConfig {
  /** The protocol the plugin serves. */
  protocol: ProtocolName;
  /** The negotiated plugin protocol version. */
  protocolVersion: number;
  /** Where the plugin listens. */
  address: PluginAddress;
  /** The plugin's process id. */
  pid: number;
  /** The plugin runs in test mode (started by a test, not by this host): `kill()` only closes gracefully. */
  test?: boolean;
}

/** Options of {@link reattach}. */
export interface ReattachOptions extends AbortOptions {
  /** The host logger. */
  logger: Logger;
  /** How long `kill()` waits for the plugin to exit after the graceful step, in ms. @default 2000 */
  killTimeout?: number;
  /** How long to try connecting to the plugin's address, in ms. @default 5000 */
  dialTimeout?: number;
}

/** A plugin process the host owns: launched by {@link launch} or found again by {@link reattach}. */
export interface PluginProcess extends Resource {
  /** The process id. */
  readonly pid: number;
  /** The basename of the command (or `pid-<pid>` when reattached); used as the `plugin` log field. */
  readonly name: string;
  /** The handshake, parsed and checked: core version, version among the host's, protocol allowed. */
  readonly handshake: Handshake;
  /** Aborts with a `PluginError` of code `exited` (exit status or signal, last stderr lines) when the process exits. */
  readonly exited: AbortSignal;
  /** Resolves when the process has exited. */
  readonly exit: Promise<ProcessExit>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /**
   * Stops the plugin; idempotent. Runs `graceful` (the transport's close; `true` means the plugin acknowledged)
   * or, without it, sends SIGTERM; waits up to `killTimeout` (2 s) for the exit; then SIGKILLs it and logs
   * `plugin failed to exit gracefully`. Resolves when the process is gone and every pipe, timer and listener is
   * released. `killTimeout` is one budget for the graceful step and the exit together: a `graceful` that reports
   * `false` or fails leads straight to SIGKILL, as in go-plugin, and one that hangs (a frozen plugin) is SIGKILLed
   * when the budget runs out.
   */
  kill(graceful?: () => Promise<boolean>): Promise<void>;
  /** What {@link reattach} needs to find this plugin again. */
  reattachConfig(): ReattachConfig;
}
