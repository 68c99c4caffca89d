import { PluginError } from '@plugwire/core';

/**
 * Wraps DER bytes in a PEM block.
 * @param der - the encoded object
 * @param label - the block type, e.g. `CERTIFICATE`
 */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER bytes of the first PEM block with the given label.
 * @param pem - PEM text (other blocks and text around it are ignored)
 * @param label - the block type to find
 * @throws PluginError `invalid_argument` when there is no such block
 */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!match) throw new PluginError('invalid_argument', `no PEM ${label} block found; pass a PEM-encoded ${label.toLowerCase()}`);
  return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
}

/**
 * go-plugin's encoding of the certificate in the 6th handshake field: standard base64 without `=` padding
 * (`base64.RawStdEncoding`) of the DER certificate.
 * @param der - the certificate
 */
export function encodeHandshakeCert(der: Uint8Array): string {
  return Buffer.from(der).toString('base64').replace(/=+$/, '');
}

/**
 * Decodes the 6th handshake field (unpadded standard base64) to DER bytes.
 * @param field - the field as printed
 * @throws PluginError `handshake` on characters outside the standard alphabet or padding (Go refuses both)
 */
export function decodeHandshakeCert(field: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(field) || field.length % 4 === 1) {
    throw new PluginError('handshake', 'error parsing server cert: illegal base64 data; the plugin printed a malformed certificate');
  }
  return Buffer.from(field, 'base64');
}
