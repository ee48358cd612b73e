/**
 * Internal: pure RS256 JWT helpers of the Entra ID emulator and its verifier (sign, decode, verify a
 * compact JWS; an RSA key as a JWK and a JWKS), on `node:crypto` alone. The JSON and base64url
 * primitives are the ones the OCI emulators share (`../security-token.ts`). Nothing here
 * throws on a bad token, and no reason quotes one. Only the JWKS types are exported from
 * `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { constants, createHash, createPublicKey, sign as signData, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { decodeBase64url, isObject, parseJsonObject, type Verdict } from '../security-token.js';

/**
 * One RSA signing key of an {@link EntraJwks}, as Entra ID publishes it at
 * `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys` (without the `x5c` certificate chain,
 * which the emulator does not make).
 *
 * @example
 * ```ts
 * const key: EntraJwk = { kty: 'RSA', use: 'sig', kid: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', n: '0vx7agoebGc…', e: 'AQAB' };
 * ```
 */
export interface EntraJwk {
  /**
   * The key type: always `'RSA'`.
   *
   * @example
   * ```ts
   * expect(emulatorJwks.keys[0]?.kty).toBe('RSA');
   * ```
   */
  readonly kty: 'RSA';
  /**
   * What the key is for: `'sig'`, token signatures.
   *
   * @example
   * ```ts
   * expect(emulatorJwks.keys[0]?.use).toBe('sig');
   * ```
   */
  readonly use: 'sig';
  /**
   * The key id, which the `kid` header of each token signed with it names: the key's RFC 7638
   * SHA-256 thumbprint, base64url.
   *
   * @example
   * ```ts
   * const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
   * expect(emulatorJwks.keys.map((k) => k.kid)).toContain(kid);
   * ```
   */
  readonly kid: string;
  /**
   * The RSA modulus, base64url.
   *
   * @example
   * ```ts
   * const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
   * ```
   */
  readonly n: string;
  /**
   * The RSA public exponent, base64url (`'AQAB'` for 65537).
   *
   * @example
   * ```ts
   * expect(jwk.e).toBe('AQAB');
   * ```
   */
  readonly e: string;
}

/**
 * A JSON Web Key Set: what an OpenID provider's `jwks_uri` answers, and what {@link verifyEntraToken}
 * checks token signatures against.
 *
 * @example
 * ```ts
 * const jwks: EntraJwks = await (await fetch(emulator.jwksUri)).json(); // given a fetch that trusts emulator.ca
 * verifyEntraToken(token, { jwks, audience, issuer, user: 'app' });
 * ```
 */
export interface EntraJwks {
  /**
   * The keys. A token is checked against the one whose `kid` it names.
   *
   * @example
   * ```ts
   * const jwks = { keys: [{ kty: 'RSA', use: 'sig', kid, n, e: 'AQAB' }] };
   * ```
   */
  readonly keys: readonly EntraJwk[];
}

/** A compact JWS, taken apart: what {@link decodeJwt} gives. @internal */
export interface DecodedJwt {
  /** The protected header. */
  readonly header: Record<string, unknown>;
  /** The claims. */
  readonly payload: Record<string, unknown>;
  /** `<header>.<payload>` as sent: the bytes the signature covers. */
  readonly signingInput: string;
  /** The signature bytes. */
  readonly signature: Buffer;
}

/** The smallest RSA modulus accepted, for signing and for JWKS keys. @internal */
export const MIN_RSA_BITS = 2048;

const b64url = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64url');

/**
 * A compact RS256 JWS over `payload`: the header is `{ typ: 'JWT', alg: 'RS256', ...header }`, so `alg`
 * cannot be overridden. Throws a TypeError when `key` is not an RSA private key.
 *
 * @internal
 */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') throw new TypeError('an RS256 JWT needs an RSA private key');
  const input = `${b64url(JSON.stringify({ typ: 'JWT', ...header, alg: 'RS256' }))}.${b64url(JSON.stringify(payload))}`;
  const signature = signData('sha256', Buffer.from(input, 'ascii'), { key, padding: constants.RSA_PKCS1_PADDING });
  return `${input}.${b64url(signature)}`;
}

/**
 * Takes a compact JWS apart without checking its signature: three base64url segments, the first two
 * JSON objects (UTF-8). Never throws. Reasons: `token is not a JWT`, `token header is not a JSON object`,
 * `token payload is not a JSON object`.
 *
 * @internal
 */
