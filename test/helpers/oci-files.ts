import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir as makeTempDir } from './temp.js';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

export function fingerprintOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
}

export interface Keys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
  fingerprint: string;
}

export function rsaKeys(bits = 2048): Keys {
  const { privateKey, publicKey } = rsaKeyPairSync(bits);
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: fingerprintOf(publicKey),
  };
}

/** An RS256 JWT signed by `issuer`, like the security token `oci session authenticate` writes. */
export function securityToken(issuer: KeyObject, claims: { sub: string; exp: number; jwk?: unknown; [k: string]: unknown }): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'iam' })}.${b64(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), issuer).toString('base64url')}`;
}

/** A folder for OCI files, removed when the test file ends. */
export function tempDir(prefix = 'dbtoken-oci-'): string {
  return makeTempDir(prefix);
}

/** Writes an OCI config with one profile; returns the file paths. */
export function writeProfile(
  dir: string,
  opts: { profile?: string; keys: Keys; token?: string; extra?: string; keyPem?: string; fingerprint?: string; user?: string; tenancy?: string; region?: string },
): { configFile: string; keyFile: string; tokenFile?: string } {
  const keyFile = join(dir, `${opts.profile ?? 'DEFAULT'}-key.pem`);
  writeFileSync(keyFile, opts.keyPem ?? opts.keys.privatePem, { mode: 0o600 });
  let tokenFile: string | undefined;
  const lines = [
    `[${opts.profile ?? 'DEFAULT'}]`,
    `user=${opts.user ?? 'ocid1.user.oc1..aaaaalice'}`,
    `fingerprint=${opts.fingerprint ?? opts.keys.fingerprint}`,
    `key_file=${keyFile}`,
    `tenancy=${opts.tenancy ?? 'ocid1.tenancy.oc1..aaaatenancy'}`,
    `region=${opts.region ?? 'us-ashburn-1'}`,
  ];
  if (opts.token !== undefined) {
    tokenFile = join(dir, `${opts.profile ?? 'DEFAULT'}-token`);
    writeFileSync(tokenFile, opts.token, { mode: 0o600 });
    lines.push(`security_token_file=${tokenFile}`);
  }
  if (opts.extra) lines.push(opts.extra);
  const configFile = join(dir, 'config');
  writeFileSync(configFile, lines.join('\n') + '\n');
  return { configFile, keyFile, ...(tokenFile ? { tokenFile } : {}) };
}
