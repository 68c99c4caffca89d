import {
  PluginError,
  throwIfAborted,
  type AbortOptions,
  type ClientProtocol,
  type ConnectTransportOptions,
  type PluginAddress,
  type ProtocolName,
} from '@plugwire/core';
import { decodeHandshakeCert, generateIdentity, mutualTls, parseCertificate, userTls, type Identity, type TransportTls } from '@plugwire/net';
import { launch, manage, reattach, type PluginProcess, type ReattachConfig } from '@plugwire/process';
import type { GrpcClientTransport } from '@plugwire/grpc-transport';
import type { ClientOf, PluginDefinition, PluginSet } from './definition.js';
import { validateClientOptions, type ClientOptions, type ResolvedClientOptions } from './options.js';
import { share, type Shared } from './shared.js';
import { deadline } from './deadline.js';

const closedError = (): PluginError => new PluginError('closed', 'this client was killed; create a new Client to start the plugin again');

/** Loads only the transport the plugin speaks: a netrpc host never loads grpc-js. */
async function transportFor(
  protocol: ProtocolName,
): Promise<{ connect(o: ConnectTransportOptions<PluginDefinition<unknown, unknown>> & { readonly multiplex: boolean; readonly transport?: GrpcClientTransport }): Promise<ClientProtocol> }> {
  return protocol === 'grpc' ? import('./grpc/transport.js') : import('./netrpc/transport.js');
}

/**
 * The host's handle on one plugin: launches (or reattaches to) it, negotiates, connects, dispenses typed clients and
 * kills it; go-plugin's `Client`.
 *
 * ```ts
 * await using client = new Client({ handshake, plugins: { kv }, cmd: [process.execPath, 'kv-plugin.js'] });
 * const store = await client.dispense('kv', { signal: AbortSignal.timeout(5_000) });
 * await store.put('hello', new TextEncoder().encode('world'));
 * ```
 * Several callers may start, connect or dispense at once: they share one launch and one connection, and a
 * caller's `signal` ends only that caller's wait. The launch is abandoned (its process killed) when every caller
 * waiting for it gave up.
 */
export class Client<P extends PluginSet = PluginSet> implements AsyncDisposable {
  readonly #o: ResolvedClientOptions<P>;
  #launch: Shared<PluginProcess> | undefined;
  #process: PluginProcess | undefined;
  #connect: Shared<ClientProtocol> | undefined;
  #version: number | undefined;
  #killed: Promise<void> | undefined;
  #unmanage: (() => void) | undefined;
  #identity: Identity | undefined;

