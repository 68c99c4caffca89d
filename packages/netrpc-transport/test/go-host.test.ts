import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { silentLogger } from '@plugwire/core';
import { describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { serveNetRpc } from '../src/index.js';
import { unixListener } from './listener.js';
import { counterPlugin, kvPlugin } from './plugins.js';

describe.skipIf(goSkipReason() !== undefined)('go-plugin v1.0.1 host (plugin.NewRPCClient) → TypeScript netrpc server', () => {
  it('pings, dispenses kv and counter (with the host callback), syncs stdio and quits', async () => {
    const bin = await buildGo('netrpcfix/host-go');
    const listener = await unixListener();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.write('hello stdout\n');
    stderr.write('hello stderr\n');
    const server = await serveNetRpc({
      plugins: { kv: kvPlugin(), counter: counterPlugin(), grpconly: {} },
      listener,
      createListener: unixListener,
      stdout,
      stderr,
      logger: silentLogger,
    });
    const { stdout: report } = await promisify(execFile)(bin, [listener.path]);
    const out = JSON.parse(report) as Record<string, unknown>;
    expect(out).toEqual({
      stdout: 'hello stdout\n',
      stderr: 'hello stderr\n',
      ping: '<nil>',
      dispenseKV: '<nil>',
      put: '<nil>',
      get: '"world" <nil>',
      getMissing: 'kv: no key "missing"',
      dispenseCounter: '<nil>',
      counterPut1: '<nil>',
      counterPut2: '<nil>',
      counterGet: '42 <nil>',
      sumCalls: 2,
      dispenseUnknown: 'unknown plugin type: nope',
      dispenseGrpcOnly: 'net/rpc plugin protocol not supported',
      close: '<nil>',
    });
    await server.done;
    await server.close();
    expect(existsSync(listener.path)).toBe(false);
  });
});
