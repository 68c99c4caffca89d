// A grpc-js channel (its public `ChannelInterface`) backed by @plugwire/h2: generated grpc-js clients, interceptors
// and `clientOn` run on it unchanged, while the bytes go over plugwire's lean HTTP/2 client instead of grpc-js's
// node:http2 stack. One connection per channel, opened at once and again on the next call if it was lost.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { clientOptions, type TransportTls } from '@plugwire/net';
import * as grpc from '@grpc/grpc-js';
import { PluginError } from '@plugwire/core';
import { createH2Client, startCall, type GrpcCall, type H2ClientOptions, type H2Connection, type HeaderField } from '@plugwire/h2';

type GrpcJsCall = ReturnType<grpc.ChannelInterface['createCall']>;
type Listener = Parameters<GrpcJsCall['start']>[1];
type MessageContext = Parameters<GrpcJsCall['sendMessageWithContext']>[0];

/** Where an h2 channel connects. */
export interface H2ChannelAddress {
  /** `unix` for a socket path, `tcp` for `host:port`. */
  readonly network: 'unix' | 'tcp';
  /** The socket path or `host:port`, as the handshake line gave it. */
  readonly address: string;
}

function toFields(metadata: grpc.Metadata): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const [name, value] of Object.entries(metadata.toHttp2Headers())) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) fields.push([name, String(v)]);
    else fields.push([name, String(value)]);
  }
  return fields;
}

function toMetadata(fields: HeaderField[]): grpc.Metadata {
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    const prev = record[name];
    if (prev === undefined) record[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else record[name] = [prev, value];
  }
  try {
    return grpc.Metadata.fromHttp2Headers(record);
  } catch {
    return new grpc.Metadata();
  }
}

let callNumber = 0;

/** One grpc-js call carried by an h2 call. */
class H2JsCall implements GrpcJsCall {
  private call: GrpcCall | undefined;
  private readonly number = ++callNumber;
  private early: (() => void)[] | undefined = [];

  constructor(
    private readonly channel: H2Channel,
    private readonly path: string,
    private readonly deadline: grpc.Deadline,
  ) {}

  start(metadata: grpc.Metadata, listener: Listener): void {
    const deadline = this.deadline instanceof Date ? this.deadline.getTime() : this.deadline;
    let conn: H2Connection;
    try {
      conn = this.channel.connection();
    } catch (err) {
      const details = PluginError.from(err).message;
      process.nextTick(() => listener.onReceiveStatus({ code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() }));
      return;
    }
    // grpc-js expects events after start() returns: hold any that fire during it (e.g. a lost connection).
    const later = (f: () => void): void => {
      if (this.early) this.early.push(f);
      else f();
    };
    this.call = startCall(
      conn,
      this.path,
      { metadata: toFields(metadata), deadline: Number.isFinite(deadline) ? deadline : undefined, maxReceiveMessageLength: 0x7fffffff },
      {
        onMetadata: (fields) => later(() => listener.onReceiveMetadata(toMetadata(fields))),
        onMessage: (message) => later(() => listener.onReceiveMessage(message)),
        onStatus: (status) =>
          later(() => listener.onReceiveStatus({ code: status.code, details: status.details, metadata: toMetadata(status.metadata) })),
      },
    );
    const held = this.early;
    this.early = undefined;
    if (held && held.length > 0) process.nextTick(() => held.forEach((f) => f()));
  }

  sendMessageWithContext(context: MessageContext, message: Buffer): void {
    this.call?.sendMessage(message, (err) => context.callback?.(err ?? null));
  }

  startRead(): void {
    this.call?.read();
  }

  halfClose(): void {
    this.call?.halfClose();
  }

  cancelWithStatus(status: grpc.status, details: string): void {
    this.call?.cancel(status, details);
  }

  getPeer(): string {
    return this.channel.getTarget();
  }

  getCallNumber(): number {
    return this.number;
  }

  setCredentials(): void {
    // Plaintext h2c: per-call credentials have nowhere to go, as with grpc-js's insecure channel.
  }

  getAuthContext(): null {
    return null;
  }
}

/**
 * A grpc-js `ChannelInterface` over an @plugwire/h2 connection. Pass it as `channelOverride` to a generated client
 * (or use `clientOn`); `close()` closes the connection.
 */
export class H2Channel implements grpc.ChannelInterface {
  private conn: H2Connection | undefined;
  private closed = false;
  private readonly watchers = new Set<() => void>();

  /**
   * @param address - unix socket path or host:port
   * @param options - h2 client options
   * @param tls - TLS to dial with (ALPN h2) @default none (h2c)
   */
  constructor(
    private readonly address: H2ChannelAddress,
    private readonly options: H2ClientOptions = {},
    private readonly tls?: TransportTls,
  ) {
    this.conn = this.open();
  }

  private open(): H2Connection {
    const at = this.address.address.lastIndexOf(':');
    const where =
      this.address.network === 'unix'
        ? { path: this.address.address }
        : { host: this.address.address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(this.address.address.slice(at + 1)) };
    let socket: Socket;
    if (this.tls) {
      // TLS with ALPN h2 (what grpc-go servers require); the preface waits in the TLS socket for the handshake.
      const secured = tlsConnect({ ...clientOptions(this.tls, ['h2']), ...where });
      secured.once('secureConnect', () => {
        if (secured.alpnProtocol !== 'h2') secured.destroy(new PluginError('unavailable', 'the plugin did not agree to HTTP/2 over TLS (ALPN h2)'));
      });
      socket = secured;
    } else {
      socket = connect(where);
      if (!('path' in where)) socket.setNoDelay(true);
    }
    const conn = createH2Client(socket, this.tls ? { scheme: 'https', ...this.options } : this.options);
    void conn.closed.then(() => this.changed());
    return conn;
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }

  /** The connection to call on, reconnecting once a previous one was lost. @internal */
  connection(): H2Connection {
    if (this.closed) throw new PluginError('closed', 'the channel is closed');
    if (!this.conn || this.conn.error) this.conn = this.open();
    return this.conn;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn?.abort(new PluginError('closed', 'the channel was closed'));
    this.changed();
  }

  getTarget(): string {
    return this.address.network === 'unix' ? `unix:${this.address.address}` : this.address.address;
  }

  getConnectivityState(tryToConnect: boolean): grpc.connectivityState {
    if (this.closed) return grpc.connectivityState.SHUTDOWN;
    if (!this.conn || this.conn.error) {
      if (tryToConnect) this.conn = this.open();
      else return grpc.connectivityState.IDLE;
    }
    return this.conn.ready ? grpc.connectivityState.READY : grpc.connectivityState.CONNECTING;
  }

  watchConnectivityState(currentState: grpc.connectivityState, deadline: Date | number, callback: (error?: Error) => void): void {
    if (this.getConnectivityState(false) !== currentState) return void process.nextTick(callback);
    const ms = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
    const done = (err?: Error): void => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
      callback(err);
    };
    const watcher = (): void => {
      if (this.getConnectivityState(false) !== currentState) done();
    };
    const timer = setTimeout(() => done(new Error('Deadline passed without connectivity state change')), Math.max(0, Math.min(ms, 0x7fffffff)));
    this.watchers.add(watcher);
  }

  getChannelzRef(): ReturnType<grpc.ChannelInterface['getChannelzRef']> {
    return { kind: 'channel', id: 0, name: this.getTarget() } as ReturnType<grpc.ChannelInterface['getChannelzRef']>;
  }

  createCall(method: string, deadline: grpc.Deadline): GrpcJsCall {
    return new H2JsCall(this, method, deadline);
  }
}