  /**
   * @param options - see {@link ClientOptions}; checked at once (throws `invalid_argument`)
   */
  constructor(options: ClientOptions<P>) {
    this.#o = validateClientOptions(options);
    if (this.#o.managed) {
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
    if (this.#killed) throw closedError();
    const { network, address } = (await this.#started(options.signal)).handshake;
    return { network, address };
  }

  #started(signal: AbortSignal | undefined): Promise<PluginProcess> {
    if (!this.#launch) {
      if (this.#killed) return Promise.reject(closedError());
      const launching = share((s) => this.#run(s));
      this.#launch = launching;
      launching.result.then(
        (proc) => {
          this.#process = proc;
        },
        () => {
          // A failed or abandoned launch can be tried again.
          if (this.#launch === launching && !this.#killed) this.#launch = undefined;
        },
      );
    }
    return this.#launch.wait(signal, 'plugin launch');
  }

  async #run(signal: AbortSignal): Promise<PluginProcess> {
    throwIfAborted(signal, 'plugin launch');
    const o = this.#o;
    try {
      if (o.reattach) {
        const proc = await reattach(o.reattach, { logger: o.logger, signal });
        this.#version = o.reattach.protocolVersion;
        return proc;
      }
      // A fresh AutoMTLS identity per launch, as go-plugin makes one per Start.
      this.#identity = o.autoMTLS ? generateIdentity() : undefined;
      const proc = await launch({ ...o.launch!, ...(this.#identity && { clientCert: this.#identity.certPem }), signal });
      this.#version = proc.handshake.protocolVersion;
      return proc;
    } catch (err) {
      throw PluginError.from(err);
    }
  }

  /** TLS to the plugin: AutoMTLS pinned to the certificate it printed, the user's own TLS, or none. */
  #transportTls(serverCert: string | undefined): TransportTls | undefined {
    const o = this.#o;
    if (o.tls) return userTls(o.tls);
    if (!o.autoMTLS || !this.#identity) return undefined;
    if (serverCert === undefined) {
      throw new PluginError('handshake', 'autoMTLS is on but the plugin printed no certificate on its handshake line: it does not support AutoMTLS; turn autoMTLS off or update the plugin');
    }
    const der = decodeHandshakeCert(serverCert);
    parseCertificate(der);
    return mutualTls(this.#identity, der);
  }

  /** The RPC connection to the plugin (starting it first); go-plugin's `Client()`. Cached. */
  client(options: AbortOptions = {}): Promise<ClientProtocol> {
    if (this.#killed) return Promise.reject(closedError());
    return this.#connected(options.signal);
  }

  #connected(signal: AbortSignal | undefined): Promise<ClientProtocol> {
    if (!this.#connect) {
      const connecting = share((s) => this.#dial(s));
      this.#connect = connecting;
      connecting.result.catch(() => {
        if (this.#connect === connecting) this.#connect = undefined;
      });
    }
    return this.#connect.wait(signal, 'connecting to the plugin');
  }

  async #dial(signal: AbortSignal): Promise<ClientProtocol> {
    // A started plugin is connected even while it is being killed (kill() asks it to shut down over RPC).
    const proc = await this.#started(signal);
    // The start has its own deadline (startTimeout); connecting and a first ping get connectTimeout, so a plugin
    // that accepted the connection but never answers fails instead of hanging.
    const ms = this.#o.connectTimeout;
    const limit = deadline(signal, ms, `the plugin did not answer within connectTimeout (${ms} ms) after it started: it accepted the connection but never answered`);
    try {
      const rpc = await this.#connectTo(proc, limit.signal);
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

  async #connectTo(proc: PluginProcess, signal: AbortSignal): Promise<ClientProtocol> {
    const plugins = this.#o.sets.get(this.#version ?? -1);
    if (!plugins) throw new PluginError('incompatible_version', `no plugin set for negotiated version ${String(this.#version)}`);
    const tls = this.#transportTls(proc.handshake.serverCert);
    const transport = await transportFor(proc.handshake.protocol);
    try {
      return await transport.connect({
        address: { network: proc.handshake.network, address: proc.handshake.address },
        plugins,
        logger: this.#o.logger,
        exited: proc.exited,
        syncStdout: this.#o.syncStdout,
        syncStderr: this.#o.syncStderr,
        // The launch refused a gRPC plugin that did not announce multiplexing when it was asked for.
        multiplex: this.#o.grpcBrokerMultiplex && proc.handshake.muxSupported === true,
        transport: this.#o.grpcTransport,
        ...(tls && { tls }),
        ...this.#o.calls,
        signal,
      });
    } catch (err) {
      throw PluginError.from(err, 'unavailable');
    }
  }

  /**
   * Returns the named plugin's client object, implementing the plugin's interface.
   * @param name - a key of the negotiated plugin set
   * @param options - `signal` ends this call's wait (and the launch, when no other caller waits for it)
   */
  async dispense<K extends keyof P & string>(name: K, options: AbortOptions = {}): Promise<ClientOf<P[K]>> {
    const rpc = await this.client(options);
    const ms = this.#o.connectTimeout;
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
   * process is gone and every socket, pipe and timer is released. After {@link Client.abort}, resolves once the
   * aborted process is gone.
   */
  kill(): Promise<void> {
    this.#killed ??= this.#kill();
    return this.#killed;
  }

  async #kill(): Promise<void> {
    this.#unmanage?.();
    const proc = await this.#launch?.result.catch(() => undefined);
    if (!proc) return;
    const graceful = async (): Promise<boolean> => {
      // go-plugin connects if it never did, so that even an unused plugin gets a chance to shut down cleanly.
      const rpc = await this.#connected(AbortSignal.timeout(2000)).catch(() => undefined);
      return rpc ? rpc.close() : false;
    };
    await proc.kill(graceful);
    const rpc = await this.#connect?.result.catch(() => undefined);
    rpc?.abort(new PluginError('closed', 'the plugin was killed'));
  }

  /**
   * Kills the plugin at once (SIGKILL), without asking it to shut down, even while it is still starting: no
   * process remains. Pending and later calls reject. `kill()` afterwards resolves when the process is gone.
   * @param reason - what pending calls reject with (as a `PluginError`)
   */
  abort(reason?: unknown): void {
    this.#unmanage?.();
    const err = reason === undefined ? new PluginError('aborted', 'the plugin client was aborted') : PluginError.from(reason, 'aborted');
    const launching = this.#launch;
    const connecting = this.#connect;
    launching?.abort(err);
    connecting?.abort(err);
    void connecting?.result.then((rpc) => rpc.abort(err), () => {});
    // A launch that finished before it saw the abort still hands over its process: kill that one too.
    const stopped = (async () => {
      const proc = await launching?.result.catch(() => undefined);
      if (!proc) return;
      proc.abort(err);
      await proc.kill();
    })();
    this.#killed ??= stopped;
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
