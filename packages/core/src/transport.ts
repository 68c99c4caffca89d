import type { Server } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from './logger.js';
import type { PluginAddress } from './protocol.js';
import type { AbortOptions } from './resource.js';

/** A listening socket and the address to announce for it. */
export interface Listener {
  /** The listening server (unix socket or TCP). */
  readonly server: Server;
  /** Where it listens, as printed on the handshake line. */
  readonly address: PluginAddress;
  /** Closes the server and removes its unix socket file; idempotent. */
  close(): Promise<void>;
}

/**
 * What the umbrella hands a transport's server side (plugin process). `P` is the transport's own plugin shape;
 * a definition may lack it (a gRPC-only plugin served over netrpc), which the transport reports per go-plugin.
 */
export interface ServeTransportOptions<P> {
  /** The negotiated plugin set, by name. */
  readonly plugins: Readonly<Record<string, Partial<P>>>;
  /** The main listener, already listening; the transport owns it from now on and closes it. */
  readonly listener: Listener;
  /** Makes another listener by go-plugin's rules (for broker connections). */
  readonly createListener: () => Promise<Listener>;
  /** The plugin's captured stdout after the handshake, to sync to the host. */
  readonly stdout?: Readable;
  /** The plugin's captured stderr after the handshake, to sync to the host. */
  readonly stderr?: Readable;
  /** The plugin's logger (hclog JSON on the real stderr by default). */
  readonly logger: Logger;
}

/** What the umbrella hands a transport's client side (host process). */
export interface ConnectTransportOptions<P> extends AbortOptions {
  /** Where the plugin listens (from the handshake line). */
  readonly address: PluginAddress;
  /** The negotiated plugin set, by name. */
  readonly plugins: Readonly<Record<string, Partial<P>>>;
  /** The host's logger. */
  readonly logger: Logger;
  /** Where the plugin's synced stdout goes (default: discarded). */
  readonly syncStdout?: Writable;
  /** Where the plugin's synced stderr goes (default: discarded). */
  readonly syncStderr?: Writable;
  /** Fires when the plugin process exits (go-plugin's doneCtx): pending calls fail with its reason. */
  readonly exited?: AbortSignal;
  /** Deadline of every call without a signal of its own that ends it sooner, in ms; `timeout` past it. @default none */
  readonly callTimeout?: number;
  /**
   * How often the host checks that the plugin still answers (gRPC health check, yamux ping), in ms; when a check
   * gets no answer within `livenessTimeout`, every pending call fails with `unavailable` saying the plugin stopped
   * answering. @default 30000
   */
  readonly livenessInterval?: number;
  /** How long a liveness check may wait for its answer, in ms. @default 10000 */
  readonly livenessTimeout?: number;
}
