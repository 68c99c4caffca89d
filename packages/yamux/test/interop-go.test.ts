// Interop with Go's hashicorp/yamux (Debian's golang-github-hashicorp-yamux-dev), TS as client and as server.
import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PluginError } from '@plugwire/core';
import { goSkipReason } from '../../../test/support/go.js';
import { encodeHeader, FrameType, type YamuxStream } from '../src/index.js';
import { goPeerBinary, startGoPeer, type GoPeer } from './go-peer.js';
import { hashAll, lineReader, pattern, readAll, sha256, writeAll } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function echo(s: YamuxStream): void {
  s.pipe(s);
}

describe.skipIf(goSkipReason() !== undefined)('yamux interop with Go hashicorp/yamux', () => {
  beforeAll(async () => {
    await goPeerBinary();
  });

  let peer: GoPeer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  describe.each([
    ['client', 'server'],
    ['server', 'client'],
  ] as const)('TS as %s, Go as %s', (_tsRole, goRole) => {
    it.each([0, KiB, MiB, 64 * MiB])('echoes %i bytes through Go with the same checksum', async (size) => {
      peer = await startGoPeer(goRole);
      const s = await peer.command('echo');
      const data = pattern(size, 11);
      const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
      expect(got).toEqual({ bytes: size, sha: sha256(data) });
    });

    it('sends to a Go sink and reads its answer after its own FIN', async () => {
      peer = await startGoPeer(goRole);
      const s = await peer.command('sink');
      const data = pattern(3 * MiB + 5, 12);
      const [, reply] = await Promise.all([writeAll(s, data), readAll(s)]);
      expect(reply.toString()).toBe(`${data.length} ${sha256(data)}\n`);
    });

    it('accepts streams Go opens: a source and an echo checked by Go', async () => {
      peer = await startGoPeer(goRole);
      const accepted = peer.session.accept();
      expect(await peer.ctrl(`open-source ${MiB} 5`)).toBe('ok');
      const src = await accepted;
      expect((await hashAll(src)).sha).toBe(sha256(pattern(MiB, 5)));

      const next = peer.session.accept().then(echo);
      expect(await peer.ctrl(`open-echo ${2 * MiB + 3} 6`)).toBe('ok');
      await next;
    });

    it('runs 100 concurrent streams of 256 KiB each, opened from each side', async () => {
      peer = await startGoPeer(goRole);
      const mine = Array.from({ length: 100 }, async (_, i) => {
        const s = await peer!.command('echo');
        const data = pattern(256 * KiB, i + 100);
        const [, got] = await Promise.all([writeAll(s, data), hashAll(s)]);
        return got.sha === sha256(data);
      });
      expect((await Promise.all(mine)).every(Boolean)).toBe(true);

      const accepting = (async () => {
        for (let i = 0; i < 100; i++) echo(await peer!.session.accept());
      })();
      expect(await peer.ctrl(`open-many 100 ${256 * KiB}`)).toBe('ok');
      await accepting;
    });

    it('half-closes each way (FIN)', async () => {
      peer = await startGoPeer(goRole);
      // TS -> Go FIN: covered with the answer read after it by "sends to a Go sink". Go -> TS FIN first:
      // this side reads EOF, may still write, and its own FIN then closes the stream on both sides.
      const s = await peer.command('finfirst');
      expect((await readAll(s)).length).toBe(0);
      await new Promise<void>((resolve, reject) => s.end('after your FIN', () => resolve()).once('error', reject));
      await new Promise((resolve) => (s.closed ? resolve(undefined) : s.once('close', resolve)));
      await peer.session.ping();
      expect(peer.session.numStreams).toBe(1); // only ctrl is left
      expect(await peer.ctrl('numstreams')).toBe('1');
    });

    it('resets each way (RST)', async () => {
      peer = await startGoPeer(goRole, {}, ['-backlog', '1']);
      // TS -> Go: Go's reader sees "connection reset".
      const s = await peer.command('watch r');
      s.write('some data');
      expect(await lineReader(s).next()).toBe('watching');
      s.reset();
      expect(await peer.ctrl('result r')).toMatch(/^err \d+ connection reset/);
      // Go -> TS: Go resets a stream beyond its accept backlog.
      expect(await peer.ctrl('pause-accept')).toBe('ok');
      const taken = await peer.command('echo'); // taken by the accept already waiting
      taken.end('x');
      expect((await readAll(taken)).toString()).toBe('x');
      const queued = await peer.command('echo'); // fills the backlog of 1
      const refused = await peer.session.open(); // reset by Go
      const err = await new Promise<unknown>((resolve) => refused.once('error', resolve));
      expect(err).toBeInstanceOf(PluginError);
      expect((err as PluginError).code).toBe('closed');
      expect(await peer.ctrl('resume-accept')).toBe('ok');
      queued.end('y');
      expect((await readAll(queued)).toString()).toBe('y');
    });

    it('go-away from TS: Go may not open, existing streams finish', async () => {
      peer = await startGoPeer(goRole);
      const existing = await peer.command('echo');
      peer.session.goAway();
      expect(await peer.ctrl('try-open')).toBe('err remote end is not accepting connections');
      const data = pattern(MiB, 3);
      const [, got] = await Promise.all([writeAll(existing, data), hashAll(existing)]);
      expect(got.sha).toBe(sha256(data));
    });

    it('go-away from Go: TS may not open, existing streams finish', async () => {
      peer = await startGoPeer(goRole);
      const existing = await peer.command('echo');
      expect(await peer.ctrl('goaway')).toBe('ok');
      const err = await peer.session.open().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'unavailable', goAwayCode: 0 });
      const data = pattern(MiB, 4);
      const [, got] = await Promise.all([writeAll(existing, data), hashAll(existing)]);
      expect(got.sha).toBe(sha256(data));
    });

    it('go-away with a protocol error from TS ends the Go session', async () => {
      peer = await startGoPeer(goRole);
      peer.session.goAway(1);
      expect(await peer.exited).toMatch(/session-ended: yamux protocol error/);
      await peer.session.closed;
      expect(peer.session.error).toMatchObject({ code: 'protocol', goAwayCode: 1 });
    });

    it.each([
      [1, 'protocol'],
      [2, 'remote'],
    ])('go-away code %i from Go ends this session with a %s error', async (code, kind) => {
      peer = await startGoPeer(goRole);
      const s = await peer.command('echo');
      const failed = new Promise<unknown>((resolve) => s.once('error', resolve));
      await peer.ctrl('ping');
      void peer.ctrl(`raw-goaway ${code}`).catch(() => '');
      await peer.session.closed;
      expect(peer.session.error).toBeInstanceOf(PluginError);
      expect(peer.session.error).toMatchObject({ code: kind, goAwayCode: code });
      expect(await failed).toBe(peer.session.error);
      await expect(peer.session.open()).rejects.toMatchObject({ code: kind });
    });

    it('close() from TS ends the Go session after the data already written and a FIN', async () => {
      peer = await startGoPeer(goRole);
      const s = await peer.command('sink-log');
      expect(await lineReader(s).next()).toBe('ready');
      s.write(Buffer.from('before close')); // close() ends the stream (FIN) after this
      await peer.session.close();
      const out = await peer.exited;
      expect(out).toContain(`sink 12 ${sha256(Buffer.from('before close'))}\n`);
      expect(out).toMatch(/session-ended: (EOF|session shutdown)/);
      expect(peer.session.error?.code).toBe('closed');
    });

    it('Go closing its session ends this one normally, streams with EOF', async () => {
      peer = await startGoPeer(goRole);
      const accepted = peer.session.accept();
      expect(await peer.ctrl(`open-source ${64 * KiB} 8`)).toBe('ok');
      const s = await accepted;
      const got = hashAll(s);
      await peer.ctrl('ping');
      void peer.ctrl('close-session').catch(() => '');
      await peer.session.closed;
      expect(peer.session.error?.code).toBe('closed');
      expect((await got).bytes).toBeLessThanOrEqual(64 * KiB);
    });

    it('pings each way', async () => {
      peer = await startGoPeer(goRole);
      expect(await peer.session.ping()).toBeGreaterThanOrEqual(0);
      expect(await peer.ctrl('ping')).toMatch(/^ok \d+$/);
    });

    it('a slow Go reader holds this writer to one window', async () => {
      peer = await startGoPeer(goRole);
      const s = await peer.command('hold h');
      const data = pattern(2 * MiB, 21);
      let written = false;
      const writing = writeAll(s, data).then(() => {
        written = true;
      });
      await peer.session.ping(); // every frame sent so far has reached Go
      await peer.session.ping();
      // Go would have ended the session had this side sent past the window.
      expect(peer.session.isClosed).toBe(false);
      expect(written).toBe(false);
      expect(await peer.ctrl('release h')).toBe('ok');
      await writing;
      expect(await peer.ctrl('result h')).toBe(`eof ${2 * MiB} ${sha256(data)}`);
    });

    it('a Go writer uses the window this side grows while it reads, up to maxStreamWindowSize', async () => {
      peer = await startGoPeer(goRole, { maxStreamWindowSize: MiB });
      const accepted = peer.session.accept();
      expect(await peer.ctrl(`open-slow-source g ${16 * MiB} 23`)).toBe('ok');
      const s = await accepted;
      const hash = createHash('sha256');
      let delivered = 0;
      let pausedOnce = false;
      const ended = new Promise<void>((resolve) => s.once('end', resolve));
      const paused = new Promise<void>((resolve) => {
        s.on('data', (chunk: Buffer) => {
          delivered += chunk.length;
          hash.update(chunk);
          if (delivered >= 4 * MiB && !pausedOnce) {
            pausedOnce = true;
            s.pause();
            resolve();
          }
        });
      });
      await paused;
      const held = delivered;
      // Go stops once it has used the window granted so far: wait until its progress stands still.
      let progress = -1;
      for (let last = -2, i = 0; i < 200 && progress !== last; i++) {
        last = progress;
        await peer.session.ping();
        await new Promise((r) => setTimeout(r, 10));
        progress = Number(await peer.ctrl('progress g'));
      }
      expect(progress - held).toBeGreaterThan(256 * KiB); // past yamux's initial window: it grew, and Go honours it
      expect(progress - held).toBeLessThanOrEqual(MiB); // never past maxStreamWindowSize
      s.resume();
      await ended;
      expect(delivered).toBe(16 * MiB);
      expect(hash.digest('hex')).toBe(sha256(pattern(16 * MiB, 23)));
    });

    it('a slow TS reader holds the Go writer to one window', async () => {
      peer = await startGoPeer(goRole);
      const accepted = peer.session.accept();
      expect(await peer.ctrl(`open-slow-source t ${2 * MiB} 22`)).toBe('ok');
      const s = await accepted; // not read yet
      let progress = '';
      for (let i = 0; i < 1000 && progress !== String(256 * KiB); i++) {
        progress = await peer.ctrl('progress t');
        if (progress !== String(256 * KiB)) await new Promise((r) => setTimeout(r, 5));
      }
      expect(progress).toBe(String(256 * KiB));
      await peer.session.ping();
      expect(await peer.ctrl('progress t')).toBe(String(256 * KiB));
      expect(peer.socket.bytesRead).toBeLessThan(300 * KiB);
      expect((await hashAll(s)).sha).toBe(sha256(pattern(2 * MiB, 22)));
    });
  });
});
