// A throw-away CA-less self-signed certificate for 127.0.0.1 / localhost, made with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached;

/** Returns { certFile, keyFile, cert, key }; the certificate is its own CA. */
export function selfSignedCert() {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-tls-'));
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  cached = { dir, certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  // Servers copy the files into their own data directories; ours go with the process.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return cached;
}
