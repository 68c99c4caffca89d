import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, connect as tlsConnect, createServer, type TLSSocket, type ConnectionOptions, type PeerCertificate, type SecureContextOptions } from 'node:tls';
import { PluginError, abortError, throwIfAborted, type AbortOptions, type PluginAddress } from '@plugwire/core';
import type { Identity } from './cert.js';
import { dial } from './dial.js';
import { derToPem } from './pem.js';

/**
 * TLS for one side of a plugin connection, in both roles: the host dials the plugin and serves broker listeners,
 * the plugin serves and dials the host's broker listeners; go-plugin uses one `tls.Config` for both.
 */
export interface TransportTls {
  /** Key, certificates and protocol limits shared by both roles. */
  readonly context: SecureContextOptions;
  /** Name the peer's certificate must carry when this side connects. @default 'localhost' */
  readonly servername: string;
  /** Whether accepted connections must present a certificate the `ca` in `context` verifies. */
  readonly requireClientCert: boolean;
  /** When set, the peer must present exactly this certificate (DER), in either role. */
  readonly pin?: Buffer;
  /**
   * When set, accepted clients are checked against these certificates as go-plugin's `ClientCAs` pool does (the
   * client's certificate is one of them or is signed by one), instead of by OpenSSL's chain rules, which refuse a
   * self-signed client certificate without the CA flag (pyvider-rpcplugin's hosts send one).
   */
  readonly clientAnchors?: readonly X509Certificate[];
}

/** The part of go-plugin's `TLSConfig` / `TLSProvider` a user brings: their own keys and CA. */
export interface TlsSettings extends SecureContextOptions {
  /** Name the peer's certificate must carry when this side connects. @default 'localhost' */
  readonly servername?: string;
  /** Require a verified client certificate on accepted connections. @default true when `ca` is set */
  readonly requireClientCert?: boolean;
}

/**
 * TLS from the user's own certificates (go-plugin's `TLSConfig` on the host, `TLSProvider` on the plugin).
 * At least TLS 1.2 unless `minVersion` says otherwise.
 * @param settings - key, certificate chain, CA, and the options below
 */
export function userTls(settings: TlsSettings): TransportTls {
  const { servername, requireClientCert, ...context } = settings;
  return {
    context: { minVersion: 'TLSv1.2', ...context },
    servername: servername ?? 'localhost',
    requireClientCert: requireClientCert ?? context.ca !== undefined,
  };
}

/**
 * AutoMTLS between this side's ephemeral identity and the peer's certificate (the host's from
 * `PLUGIN_CLIENT_CERT`, the plugin's from the 6th handshake field): TLS 1.2 or later, both sides present their
 * certificate, and each accepts exactly the other's certificate and no other (pinned, stricter than Go's CA pool
 * holding that one certificate, with the same result for go-plugin peers).
 * @param own - this side's identity (`generateIdentity()`)
 * @param peerCert - the peer's certificate, DER
 */
export function mutualTls(own: Pick<Identity, 'certPem' | 'keyPem'>, peerCert: Uint8Array): TransportTls {
  const pin = Buffer.from(peerCert);
  return {
    context: { cert: own.certPem, key: own.keyPem, ca: derToPem(pin), minVersion: 'TLSv1.2' },
    servername: 'localhost',
    requireClientCert: true,
    pin,
  };
}

/**
 * The plugin's side of AutoMTLS, as go-plugin's server sets it up: its own ephemeral identity, and the host's
 * `PLUGIN_CLIENT_CERT` (PEM, one or more certificates) as the only CA a connecting client's certificate may chain to.
 * go-plugin puts those certificates in its `ClientCAs` pool; a host may present that certificate itself (Go, plugwire)
 * or one issued by it (pyvider-rpcplugin does), so the plugin checks the chain, not the exact bytes. TLS 1.2+.
 * @param own - the plugin's identity (`generateIdentity()`)
 * @param clientCertPem - the host's certificate(s) from `PLUGIN_CLIENT_CERT`
 * @throws PluginError `handshake` when it holds no certificate
 */
export function pluginAutoMtls(own: Pick<Identity, 'certPem' | 'keyPem'>, clientCertPem: string): TransportTls {
  const anchors = (clientCertPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((pem) => parseCertificate(pem));
  if (anchors.length === 0) throw new PluginError('handshake', 'PLUGIN_CLIENT_CERT holds no PEM certificate; the host sent a malformed AutoMTLS certificate');
  return {
    context: { cert: own.certPem, key: own.keyPem, ca: clientCertPem, minVersion: 'TLSv1.2' },
    servername: 'localhost',
    requireClientCert: true,
    clientAnchors: anchors,
  };
}

/** go-plugin's pool check: the client's certificate is an anchor, or an anchor issued and signed it. */
function anchorError(anchors: readonly X509Certificate[], peer: X509Certificate | undefined): Error | undefined {
  if (!peer) return new Error('the client presented no certificate');
  const ok = anchors.some((a) => a.raw.equals(peer.raw) || (peer.checkIssued(a) && peer.verify(a.publicKey)));
  return ok ? undefined : new Error('the client certificate is not the host\'s AutoMTLS certificate nor issued by it');
}

/**
 * Parses a certificate from `PLUGIN_CLIENT_CERT` (PEM) or the handshake's 6th field (already DER).
 * @param cert - PEM text or DER bytes
 * @throws PluginError `handshake` when it is not a certificate
 */
export function parseCertificate(cert: string | Uint8Array): X509Certificate {
  try {
    return new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert));
  } catch (err) {
    throw new PluginError('handshake', `the peer's certificate cannot be parsed: ${(err as Error).message}`, { cause: err });
  }
}

