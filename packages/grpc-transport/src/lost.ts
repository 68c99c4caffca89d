import * as grpc from '@grpc/grpc-js';
import { waitForExit } from '@plugwire/core';

/**
 * Whether a call ended because the connection did (UNAVAILABLE, or CANCELLED by the transport) rather than by an
 * answer of the plugin: the channel is no longer READY when that happens.
 */
export function lostWithConnection(err: Partial<grpc.ServiceError>, channel: grpc.ChannelInterface): boolean {
  if (err.code !== grpc.status.UNAVAILABLE && err.code !== grpc.status.CANCELLED) return false;
  return channel.getConnectivityState(false) !== grpc.connectivityState.READY;
}

/**
 * Delivers a call's failure, first giving `stop` (which fires when the plugin exits) a moment when the call was lost
 * with the connection: a killed plugin's socket closes just before the host sees the exit, and the call must then
 * say `exited`, not `unavailable`.
 * @param err - the call's error
 * @param channel - the call's channel
 * @param stop - the connection's stop signal
 * @param deliver - runs the caller's callback (after `why` rewrote the error)
 */
export function deliverFailure(err: grpc.ServiceError, channel: grpc.ChannelInterface, stop: AbortSignal, deliver: () => void): void {
  if (stop.aborted || !lostWithConnection(err, channel)) {
    deliver();
    return;
  }
  void waitForExit(stop).then(deliver);
}
