// One options pipeline: validateClientOptions / validateServeOptions resolve every default in one place; the
// plugin's logger follows the host's level; definitions and netrpc descriptions reject mistakes at once.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  Client,
  createPluginLogger,
  definePlugin,
  LOG_LEVEL_ENV,
  silentLogger,
  validateClientOptions,
  validateServeOptions,
} from '../src/index.js';
import { gob, method, service } from '../src/netrpc.js';
import { greeter, handshake, netrpcGreeter, politeGreeter } from './fixtures/greeter.js';
import { greeterPlugin } from './support.js';

const cmd = { command: 'plugin' };

describe('validateClientOptions', () => {
  it('resolves every default once: ports 10000–25000, 60 s start, trace, protocols from the definitions', () => {
    const o = validateClientOptions({ handshake, plugins: { greeter }, cmd });
    expect(o.launch).toMatchObject({ minPort: 10000, maxPort: 25000, startTimeout: 60000, logLevel: 'trace', args: [], skipHostEnv: false, multiplexGrpc: false });
    expect(o.allowedProtocols).toEqual(['grpc', 'netrpc']);
    expect(o.managed).toBe(false);
    expect(validateClientOptions({ handshake, plugins: { greeter: netrpcGreeter }, cmd }).allowedProtocols).toEqual(['netrpc']);
    expect(validateClientOptions({ handshake, plugins: { greeter }, cmd, allowedProtocols: ['netrpc'] }).allowedProtocols).toEqual(['netrpc']);
  });

  it('security options: autoMTLS and tls resolved, verify/version passed to the launch, bad combinations refused', () => {
    const reattach = { protocol: 'grpc' as const, protocolVersion: 1, address: { network: 'unix' as const, address: '/x' }, pid: 1 };
    const verify = { publicKeys: ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] };
    expect(validateClientOptions({ handshake, plugins: { greeter }, cmd })).toMatchObject({ autoMTLS: false, tls: undefined });
    expect(validateClientOptions({ handshake, plugins: { greeter }, cmd, autoMTLS: true }).autoMTLS).toBe(true);
    expect(validateClientOptions({ handshake, plugins: { greeter }, cmd, verify, version: '^1.4.0' }).launch).toMatchObject({ verify, version: '^1.4.0' });
    expect(() => validateClientOptions({ handshake, plugins: { greeter }, reattach, autoMTLS: true })).toThrow(/autoMTLS cannot be used with reattach/);
    expect(() => validateClientOptions({ handshake, plugins: { greeter }, cmd, autoMTLS: true, tls: {} })).toThrow(/set autoMTLS or tls, not both/);
    expect(() => validateClientOptions({ handshake, plugins: { greeter }, cmd, version: '^1.0.0' })).toThrow(/version needs verify/);
    expect(() => validateClientOptions({ handshake, plugins: { greeter }, reattach, verify })).toThrow(/cannot be used with reattach/);
    expect(() => validateServeOptions({ handshake, plugins: {}, tls: {} as never })).toThrow(/tls must be a function/);
  });

  it('one rule for the port range, checked in the constructor', () => {
    expect(validateClientOptions({ handshake, plugins: { greeter }, cmd, minPort: 20000 }).launch).toMatchObject({ minPort: 20000, maxPort: 25000 });
    expect(validateClientOptions({ handshake, plugins: { greeter }, cmd, maxPort: 12000 }).launch).toMatchObject({ minPort: 10000, maxPort: 12000 });
    expect(() => validateClientOptions({ handshake, plugins: { greeter }, cmd, minPort: 30000 })).toThrow(/minPort 30000 is greater than maxPort 25000/);
    expect(() => validateClientOptions({ handshake, plugins: { greeter }, cmd, minPort: 70000, maxPort: 80000 })).toThrow(/minPort 70000 is not a port number/);
  });

  it('a command may be given as an array, and the host level reaches the plugin environment', () => {
    const o = validateClientOptions({ handshake, plugins: { greeter }, cmd: ['node', 'plugin.js'], logLevel: 'warn' });
    expect(o.launch).toMatchObject({ command: 'node', args: ['plugin.js'], env: { [LOG_LEVEL_ENV]: 'warn' } });
  });

  it('rejects what is not a definition, and mistakes, with invalid_argument', () => {
    const bad = [
      () => validateClientOptions({ handshake, plugins: { greeter: { grpc: {} } as never }, cmd }),
      () => validateClientOptions({ handshake, plugins: { greeter }, cmd, reattach: { protocol: 'grpc', protocolVersion: 1, address: { network: 'unix', address: '/x' }, pid: 1 } }),
      () => validateClientOptions({ handshake, plugins: { greeter }, cmd, logLevel: 'loud' as never }),
      () => validateClientOptions({ handshake, plugins: { greeter }, cmd, startTimeout: 0 }),
      () => validateClientOptions({ handshake, cmd }),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});

describe('validateServeOptions', () => {
  it('resolves defaults and wants implemented plugins', () => {
    const o = validateServeOptions({ handshake, plugins: { greeter: greeter.implement(politeGreeter()) }, test: {} });
    expect(o).toMatchObject({ protocol: undefined, listen: {}, maxReceiveMessageLength: undefined, exitOnShutdown: false });
    expect(() => validateServeOptions({ handshake, plugins: { greeter: greeter as never } })).toThrow(/pass definition.implement\(impl\)/);
    expect(() => validateServeOptions({ handshake, plugins: { greeter: netrpcGreeter.implement(politeGreeter()) }, protocol: 'grpc' })).toThrow(
      /has no grpc halves/,
    );
  });
});

describe('definePlugin and netrpc services', () => {
  it('needs both halves of each protocol it names', () => {
    expect(() => definePlugin({})).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => definePlugin({ grpc: { server: () => undefined } as never })).toThrow(/needs both a server/);
    expect(greeter.protocols).toEqual(['grpc', 'netrpc']);
  });

  it('a netrpc description derives handlers and a client, and insists on exported Go names', () => {
    const Calc = service('Plugin', { Double: method(gob.int64, gob.int64) });
    const served = Calc.implement({ Double: (n) => Number(n) * 2 });
    expect(Object.keys(served)).toEqual(['Double']);
    expect(() => Calc.implement({} as never)).toThrow(/no handler for Plugin.Double/);
    expect(() => service('Plugin', { double: method(gob.int64, gob.int64) })).toThrow(/capitalise it/);
    const calls: string[] = [];
    const client = Calc.client({ call: async (m: string) => (calls.push(m), 4) } as never);
    return client.Double(2).then((r) => {
      expect(r).toBe(4);
      expect(calls).toEqual(['Plugin.Double']);
    });
  });
});

describe('the plugin logger', () => {
  it('writes hclog JSON at the level the host asked for', () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (d: Buffer) => lines.push(d.toString()));
    const logger = createPluginLogger({ env: { [LOG_LEVEL_ENV]: 'info' }, output: out, name: 'kv' });
    logger.debug({}, 'hidden');
    logger.info({ key: 'a' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ '@level': 'info', '@message': 'shown', '@module': 'kv', key: 'a' });
    expect(createPluginLogger({ env: { [LOG_LEVEL_ENV]: 'off' } })).toBe(silentLogger);
  });

  it('serve() hands it to the implementation factory, and the host level reaches the plugin', async () => {
    const raw = new PassThrough();
    let stderr = '';
    raw.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ handshake, plugins: { greeter }, cmd: greeterPlugin(), logLevel: 'info', stderr: raw, logger: silentLogger });
    await (await client.dispense('greeter')).greet('x');
    await client.kill();
    expect(stderr).toContain('"@message":"greeter ready"');
    expect(stderr).not.toContain('greeter debug detail');
  });
});
