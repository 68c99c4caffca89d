// AutoMTLS end to end over both protocols: TS host ↔ TS plugin, and against real go-plugin: v1.8 in both
// directions, v1.0.1 as far as its one-way AutoMTLS goes. Plus the refusals: a connection without the host's
// certificate gets nothing from the plugin, and a host refuses a plugin whose certificate is not the one it printed.
import { connect as tlsConnect } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, PluginError } from '@plugwire/plugin';
import { dial, generateIdentity, type Identity } from '@plugwire/net';
import type { PluginAddress, ProtocolName } from '@plugwire/core';
import { buildGo, buildGoModern, goSkipReason } from '../../test/support/go.js';
import { counter, handshake, type AddHelper } from '../src/counter/definition.js';
import { kv } from '../src/kv/definition.js';
import { jsonLines, nodePlugin, runCommand } from './support.js';

const protocols: ProtocolName[] = ['grpc', 'netrpc'];
const adder = (): AddHelper & { calls: number } => {
  const h = { calls: 0, async sum(a: number, b: number) { h.calls++; return a + b; } };
  return h;
};

/** Counter through the broker (the plugin dials the host's broker listener back, under the same TLS). */
async function exerciseCounter(client: Client<{ counter: typeof counter }>): Promise<void> {
  const ctr = await client.dispense('counter');
  const helper = adder();
  await ctr.put('n', 2, helper);
  await ctr.put('n', 40, helper);
  expect(await ctr.get('n')).toBe(42);
  expect(helper.calls).toBe(2);
}

/**
 * What a stranger gets from a TLS-only plugin address: connects in plaintext, and with TLS but a certificate the
 * plugin never saw. Resolves with the bytes each received from the plugin (always none) and how TLS ended.
 */
async function strangerAttempts(address: PluginAddress, serverCertDer: Buffer): Promise<{ plaintextBytes: number; tlsError: string }> {
  const plain = await dial(address);
  let plaintextBytes = 0;
  plain.on('data', (d: Buffer) => (plaintextBytes += d.length));
  plain.on('error', () => {});
  // An HTTP/2 preface and a yamux SYN: what a plaintext gRPC or netrpc client would send first.
  plain.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0])]));
  await new Promise((resolve) => plain.once('close', resolve));

  const stranger: Identity = generateIdentity();
  const raw = await dial(address);
  const tls = tlsConnect({ socket: raw, cert: stranger.certPem, key: stranger.keyPem, ca: derPem(serverCertDer), servername: 'localhost', ALPNProtocols: ['h2'] });
  let tlsBytes = 0;
  tls.on('data', (d: Buffer) => (tlsBytes += d.length));
  const tlsError = await new Promise<string>((resolve) => {
    tls.once('error', (err) => resolve(err.message));
    tls.once('close', () => resolve('closed'));
    tls.once('secureConnect', () => tls.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
  });
  tls.destroy();
  expect(tlsBytes).toBe(0);
  return { plaintextBytes, tlsError };
}

function derPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The certificate a plugin at `address` presents (read without presenting one; the plugin then drops us). */
async function presentedCertificate(address: PluginAddress): Promise<Buffer> {
  const raw = await dial(address);
  const tls = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
  const cert = await new Promise<Buffer>((resolve, reject) => {
    tls.once('secureConnect', () => resolve(Buffer.from(tls.getPeerCertificate().raw)));
    tls.once('error', reject);
  });
  tls.destroy();
  return cert;
}

describe.each(protocols)('AutoMTLS, TS host ↔ TS plugin over %s', (proto) => {
  it('runs kv and the broker-using counter over mutual TLS; strangers and plaintext clients get nothing', async () => {
    const client = new Client({ handshake, plugins: { counter: counter }, cmd: nodePlugin(`counter/plugin-${proto}.js`), allowedProtocols: [proto], autoMTLS: true });
    const address = await client.start();
    await exerciseCounter(client);
    const cert = await presentedCertificate(address);
    // The plugin serves with a fresh AutoMTLS certificate (CN=localhost, O=HashiCorp, P-521).
    const { X509Certificate } = await import('node:crypto');
    const x = new X509Certificate(cert);
    expect(x.subject).toBe('O=HashiCorp\nCN=localhost');
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp521r1');
    const stranger = await strangerAttempts(address, cert);
    expect(stranger.plaintextBytes).toBe(0);
    expect(stranger.tlsError).toMatch(/closed|alert|certificate|ECONNRESET/i);
    // The plugin still serves its host after turning the strangers away.
    const ctr = await client.dispense('counter');
    expect(await ctr.get('n')).toBe(42);
    await client.kill();
  });

  // Knock multiplexing exists for gRPC only (netrpc's broker always rides its one yamux session).
  if (proto === 'grpc') it('with gRPC broker multiplexing: TLS on each multiplexed connection, the broker callback too', async () => {
    const client = new Client({ handshake, plugins: { counter }, cmd: nodePlugin(`counter/plugin-${proto}.js`), allowedProtocols: [proto], autoMTLS: true, grpcBrokerMultiplex: true });
    await exerciseCounter(client);
    await client.kill();
  });

  it('the host refuses a plugin whose served certificate is not the one it printed', async () => {
    const client = new Client({
      handshake,
      plugins: { counter: counter },
      cmd: { command: process.execPath, args: [new URL('./fixtures/wrong-cert-plugin.mjs', import.meta.url).pathname, proto, 'wrong'] },
      allowedProtocols: [proto],
      autoMTLS: true,
    });
    await client.start();
    const err = (await client.dispense('counter').then(async (c) => c.get('n')).catch((e: unknown) => e)) as PluginError;
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toMatch(/TLS handshake with the plugin failed|did not present the certificate it announced|certificate/i);
    await client.kill();
  });

  it('the host refuses a plugin that prints no certificate when autoMTLS is on', async () => {
    const client = new Client({
      handshake,
      plugins: { counter: counter },
      cmd: { command: process.execPath, args: [new URL('./fixtures/wrong-cert-plugin.mjs', import.meta.url).pathname, proto, 'none'] },
      allowedProtocols: [proto],
      autoMTLS: true,
    });
    const err = (await client.dispense('counter').catch((e: unknown) => e)) as PluginError;
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toMatch(/printed no certificate/);
    await client.kill();
  });
});

