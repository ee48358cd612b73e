/**
 * Internal: the OCI security-token checks and small JSON / base64url helpers that the HeatWave and
 * OCI Identity emulators share. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { constants, createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * A check's outcome: the value, or a fixed reason phrase that never quotes what was checked.
 *
 * @internal
 */
export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What {@link verifySecurityToken} found in a good token. @internal */
export interface SecurityTokenContents {
  /** The token's claims. */
  payload: Record<string, unknown>;
  /** The RSA session public key from the `jwk` claim: the key the holder signs with. */
  key: KeyObject;
  /** The `sub` claim: the OCID of the user (or resource) the token speaks for. */
  principal: string;
}

/** Standard (not url-safe) base64 with correct padding. @internal */
export const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Whether `v` is a plain JSON object (not null, not an array). @internal */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The bytes of one base64url JWT segment, or `undefined` when it holds other characters. @internal */
export function decodeBase64url(part: string): Buffer | undefined {
  return BASE64URL.test(part) ? Buffer.from(part, 'base64url') : undefined;
}

/**
 * The JSON object in `source`, or `undefined` when it is not one. Bytes must be valid UTF-8; a string is
 * parsed as it is (so a caller that wants lenient decoding passes `bytes.toString('utf8')`).
 *
 * @internal
 */
export function parseJsonObject(source: Buffer | string): Record<string, unknown> | undefined {
  try {
    const text = typeof source === 'string' ? source : new TextDecoder('utf-8', { fatal: true }).decode(source);
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks an OCI security token (a compact RS256 JWT, as `oci session authenticate` or the resource-principal
 * service issue): three base64url segments holding JSON objects, `alg: RS256`, a signature by `issuer`,
 * a numeric `exp` after `nowMs`, `nbf` (if any) not after it, a non-empty `sub`, and a `jwk` claim (an object,
 * or a JSON string as OCI writes it) that is an RSA public key. Never throws; the reasons are fixed phrases:
 * `malformed security token`, `security token is not RS256`, `security token signature does not verify`,
 * `security token has no exp`, `security token has expired`, `security token is not yet valid`,
 * `security token has no sub`, `security token has no jwk`, `security token jwk is not a public key`,
 * `security token jwk is not an RSA key`. Callers check their own claims (tenancy, fingerprint…) after it.
 *
 * @internal
 */
export function verifySecurityToken(token: string, issuer: KeyObject, nowMs: number): Verdict<SecurityTokenContents> {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed security token' };
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = decodeBase64url(h);
  const payloadBytes = decodeBase64url(p);
  const sig = decodeBase64url(s);
  if (!headerBytes || !payloadBytes || !sig) return { ok: false, reason: 'malformed security token' };
  const header = parseJsonObject(headerBytes);
  const payload = parseJsonObject(payloadBytes);
  if (!header || !payload) return { ok: false, reason: 'malformed security token' };
  if (header.alg !== 'RS256') return { ok: false, reason: 'security token is not RS256' };
  let signed = false;
  try {
    signed = verifySignature('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key: issuer, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, reason: 'security token signature does not verify' };
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return { ok: false, reason: 'security token has no exp' };
  if (nowMs >= payload.exp * 1000) return { ok: false, reason: 'security token has expired' };
  if (typeof payload.nbf === 'number' && nowMs < payload.nbf * 1000) return { ok: false, reason: 'security token is not yet valid' };
  if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'security token has no sub' };
  // OCI puts the session key in `jwk`, as an object or as a JSON string.
  let jwk: unknown = payload.jwk;
  if (typeof jwk === 'string') {
    try {
      jwk = JSON.parse(jwk);
    } catch {
      jwk = undefined;
    }
  }
  if (!isObject(jwk)) return { ok: false, reason: 'security token has no jwk' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return { ok: false, reason: 'security token jwk is not a public key' };
  }
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, reason: 'security token jwk is not an RSA key' };
  return { ok: true, value: { payload, key, principal: payload.sub } };
}
