// Cancelling a call that is on the wire sends RST_STREAM. A Node (nghttp2) server tears the whole connection down
// once it has received more than 1000 of them at more than 33 per second (its rapid-reset defence, not configurable
// in Node 20), which failed or wedged every other call on it. So resets are paced per connection, below that limit: a
// cancelled call over the budget is rejected at once but left to finish on the wire (its answer is dropped), and is
// reset later only if it is still running when the budget allows.
import type * as grpc from '@grpc/grpc-js';

/** Resets a connection may send at once: half of nghttp2's burst of 1000. */
export const RESET_BURST = 500;
/** Resets per second once the burst is spent: under nghttp2's 33. */
export const RESET_RATE = 20;

/** A call that can be cancelled: any grpc-js client call. */
type Cancellable = Pick<grpc.ClientUnaryCall, 'cancel'> & { once(event: 'status', listener: () => void): unknown };

interface Bucket {
  tokens: number;
  last: number;
  readonly parked: Array<{ call: Cancellable; done: boolean }>;
  timer: NodeJS.Timeout | undefined;
}

// The connection each call runs on (registered by clientOn), and the reset budget of each connection.
const connections = new WeakMap<object, object>();
const buckets = new WeakMap<object, Bucket>();

/**
 * Registers the connection `call` runs on, so that {@link cancelPaced} charges its reset to that connection.
 * @param call - a call just started
 * @param connection - its channel
 */
export function trackConnection(call: object, connection: object): void {
  connections.set(call, connection);
}

function refill(b: Bucket): void {
  const now = performance.now();
  b.tokens = Math.min(RESET_BURST, b.tokens + ((now - b.last) * RESET_RATE) / 1000);
  b.last = now;
}

function drain(connection: object, b: Bucket): void {
  refill(b);
  while (b.tokens >= 1 && b.parked.length > 0) {
    const next = b.parked.shift()!;
    if (next.done) continue;
    b.tokens -= 1;
    next.call.cancel();
  }
  // Calls that finished on their own need no reset.
  while (b.parked.length > 0 && b.parked[0]!.done) b.parked.shift();
  if (b.parked.length === 0) {
    clearInterval(b.timer);
    b.timer = undefined;
    if (b.tokens >= RESET_BURST) buckets.delete(connection);
  }
}

/**
 * Cancels `call` now when its connection's reset budget allows, else as soon as it does, unless the call has
 * finished by then (a call not made through `clientOn` is cancelled at once). The caller settles its promise at
 * once either way.
 * @param call - a grpc-js client call
 */
export function cancelPaced(call: Cancellable): void {
  const connection = connections.get(call);
  if (connection === undefined) {
    call.cancel();
    return;
  }
  let b = buckets.get(connection);
  if (b === undefined) {
    b = { tokens: RESET_BURST, last: performance.now(), parked: [], timer: undefined };
    buckets.set(connection, b);
  }
  refill(b);
  if (b.tokens >= 1 && b.parked.length === 0) {
    b.tokens -= 1;
    call.cancel();
    return;
  }
  const entry = { call, done: false };
  call.once('status', () => {
    entry.done = true;
  });
  b.parked.push(entry);
  if (b.timer === undefined) {
    const bucket = b;
    b.timer = setInterval(() => drain(connection, bucket), Math.ceil(1000 / RESET_RATE));
    b.timer.unref();
  }
}
