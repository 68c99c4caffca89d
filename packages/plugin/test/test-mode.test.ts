// serve() in test mode (go-plugin's ServeTestConfig) with a host reattaching in the same process.
import { describe, expect, it } from 'vitest';
import { Client, definePlugin, serve, silentLogger, type ReattachConfig } from '../src/index.js';
import { gob, method, service } from '../src/netrpc.js';

interface Greeter {
  greet(name: string): Promise<string>;
}

const GreeterRpc = service('Plugin', { Greet: method(gob.string, gob.string) });
const greeter = definePlugin<Greeter>({
  netrpc: {
    server: (impl) => GreeterRpc.implement({ Greet: (name) => impl.greet(name) }),
    client: (conn) => ({ greet: (name) => conn.client(GreeterRpc).Greet(name) }),
  },
});
const greeterImpl = greeter.implement({ greet: async (name) => `hello, ${name}` });
const handshake = { protocolVersion: 3, magicCookieKey: 'TEST_MODE', magicCookieValue: 'yes' };

describe('serve() test mode', () => {
  it('serves in process without a cookie or handshake line, hands out a reattach config, and stops on abort', async () => {
    const controller = new AbortController();
    let config: ReattachConfig | undefined;
    const served = serve({
      handshake,
      plugins: { greeter: greeterImpl },
      logger: silentLogger,
      test: { signal: controller.signal, onReattachConfig: (c) => (config = c) },
    });
    await expect.poll(() => config).toBeDefined();
    expect(config).toMatchObject({ protocol: 'netrpc', protocolVersion: 3, pid: process.pid, test: true });

    const client = new Client({ handshake, plugins: { greeter }, reattach: config!, allowedProtocols: ['netrpc'], logger: silentLogger });
    const g = await client.dispense('greeter');
    expect(await g.greet('test')).toBe('hello, test');
    expect(client.negotiatedVersion()).toBe(3);
    await client.kill(); // asks the server to quit; never signals this process
    await served;
    controller.abort();
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    let config: ReattachConfig | undefined;
    const served = serve({ handshake, plugins: { greeter: greeterImpl }, logger: silentLogger, test: { signal: controller.signal, onReattachConfig: (c) => (config = c) } });
    await expect.poll(() => config).toBeDefined();
    controller.abort();
    await expect(served).resolves.toBeUndefined();
  });
});
