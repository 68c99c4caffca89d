import * as grpc from '@grpc/grpc-js';
import { PluginError, type PluginAddress } from '@plugwire/core';
import { createSecureContext } from 'node:tls';
import { clientOptions, grpcTarget, type TransportTls } from '@plugwire/net';
import { CLOSED_DETAILS, EXITED_DETAILS } from './errors.js';
import type { GrpcCaller } from '@plugwire/h2';
import { H2Channel } from './h2-channel.js';
import { deliverFailure, startDeadline } from './lost.js';
import { trackConnection } from './reset-pacer.js';

// Channels this package opened, with the signal that fires when the plugin exits or the connection closes, so
// that clients built on them (clientOn) cancel their pending calls instead of hanging.
const stopSignals = new WeakMap<grpc.ChannelInterface, AbortSignal>();
// Channels whose unary calls get a default deadline (the Client's callTimeout), in ms.
const callTimeouts = new WeakMap<grpc.ChannelInterface, number>();

/**
 * Which client carries the host's gRPC calls: `h2`, plugwire's lean HTTP/2 client (@plugwire/h2), or `grpc-js`'s
 * own channel. Either way the channel is a grpc-js `ChannelInterface`, so generated grpc-js clients run on it.
 */
export type GrpcClientTransport = 'h2' | 'grpc-js';

/**
 * grpc-js channel credentials for `tls`: the side's key and certificates, and the peer check (pinned certificate
 * for AutoMTLS, else CA and server name).
 * @param tls - the side's TLS
 */
export function channelCredentials(tls: TransportTls): grpc.ChannelCredentials {
  const options = clientOptions(tls);
  return grpc.credentials.createFromSecureContext(createSecureContext(tls.context), {
    ...(options.checkServerIdentity && { checkServerIdentity: options.checkServerIdentity }),
  });
}

/**
 * Opens a channel to `address` the way go-plugin dials: no message size limit in either direction, plaintext or
 * over `tls`.
 * @param address - where the peer listens
 * @param stop - fires when calls on this channel must end (plugin exited, connection closed)
 * @param tls - TLS to dial with (AutoMTLS or the host's own) @default none (plaintext)
 * @param transport - the client that carries the calls @default 'h2'
 */
export function openChannel(
  address: PluginAddress | { network: string; address: string },
  stop: AbortSignal,
  tls?: TransportTls,
  transport: GrpcClientTransport = 'h2',
): grpc.ChannelInterface {
  const target = grpcTarget(address);
  if (transport === 'h2') {
    const channel = new H2Channel({ network: address.network === 'unix' ? 'unix' : 'tcp', address: address.address }, {}, tls);
    stopSignals.set(channel, stop);
    channel.stopWith(stop);
    return channel;
  }
  const channel = new grpc.Channel(target, tls ? channelCredentials(tls) : grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    ...(tls && { 'grpc.ssl_target_name_override': tls.servername, 'grpc.default_authority': tls.servername }),
  });
  stopSignals.set(channel, stop);
  return channel;
}

/**
 * Gives every unary call made through `clientOn` clients on `channel` a default deadline (the Client's
 * `callTimeout`): past it the call is cancelled and fails with `timeout`.
 * @param channel - a channel from {@link openChannel}
 * @param ms - the deadline
 */
export function setCallTimeout(channel: grpc.ChannelInterface, ms: number): void {
  callTimeouts.set(channel, ms);
  if (channel instanceof H2Channel) channel.callTimeout = ms;
}

type AnyCall = grpc.ClientUnaryCall | grpc.ClientReadableStream<unknown> | grpc.ClientWritableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>;
type Method = (...args: unknown[]) => AnyCall;

/**
 * Makes every call of `client` end when `stop` fires. Tracking calls in a set costs far less per call than a grpc-js
 * interceptor (measured: an interceptor took a third off the host's calls per second). A call cancelled this way
 * reports UNAVAILABLE with details saying why, which `toPluginError` maps to `exited` or `closed`.
 */
