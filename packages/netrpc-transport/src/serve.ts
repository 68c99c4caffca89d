// The plugin side of go-plugin's netrpc protocol (go-plugin's RPCServer): per host connection a yamux server
// session, the control/stdout/stderr streams, Control and Dispenser on the control stream, and each dispensed
// plugin served as `Plugin` on its brokered connection.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { PluginError, type ServeTransportOptions, type ServerProtocol } from '@plugwire/core';
import { type MuxBroker, createMuxBroker } from '@plugwire/broker';
import { secureServerSocket, type TransportTls } from '@plugwire/net';
import { type YamuxSession, type YamuxStream, createSession } from '@plugwire/yamux';
import { ControlArg, ControlReply, DispenseArg, DispenseReply, NETRPC_UNSUPPORTED, unknownPluginText } from './control.js';
import type { NetRpcPlugin } from './plugin.js';
import { type RpcServer, serveRpc, serveRpcServices } from './rpc-server.js';
import { method } from './service.js';

/** Options of {@link serveNetRpc}. */
export interface ServeNetRpcOptions extends ServeTransportOptions<NetRpcPlugin> {
  /**
   * TLS on every accepted connection, under yamux (AutoMTLS or the plugin's own TLS); connections whose TLS
   * handshake fails (no or another client certificate) are dropped before any byte of yamux.
   * @default none (plaintext)
   */
  readonly tls?: TransportTls;
}

interface Connection {
  readonly session: YamuxSession;
  broker?: MuxBroker;
  readonly servers: Set<RpcServer>;
  readonly streams: YamuxStream[];
}

class NetRpcServerProtocol implements ServerProtocol {
  readonly protocol = 'netrpc' as const;
  readonly address: ServerProtocol['address'];
  readonly done: Promise<void>;
  private markDone!: () => void;
  private readonly connections = new Set<Connection>();
  private closing: Promise<void> | undefined;
  private stdioTaken = false;
  private readonly handshaking = new Set<Socket>();

  constructor(private readonly options: ServeNetRpcOptions) {
    this.address = options.listener.address;
    this.done = new Promise<void>((resolve) => {
      this.markDone = resolve;
    });
    options.listener.server.on('connection', (socket: Socket) => {
      void this.accept(socket);
    });
  }

  private async accept(raw: Socket): Promise<void> {
    const tls = this.options.tls;
    if (tls === undefined || this.closing) return this.serveConnection(raw);
    this.handshaking.add(raw);
    let secured: Socket;
    try {
      secured = await secureServerSocket(raw, tls);
    } catch (err) {
      this.options.logger.warn({ error: PluginError.from(err).message }, 'plugin: refused a connection whose TLS handshake failed');
      return;
    } finally {
      this.handshaking.delete(raw);
    }
    await this.serveConnection(secured);
  }

  private async serveConnection(socket: Socket): Promise<void> {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const { logger } = this.options;
    const session = createSession(socket, 'server', { logger });
    const conn: Connection = { session, servers: new Set(), streams: [] };
    this.connections.add(conn);
    void session.closed.then(() => this.connections.delete(conn));
    try {
      const control = await session.accept();
      const stdout = await session.accept();
      const stderr = await session.accept();
      conn.streams.push(control, stdout, stderr);
      // Nothing to do about a failing stdio stream: its error ends the mirroring, and the session reports the rest.
      for (const s of [control, stdout, stderr]) s.on('error', () => undefined);
      // The plugin's own output goes to the first host only, as go-plugin's single pipe would.
      if (!this.stdioTaken) {
        this.stdioTaken = true;
        mirror(this.options.stdout, stdout);
        mirror(this.options.stderr, stderr);
      }
      stdout.resume();
      stderr.resume();
      const broker = createMuxBroker(session);
      conn.broker = broker;
      broker.run();
      const server = serveRpcServices(control, {
        Control: {
          Ping: method(ControlArg, ControlReply, () => ({})),
          Quit: method(ControlArg, ControlReply, () => {
            // Settled after this reply is written (it is written synchronously once the handler returns).
            queueMicrotask(() => this.markDone());
            return {};
          }),
        },
        Dispenser: {
          Dispense: method(DispenseArg, DispenseReply, (name) => this.dispense(conn, broker, name)),
        },
      });
      conn.servers.add(server);
    } catch (err) {
      if (!session.isClosed) {
        logger.error({ error: PluginError.from(err).message }, 'plugin: error setting up the netrpc connection');
      }
      session.abort(err);
    }
  }

  private async dispense(conn: Connection, broker: MuxBroker, name: string): Promise<number> {
    const definition = Object.hasOwn(this.options.plugins, name) ? this.options.plugins[name] : undefined;
    if (definition === undefined) throw new Error(unknownPluginText(name));
    if (definition.server === undefined) throw new Error(NETRPC_UNSUPPORTED);
    const service = await definition.server(broker);
    const id = broker.nextId();
    void broker.accept(id).then(
      (stream) => {
        const server = serveRpc(stream, 'Plugin', service);
        conn.servers.add(server);
        void server.done.then(() => conn.servers.delete(server));
      },
      (err: unknown) => {
        this.options.logger.error({ plugin: name, error: PluginError.from(err).message }, 'go-plugin: plugin dispense error');
      },
    );
    return id;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const s of this.handshaking) s.destroy();
    await this.options.listener.close();
    await Promise.allSettled(
      [...this.connections].map(async (c) => {
        // The host may hold its ends open: do not wait for them, the session close releases everything.
        for (const s of c.servers) void s.close().catch(() => undefined);
        await c.broker?.close();
        await c.session.close();
      }),
    );
    this.markDone();
  }

  abort(reason?: unknown): void {
    this.closing ??= Promise.resolve();
    for (const s of this.handshaking) s.destroy();
    for (const c of this.connections) {
      for (const s of c.servers) s.abort(reason);
      void c.broker?.close().catch(() => undefined);
      c.session.abort(reason);
    }
    void this.options.listener.close().catch(() => undefined);
    this.markDone();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Copies the plugin's captured output into a stdio stream until either ends. */
function mirror(source: Readable | undefined, target: YamuxStream): void {
  if (source === undefined) return;
  source.pipe(target, { end: false });
  target.once('close', () => source.unpipe(target));
}

/**
 * Serves go-plugin's netrpc protocol on `options.listener` (go-plugin's `RPCServer`): every host connection gets
 * a yamux server session whose first three streams are control, stdout and stderr; `Control.Ping`, `Control.Quit`
 * (which settles `done`) and `Dispenser.Dispense` are served on control, each dispensed plugin as `Plugin` on a
 * brokered stream. A plugin definition without `server` is refused with go-plugin's words.
 * @param options - plugin set, listener, stdio to sync, logger
 */
export async function serveNetRpc(options: ServeNetRpcOptions): Promise<ServerProtocol> {
  return new NetRpcServerProtocol(options);
}
