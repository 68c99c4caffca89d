import {
  PluginError,
  throwIfAborted,
  type AbortOptions,
  type ClientProtocol,
  type PluginAddress,
  type ProtocolName,
} from '@plugwire/core';
import { connectGrpc } from '@plugwire/grpc-transport';
import { connectNetRpc } from '@plugwire/netrpc-transport';
import { launch, manage, reattach, type PluginProcess, type ReattachConfig } from '@plugwire/process';
import type { ClientOf, PluginSet } from './definition.js';
import { DEFAULT_CONNECT_TIMEOUT, validateClientOptions, type ClientOptions } from './options.js';
import { deadline } from './deadline.js';
import { createTextLogger } from './text-logger.js';

/**
 * The host's handle on one plugin: launches (or reattaches to) it, negotiates, connects, dispenses typed clients and
 * kills it; go-plugin's `Client`.
 *
 * ```ts
 * const client = new Client({ handshake, plugins: { kv: kvPlugin }, cmd: { command: process.execPath, args: ['kv.js'] },
 *   allowedProtocols: ['grpc'] });
 * const kv = await client.dispense('kv');
 * await kv.put('hello', Buffer.from('world'));
 * await client.kill();
 * ```
 */
export class Client<P extends PluginSet = PluginSet> implements AsyncDisposable {
  readonly #options: ClientOptions<P>;
  readonly #sets: Map<number, P>;
  readonly #logger;
  #process: PluginProcess | undefined;
  #starting: Promise<PluginProcess> | undefined;
  #connecting: Promise<ClientProtocol> | undefined;
  #version: number | undefined;
  #killed: Promise<void> | undefined;
  #unmanage: (() => void) | undefined;