function cancelOnStop(client: Record<string, unknown>, service: grpc.ServiceDefinition, stop: AbortSignal, channel: grpc.ChannelInterface): void {
  const inflight = new Set<AnyCall>();
  const why = (err: Partial<grpc.ServiceError>): void => {
    if (!stop.aborted || (err.code !== grpc.status.CANCELLED && err.code !== grpc.status.UNAVAILABLE)) return;
    const reason: unknown = stop.reason;
    err.code = grpc.status.UNAVAILABLE;
    const code = reason instanceof PluginError ? reason.code : undefined;
    // A connection found dead (the plugin stopped answering) says so; an exit or a close say theirs.
    err.details = code === 'exited' ? EXITED_DETAILS : code === 'unavailable' ? (reason as PluginError).message : CLOSED_DETAILS;
  };
  const timeout = callTimeouts.get(channel);
  stop.addEventListener('abort', () => {
    for (const call of inflight) call.cancel();
  }, { once: true });
  const names = Object.entries(service).flatMap(([name, def]) => (def.originalName ? [name, def.originalName] : [name]));
  for (const name of new Set(names)) {
    const original = client[name];
    if (typeof original !== 'function') continue;
    client[name] = (...args: unknown[]): AnyCall => {
      let call: AnyCall | undefined;
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        // Unary and client-streaming calls: the callback runs exactly once, at the end of the call.
        const deadline = timeout === undefined ? undefined : startDeadline(() => call, timeout);
        args[last] = (err: grpc.ServiceError | null, response: unknown) => {
          if (call) inflight.delete(call);
          if (deadline) deadline.end(err);
          const deliver = (): void => {
            if (err) why(err);
            (callback as (e: grpc.ServiceError | null, r: unknown) => void)(err, response);
          };
          if (err) deliverFailure(err, channel, stop, deliver);
          else deliver();
        };
      }
      call = (original as Method).apply(client, args);
      trackConnection(call, channel);
      if (typeof callback !== 'function') {
        // Streams: rewrite the error before the caller's own listener sees it.
        const started = call;
        (started as NodeJS.EventEmitter).prependListener('error', why);
        started.once('status', () => inflight.delete(started));
      }
      inflight.add(call);
      if (stop.aborted) call.cancel();
      return call;
    };
  }
}

/**
 * The h2 caller behind `channel` when it is an {@link H2Channel} (the host's default), so that a typed client can
 * call straight on it; `undefined` for a grpc-js channel. Its failures are `PluginError`s, already mapped (the
 * call's abort, `exited`/`closed` when the connection's stop signal or `exited` fired).
 * @param channel - the channel a client half received
 * @param exited - a further signal whose firing means the plugin is gone @default the channel's own stop signal
 */
export function callerOf(channel: grpc.ChannelInterface, exited?: AbortSignal): GrpcCaller | undefined {
  return channel instanceof H2Channel ? channel.caller(exited) : undefined;
}

/**
 * Builds a generated grpc-js client (ts-proto `outputServices=grpc-js`, or `makeGenericClientConstructor`) on an
 * existing channel, such as the one `client` receives or one from `broker.dial`. Calls on it end with
 * UNAVAILABLE (reported by `toPluginError` as `exited` or `closed`) when the plugin exits or the connection closes.
 * Do not call the client's `close()`: the channel belongs to the connection or broker.
 * @param Client - the generated client constructor
 * @param channel - the channel to call on
 */
export function clientOn<C>(
  Client: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C,
  channel: grpc.ChannelInterface,
): C {
  const client = new Client('unused', grpc.credentials.createInsecure(), { channelOverride: channel });
  const stop = stopSignals.get(channel);
  const service = (Client as { service?: grpc.ServiceDefinition }).service;
  if (stop && service) cancelOnStop(client as Record<string, unknown>, service, stop, channel);
  return client;
}
