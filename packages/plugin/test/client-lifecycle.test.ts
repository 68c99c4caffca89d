// The Client lifecycle bugs of issue 7, against a real plugin process: abort while starting, a caller's signal
// sharing a launch with others, the port range defaults, and host and plugin agreeing on their defaults.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, PluginError, silentLogger } from '../src/index.js';
import { greeter, handshake } from './fixtures/greeter.js';
import { alive, fileAppears, greeterPlugin, pidDir } from './support.js';

const pids = pidDir();
afterAll(() => pids.cleanup());
let n = 0;

/** A client whose plugin writes its pid to a file, and (with `gate`) waits for `<file>.go` before serving. */
function gatedClient(args: string[] = ['gate']) {
  const pidFile = pids.file(`p${n++}`);
  const client = new Client({ handshake, plugins: { greeter }, cmd: greeterPlugin(args, { PLUGWIRE_TEST_PID_FILE: pidFile }), logger: silentLogger });
  return {
    client,
    pidFile,
    async pid(): Promise<number> {
      const pid = Number(await fileAppears(pidFile));
      expect(pid).toBeGreaterThan(0);
      return pid;
    },
    open: () => writeFileSync(`${pidFile}.go`, ''),
  };
}

describe('Client lifecycle', () => {
  it('abort() while start() is in flight leaves no process, and kill() afterwards resolves once it is gone', async () => {
    const { client, pid } = gatedClient();
    const starting = client.start();
    const started = starting.catch((e: unknown) => e);
    const plugin = await pid();
    expect(alive(plugin)).toBe(true);
    client.abort();
    const err = await started;
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('aborted');
    await client.kill();
    expect(alive(plugin)).toBe(false);
    await expect(client.dispense('greeter')).rejects.toMatchObject({ code: 'closed' });
  });

  it('abort() while dispense() is in flight leaves no process either', async () => {
    const { client, pid } = gatedClient();
    const dispensing = client.dispense('greeter').catch((e: unknown) => e);
    const plugin = await pid();
    client.abort(new PluginError('closed', 'host shutting down'));
    expect(await dispensing).toMatchObject({ code: 'closed', message: 'host shutting down' });
    await client.kill();
    expect(alive(plugin)).toBe(false);
  });

  it("one caller's signal ends only its own wait; the shared launch goes on for the others", async () => {
    const { client, pid, open } = gatedClient();
    const controller = new AbortController();
    const first = client.dispense('greeter', { signal: controller.signal }).catch((e: unknown) => e);
    const second = client.dispense('greeter');
    const plugin = await pid();
    controller.abort();
    expect(await first).toMatchObject({ code: 'aborted' });
    expect(alive(plugin)).toBe(true);
    open();
    const g = await second;
    expect(await g.greet('second')).toBe('hello, second');
    expect(client.reattachConfig()?.pid).toBe(plugin);
    await client.kill();
    expect(alive(plugin)).toBe(false);
  });

  it('a launch is abandoned (its process killed) when the last caller waiting for it gives up', async () => {
    const { client, pid, open } = gatedClient();
    const a = new AbortController();
    const b = new AbortController();
    const first = client.start({ signal: a.signal }).catch((e: unknown) => e);
    const second = client.dispense('greeter', { signal: b.signal }).catch((e: unknown) => e);
    const plugin = await pid();
    a.abort();
    expect(await first).toMatchObject({ code: 'aborted' });
    expect(alive(plugin)).toBe(true);
    b.abort();
    expect(await second).toMatchObject({ code: 'aborted' });
    await expect.poll(() => alive(plugin)).toBe(false);
    // The client is not spent: a later call launches the plugin again.
    open();
    const g = await client.dispense('greeter');
    expect(await g.greet('again')).toBe('hello, again');
    await client.kill();
  });

  it('a deadline from AbortSignal.timeout() rejects with code timeout', async () => {
    const { client, pidFile } = gatedClient();
    const err = await client.start({ signal: AbortSignal.timeout(500) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    await client.kill();
    // The launch kills its process before it rejects; a plugin that got as far as writing its pid is gone.
    const written = existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : '';
    if (written !== '') expect(alive(Number(written))).toBe(false);
  });

  it('minPort alone keeps the documented maxPort (10000–25000 by default) and the plugin starts', async () => {
    const client = new Client({ handshake, plugins: { greeter }, cmd: greeterPlugin(), minPort: 20000, logger: silentLogger });
    const g = await client.dispense('greeter');
    expect(await g.greet('ports')).toBe('hello, ports');
    await client.kill();
    expect(() => new Client({ handshake, plugins: { greeter }, cmd: greeterPlugin(), maxPort: 5000 })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/minPort 10000 is greater than maxPort 5000/) }),
    );
  });

  it('a plugwire host and a plugwire plugin on their defaults agree (gRPC, as both halves exist)', async () => {
    const client = new Client({ handshake, plugins: { greeter }, cmd: greeterPlugin(), logger: silentLogger });
    const g = await client.dispense('greeter');
    expect(client.protocol()).toBe('grpc');
    expect(await g.greet('defaults')).toBe('hello, defaults');
    await client.kill();
  });

  it('a netrpc-only plugin on its defaults is reached by a host with the full definition', async () => {
    const client = new Client({ handshake, plugins: { greeter }, cmd: greeterPlugin(['netrpc-only']), logger: silentLogger });
    const g = await client.dispense('greeter');
    expect(client.protocol()).toBe('netrpc');
    expect(await g.greet('netrpc')).toBe('hello, netrpc');
    await client.kill();
  });
});