  /**
   * @param options - see {@link ClientOptions}; checked at once (throws `invalid_argument`)
   */
  constructor(options: ClientOptions<P>) {
    this.#sets = validateClientOptions(options);
    this.#options = options;
    this.#logger = options.logger ?? createTextLogger();
    if (options.managed) {
      const self = this;
      this.#unmanage = manage({
        kill: () => self.kill(),
        get pid() {
          return self.#process?.pid;
        },
      });
    }
  }

  /**
   * Launches the plugin (or checks the reattach target) and completes the handshake; idempotent.
   * Resolves with the plugin's address.
   */
  async start(options: AbortOptions = {}): Promise<PluginAddress> {
    const { network, address } = (await this.#start(options)).handshake;
    return { network, address };
  }

  #start(options: AbortOptions): Promise<PluginProcess> {
    if (this.#killed) return Promise.reject(new PluginError('closed', 'this client was killed; create a new Client to start the plugin again'));
    this.#starting ??= this.#launch(options).then(
      (proc) => {
        this.#process = proc;
        return proc;
      },
      (err: unknown) => {
        this.#starting = undefined;
        throw PluginError.from(err);
      },
    );
    return this.#starting;
  }

  async #launch(options: AbortOptions): Promise<PluginProcess> {
    throwIfAborted(options.signal, 'start');
    const o = this.#options;
    if (o.reattach) {
      const proc = await reattach(o.reattach, { logger: this.#logger });
      this.#version = o.reattach.protocolVersion;
      return proc;
    }
    const cmd = o.cmd!;
    const proc = await launch({
      command: cmd.command,
      args: cmd.args ?? [],
      ...(cmd.cwd !== undefined && { cwd: cmd.cwd }),
      ...(cmd.env !== undefined && { env: cmd.env }),
      handshake: o.handshake,
      versions: [...this.#sets.keys()],
      allowedProtocols: o.allowedProtocols ?? ['netrpc'],
      startTimeout: o.startTimeout ?? 60_000,
      logger: this.#logger,
      ...(o.logLevel !== undefined && { logLevel: o.logLevel }),
      ...(o.stderr !== undefined && { stderr: o.stderr }),
      ...(o.skipHostEnv !== undefined && { skipHostEnv: o.skipHostEnv }),
      ...(o.minPort !== undefined && { minPort: o.minPort }),
      ...(o.maxPort !== undefined && { maxPort: o.maxPort }),
      ...(o.unixSocketDir !== undefined && { unixSocketDir: o.unixSocketDir }),
      ...(o.secureConfig !== undefined && { secureConfig: o.secureConfig }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    this.#version = proc.handshake.protocolVersion;
    return proc;
  }

  /** The RPC connection to the plugin (starting it first); go-plugin's `Client()`. Cached. */
  client(options: AbortOptions = {}): Promise<ClientProtocol> {
    this.#connecting ??= this.#connectWithin(options).catch((err: unknown) => {
      this.#connecting = undefined;
      throw PluginError.from(err, 'unavailable');
    });
    return this.#connecting;
  }

  /** Connects and pings within `connectTimeout`: a plugin that accepted the connection but never answers fails. */
  async #connectWithin(options: AbortOptions): Promise<ClientProtocol> {
    // The plugin's start has its own deadline (startTimeout).
    await (this.#starting ?? this.#start(options));
    const ms = this.#options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    const limit = deadline(options.signal, ms, `the plugin did not answer within connectTimeout (${ms} ms) after it started: it accepted the connection but never answered`);
    try {
      const rpc = await this.#connect({ signal: limit.signal });
      try {
        await rpc.ping({ signal: limit.signal });
      } catch (err) {
        rpc.abort(err);
        throw PluginError.from(err, 'unavailable');
      }
      return rpc;
    } finally {
      limit.clear();
    }
  }

  async #connect(options: AbortOptions): Promise<ClientProtocol> {
    // A started plugin is connected even while it is being killed (kill() asks it to shut down over RPC).
    const proc = await (this.#starting ?? this.#start(options));
    const plugins = this.#sets.get(this.#version ?? -1);
    if (!plugins) throw new PluginError('incompatible_version', `no plugin set for negotiated version ${this.#version}`);
    const o = this.#options;
    const common = {
      address: { network: proc.handshake.network, address: proc.handshake.address },
      logger: this.#logger,
      exited: proc.exited,
      ...(o.syncStdout !== undefined && { syncStdout: o.syncStdout }),
      ...(o.syncStderr !== undefined && { syncStderr: o.syncStderr }),
      ...(o.callTimeout !== undefined && { callTimeout: o.callTimeout }),
      ...(o.livenessInterval !== undefined && { livenessInterval: o.livenessInterval }),
      ...(o.livenessTimeout !== undefined && { livenessTimeout: o.livenessTimeout }),
      ...(options.signal !== undefined && { signal: options.signal }),
    };
    const protocol: ProtocolName = proc.handshake.protocol;
    return protocol === 'grpc' ? connectGrpc({ ...common, plugins }) : connectNetRpc({ ...common, plugins });
  }

  /**
   * Returns the named plugin's client object, implementing the plugin's interface.
   * @param name - a key of the negotiated plugin set
   */
  async dispense<K extends keyof P & string>(name: K, options: AbortOptions = {}): Promise<ClientOf<P[K]>> {
    const rpc = await this.client(options);
    const ms = this.#options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    const limit = deadline(options.signal, ms, `the plugin did not dispense ${name} within connectTimeout (${ms} ms)`);
    try {
      return (await rpc.dispense(name, { signal: limit.signal })) as ClientOf<P[K]>;
    } finally {
      limit.clear();
    }
  }

  /** Checks the plugin answers. */
  async ping(options: AbortOptions = {}): Promise<void> {
    await (await this.client(options)).ping(options);
  }

  /**
   * Asks the plugin to exit (Shutdown / Control.Quit), waits 2 s, then kills it; idempotent. Resolves when the
   * process is gone and every socket, pipe and timer is released.
   */
  kill(): Promise<void> {
    this.#killed ??= this.#kill();
    return this.#killed;
  }

  async #kill(): Promise<void> {
    this.#unmanage?.();
    const proc = await this.#starting?.catch(() => undefined);
    if (!proc) return;
    const graceful = async (): Promise<boolean> => {
      // go-plugin connects if it never did, so that even an unused plugin gets a chance to shut down cleanly.
      const rpc = await (this.#connecting ?? this.client({ signal: AbortSignal.timeout(2000) })).catch(() => undefined);
      return rpc ? rpc.close() : false;
    };
    await proc.kill(graceful);
    const rpc = await this.#connecting?.catch(() => undefined);
    rpc?.abort(new PluginError('closed', 'the plugin was killed'));
  }

  /** Kills the plugin at once (SIGKILL), without asking it to shut down. */
  abort(reason?: unknown): void {
    this.#unmanage?.();
    this.#killed ??= Promise.resolve();
    void this.#connecting?.then((rpc) => rpc.abort(reason), () => {});
    this.#process?.abort(reason);
  }

  /** Same as {@link Client.kill}. */
  close(): Promise<void> {
    return this.kill();
  }

  /** Same as {@link Client.kill}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }

  /** Whether the plugin process has exited. */
  exited(): boolean {
    return this.#process?.hasExited() ?? false;
  }

  /** What a later host needs to reattach to this plugin; undefined before start. */
  reattachConfig(): ReattachConfig | undefined {
    return this.#process?.reattachConfig();
  }

  /** The protocol the plugin speaks; undefined before start. */
  protocol(): ProtocolName | undefined {
    return this.#process?.handshake.protocol;
  }

  /** The negotiated application protocol version; undefined before start. */
  negotiatedVersion(): number | undefined {
    return this.#version;
  }
}
