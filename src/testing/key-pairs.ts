import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Key pairs for the emulators and tests, made so that exporting them later
 * cannot deadlock Node.
 *
 * Node 20 can hang for good when a key made by `generateKeyPair` or
 * `generateKeyPairSync` is exported (to JWK, PEM, ...) while a garbage
 * collection finalizes that key's generation job: the export holds the
 * key's mutex while it allocates, and the job's destructor takes the same
 * mutex. So each pair is generated straight into PEM, and the key objects
 * handed out are parsed from it: they share no mutex with any job.
 */

/** A key pair, as KeyObjects. */
export interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

function fromPem(pem: { publicKey: string; privateKey: string }): KeyPair {
  return { publicKey: createPublicKey(pem.publicKey), privateKey: createPrivateKey(pem.privateKey) };
}

/** An RSA key pair of `bits`, generated off the event loop. */
export function rsaKeyPair(bits = 2048): Promise<KeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve(fromPem({ publicKey, privateKey }))),
    ),
  );
}

/** {@link rsaKeyPair}, at once. */
export function rsaKeyPairSync(bits = 2048): KeyPair {
  return fromPem(generateKeyPairSync('rsa', { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));
}

/** A P-256 (ES256) key pair, at once. */
export function ecKeyPairSync(): KeyPair {
  return fromPem(generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }));
}
