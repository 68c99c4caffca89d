import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { createSession } from '../src/index.js';
import { hashAll, pattern, readAll, sessionPair, sha256, socketPair, timerCount, writeAll } from './helpers.js';

describe('yamux session TS <-> TS', () => {
  it.each([0, 1024, 1024 * 1024, 8 * 1024 * 1024])('echoes %i bytes intact', async (size) => {
    const p = await sessionPair();
    try {
      p.server.accept().then((s) => s.pipe(s), () => {});
      const stream = await p.client.open();
      const data = pattern(size, size + 7);
      const [, got] = await Promise.all([writeAll(stream, data), hashAll(stream)]);
      expect(got).toEqual({ bytes: size, sha: sha256(data) });
    } finally {
      await p.close();
    }
  });

  it('carries 100 concurrent streams of 256 KiB each, opened from both sides', async () => {
    const p = await sessionPair();
    try {
      const echo = async (session: typeof p.client): Promise<void> => {
        for (let i = 0; i < 50; i++) {
          const s = await session.accept();
          s.pipe(s);
        }
      };
      void echo(p.server);
      void echo(p.client);
      const run = async (session: typeof p.client, i: number): Promise<boolean> => {
        const s = await session.open();
        const data = pattern(256 * 1024, i + 1);
        const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
        return got.sha === sha256(data);
      };
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => run(i % 2 === 0 ? p.client : p.server, i)),
      );
      expect(results.every(Boolean)).toBe(true);
      expect(p.client.numStreams).toBe(0);
      expect(p.server.numStreams).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('uses odd ids on the client and even ids on the server', async () => {
    const p = await sessionPair();
    try {
      const c1 = await p.client.open();
      const c2 = await p.client.open();
      const s1 = await p.server.open();
      expect([c1.id, c2.id, s1.id]).toEqual([1, 3, 2]);
      expect((await p.server.accept()).id).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('half-closes each direction independently (FIN)', async () => {
    const p = await sessionPair();
    try {
      const accepted = p.server.accept();
      const c = await p.client.open();
      c.end('question');
      const s = await accepted;
      // The server sees the client's FIN as end of input, and can still answer afterwards.
      expect((await readAll(s)).toString()).toBe('question');
      s.end('answer');
      expect((await readAll(c)).toString()).toBe('answer');
    } finally {
      await p.close();
    }
  });

  it('reset (RST) ends the stream on both sides, the peer with an error', async () => {
    const p = await sessionPair();
    try {
      const accepted = p.server.accept();
      const c = await p.client.open();
      c.write('x');
      const s = await accepted;
      const failed = new Promise<unknown>((resolve) => s.on('error', resolve));
      s.resume();
      c.reset();
      const err = await failed;
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).code).toBe('closed');
      expect(c.destroyed).toBe(true);
      // The session itself goes on.
      expect(await p.client.ping()).toBeGreaterThanOrEqual(0);
    } finally {
      await p.close();
    }
  });

  it('stream close() ends gracefully once the peer closes too; abort(reason) resets at once', async () => {
    const p = await sessionPair();
    try {
      const accepted = p.server.accept();
      const c = await p.client.open();
      c.write('unread by anyone');
      const s = await accepted;
      const closing = c.close();
      expect(await readAll(s)).toEqual(Buffer.from('unread by anyone'));
      s.end('also never read');
      await closing; // resolves although nobody read what the server sent
      expect(c.destroyed).toBe(true);
      await c.close(); // idempotent

      const accepted2 = p.server.accept();
      const d = await p.client.open();
      d.write('x');
      const t = await accepted2;
      const peerError = new Promise<unknown>((resolve) => t.once('error', resolve));
      t.resume();
      const localError = new Promise<unknown>((resolve) => d.once('error', resolve));
      const reason = new PluginError('aborted', 'caller gave up');
      d.abort(reason);
      expect(await localError).toBe(reason);
      expect(await peerError).toMatchObject({ code: 'closed' });
      d.abort(); // idempotent
      await p.client.ping();
      expect(p.client.numStreams).toBe(0);
      expect(p.server.numStreams).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('go-away refuses new streams on the peer while existing streams finish', async () => {
    const p = await sessionPair();
    try {
      const accepted = p.server.accept();
      const existing = await p.client.open();
      (await accepted).pipe(await accepted);
      p.server.goAway();
      await p.client.ping(); // the go-away frame precedes the ping reply
      const err = await p.client.open().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).goAwayCode).toBe(0);
      const data = pattern(300_000, 3);
      const [, got] = await Promise.all([writeAll(existing, data), hashAll(existing)]);
      expect(got.sha).toBe(sha256(data));
    } finally {
      await p.close();
    }
  });

  it('ping measures a round trip each way', async () => {
    const p = await sessionPair();
    try {
      expect(await p.client.ping()).toBeGreaterThanOrEqual(0);
      expect(await p.server.ping()).toBeGreaterThanOrEqual(0);
    } finally {
      await p.close();
    }
  });

  it('a slow reader holds the writer to one window', async () => {
    const p = await sessionPair();
    try {
      const accepted = p.server.accept();
      const c = await p.client.open();
      const data = pattern(2 * 1024 * 1024, 9);
      let written = false;
      const writing = writeAll(c, data).then(() => {
        written = true;
      });
      const s = await accepted; // never read until later
      await p.client.ping(); // everything the client could send has reached the server
      const received = p.sockets.b.bytesRead;
      expect(received).toBeLessThanOrEqual(256 * 1024 + 64 * 12 + 64);
      expect(received).toBeGreaterThanOrEqual(256 * 1024);
      expect(written).toBe(false);
      const got = await hashAll(s);
      await writing;
      expect(got.sha).toBe(sha256(data));
    } finally {
      await p.close();
    }
  });

  it('open and accept honour AbortSignal and fail once the session is closed', async () => {
    const p = await sessionPair();
    const ctl = new AbortController();
    const pending = p.server.accept({ signal: ctl.signal });
    ctl.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    const waiting = expect(p.server.accept()).rejects.toMatchObject({ code: 'closed' });
    await p.close();
    await waiting;
    await expect(p.client.open()).rejects.toMatchObject({ code: 'closed' });
    expect(p.client.isClosed).toBe(true);
  });

  it('close() delivers queued data and EOF; nothing is left behind', async () => {
    const before = timerCount();
    const p = await sessionPair();
    const accepted = p.server.accept();
    const c = await p.client.open();
    c.write('last words');
    const s = await accepted;
    const reading = readAll(s);
    await p.client.close();
    expect((await reading).toString()).toBe('last words');
    await p.server.closed;
    await p.close();
    expect(p.sockets.a.destroyed && p.sockets.b.destroyed).toBe(true);
    expect(timerCount()).toBeLessThanOrEqual(before);
  });

  it('abort(reason) fails streams and pending calls with the reason', async () => {
    const p = await sessionPair();
    const c = await p.client.open();
    const errored = new Promise<unknown>((resolve) => c.on('error', resolve));
    const accepting = p.client.accept();
    const reason = new PluginError('exited', 'plugin exited');
    p.client.abort(reason);
    await expect(accepting).rejects.toBe(reason);
    expect(await errored).toBe(reason);
    await p.client.closed;
    await p.server.closed; // the peer sees the connection end
    await p.close();
  });

  it('runs over any Duplex, not only sockets, and removes its listeners when done', async () => {
    // Two in-memory Duplexes wired back to back.
    let left: Duplex | undefined;
    let right: Duplex | undefined;
    const make = (other: () => Duplex | undefined): Duplex =>
      new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
          other()?.push(chunk);
          cb();
        },
        final(cb) {
          other()?.push(null);
          cb();
        },
      });
    left = make(() => right);
    right = make(() => left);
    const events = ['data', 'end', 'error', 'close', 'drain'] as const;
    const before = events.map((e) => left?.listenerCount(e));
    const client = createSession(left, 'client', { enableKeepAlive: false });
    const server = createSession(right, 'server', { enableKeepAlive: false });
    server.accept().then((s) => s.pipe(s), () => {});
    const s = await client.open();
    const data = pattern(600_000, 5);
    const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
    expect(got.sha).toBe(sha256(data));
    await Promise.all([client.close(), server.close()]);
    expect(events.map((e) => left?.listenerCount(e))).toEqual(before);
  });

  it('rejects bad options with invalid_argument', async () => {
    const s = await socketPair();
    try {
      expect(() => createSession(s.a, 'client', { maxStreamWindowSize: 1000 })).toThrow(PluginError);
      expect(() => createSession(s.a, 'client', { acceptBacklog: 0 })).toThrow(/acceptBacklog/);
    } finally {
      s.cleanup();
    }
  });
});
