// Knock-mode routing (go-plugin v1.6+ GRPCBrokerMultiplex) between two yamux sessions over a real unix socket: the
// stream after a knock goes to that id's server, others to the default server (plugin side) or are reset (host
// side); knocks for unknown ids get go-plugin's error text; a peer knocking without streams is bounded.
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@plugwire/core';
import { createSession, type YamuxSession } from '@plugwire/yamux';
import { createStreamMux } from '../src/mux.js';
import { serveGrpc } from '../src/serve.js';
import { unixListener } from './support.js';
import { SERVER_TRANSPORTS } from './transports.js';

let cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function sessionPair(): Promise<{ client: YamuxSession; server: YamuxSession }> {
  const dir = mkdtempSync(join(tmpdir(), 'mux-test-'));
  const path = join(dir, 's');
  const listener = createServer();
  listener.listen(path);
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const socket = connect(path);
  await once(socket, 'connect');
  const [serverSocket] = await accepted;
  const client = createSession(socket, 'client');
  const server = createSession(serverSocket, 'server');
  cleanup.push(async () => {
    await Promise.all([client.close(), server.close()]);
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { client, server };
}

const firstChunk = async (stream: Duplex): Promise<string> => String(((await once(stream, 'data')) as [Buffer])[0]);

describe('createStreamMux', () => {
  it('plugin side: streams go to the default server unless a knock for a served id came first', async () => {
    const { client, server } = await sessionPair();
    const defaults: Duplex[] = [];
    const mux = createStreamMux(server, (s) => defaults.push(s), silentLogger);
    const brokered: Duplex[] = [];
    const unlisten = mux.listen(7, (s) => brokered.push(s));

    const main = await client.open();
    main.write('main');
    await expect.poll(() => defaults.length).toBe(1);
    expect(await firstChunk(defaults[0]!)).toBe('main');

    expect(mux.acceptKnock(7)).toBe('');
    const b = await client.open();
    b.write('seven');
    await expect.poll(() => brokered.length).toBe(1);
    expect(await firstChunk(brokered[0]!)).toBe('seven');

    expect(mux.acceptKnock(8)).toBe('no listener for id 8');
    unlisten();
    expect(mux.acceptKnock(7)).toBe('no listener for id 7');
  });

  it('host side: a stream without a knock is reset, and knocks without streams are bounded', async () => {
    const { client, server } = await sessionPair();
    // Here the yamux client is the host, whose peer (the plugin) opens streams only after knocking.
    const mux = createStreamMux(client, undefined, silentLogger);
    const stray = await server.open();
    let reset: unknown;
    stray.on('error', (err) => (reset = err));
    stray.resume();
    await new Promise((resolve) => stray.on('close', resolve));
    expect(String(reset)).toContain('reset by the peer');
    mux.listen(1, () => undefined);
    const answers = Array.from({ length: 70 }, () => mux.acceptKnock(1));
    expect(answers.filter((a) => a === '')).toHaveLength(64);
    expect(answers.at(-1)).toBe('too many knocks without a stream (id 1)');
  });
});

describe.each(SERVER_TRANSPORTS)('serveGrpc({ multiplex: true }) on the %s server', (grpcServer) => {
  it('stops (done settles, socket removed) when the host\'s yamux session ends, as go-plugin\'s server does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mux-serve-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const listener = await unixListener(dir);
    const server = await serveGrpc({ grpcServer, plugins: {}, listener, createListener: () => unixListener(dir), logger: silentLogger, multiplex: true });
    const socket = connect(listener.address.address);
    await once(socket, 'connect');
    const session = createSession(socket, 'client');
    await session.ping();
    await session.close();
    await server.done;
    expect(existsSync(listener.address.address)).toBe(false);
  });
});
