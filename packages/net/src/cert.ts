import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { bitString, boolean, explicit, integer, octetString, oid, printableString, sequence, set, time, tlv } from './der.js';
import { derToPem } from './pem.js';

/** An ephemeral certificate and its private key, as go-plugin's AutoMTLS makes them. */
export interface Identity {
  /** The certificate, DER. */
  readonly der: Buffer;
  /** The certificate, PEM (`CERTIFICATE`). */
  readonly certPem: string;
  /** The private key, PEM (SEC1 `EC PRIVATE KEY`, as go-plugin writes it). */
  readonly keyPem: string;
  /** The private key. */
  readonly privateKey: KeyObject;
  /** The parsed certificate. */
  readonly certificate: X509Certificate;
}

const OID = {
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** go-plugin's validity: from 30 s ago for 262980 hours (about 30 years). */
const BACKDATE_MS = 30_000;
const LIFETIME_MS = 262_980 * 3600_000;

const attribute = (type: string, value: string): Buffer => set(sequence(oid(type), printableString(value)));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));

/** A random serial number in [1, 2^128), as go-plugin draws it. */
function serialNumber(): bigint {
  for (;;) {
    const n = BigInt(`0x${randomBytes(16).toString('hex')}`);
    if (n > 0n) return n;
  }
}

/**
 * Generates the ephemeral identity go-plugin's AutoMTLS uses (`generateCert` in mtls.go): an ECDSA P-521 key and a
 * self-signed certificate with subject `CN=localhost, O=HashiCorp`, DNS name `localhost`, CA, key usages digital
 * signature + key encipherment + key agreement + cert sign, extended usages client and server auth, valid from
 * 30 s ago for about 30 years, signed with ECDSA-SHA512.
 *
 * Node's crypto makes the key but cannot build certificates, so the certificate is encoded here (see README).
 * @param now - the issue time (tests pass a fixed one)
 */
export function generateIdentity(now: Date = new Date()): Identity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The subject key identifier as Go computes it: SHA-1 of the public key bits (the SPKI's BIT STRING contents).
  const rawPublicKey = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(rawPublicKey.x!, 'base64url'), Buffer.from(rawPublicKey.y!, 'base64url')]);
  const name = sequence(attribute(OID.organization, 'HashiCorp'), attribute(OID.commonName, 'localhost'));
  const algorithm = sequence(oid(OID.ecdsaWithSha512));
  const tbs = sequence(
    explicit(0, integer(2n)),
    integer(serialNumber()),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - BACKDATE_MS)), time(new Date(now.getTime() + LIFETIME_MS))),
    name,
    spki,
    explicit(
      3,
      sequence(
        // digitalSignature(0) | keyEncipherment(2) | keyAgreement(4) | keyCertSign(5): 0b10101100, 2 unused bits.
        extension(OID.keyUsage, true, bitString(Buffer.from([0xac]), 2)),
        extension(OID.extKeyUsage, false, sequence(oid(OID.clientAuth), oid(OID.serverAuth))),
        extension(OID.basicConstraints, true, sequence(boolean(true))),
        extension(OID.subjectKeyId, false, octetString(createHash('sha1').update(point).digest())),
        extension(OID.subjectAltName, false, sequence(tlv(0x82, Buffer.from('localhost', 'ascii')))),
      ),
    ),
  );
  const signature = sign('sha512', tbs, privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  return {
    der,
    certPem: derToPem(der),
    keyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    privateKey,
    certificate: new X509Certificate(der),
  };
}
