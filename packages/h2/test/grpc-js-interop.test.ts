// The h2 client against a grpc-js server in this process.
import type * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe } from 'vitest';
import type { H2Connection } from '../src/index.js';
import { dialTcp, interopSuite, type ServerHandle } from './interop-suite.js';
import { startGrpcJsServer } from './test-service.js';

describe('h2 client against a grpc-js server', () => {
  let server: grpc.Server;
  let handle: ServerHandle;
  const conns: H2Connection[] = [];
  beforeEach(async () => {
    const s = await startGrpcJsServer();
    server = s.server;
    handle = {
      dial: () => dialTcp(s.port),
      kill: async () => server.forceShutdown(),
    };
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) {
      c.abort();
      await c.closed;
    }
    server.forceShutdown();
  });
  interopSuite(() => handle, (c) => conns.push(c));
});
