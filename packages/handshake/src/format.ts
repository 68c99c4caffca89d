import { CORE_PROTOCOL_VERSION, PluginError } from '@plugwire/core';
import type { ProtocolName } from '@plugwire/core';

/** What a plugin announces on its handshake line. */
export interface HandshakeLineOptions {
  /** The negotiated plugin protocol version. */
  protocolVersion: number;
  /** `unix` or `tcp`. */
  network: 'unix' | 'tcp';
  /** Socket path or `host:port`. */
  address: string;
  /** The protocol the plugin serves. */
  protocol: ProtocolName;
  /** AutoMTLS server certificate (unpadded base64 DER). @default empty */
  serverCert?: string;
  /** Append `|true`: set when the host asked for multiplexing (`PLUGIN_MULTIPLEX_GRPC` not empty). @default false */
  muxSupported?: boolean;
}

/**
 * Formats a plugin's handshake line as go-plugin's server prints it:
 * `1|<version>|<network>|<address>|<protocol>|<cert or empty>`, then `|true` only when `muxSupported`, then `\n`.
 * @param h - the fields
 * @throws PluginError `invalid_argument` when a field contains `|` or a line break, or the version is not an integer
 */
export function formatHandshake(h: HandshakeLineOptions): string {
  if (!Number.isSafeInteger(h.protocolVersion)) {
    throw new PluginError('invalid_argument', `protocolVersion must be an integer, got ${String(h.protocolVersion)}`);
  }
  const cert = h.serverCert ?? '';
  for (const [name, value] of [
    ['address', h.address],
    ['serverCert', cert],
  ] as const) {
    if (/[|\r\n]/.test(value)) {
      throw new PluginError('invalid_argument', `${name} cannot go on a handshake line: it contains "|" or a line break`);
    }
  }
  const fields = [CORE_PROTOCOL_VERSION, h.protocolVersion, h.network, h.address, h.protocol, cert];
  return `${fields.join('|')}${h.muxSupported ? '|true' : ''}\n`;
}
