// Timeouts and limits of go-plugin's yamux configuration, against a raw peer that misbehaves on purpose.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeHeader, Flag, FrameType } from '../src/index.js';
import { rawPeer, timerCount } from './helpers.js';

const isRst = (id: number) => (f: { type: number; flags: number; streamId: number }) =>
  f.type === FrameType.WindowUpdate && (f.flags & Flag.RST) !== 0 && f.streamId === id;

describe('yamux limits and timeouts', () => {
  afterEach((ctx) => {
    if (process.env.YAMUX_DEBUG) console.log('TIMERS', ctx.task.name, timerCount(), process.getActiveResourcesInfo());
  });
  it('opens a stream with WindowUpdate|SYN and accepts one with WindowUpdate|ACK, as Go does', async () => {
    const p = await rawPeer('client');
    try {
      const s = await p.session.open();
      expect(await p.frame((f) => f.streamId === s.id)).toMatchObject({ type: FrameType.WindowUpdate, flags: Flag.SYN, length: 0 });
      p.send(encodeHeader(FrameType.WindowUpdate, Flag.SYN, 2, 0));
      const a = await p.session.accept();
      expect(await p.frame((f) => f.streamId === a.id)).toMatchObject({ type: FrameType.WindowUpdate, flags: Flag.ACK, length: 0 });
      a.end();
      expect(await p.frame((f) => f.streamId === 2 && (f.flags & Flag.FIN) !== 0)).toMatchObject({ type: FrameType.WindowUpdate });
    } finally {
      await p.cleanup();
    }
  });

  it('resets streams beyond the accept backlog', async () => {
    const p = await rawPeer('server', { acceptBacklog: 2 });
    try {
      p.send(...[1, 3, 5].map((id) => encodeHeader(FrameType.WindowUpdate, Flag.SYN, id, 0)));
      expect(await p.frame(isRst(5))).toBeDefined();
      expect((await p.session.accept()).id).toBe(1);
      expect((await p.session.accept()).id).toBe(3);
      expect(p.frames.some(isRst(1)) || p.frames.some(isRst(3))).toBe(false);
    } finally {
      await p.cleanup();
    }
  });

  it('open() waits while acceptBacklog streams are unacknowledged', async () => {
    const p = await rawPeer('client', { acceptBacklog: 1 });
    try {
      const first = await p.session.open();
      let opened = false;
      const second = p.session.open().then((s) => {
        opened = true;
        return s;
      });
      await p.frame((f) => f.streamId === first.id);
      await new Promise((r) => setImmediate(r));
      expect(opened).toBe(false);
      p.send(encodeHeader(FrameType.WindowUpdate, Flag.ACK, first.id, 0));
      expect((await second).id).toBe(3);
    } finally {
      await p.cleanup();
    }
  });

  it('ends the session when an opened stream is never acknowledged (streamOpenTimeout)', async () => {
    const p = await rawPeer('client', { streamOpenTimeout: 30 });
    try {
      await p.session.open();
      await p.session.closed;
      expect(p.session.error).toMatchObject({ code: 'timeout' });
      expect(p.session.error?.message).toMatch(/did not acknowledge stream 1/);
    } finally {
      await p.cleanup();
    }
  });

  it('resets a stream whose peer never sends FIN after ours (streamCloseTimeout)', async () => {
    const p = await rawPeer('client', { streamCloseTimeout: 30 });
    try {
      const s = await p.session.open();
      p.send(encodeHeader(FrameType.WindowUpdate, Flag.ACK, s.id, 0));
      const closed = new Promise((resolve) => s.once('close', resolve));
      s.end();
      s.resume();
      expect(await p.frame(isRst(s.id))).toBeDefined();
      await closed;
      expect(p.session.numStreams).toBe(0);
    } finally {
      await p.cleanup();
    }
  });

  it('ends the session when keepalive pings go unanswered', async () => {
    const p = await rawPeer('client', { keepAliveInterval: 10, connectionWriteTimeout: 30 });
    try {
      expect(await p.frame((f) => f.type === FrameType.Ping && f.flags === Flag.SYN)).toBeDefined();
      await p.session.closed;
      expect(p.session.error).toMatchObject({ code: 'unavailable' });
      expect(p.session.error?.message).toMatch(/keepalive/);
    } finally {
      await p.cleanup();
    }
  });

  it('answers pings and keeps the session while the peer answers keepalives', async () => {
    const p = await rawPeer('client', { keepAliveInterval: 10 });
    try {
      p.raw.on('data', () => {
        for (const f of p.frames.splice(0)) {
          if (f.type === FrameType.Ping && f.flags === Flag.SYN) p.send(encodeHeader(FrameType.Ping, Flag.ACK, 0, f.length));
        }
      });
      p.send(encodeHeader(FrameType.Ping, Flag.SYN, 0, 0xabcdef));
      expect(await p.frame((f) => f.type === FrameType.Ping && f.flags === Flag.ACK)).toMatchObject({ length: 0xabcdef });
      for (let i = 0; i < 3; i++) await p.frame((f) => f.type === FrameType.Ping && f.flags === Flag.SYN);
      expect(p.session.isClosed).toBe(false);
    } finally {
      await p.cleanup();
    }
  });

  it('ends the session when the connection stays unwritable (connectionWriteTimeout)', async () => {
    const p = await rawPeer('client', { connectionWriteTimeout: 50, enableKeepAlive: false });
    try {
      p.raw.pause(); // the peer stops reading its socket
      const big = Buffer.alloc(256 * 1024);
      for (let i = 0; i < 40; i++) {
        const s = await p.session.open();
        s.on('error', () => {});
        s.write(big);
      }
      await p.session.closed;
      expect(p.session.error).toMatchObject({ code: 'timeout' });
      expect(p.session.error?.message).toMatch(/write timed out/);
    } finally {
      await p.cleanup();
    }
  });

  it('leaves no timer behind after close or abort', async () => {
    const before = timerCount();
    const a = await rawPeer('client');
    await a.session.open(); // arms the open timer
    const ctl = new AbortController();
    const ping = a.session.ping({ signal: ctl.signal }); // arms the ping timer
    ctl.abort();
    await expect(ping).rejects.toMatchObject({ code: 'aborted' });
    const pending = expect(a.session.ping()).rejects.toMatchObject({ code: 'closed' });
    await a.cleanup(); // abort()
    await pending;
    expect(timerCount()).toBeLessThanOrEqual(before);
  });
});
