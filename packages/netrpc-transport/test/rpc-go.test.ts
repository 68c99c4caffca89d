import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { PluginError } from '@plugwire/core';
import { type GobDynamic, gob } from '@plugwire/gob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { type RpcClient, createRpcClient, method, serveRpc } from '../src/index.js';

const Pair = gob.struct({ Key: gob.string, Value: gob.bytes, N: gob.int64 }, 'Pair');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.skipIf(goSkipReason() !== undefined)('net/rpc against Go net/rpc over a unix socket', () => {
  let bin = '';
  let dir = '';
  beforeAll(async () => {
    bin = await buildGo('netrpcfix/rpcpeer');
    dir = mkdtempSync(join(tmpdir(), 'plugwire-rpc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('TypeScript client, Go server', () => {
    let child: ChildProcess;
    let socket: Socket;
    let client: RpcClient;
    beforeAll(async () => {
      const path = join(dir, 'go.sock');
      child = spawn(bin, ['server', path], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout! });
      const [line] = (await once(lines, 'line')) as [string];
      expect(line).toBe('ready');
      socket = connect(path);
      await once(socket, 'connect');
      // One client per connection: each holds the connection's gob streams.
      client = createRpcClient(socket);
    });
    afterAll(async () => {
      await client.close();
      expect(socket.destroyed).toBe(true);
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    });

    it('calls a method with a struct argument and reply of exact Go types', async () => {
      const value = { Key: 'k', Value: utf8('v'), N: -(2n ** 60n) };
      await expect(client.call('Plugin.Echo', gob.value(Pair, value), { reply: Pair })).resolves.toEqual(value);
    });

    it('surfaces server errors and unknown methods with Go text', async () => {
      const fail = client.call('Plugin.Fail', gob.value(gob.string, 'x'));
      await expect(fail).rejects.toThrow(PluginError);
      await expect(fail).rejects.toMatchObject({ code: 'remote', message: 'boom: x' });
      await expect(client.call('Plugin.Nope', gob.value(gob.string, 'x'))).rejects.toMatchObject({
        code: 'remote',
        message: "rpc: can't find method Plugin.Nope",
      });
      // The connection is still usable after errors.
      await expect(client.call('Plugin.Sleep', gob.value(gob.int, 1), { reply: gob.int })).resolves.toBe(1);
    });

    it('matches concurrent replies by Seq, whatever order they come back in', async () => {
      const results = await Promise.all(
        [40, 1, 20, 0, 5].map((ms) => client.call('Plugin.Sleep', gob.value(gob.int, ms), { reply: gob.int })),
      );
      expect(results).toEqual([40, 1, 20, 0, 5]);
    });

    it("sends map[string]interface{} values Go's type switch accepts", async () => {
      const arg = gob.value(gob.map(gob.string, gob.interface), new Map<string, GobDynamic>([['key', 'k'], ['value', utf8('v')]]));
      await expect(client.call('Plugin.Put', arg, { reply: gob.empty })).resolves.toEqual({});
    });

    it('rejects a reply of the wrong Go type and stays usable', async () => {
      await expect(client.call('Plugin.Sleep', gob.value(gob.int, 0), { reply: gob.string })).rejects.toMatchObject({
        code: 'protocol',
      });
      await expect(client.call('Plugin.Sleep', gob.value(gob.int, 2), { reply: gob.int })).resolves.toBe(2);
    });
  });

  describe('Go client, TypeScript server', () => {
    let server: Server;
    let path = '';
    beforeAll(async () => {
      path = join(dir, 'ts.sock');
      server = createServer((conn) => {
        serveRpc(conn, 'Plugin', {
          Echo: method(Pair, Pair, (p) => p),
          Fail: method(gob.string, gob.string, (s) => {
            throw new Error(`boom: ${s}`);
          }),
          Double: method(gob.int, gob.int, async (n) => Number(n) * 2),
          Put: method(gob.map(gob.string, gob.interface), gob.empty, (m) => {
            if (m.get('key')?.valueOf() === undefined) throw new Error('no key');
            return {};
          }),
        });
      });
      server.listen(path);
      await once(server, 'listening');
    });
    afterAll(async () => {
      server.close();
    });

    it('answers Go calls with exact types, Go error texts and concurrent replies', async () => {
      const { stdout } = await promisify(execFile)(bin, ['client', path]);
      const out = JSON.parse(stdout) as Record<string, unknown>;
      expect(out.echo).toBe(`<nil> "k" "v" ${-(2n ** 60n)}`);
      expect(out.fail).toBe('rpc.ServerError boom: x');
      expect(out.nope).toBe("rpc: can't find method Plugin.Nope");
      expect(out.doubles).toEqual(Array.from({ length: 16 }, (_, i) => i * 2));
      expect(out.put).toBe('<nil>');
    });
  });
});
