// The h2 client against this package's own gRPC server core, in process: the same interop suite the client runs
// against grpc-js and grpc-go servers, plus the graceful GOAWAY of close().
import { afterEach, beforeEach, describe } from 'vitest';
import type { H2Connection } from '../src/index.js';
import { dialTcp, goAwaySuite, interopSuite, type ServerHandle } from './interop-suite.js';
import { startOwnServer, type OwnServer } from './server-service.js';

describe('h2 client against the h2 gRPC server', () => {
  let own: OwnServer;
  let handle: ServerHandle;
  const conns: H2Connection[] = [];
  beforeEach(async () => {
    own = await startOwnServer({ maxReceiveMessageLength: -1 });
    handle = { dial: () => dialTcp(own.port), goAway: () => own.goAway(), kill: () => own.kill() };
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) {
      c.abort();
      await c.closed;
    }
    await own.kill();
  });
  interopSuite(() => handle, (c) => conns.push(c));
  goAwaySuite(() => handle, (c) => conns.push(c));
});
