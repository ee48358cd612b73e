import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { expect, it } from 'vitest';
import { emulatorCertificates } from '../../../src/testing/certificates.js';

it('a CA, a server certificate it signed for the names given, and a wallet of client certificate, key and CA', () => {
  const c = emulatorCertificates(['localhost', '127.0.0.1', '10.0.0.7'], 'test emulator');
  const ca = new X509Certificate(c.ca);
  const server = new X509Certificate(c.serverCert);
  expect(ca.ca).toBe(true);
  expect(ca.subject).toContain('CN=test emulator CA');
  expect(server.ca).toBe(false);
  expect(server.checkIssued(ca)).toBe(true);
  expect(server.verify(ca.publicKey)).toBe(true);
  expect(server.checkHost('localhost')).toBe('localhost');
  expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(server.checkIP('10.0.0.7')).toBe('10.0.0.7');
  expect(server.checkHost('example.com')).toBeUndefined();
  expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  expect(createPublicKey(createPrivateKey(c.serverKey)).export({ type: 'spki', format: 'der' })).toEqual(server.publicKey.export({ type: 'spki', format: 'der' }));
  // Valid now on the real clock, which is what TLS checks.
  expect(Date.parse(server.validFrom)).toBeLessThan(Date.now());
  expect(Date.parse(server.validTo)).toBeGreaterThan(Date.now() + 300 * 24 * 3600_000);
  // node-oracledb loads the wallet as certificate, key and CA at once.
  expect(() => createSecureContext({ cert: c.wallet, key: c.wallet, ca: c.wallet })).not.toThrow();
  const client = new X509Certificate(c.wallet);
  expect(client.checkIssued(ca)).toBe(true);
  expect(c.wallet).toContain(c.ca);
});

it('IPv6 addresses in the names too', () => {
  const server = new X509Certificate(emulatorCertificates(['localhost', '::1', 'fe80::12:3', '::ffff:10.0.0.7'], 'x').serverCert);
  expect(server.checkIP('::1')).toBe('::1');
  expect(server.checkIP('fe80::12:3')).toBe('fe80::12:3');
  expect(server.checkIP('::ffff:10.0.0.7')).toBe('::ffff:10.0.0.7');
  expect(server.checkIP('::2')).toBeUndefined();
});

it('every call makes new keys', () => {
  const a = emulatorCertificates(['localhost'], 'x');
  const b = emulatorCertificates(['localhost'], 'x');
  expect(a.serverKey).not.toBe(b.serverKey);
  expect(a.ca).not.toBe(b.ca);
});
