// The h2 client against grpc-go 1.33 (Debian's, as go-plugin v1.0.1 uses): test/go/src/h2fix/server.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import type { H2Connection } from '../src/index.js';
import { dialTcp, goAwaySuite, interopSuite, type ServerHandle } from './interop-suite.js';

async function startGoServer(binary: string): Promise<{ child: ChildProcess; handle: ServerHandle }> {
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`h2fix server exited (${code}) before printing its port`)));
  });
  const port = Number(line.trim());
  return {
    child,
    handle: {
      dial: () => dialTcp(port),
      goAway: async () => {
        child.stdin!.write('goaway\n');
      },
      kill: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    },
  };
}

describe.skipIf(goSkipReason() !== undefined)('h2 client against a grpc-go server', () => {
  let binary: string;
  let child: ChildProcess;
  let handle: ServerHandle;
  const conns: H2Connection[] = [];
  beforeAll(async () => {
    binary = await buildGo('h2fix/server');
  });
  beforeEach(async () => {
    ({ child, handle } = await startGoServer(binary));
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) {
      c.abort();
      await c.closed;
    }
    if (child.exitCode === null && child.signalCode === null) {
      const exit = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await exit;
    }
  });
  interopSuite(() => handle, (c) => conns.push(c));
  goAwaySuite(() => handle, (c) => conns.push(c));
});