export function decodeJwt(token: unknown): Verdict<DecodedJwt> {
  if (typeof token !== 'string') return { ok: false, reason: 'token is not a JWT' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p === '')) return { ok: false, reason: 'token is not a JWT' };
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = decodeBase64url(h);
  const payloadBytes = decodeBase64url(p);
  const signature = decodeBase64url(s);
  if (!headerBytes || !payloadBytes || !signature) return { ok: false, reason: 'token is not a JWT' };
  const header = parseJsonObject(headerBytes);
  if (!header) return { ok: false, reason: 'token header is not a JSON object' };
  const payload = parseJsonObject(payloadBytes);
  if (!payload) return { ok: false, reason: 'token payload is not a JSON object' };
  return { ok: true, value: { header, payload, signingInput: `${h}.${p}`, signature } };
}

/**
 * Whether `key` (an RSA public key) verifies the RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of
 * `jwt`. Only the signature: the caller checks `alg` first. Never throws.
 *
 * @internal
 */
export function verifyRs256(jwt: DecodedJwt, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== 'rsa') return false;
  try {
    return verifySignature('sha256', Buffer.from(jwt.signingInput, 'ascii'), { key, padding: constants.RSA_PKCS1_PADDING }, jwt.signature);
  } catch {
    return false;
  }
}

/** The public key itself, or the public half of a private key. */
const publicOf = (key: KeyObject): KeyObject => (key.type === 'public' ? key : createPublicKey(key));

/**
 * The RFC 7638 thumbprint of an RSA public key (SHA-256 over `{"e","kty","n"}`), base64url.
 *
 * @internal
 */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = publicOf(key).export({ format: 'jwk' });
  return b64url(createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest());
}

/**
 * An RSA key (public, or the public half of a private one) as a signing JWK whose `kid` is its thumbprint.
 *
 * @internal
 */
export function rsaSigningJwk(key: KeyObject): EntraJwk {
  const pub = publicOf(key);
  if (pub.asymmetricKeyType !== 'rsa') throw new TypeError('a signing JWK needs an RSA key');
  const jwk = pub.export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', kid: jwkThumbprint(pub), n: String(jwk.n), e: String(jwk.e) };
}

/**
 * Reads a JWKS document as it came over the network: an object with a `keys` array, keeping the RSA keys
 * meant for signatures (`use` absent or `sig`, `alg` absent or `RS256`) that have a `kid`, `n` and `e`.
 * Reasons: `the JWKS is not an object with a keys array`, `the JWKS has no RSA signing key`.
 *
 * @internal
 */
export function parseJwks(value: unknown): Verdict<EntraJwks> {
  if (!isObject(value) || !Array.isArray(value.keys)) return { ok: false, reason: 'the JWKS is not an object with a keys array' };
  const keys: EntraJwk[] = [];
  for (const k of value.keys as unknown[]) {
    if (!isObject(k) || k.kty !== 'RSA') continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    if (k.alg !== undefined && k.alg !== 'RS256') continue;
    if (typeof k.kid !== 'string' || k.kid === '' || typeof k.n !== 'string' || typeof k.e !== 'string') continue;
    keys.push({ kty: 'RSA', use: 'sig', kid: k.kid, n: k.n, e: k.e });
  }
  if (keys.length === 0) return { ok: false, reason: 'the JWKS has no RSA signing key' };
  return { ok: true, value: { keys } };
}

/**
 * The public key of the JWKS entry named `kid`. Reasons: `no key in the JWKS has the token's kid`,
 * `the JWKS key is not a usable RSA key` (not RSA, unreadable, or under {@link MIN_RSA_BITS} bits).
 *
 * @internal
 */
export function jwksKey(jwks: EntraJwks, kid: string): Verdict<KeyObject> {
  const entry = jwks.keys.find((k) => k.kid === kid);
  if (!entry) return { ok: false, reason: "no key in the JWKS has the token's kid" };
  if (entry.kty !== 'RSA' || (entry.use !== undefined && entry.use !== 'sig')) return { ok: false, reason: 'the JWKS key is not a usable RSA key' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'RSA', n: entry.n, e: entry.e } as JsonWebKey, format: 'jwk' });
  } catch {
    return { ok: false, reason: 'the JWKS key is not a usable RSA key' };
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    return { ok: false, reason: 'the JWKS key is not a usable RSA key' };
  }
  return { ok: true, value: key };
}
