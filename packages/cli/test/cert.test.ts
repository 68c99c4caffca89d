// The 6th handshake field, decoded for the doctor's report.
import { describe, expect, it } from 'vitest';
import { generateIdentity } from '@plugwire/net';
import { certSummary } from '../src/doctor.js';

describe('certSummary', () => {
  it('decodes an AutoMTLS certificate as go-plugin prints it (unpadded base64 DER)', () => {
    const id = generateIdentity();
    const field = Buffer.from(id.der).toString('base64').replace(/=+$/, '');
    const text = certSummary(field);
    expect(text).toContain('CN=localhost');
    expect(text).toContain('ECDSA secp521r1');
    expect(text).toMatch(/SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('says when there is none, or when the field is not a certificate', () => {
    expect(certSummary(undefined)).toBe('none (no AutoMTLS)');
    expect(certSummary('A'.repeat(60))).toContain('bytes that are not an X.509 certificate');
  });
});
