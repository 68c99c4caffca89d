import type { AbortOptions } from './resource.js';

/** The two RPC protocols of go-plugin. */
export type ProtocolName = 'grpc' | 'netrpc';

/** Core protocol version printed first on the handshake line; go-plugin's `CoreProtocolVersion`. */
export const CORE_PROTOCOL_VERSION = 1;

/** Where a plugin listens: the 3rd and 4th fields of the handshake line. */
export interface PluginAddress {
  /** `unix` for a socket path, `tcp` for `host:port`. */
  readonly network: 'unix' | 'tcp';
  /** Socket path, or `127.0.0.1:port`. */
  readonly address: string;
}

/**
 * The cookie and protocol version host and plugin agree on; go-plugin's `HandshakeConfig`.
 */
export interface HandshakeConfig {
  /** Legacy application protocol version, used with `plugins` (a key of `versionedPlugins` otherwise). */
  readonly protocolVersion: number;
  /** Name of the environment variable carrying the magic cookie, e.g. `BASIC_PLUGIN`. */
  readonly magicCookieKey: string;
  /** Value the plugin expects in that variable, e.g. `hello`. */
  readonly magicCookieValue: string;
}

/**
 * The host's connection to one plugin over one protocol; go-plugin's `ClientProtocol`
 * (`RPCClient` / `GRPCClient`).
 */
export interface ClientProtocol extends AsyncDisposable {
  /** Which protocol this connection speaks. */
  readonly protocol: ProtocolName;
  /**
   * Returns the client object of the named plugin, built by that plugin definition's client factory.
   * Rejects with `not_found` for a name the plugin set does not hold.
   */
  dispense(name: string, options?: AbortOptions): Promise<unknown>;
  /** Checks that the plugin answers (gRPC health check / `Control.Ping`). */
  ping(options?: AbortOptions): Promise<void>;
  /**
   * Asks the plugin to shut down (`GRPCController.Shutdown` / `Control.Quit`) and closes the connection.
   * Resolves `true` when the plugin acknowledged, `false` when it could not be asked; idempotent.
   */
  close(): Promise<boolean>;
  /** Drops the connection at once; pending calls reject with `reason`. */
  abort(reason?: unknown): void;
}

/**
 * The plugin's server for one protocol; go-plugin's `ServerProtocol` (`RPCServer` / `GRPCServer`).
 */
export interface ServerProtocol extends AsyncDisposable {
  /** Which protocol this server speaks (the 5th handshake field). */
  readonly protocol: ProtocolName;
  /** Where it listens (3rd and 4th handshake fields). */
  readonly address: PluginAddress;
  /** Settles when the host asked the plugin to stop, or the server was closed or aborted. */
  readonly done: Promise<void>;
  /** Stops serving and releases the listener (removing a unix socket file); idempotent. */
  close(): Promise<void>;
  /** Stops at once. */
  abort(reason?: unknown): void;
}

/**
 * What both brokers share (go-plugin's `MuxBroker` and `GRPCBroker`): ids for extra connections between host and plugin.
 */
export interface Broker {
  /** A fresh id, counting up from 1, for an `accept` on this side and a `dial` on the other. */
  nextId(): number;
  /** Closes the broker and every connection it brokered; idempotent. */
  close(): Promise<void>;
}