describe.each(protocols)('user TLS (TLSConfig / TLSProvider), TS host ↔ TS plugin over %s', (proto) => {
  // Each side brings its own certificate and trusts the other's as its CA, as with a private CA.
  const hostId = generateIdentity();
  const pluginId = generateIdentity();
  const fixture = new URL('./fixtures/user-tls-kv.mjs', import.meta.url).pathname;
  const env = { KV_TLS_CERT: pluginId.certPem, KV_TLS_KEY: pluginId.keyPem, KV_TLS_CA: hostId.certPem };

  it('connects when the host trusts the plugin\'s CA and presents a certificate the plugin trusts', async () => {
    const client = new Client({
      handshake,
      plugins: { kv },
      cmd: { command: process.execPath, args: [fixture, proto], env },
      allowedProtocols: [proto],
      tls: { cert: hostId.certPem, key: hostId.keyPem, ca: pluginId.certPem },
    });
    const address = await client.start();
    const store = await client.dispense('kv');
    await store.put('k', new Uint8Array([5]));
    expect(Array.from(await store.get('k'))).toEqual([5]);
    // The plugin prints no certificate (only AutoMTLS does) and takes no plaintext client.
    const stranger = await strangerAttempts(address, pluginId.der);
    expect(stranger.plaintextBytes).toBe(0);
    await client.kill();
  });

  it('fails when the host does not trust the plugin\'s certificate', async () => {
    const client = new Client({
      handshake,
      plugins: { kv },
      cmd: { command: process.execPath, args: [fixture, proto], env },
      allowedProtocols: [proto],
      tls: { cert: hostId.certPem, key: hostId.keyPem, ca: generateIdentity().certPem },
    });
    const err = (await client.dispense('kv').then((s) => s.get('k')).catch((e: unknown) => e)) as PluginError;
    expect(err).toBeInstanceOf(PluginError);
    expect(err.message).toMatch(/certificate|TLS/i);
    await client.kill();
  });
});

describe.skipIf(goSkipReason() !== undefined).each(protocols)('AutoMTLS against go-plugin v1.8 over %s', (proto) => {
  let goHost = '';
  let goPlugin = '';
  beforeAll(async () => {
    [goHost, goPlugin] = await Promise.all([buildGoModern('exhost'), buildGoModern('explugin')]);
  });

  it(`Go host (AutoMTLS) → TS counter plugin: TLS both ways, ${proto === 'grpc' ? 'including the plugin dialing the Go host\'s broker listener' : 'broker streams inside the TLS connection'}`, async () => {
    const { command, args } = nodePlugin(`counter/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['counter', proto, command, ...args], { ...process.env, EXHOST_AUTOMTLS: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).find((s) => s.step === 'counter')).toMatchObject({ value: 42, helperCalls: 2 });
  });

  it('Go host (AutoMTLS) → TS kv plugin: 4 MiB values over TLS', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['kv', proto, command, ...args], { ...process.env, EXHOST_AUTOMTLS: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const putgets = jsonLines(res.stdout).filter((s) => s.step === 'putget');
    expect(putgets.map((s) => [s.size, s.same])).toEqual([[0, true], [1024, true], [4 << 20, true]]);
  });

  it(`TS host (autoMTLS) → Go counter plugin: the Go plugin serves TLS with its printed certificate and calls back ${proto === 'grpc' ? 'by dialing the TS broker listener with TLS' : 'over MuxBroker streams of the TLS connection'}`, async () => {
    const client = new Client({ handshake, plugins: { counter: counter }, cmd: { command: goPlugin, args: ['counter', proto] }, allowedProtocols: [proto], autoMTLS: true });
    const address = await client.start();
    await exerciseCounter(client);
    // The Go plugin takes no plaintext client.
    const stranger = await strangerAttempts(address, await presentedCertificate(address));
    expect(stranger.plaintextBytes).toBe(0);
    await client.kill();
  });

  // Knock multiplexing exists for gRPC only (netrpc's broker always rides its one yamux session).
  if (proto === 'grpc') it('with GRPCBrokerMultiplex too, both ways: TLS on each multiplexed connection (go-plugin\'s layering)', async () => {
    const { command, args } = nodePlugin(`counter/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['counter', proto, command, ...args], { ...process.env, EXHOST_AUTOMTLS: '1', EXHOST_MULTIPLEX: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).find((s) => s.step === 'counter')).toMatchObject({ value: 42, helperCalls: 2 });
    const client = new Client({ handshake, plugins: { counter }, cmd: { command: goPlugin, args: ['counter', proto] }, allowedProtocols: [proto], autoMTLS: true, grpcBrokerMultiplex: true });
    await exerciseCounter(client);
    await client.kill();
  });

  it('TS host (autoMTLS) → Go kv plugin', async () => {
    const client = new Client({ handshake, plugins: { kv }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto], autoMTLS: true });
    const store = await client.dispense('kv');
    await store.put('k', new Uint8Array([1, 2, 3]));
    expect(Array.from(await store.get('k'))).toEqual([1, 2, 3]);
    await client.kill();
  });
});