function pinError(tls: TransportTls, cert: PeerCertificate | undefined): Error | undefined {
  if (!tls.pin) return undefined;
  if (!cert?.raw || !Buffer.from(cert.raw).equals(tls.pin)) {
    return new Error('the peer presented a certificate other than the one it announced (AutoMTLS pin mismatch)');
  }
  return undefined;
}

/**
 * The `node:tls` client options of `tls` (ALPN added when given): what grpc-js channel credentials and
 * `tls.connect` take.
 * @param tls - the side's TLS
 * @param alpn - protocols to offer, e.g. `['h2']` for gRPC
 */
export function clientOptions(tls: TransportTls, alpn?: readonly string[]): ConnectionOptions {
  return {
    ...tls.context,
    servername: tls.servername,
    ...(alpn && { ALPNProtocols: [...alpn] }),
    checkServerIdentity: (host, cert) => pinError(tls, cert) ?? (tls.pin ? undefined : checkServerIdentity(tls.servername, cert)),
  };
}


function waitSecure(socket: TLSSocket, event: 'secureConnect', what: string, signal: AbortSignal | undefined, hint: string): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const cleanup = (): void => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off(event, onSecure);
    };
    const fail = (err: PluginError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(abortError(signal as AbortSignal, what));
    const onError = (err: Error): void => fail(new PluginError('unavailable', `${what} failed: ${err.message}${hint}`, { cause: err }));
    const onClose = (): void => fail(new PluginError('unavailable', `${what} failed: the peer closed the connection`));
    const onSecure = (): void => {
      cleanup();
      resolve(socket);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once(event, onSecure);
  });
}

/**
 * Runs the client side of a TLS handshake on a connected socket; resolves when it completed and the peer's
 * certificate checked out (pinned certificate, or CA and server name).
 * @param socket - a connected socket
 * @param tls - the side's TLS
 * @param options - ALPN protocols to offer and an abort signal
 * @throws PluginError `unavailable` when the handshake fails, `aborted`
 */
export async function secureClientSocket(socket: Socket, tls: TransportTls, options: AbortOptions & { alpn?: readonly string[] } = {}): Promise<TLSSocket> {
  throwIfAborted(options.signal, 'TLS handshake');
  const secured = tlsConnect({ ...clientOptions(tls, options.alpn), socket });
  const hint = tls.pin ? '; the peer did not present the certificate it announced (AutoMTLS)' : '; check the TLS certificates and CA on both sides';
  return waitSecure(secured, 'secureConnect', 'TLS handshake with the plugin', options.signal, hint);
}

/**
 * Dials `address` and runs the TLS client handshake: a connected, verified TLS socket. With `alpn: ['h2']` it is
 * ready for an HTTP/2 client (check `socket.alpnProtocol === 'h2'`).
 * @param address - unix path or `host:port`
 * @param tls - the side's TLS
 * @param options - ALPN protocols and an abort signal
 */
export async function dialTls(address: PluginAddress, tls: TransportTls, options: AbortOptions & { alpn?: readonly string[] } = {}): Promise<TLSSocket> {
  const socket = await dial(address, options);
  return secureClientSocket(socket, tls, options);
}

/**
 * Runs the server side of a TLS handshake on an accepted socket; resolves when the client presented a certificate
 * that checks out (the pinned one, or one the CA verifies when `requireClientCert`). Fails otherwise, and the
 * socket is destroyed. The socket goes through a `tls.Server` of its own (connection injection, as Node documents
 * it), so certificate verification is Node's.
 * @param socket - an accepted socket, or any duplex stream (a multiplexed stream)
 * @param tls - the side's TLS
 * @param options - ALPN protocols to accept (e.g. `['h2']` for gRPC) and an abort signal
 * @throws PluginError `unavailable` when the handshake or the certificate check fails, `aborted`
 */
export function secureServerSocket(socket: Socket | Duplex, tls: TransportTls, options: AbortOptions & { alpn?: readonly string[] } = {}): Promise<TLSSocket> {
  const what = 'TLS handshake with the connecting peer';
  if (options.signal?.aborted) {
    socket.destroy();
    return Promise.reject(abortError(options.signal, what));
  }
  const server = createServer({
    ...tls.context,
    requestCert: tls.requireClientCert,
    // With anchors the certificate is checked below, as go-plugin does; the handshake itself still proves that the
    // client holds the certificate's key (TLS CertificateVerify).
    rejectUnauthorized: tls.requireClientCert && tls.clientAnchors === undefined,
    ...(options.alpn && { ALPNProtocols: [...options.alpn] }),
  });
  return new Promise<TLSSocket>((resolve, reject) => {
    const cleanup = (): void => {
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('close', onClose);
      server.removeAllListeners();
    };
    const fail = (err: PluginError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(abortError(options.signal as AbortSignal, what));
    const onClose = (): void => fail(new PluginError('unavailable', `${what} failed: the connection closed before the handshake completed (no acceptable certificate?)`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('close', onClose);
    server.once('tlsClientError', (err: Error) => fail(new PluginError('unavailable', `${what} failed: ${err.message}`, { cause: err })));
    server.once('secureConnection', (secured: TLSSocket) => {
      const problem = tls.clientAnchors
        ? anchorError(tls.clientAnchors, secured.getPeerX509Certificate())
        : (pinError(tls, secured.getPeerCertificate()) ?? (tls.requireClientCert && !secured.authorized ? new Error(String(secured.authorizationError)) : undefined));
      if (problem) {
        secured.destroy();
        fail(new PluginError('unavailable', `${what} failed: ${problem.message}`));
        return;
      }
      cleanup();
      resolve(secured);
    });
    server.emit('connection', socket);
  });
}
