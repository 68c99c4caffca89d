import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeHandshakeCert, encodeHandshakeCert, generateIdentity, pemToDer } from '../src/index.js';

describe('generateIdentity (go-plugin AutoMTLS certificate)', () => {
  const id = generateIdentity(new Date('2026-01-01T00:00:00Z'));

  it('is a self-signed P-521 CA certificate for localhost, O=HashiCorp, valid ~30 years from 30 s ago', () => {
    const c = id.certificate;
    expect(c.subject).toBe('O=HashiCorp\nCN=localhost');
    expect(c.issuer).toBe(c.subject);
    expect(c.ca).toBe(true);
    expect(c.subjectAltName).toBe('DNS:localhost');
    expect(c.checkHost('localhost')).toBe('localhost');
    expect(c.verify(c.publicKey)).toBe(true);
    expect(c.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp521r1');
    expect(new Date(c.validFrom).toISOString()).toBe('2025-12-31T23:59:30.000Z');
    expect(new Date(c.validTo).getTime() - new Date('2026-01-01T00:00:00Z').getTime()).toBe(262_980 * 3600_000);
    expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1']);
    expect(BigInt(`0x${c.serialNumber}`) < 2n ** 128n).toBe(true);
    expect(id.keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(pemToDer(id.certPem)).toEqual(id.der);
  });

  it('has the key usages, basic constraints and extensions openssl reads as go-plugin sets them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cert-test-'));
    try {
      writeFileSync(join(dir, 'c.pem'), id.certPem);
      const text = execFileSync('openssl', ['x509', '-in', join(dir, 'c.pem'), '-noout', '-text'], { encoding: 'utf8' });
      expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA512/);
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment, Key Agreement, Certificate Sign/);
      expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Client Authentication, TLS Web Server Authentication/);
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
      expect(text).toMatch(/Not After : Jan  1 12:00:00 2056 GMT/);
      // openssl's own verification of the self-signed chain.
      const ok = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'c.pem'), join(dir, 'c.pem')], { encoding: 'utf8' });
      expect(ok.trim()).toMatch(/: OK$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('differs per call (fresh key and serial)', () => {
    const other = generateIdentity();
    expect(other.der.equals(id.der)).toBe(false);
    expect(other.certificate.serialNumber).not.toBe(id.certificate.serialNumber);
  });

  it('round-trips through the handshake field encoding (unpadded standard base64) and refuses padding', () => {
    const field = encodeHandshakeCert(id.der);
    expect(field).not.toMatch(/=/);
    expect(field.length).toBeGreaterThan(50);
    expect(decodeHandshakeCert(field)).toEqual(id.der);
    expect(() => decodeHandshakeCert(`${field.slice(0, -1)}=`)).toThrow(/error parsing server cert/);
  });
});
