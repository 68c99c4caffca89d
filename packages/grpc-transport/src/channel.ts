import * as grpc from '@grpc/grpc-js';
import { PluginError, type PluginAddress } from '@plugwire/core';
import { CLOSED_DETAILS, EXITED_DETAILS } from './errors.js';

// Channels this package opened, with the signal that fires when the plugin exits or the connection closes, so
// that clients built on them (clientOn) cancel their pending calls instead of hanging.
const stopSignals = new WeakMap<grpc.Channel, AbortSignal>();

/** Longest address accepted from the other side: a unix socket path or host:port is far shorter. */
const MAX_ADDRESS_LENGTH = 4096;

/**
 * The grpc-js target of a go-plugin address, rejecting addresses no go-plugin peer would send.
 * @param address - from the handshake line or a broker ConnInfo
 */
export function targetOf(address: { network: string; address: string }): string {
  const { network, address: addr } = address;
  if (addr.length === 0 || addr.length > MAX_ADDRESS_LENGTH || /[\0\r\n]/.test(addr)) {
    throw new PluginError('protocol', `the plugin sent an unusable ${network} address ${JSON.stringify(addr.slice(0, 200))}`);
  }
  if (network === 'unix') return `unix:${addr}`;
  if (network === 'tcp') {
    if (!/^[^\s/]+:\d{1,5}$/.test(addr)) {
      throw new PluginError('protocol', `the plugin sent an invalid tcp address ${JSON.stringify(addr.slice(0, 200))}`);
    }
    return addr;
  }
  throw new PluginError('protocol', `Unknown address type: ${addr}`);
}

/**
 * Opens a channel to `address` the way go-plugin dials: plaintext, no message size limit in either direction.
 * @param address - where the peer listens
 * @param stop - fires when calls on this channel must end (plugin exited, connection closed)
 */
export function openChannel(address: PluginAddress | { network: string; address: string }, stop: AbortSignal): grpc.Channel {
  const channel = new grpc.Channel(targetOf(address), grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  stopSignals.set(channel, stop);
  return channel;
}

function stopInterceptor(stop: AbortSignal): grpc.Interceptor {
  return (options, nextCall) => {
    const call: grpc.InterceptingCall = new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const onStop = (): void => {
          const reason: unknown = stop.reason;
          const exited = reason instanceof PluginError && reason.code === 'exited';
          call.cancelWithStatus(grpc.status.UNAVAILABLE, exited ? EXITED_DETAILS : CLOSED_DETAILS);
        };
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            stop.removeEventListener('abort', onStop);
            nextStatus(status);
          },
        });
        if (stop.aborted) queueMicrotask(onStop);
        else stop.addEventListener('abort', onStop, { once: true });
      },
    });
    return call;
  };
}

/**
 * Builds a generated grpc-js client (ts-proto `outputServices=grpc-js`, or `makeGenericClientConstructor`) on an
 * existing channel, such as the one `grpcClient` receives or one from `broker.dial`. Calls on it end with
 * UNAVAILABLE (reported by `toPluginError` as `exited` or `closed`) when the plugin exits or the connection closes.
 * Do not call the client's `close()`: the channel belongs to the connection or broker.
 * @param Client - the generated client constructor
 * @param channel - the channel to call on
 */
export function clientOn<C>(
  Client: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C,
  channel: grpc.Channel,
): C {
  const stop = stopSignals.get(channel);
  return new Client('unused', grpc.credentials.createInsecure(), {
    channelOverride: channel,
    interceptors: stop ? [stopInterceptor(stop)] : [],
  });
}
