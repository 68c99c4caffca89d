// The host side of go-plugin's netrpc protocol (go-plugin's RPCClient): yamux client over the plugin's socket,
// control/stdout/stderr streams, Control.Ping/Quit, Dispenser.Dispense and brokered Plugin connections.
import {
  type AbortOptions,
  type ClientProtocol,
  type ConnectTransportOptions,
  PluginError,
  abortError,
  throwIfAborted,
} from '@plugwire/core';
import { dial, secureClientSocket, type TransportTls } from '@plugwire/net';
import { type MuxBroker, createMuxBroker } from '@plugwire/broker';
import { gob } from '@plugwire/gob';
import { type YamuxSession, type YamuxStream, createSession } from '@plugwire/yamux';
import { ControlArg, ControlReply, DispenseArg, DispenseReply, NETRPC_UNSUPPORTED, unknownPluginText } from './control.js';
import type { NetRpcPlugin } from './plugin.js';
import { type RpcClient, type RpcClientOptions, createRpcClient } from './rpc-client.js';

/** What every RpcClient of a connection gets: the exit signal and the default call deadline. */
function rpcOptions(options: ConnectTransportOptions<NetRpcPlugin>): RpcClientOptions {
  return {
    ...(options.exited !== undefined && { exited: options.exited }),
    ...(options.callTimeout !== undefined && { callTimeout: options.callTimeout }),
  };
}

class NetRpcClientProtocol implements ClientProtocol {
  readonly protocol = 'netrpc' as const;
  private closing: Promise<boolean> | undefined;
  private lost = false;
  private readonly clients = new Set<RpcClient>();

  constructor(
    private readonly options: ConnectTransportOptions<NetRpcPlugin>,
    private readonly session: YamuxSession,
    private readonly streams: readonly YamuxStream[],
    private readonly control: RpcClient,
    readonly broker: MuxBroker,
  ) {
    void session.closed.then(() => {
      if (this.closing === undefined) this.lost = true;
    });
    const exited = options.exited;
    if (exited !== undefined) {
      const onExit = (): void => this.abort(exited.reason ?? new PluginError('exited', 'the plugin process exited'));
      if (exited.aborted) onExit();
      else {
        exited.addEventListener('abort', onExit, { once: true });
        void session.closed.then(() => exited.removeEventListener('abort', onExit));
      }
    }
  }

  async dispense(name: string, options: AbortOptions = {}): Promise<unknown> {
    const definition = Object.hasOwn(this.options.plugins, name) ? this.options.plugins[name] : undefined;
    if (definition === undefined) throw new PluginError('not_found', unknownPluginText(name));
    const client = definition.client;
    if (client === undefined) throw new PluginError('unimplemented', `${NETRPC_UNSUPPORTED} (plugin ${name} has no netrpc client)`);
    const id = await this.control.call('Dispenser.Dispense', gob.value(DispenseArg, name), { ...options, reply: DispenseReply });
    const stream = await this.broker.dial(id, options);
    const rpc = createRpcClient(stream, rpcOptions(this.options));
    this.clients.add(rpc);
    void rpc.closed.then(() => this.clients.delete(rpc));
    try {
      return await client.call(definition, this.broker, rpc);
    } catch (err) {
      await rpc.close();
      throw PluginError.from(err, 'internal');
    }
  }

  async ping(options: AbortOptions = {}): Promise<void> {
    await this.control.call('Control.Ping', gob.value(ControlArg, true), { ...options, reply: ControlReply });
  }

  close(): Promise<boolean> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<boolean> {
    let graceful = !this.lost;
    if (graceful) {
      try {
        await this.control.call('Control.Quit', gob.value(ControlArg, true), { reply: ControlReply });
      } catch (err) {
        // A Go plugin often exits before its reply is out: EOF after Quit still means it is shutting down.
        graceful = err instanceof PluginError && (err.code === 'unavailable' || err.code === 'exited');
      }
    }
    // As go-plugin's RPCClient.Close: close the streams without waiting for the plugin's side, then the session.
    for (const c of this.clients) void c.close().catch(() => undefined);
    void this.control.close().catch(() => undefined);
    for (const s of this.streams) {
      s.unpipe();
      s.end();
    }
    await this.broker.close();
    await this.session.close();
    return graceful;
  }

  abort(reason?: unknown): void {
    // The same code as the gRPC transport: `aborted` unless the reason says otherwise.
    const err = PluginError.from(reason ?? new PluginError('aborted', 'the plugin connection was aborted'), 'aborted');
    this.closing ??= Promise.resolve(false);
    for (const c of this.clients) c.abort(err);
    this.control.abort(err);
    this.session.abort(err);
    void this.broker.close().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Options of {@link connectNetRpc}. */
export interface ConnectNetRpcOptions extends ConnectTransportOptions<NetRpcPlugin> {
  /** TLS under yamux (AutoMTLS with the plugin's certificate, or the host's own TLS). @default none (plaintext) */
  readonly tls?: TransportTls;
}

/**
 * Connects to a plugin serving netrpc (go-plugin's `RPCClient`): dials its address, runs a yamux client session,
 * opens the control, stdout and stderr streams in that order (mirroring the latter two into `syncStdout` /
 * `syncStderr`) and starts the broker.
 * @param options - address, plugin set, logger, sync targets, exit signal
 */
export async function connectNetRpc(options: ConnectNetRpcOptions): Promise<ClientProtocol> {
  const raw = await dial(options.address, options);
  // As Go does for every TCP connection: yamux frames go out as they are written, not held back by Nagle's
  // algorithm while an earlier segment waits for its ACK (a no-op on unix sockets).
  raw.setNoDelay(true);
  const socket = options.tls ? await secureClientSocket(raw, options.tls, options) : raw;
  const session = createSession(socket, 'client', {
    logger: options.logger,
    ...(options.livenessInterval !== undefined && { keepAliveInterval: options.livenessInterval }),
    ...(options.livenessTimeout !== undefined && { connectionWriteTimeout: options.livenessTimeout }),
  });
  try {
    const control = await session.open(options);
    const stdout = await session.open(options);
    const stderr = await session.open(options);
    // Nothing to do about a failing stdio stream: its error ends the mirroring, and the session reports the rest.
    for (const s of [control, stdout, stderr]) s.on('error', () => undefined);
    if (options.syncStdout) stdout.pipe(options.syncStdout, { end: false });
    else stdout.resume();
    if (options.syncStderr) stderr.pipe(options.syncStderr, { end: false });
    else stderr.resume();
    const broker = createMuxBroker(session);
    broker.run();
    return new NetRpcClientProtocol(options, session, [control, stdout, stderr], createRpcClient(control, rpcOptions(options)), broker);
  } catch (err) {
    session.abort(err);
    throw PluginError.from(err, 'unavailable');
  }
}