// The block above serves the TS gRPC plugins on plugwire's h2 server (the default); grpc-js's server too.
describe.skipIf(goSkipReason() !== undefined)("AutoMTLS, go-plugin v1.8 host → TS gRPC plugin on grpc-js's server", () => {
  let goHost = '';
  const env = { ...process.env, EXHOST_AUTOMTLS: '1', PLUGWIRE_EXAMPLE_GRPC_SERVER: 'grpc-js' };
  beforeAll(async () => {
    goHost = await buildGoModern('exhost');
  });

  it.each(['', '1'])('counter over TLS, the plugin dialing the host broker (EXHOST_MULTIPLEX=%j)', async (multiplex) => {
    const { command, args } = nodePlugin('counter/plugin-grpc.js');
    const res = await runCommand(goHost, ['counter', 'grpc', command, ...args], { ...env, EXHOST_MULTIPLEX: multiplex });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).find((s) => s.step === 'counter')).toMatchObject({ value: 42, helperCalls: 2 });
  });

  it('kv: 4 MiB values over TLS', async () => {
    const { command, args } = nodePlugin('kv/plugin-grpc.js');
    const res = await runCommand(goHost, ['kv', 'grpc', command, ...args], env);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).filter((s) => s.step === 'putget').map((s) => [s.size, s.same])).toEqual([[0, true], [1024, true], [4 << 20, true]]);
  });
});

describe.skipIf(goSkipReason() !== undefined).each(protocols)('AutoMTLS against go-plugin v1.0.1 over %s', (proto) => {
  let goHost = '';
  let goPlugin = '';
  beforeAll(async () => {
    [goHost, goPlugin] = await Promise.all([buildGo('exhost'), buildGo('explugin')]);
  });

  it('Go v1.0.1 host (AutoMTLS) → TS kv plugin works: the host verifies the plugin, the plugin verifies the host', async () => {
    const { command, args } = nodePlugin(`kv/plugin-${proto}.js`);
    const res = await runCommand(goHost, ['kv', proto, command, ...args], { ...process.env, EXHOST_AUTOMTLS: '1' });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLines(res.stdout).filter((s) => s.step === 'putget')).toHaveLength(3);
  });

  it(`TS host (autoMTLS) → Go v1.0.1 counter plugin: ${proto === 'grpc' ? 'the Go plugin cannot dial the host\'s broker listener (v1.0.1 verifies one way only)' : 'MuxBroker streams ride the TLS connection, so callbacks work'}`, async () => {
    // go-plugin v1.0.1's plugin-side TLS config has no RootCAs (issue #109, fixed in v1.4.4): when it dials a
    // GRPCBroker listener of the host it checks the host's certificate against the system roots and fails. Only
    // the host → plugin direction is verified. netrpc's broker streams ride the one TLS connection instead.
    const client = new Client({ handshake, plugins: { counter: counter }, cmd: { command: goPlugin, args: ['counter', proto] }, allowedProtocols: [proto], autoMTLS: true });
    if (proto === 'netrpc') {
      await exerciseCounter(client);
    } else {
      const ctr = await client.dispense('counter');
      const err = (await ctr.put('n', 2, adder()).catch((e: unknown) => e)) as PluginError;
      expect(err).toBeInstanceOf(PluginError);
      expect(err.message).toMatch(/certificate|x509|authority/i);
    }
    await client.kill();
  });

  it('TS host (autoMTLS) → Go v1.0.1 kv plugin works', async () => {
    const client = new Client({ handshake, plugins: { kv }, cmd: { command: goPlugin, args: ['kv', proto] }, allowedProtocols: [proto], autoMTLS: true });
    const store = await client.dispense('kv');
    await store.put('k', new Uint8Array([7]));
    expect(Array.from(await store.get('k'))).toEqual([7]);
    await client.kill();
  });
});
