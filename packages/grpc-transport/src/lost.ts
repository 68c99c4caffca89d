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

/** A call's default deadline (the Client's `callTimeout`); see {@link startDeadline}. */
export interface CallDeadline {
  /** Clears the timer, and reports the call as DEADLINE_EXCEEDED when the timer is what ended it. */
  end(err: Partial<grpc.ServiceError> | null): void;
}

/**
 * Cancels the call after `ms`; its CANCELLED status then becomes DEADLINE_EXCEEDED (a `timeout` PluginError)
 * naming the default deadline. The timer is unref'd and cleared when the call ends.
 * @param call - the call, once started
 * @param ms - the deadline
 */
export function startDeadline(call: () => { cancel(): void } | undefined, ms: number): CallDeadline {
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    call()?.cancel();
  }, ms);
  timer.unref();
  return {
    end(err) {
      clearTimeout(timer);
      if (fired && err && err.code === grpc.status.CANCELLED) {
        err.code = grpc.status.DEADLINE_EXCEEDED;
        err.details = `no answer within ${ms} ms (the default call deadline, callTimeout); the plugin may have stopped answering`;
      }
    },
  };
}
