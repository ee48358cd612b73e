// A throw-away CA-less self-signed certificate for 127.0.0.1 / localhost, made with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = new Map();

/**
 * Returns { cert, key } (PEM text); the certificate is its own CA.
 * `names` is its subjectAltName (by default localhost and 127.0.0.1).
 * Nothing is left on disk: servers write the PEMs into their own data
 * directories, which go with them.
 */
export function selfSignedCert({ names = 'DNS:localhost,IP:127.0.0.1' } = {}) {
  const cached = cache.get(names);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-tls-'));
  try {
    const certFile = join(dir, 'server.crt');
    const keyFile = join(dir, 'server.key');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${/DNS:([^,]+)/.exec(names)?.[1] ?? 'localhost'}`,
      '-addext', `subjectAltName=${names}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'pipe' });
    const made = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    cache.set(names, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
