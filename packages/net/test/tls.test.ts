import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { Listener } from '@plugwire/core';
import { dial, dialTls, generateIdentity, listenUnix, mutualTls, secureServerSocket, type TransportTls } from '../src/index.js';

const host = generateIdentity();
const plugin = generateIdentity();
const hostTls = mutualTls(host, plugin.der);
const pluginTls = mutualTls(plugin, host.der);

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

/** A plugin-side echo server over TLS; resolves each accepted connection's outcome. */
async function serveEcho(tls: TransportTls, alpn?: string[]): Promise<{ outcomes: Promise<unknown>[] }> {
  listener = await listenUnix();
  const outcomes: Promise<unknown>[] = [];
  listener.server.on('connection', (socket: Socket) => {
    outcomes.push(
      secureServerSocket(socket, tls, alpn ? { alpn } : {}).then(
        (s) => {
          s.pipe(s);
          return 'ok';
        },
        (err: unknown) => err,
      ),
    );
  });
  return { outcomes };
}

describe('AutoMTLS between host and plugin identities', () => {
  it('connects when each side presents the certificate the other pinned, TLS 1.2+, with ALPN h2', async () => {
    const { outcomes } = await serveEcho(pluginTls, ['h2']);
    const socket = await dialTls(listener!.address, hostTls, { alpn: ['h2'] });
    expect(socket.alpnProtocol).toBe('h2');
    expect(['TLSv1.2', 'TLSv1.3']).toContain(socket.getProtocol());
    expect(Buffer.from(socket.getPeerCertificate().raw).equals(plugin.der)).toBe(true);
    socket.write('ping');
    const echoed = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    expect(echoed).toBe('ping');
    socket.destroy();
    expect(await outcomes[0]).toBe('ok');
  });

  it('the plugin refuses a client without a certificate, and one with another certificate', async () => {
    const { outcomes } = await serveEcho(pluginTls);
    // No client certificate at all.
    const bare = await dial(listener!.address);
    const noCert = tlsConnect({ socket: bare, ca: plugin.certPem, servername: 'localhost' });
    await new Promise((resolve) => {
      noCert.once('error', resolve);
      noCert.once('close', resolve);
    });
    noCert.destroy();
    // A stranger's certificate (a valid AutoMTLS identity, but not the host's).
    // With TLS 1.3 the client finishes its side before the server judges its certificate, so the refusal shows
    // as the server closing the connection without ever answering.
    const stranger = mutualTls(generateIdentity(), plugin.der);
    const strangerSocket = await dialTls(listener!.address, stranger);
    const received: Buffer[] = [];
    strangerSocket.on('data', (d: Buffer) => received.push(d));
    strangerSocket.on('error', () => {});
    strangerSocket.write('ping');
    await new Promise((resolve) => strangerSocket.once('close', resolve));
    expect(Buffer.concat(received).length).toBe(0);
    const [a, b] = await Promise.all(outcomes);
    expect(a).toMatchObject({ code: 'unavailable' });
    expect(b).toMatchObject({ code: 'unavailable' });
  });

  it('the host refuses a plugin whose certificate is not the one it announced', async () => {
    const impostor = generateIdentity();
    await serveEcho(mutualTls(impostor, host.der));
    await expect(dialTls(listener!.address, hostTls)).rejects.toThrow(/TLS handshake with the plugin failed: .*the peer did not present the certificate it announced/);
  });

  it('a plaintext client gets nothing from a TLS listener', async () => {
    const { outcomes } = await serveEcho(pluginTls);
    const plain = await dial(listener!.address);
    plain.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((resolve) => plain.once('close', resolve));
    expect(await outcomes[0]).toMatchObject({ code: 'unavailable' });
  });
});
