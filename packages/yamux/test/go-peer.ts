// Drives the Go fixture test/go/src/yamuxfix/peer: Go's hashicorp/yamux on a unix socket this process listens on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buildGo } from '../../../test/support/go.js';
import { createSession, type YamuxOptions, type YamuxSession, type YamuxStream } from '../src/index.js';
import { lineReader } from '../src/testing.js';

let binary: Promise<string> | undefined;

/** Builds the Go peer once per test file. */
export function goPeerBinary(): Promise<string> {
  binary ??= buildGo('yamuxfix/peer');
  return binary;
}


export interface GoPeer {
  readonly session: YamuxSession;
  readonly socket: Socket;
  readonly proc: ChildProcess;
  /** Sends a ctrl command, resolves with Go's one-line reply. */
  ctrl(command: string): Promise<string>;
  /** Opens a stream running `command` on the Go side. */
  command(command: string): Promise<YamuxStream>;
  /** Resolves with the Go process's stdout once it exits. */
  readonly exited: Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the Go peer with the given yamux role (this side takes the other one) and opens the ctrl stream.
 * @param goRole - role of the Go side
 */
export async function startGoPeer(goRole: 'client' | 'server', options: YamuxOptions = {}, goArgs: string[] = []): Promise<GoPeer> {
  const bin = await goPeerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'yamux-go-'));
  const path = join(dir, 'peer.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const proc = spawn(bin, ['-sock', path, '-role', goRole, ...goArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  let errText = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (errText += d));
  const exited = new Promise<string>((resolve) => proc.once('exit', () => resolve(out)));
  const socket = await connected;
  server.close();
  const session = createSession(socket, goRole === 'client' ? 'server' : 'client', options);
  const ctrlStream = await session.open();
  ctrlStream.write('ctrl\n');
  const lines = lineReader(ctrlStream);
  let queue = Promise.resolve('');
  return {
    session,
    socket,
    proc,
    exited,
    ctrl(command) {
      const reply = queue.then(() => {
        ctrlStream.write(`${command}\n`);
        return lines.next();
      });
      queue = reply.catch(() => '');
      return reply;
    },
    async command(command) {
      const s = await session.open();
      s.write(`${command}\n`);
      return s;
    },
    async close() {
      session.abort();
      await session.closed;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      if (process.env.YAMUX_DEBUG) console.error(errText);
    },
  };
}
