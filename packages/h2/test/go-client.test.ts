// grpc-go clients against this package's gRPC server core: grpc-go 1.33 (go-plugin v1.0.1's, GOPATH mode) and
// grpc-go 1.61 (go-plugin v1.8's module, test/go-modern), both built from test/go/src/h2fix/client. Checks: unary with metadata (-bin) and trailers, 200 concurrent calls, statuses, the three streaming kinds, 5 MiB
// messages, the receive limit, unknown methods, deadline and cancellation. The Go program prints one line per check.
import { execFile } from 'node:child_process';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { buildGo, buildGoModern, goSkipReason } from '../../../test/support/go.js';
import type { GrpcServerHandler } from '../src/index.js';
import { serverHandlers, startOwnServer, type OwnServer } from './server-service.js';

const CHECKS = [
  'unary with metadata, -bin, headers and trailers',
  '200 concurrent unary calls',
  'error status with a percent-encoded message',
  'server streaming',
  'client streaming',
  'bidi streaming',
  '5 MiB messages both ways',
  "request over the server's limit is RESOURCE_EXHAUSTED",
  'unknown method is UNIMPLEMENTED',
  'deadline',
  'cancellation, then the connection still serves',
];

const clients: [string, () => Promise<string>][] = [
  ['grpc-go 1.33 (go-plugin v1.0.1)', () => buildGo('h2fix/client')],
  ['grpc-go 1.61 (go-plugin v1.8)', () => buildGoModern('h2client')],
];

describe.skipIf(goSkipReason() !== undefined).each(clients)('%s client against the h2 gRPC server', (_name, build) => {
  let own: OwnServer;
  const results = new Map<string, string>();
  let output = '';
  const handlers: Record<string, GrpcServerHandler> = {
    ...serverHandlers,
    '/h2test.Test/Hang': (call) => call.listen({ onMessage() {}, onEnd() {} }),
  };
  beforeAll(async () => {
    const binary = await build();
    own = await startOwnServer({ maxReceiveMessageLength: 8 << 20 }, 'tcp', handlers);
    output = await new Promise<string>((resolve) =>
      execFile(binary, [String(own.port)], { timeout: 60_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)),
    );
    for (const line of output.split('\n')) {
      const m = /^(ok|FAIL) ([^:]+?)(?::(.*))?$/.exec(line);
      if (m) results.set(m[2]!, m[1] === 'ok' ? 'ok' : `FAIL:${m[3] ?? ''}`);
    }
  }, 120_000);
  afterAll(async () => {
    await own?.kill();
  });

  it('runs every check', () => {
    expect([...results.keys()].sort(), output).toEqual([...CHECKS].sort());
  });
  for (const name of CHECKS) {
    it(name, () => {
      expect(results.get(name), output).toBe('ok');
    });
  }
  it('every connection the Go client opened has closed', async () => {
    await Promise.all(own.connections.map((c) => c.closed));
  });
});
