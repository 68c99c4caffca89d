import { CORE_PROTOCOL_VERSION, PluginError } from '@plugwire/core';
import type { ProtocolName } from '@plugwire/core';
import { MAX_HANDSHAKE_LINE, quoteLine, unrecognizedMessage } from './diagnose.js';
import { goQuote, parseGoBool, parseGoInt, trimSpace } from './go-text.js';

/** A parsed handshake line (PROTOCOL.md §1.4). */
export interface Handshake {
  /** Field 1, always {@link CORE_PROTOCOL_VERSION}. */
  coreVersion: number;
  /** Field 2: the plugin protocol version the plugin chose. */
  protocolVersion: number;
  /** Field 3. */
  network: 'unix' | 'tcp';
  /** Field 4: socket path or `host:port`. */
  address: string;
  /** Field 5; `netrpc` when the line has only 4 fields. */
  protocol: ProtocolName;
  /** Field 6: the AutoMTLS server certificate (unpadded base64 DER); only when longer than 50 characters. */
  serverCert?: string;
  /** Field 7: whether the plugin supports gRPC broker multiplexing; only when present and not empty. */
  muxSupported?: boolean;
}

const SERVER_CERT_MIN = 50;

function fail(message: string): never {
  throw new PluginError('handshake', message);
}

function checkAddress(line: string, network: 'unix' | 'tcp', address: string): void {
  if (network === 'unix') {
    if (address === '' || address.includes('\0')) {
      fail(`invalid unix socket path ${goQuote(address)} on the plugin's handshake line: ${quoteLine(line)}`);
    }
    return;
  }
  const m = /^(.*):([0-9]{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) {
    fail(`invalid tcp address ${goQuote(address)} on the plugin's handshake line (want host:port): ${quoteLine(line)}`);
  }
}

function checkCert(cert: string): void {
  // base64.RawStdEncoding: standard alphabet, no padding; a length of 1 mod 4 cannot be decoded.
  if (!/^[A-Za-z0-9+/]*$/.test(cert) || cert.length % 4 === 1) {
    fail(
      `error parsing server cert: field 6 of the handshake line is not unpadded standard base64 ` +
        `(${quoteLine(cert)}); the plugin must print its certificate with base64.RawStdEncoding`,
    );
  }
}

/**
 * Parses the first stdout line of a plugin the way go-plugin's client does: trims it, splits it on `|`, and checks
 * each field. Fields past the 7th are ignored, as go-plugin does.
 * @param line - the line, with or without its newline
 * @throws PluginError `handshake` with go-plugin's wording for every malformed line
 */
export function parseHandshake(line: string): Handshake {
  if (line.length > MAX_HANDSHAKE_LINE) {
    fail(
      `${unrecognizedMessage(line.slice(0, 512))}\nThe line is longer than ${MAX_HANDSHAKE_LINE} bytes, ` +
        'which no handshake line is.',
    );
  }
  const trimmed = trimSpace(line);
  const parts = trimmed.split('|', 8);
  if (parts.length < 4) fail(unrecognizedMessage(trimmed));
  const [coreText, versionText, networkText, address, protocolText, certText, muxText] = parts as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
    string | undefined,
  ];

  const coreVersion = parseGoInt(coreText);
  if (coreVersion === undefined) {
    fail(`error parsing core protocol version: strconv.Atoi: parsing ${goQuote(coreText)}: invalid syntax`);
  }
  if (coreVersion !== CORE_PROTOCOL_VERSION) {
    fail(
      `incompatible core API version with plugin. Plugin version: ${coreText}, Core version: ${CORE_PROTOCOL_VERSION}\n\n` +
        'To fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author',
    );
  }

  const protocolVersion = parseGoInt(versionText);
  if (protocolVersion === undefined) {
    fail(`Error parsing protocol version ${goQuote(versionText)}: strconv.Atoi: invalid syntax`);
  }

  if (networkText !== 'unix' && networkText !== 'tcp') {
    fail(`unknown address type: ${quoteLine(address)} (network ${goQuote(networkText)} is neither "unix" nor "tcp")`);
  }
  checkAddress(trimmed, networkText, address);

  let protocol: ProtocolName = 'netrpc';
  if (protocolText !== undefined) {
    if (protocolText !== 'netrpc' && protocolText !== 'grpc') {
      fail(`unknown server protocol: ${quoteLine(protocolText)} (a plugin speaks "netrpc" or "grpc")`);
    }
    protocol = protocolText;
  }

  const handshake: Handshake = { coreVersion, protocolVersion, network: networkText, address, protocol };
  if (certText !== undefined && certText.length > SERVER_CERT_MIN) {
    checkCert(certText);
    handshake.serverCert = certText;
  }
  if (muxText !== undefined && muxText !== '') {
    const mux = parseGoBool(muxText);
    if (mux === undefined) {
      fail(`error parsing ${goQuote(quoteLine(muxText))} as a boolean for gRPC broker multiplexing support`);
    }
    handshake.muxSupported = mux;
  }
  return handshake;
}
