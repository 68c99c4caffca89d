// A gRPC connection that drops under a live plugin (a reset session) is reconnected for the next call, and the
// plugin's stdout/stderr syncing is reopened with it.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, silentLogger } from '@plugwire/plugin';
import { handshake, kv as kvDefinition } from '../../examples/src/kv/definition.js';

const fixture = join(import.meta.dirname, '../../examples/test/fixtures/misbehaving-kv.mjs');
const dir = mkdtempSync(join(tmpdir(), 'pw-reconnect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A unix-socket proxy to `target` whose live connections the test can cut. */
function proxy(target: string, path: string): { cut(): void; close(): Promise<void> } {
  const live = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect({ path: target });
    for (const s of [downstream, upstream]) {
      live.add(s);
      s.on('error', () => {});
      s.on('close', () => live.delete(s));
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  server.listen(path);
  return {
    cut: () => {
      for (const s of live) s.destroy();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a gRPC connection dropped under a live plugin', () => {
  it('reconnects for the next call and reopens stdio syncing', async () => {
    const owner = new Client({
      handshake,
      plugins: { kv: kvDefinition },
      cmd: { command: process.execPath, args: [fixture, 'grpc'] },
      allowedProtocols: ['grpc'],
      logger: silentLogger,
    });
    await owner.start();
    const config = owner.reattachConfig()!;
    const relay = proxy(config.address.address, join(dir, 'relay.sock'));
    const syncStdout = new PassThrough();
    let out = '';
    syncStdout.on('data', (d: Buffer) => (out += d.toString()));
    const host = new Client({
      handshake,
      plugins: { kv: kvDefinition },
      reattach: { ...config, address: { network: 'unix', address: join(dir, 'relay.sock') } },
      allowedProtocols: ['grpc'],
      logger: silentLogger,
      syncStdout,
    });
    try {
      const kv = await host.dispense('kv');
      await kv.put('print', new TextEncoder().encode('before'));
      await expect.poll(() => out).toContain('stdout: before');
      relay.cut();
      // The call right after the cut may be lost with the connection; the next ones go over a new one.
      await expect
        .poll(async () => kv.put('k', new Uint8Array([1])).then(() => 'ok', () => 'lost'), { timeout: 10_000, interval: 100 })
        .toBe('ok');
      await kv.put('print', new TextEncoder().encode('after'));
      await expect.poll(() => out, { timeout: 10_000 }).toContain('stdout: after');
    } finally {
      host.abort();
      relay.cut();
      await relay.close();
      await owner.kill();
    }
  });
});
