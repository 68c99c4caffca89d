// The TS MuxBroker against go-plugin v1.0.1's real MuxBroker (created by go-plugin's RPCServer.ServeConn).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSession, type YamuxSession } from '@plugwire/yamux';
import { buildGo, goSkipReason } from '../../../test/support/go.js';
import { hashAll, lineReader, pattern, sha256, writeAll } from '@plugwire/yamux/testing';
import { createMuxBroker, type MuxBroker } from '../src/index.js';

interface GoBroker {
  readonly broker: MuxBroker;
  readonly session: YamuxSession;
  send(line: string): void;
  /** Next stdout line of the Go program. */
  line(): Promise<string>;
  close(): Promise<void>;
}

let bin: string;
let hostBin: string;

async function startGoBroker(): Promise<GoBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'broker-go-'));
  const path = join(dir, 'b.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const proc = spawn(bin, ['-sock', path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const lines = lineReader(proc.stdout);
  const dispense = await lines.next();
  const socket = await connected;
  server.close();
  // The host side of go-plugin's netrpc: control (1), stdout (3), stderr (5), then the broker takes the rest.
  const session = createSession(socket, 'client');
  const control = await session.open();
  const stdout = await session.open();
  const stderr = await session.open();
  for (const s of [control, stdout, stderr]) s.resume();
  control.write(Buffer.from(dispense.replace(/^dispense /, ''), 'hex'));
  const broker = createMuxBroker(session);
  broker.run();
  expect(await lines.next()).toBe('ready');
  return {
    broker,
    session,
    send: (line) => proc.stdin.write(`${line}\n`),
    line: () => lines.next(),
    async close() {
      await broker.close();
      proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The other roles: go-plugin's host (plugin.NewRPCClient, the yamux client) against this side as the plugin (the
 * yamux server). Go dispenses "broker", this side answers with broker id 1 and accepts Go's dial of it.
 */
async function startGoHost(): Promise<GoBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'broker-go-host-'));
  const path = join(dir, 'h.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const proc = spawn(hostBin, ['-sock', path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const lines = lineReader(proc.stdout);
  const reply = Buffer.from((await lines.next()).replace(/^reply /, ''), 'hex');
  const socket = await connected;
  server.close();
  const session = createSession(socket, 'server');
  const control = await session.accept();
  const stdout = await session.accept();
  const stderr = await session.accept();
  for (const s of [stdout, stderr]) s.resume();
  const broker = createMuxBroker(session);
  broker.run();
  // Answer the Dispense request once it arrived (net/rpc drops a reply to a call it has not sent yet).
  await new Promise((resolve) => control.once('data', resolve));
  control.resume();
  const dispensed = broker.accept(1);
  control.write(reply);
  (await dispensed).resume();
  expect(await lines.next()).toBe('ready');
  return {
    broker,
    session,
    send: (line) => proc.stdin.write(`${line}\n`),
    line: () => lines.next(),
    async close() {
      await broker.close();
      proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(goSkipReason() !== undefined)("MuxBroker interop with go-plugin's MuxBroker", () => {
  beforeAll(async () => {
    [bin, hostBin] = await Promise.all([buildGo('yamuxfix/broker'), buildGo('yamuxfix/brokerhost')]);
  });

  let go: GoBroker | undefined;
  afterEach(async () => {
    await go?.close();
    go = undefined;
  });

  it('TS dials an id Go accepts', async () => {
    go = await startGoBroker();
    go.send('accept');
    const accepting = await go.line();
    const id = Number(/^accepting (\d+)$/.exec(accepting)?.[1]);
    expect(id).toBeGreaterThan(1); // id 1 went to the dispensed plugin
    const s = await go.broker.dial(id);
    expect(await go.line()).toBe(`accepted ${id}`);
    const data = pattern(700_000, 1);
    const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
    expect(got.sha).toBe(sha256(data));
  });

  it('Go dials an id TS accepts', async () => {
    go = await startGoBroker();
    const id = go.broker.nextId();
    const accepting = go.broker.accept(id);
    go.send(`dial ${id}`);
    const s = await accepting;
    expect(await go.line()).toBe(`dialed ${id}`);
    const data = pattern(300_000, 2);
    const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
    expect(got.sha).toBe(sha256(data));
  });

  it('Go dialing an id TS never accepts fails once TS closes the stream', async () => {
    go = await startGoBroker();
    go.send('dial 77');
    expect(await go.line()).toMatch(/^dial-error 77 /);
  });

  it('TS dialing an id Go never accepts fails once Go closes the stream', async () => {
    go = await startGoBroker();
    await expect(go.broker.dial(1234)).rejects.toMatchObject({ code: 'unavailable' });
  });

  describe('TS as the plugin (yamux server), go-plugin as the host', () => {
    it('TS dials an id the Go host accepts', async () => {
      go = await startGoHost();
      go.send('accept');
      const id = Number(/^accepting (\d+)$/.exec(await go.line())?.[1]);
      const s = await go.broker.dial(id);
      expect(await go.line()).toBe(`accepted ${id}`);
      const data = pattern(500_000, 3);
      const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
      expect(got.sha).toBe(sha256(data));
    });

    it('the Go host dials an id TS accepts', async () => {
      go = await startGoHost();
      const id = go.broker.nextId();
      const accepting = go.broker.accept(id);
      go.send(`dial ${id}`);
      const s = await accepting;
      expect(await go.line()).toBe(`dialed ${id}`);
      const data = pattern(200_000, 4);
      const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
      expect(got.sha).toBe(sha256(data));
    });
  });
});
