import { Duplex } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { PluginError, silentLogger } from '@plugwire/core';
import { createEncoder, gob } from '@plugwire/gob';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectNetRpc, createRpcClient, method, serveRpc } from '../src/index.js';
import { kvPlugin } from './plugins.js';

/** A Duplex whose input the test pushes and whose output it collects. */
function fakeConnection(): { stream: Duplex; written: Uint8Array[] } {
  const written: Uint8Array[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Uint8Array, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  return { stream, written };
}

const validRequest = (): Uint8Array =>
  createEncoder().encodeAll([
    { type: gob.struct({ ServiceMethod: gob.string, Seq: gob.uint64 }, 'Request'), value: { ServiceMethod: 'Plugin.Echo', Seq: 1 } },
    { type: gob.string, value: 'hello' },
  ]);

describe('net/rpc with hostile peers', () => {
  it('a server fed random or corrupted bytes reports only PluginErrors and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, b]) => {
            const bytes = validRequest();
            bytes[at % bytes.length] = b;
            return bytes;
          }),
        ),
        async (bytes) => {
          const { stream } = fakeConnection();
          const errors: unknown[] = [];
          const server = serveRpc(stream, 'Plugin', { Echo: method(gob.string, gob.string, (s) => s) }, { onError: (e) => errors.push(e) });
          stream.push(bytes);
          await tick();
          for (const e of errors) expect(e).toBeInstanceOf(PluginError);
          server.abort();
          await server.done;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a client fed random bytes rejects its calls with PluginErrors only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const { stream } = fakeConnection();
        const client = createRpcClient(stream);
        const call = client.call('Plugin.Echo', gob.value(gob.string, 'x'), { reply: gob.string });
        const settled = call.then(
          () => undefined,
          (e: unknown) => e,
        );
        stream.push(bytes);
        await tick();
        client.abort();
        const err = await settled;
        if (err !== undefined) expect(err).toBeInstanceOf(PluginError);
        await client.closed;
      }),
      { numRuns: 300 },
    );
  });

  it('a server answers a valid request and then drops a connection that breaks the stream', async () => {
    const { stream, written } = fakeConnection();
    const errors: PluginError[] = [];
    const server = serveRpc(stream, 'Plugin', { Echo: method(gob.string, gob.string, (s) => s) }, { onError: (e) => errors.push(e) });
    stream.push(validRequest());
    await tick();
    expect(written.length).toBe(1);
    stream.push(Uint8Array.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await server.done;
    expect(errors[0]?.code).toBe('protocol');
    expect(stream.destroyed).toBe(true);
  });
});

describe('connectNetRpc failures', () => {
  it('rejects with unavailable when nothing listens at the address', async () => {
    await expect(
      connectNetRpc({ address: { network: 'unix', address: '/nonexistent/plugwire.sock' }, plugins: { kv: kvPlugin() }, logger: silentLogger }),
    ).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('rejects with aborted when its signal has fired', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      connectNetRpc({ address: { network: 'unix', address: '/nonexistent/plugwire.sock' }, plugins: {}, logger: silentLogger, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'aborted' });
  });
});
