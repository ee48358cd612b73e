/**
 * Internal: what the OCI Identity emulator reads off an HTTP request and writes back, as pure functions:
 * the route, the `opc-request-id`, the `authorization` Signature header, the `keyId`, the signing string
 * and the request body. No sockets and no crypto; verification is the server's. Not exported from
 * `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { parseJsonObject, type Verdict } from '../security-token.js';

const ACTION_PATH = /^(?:\/([^/]+))?\/v1\/actions\/generateScopedAccessToken$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,98}$/;

/**
 * The region prefix of a `[/<region>]/v1/actions/generateScopedAccessToken` path (`undefined` without one),
 * or `undefined` for the whole answer when the path is another one.
 */
export function parseActionPath(path: string): { region: string | undefined } | undefined {
  const m = ACTION_PATH.exec(path);
  return m ? { region: m[1] } : undefined;
}

/** The `opc-request-id` to answer with: the client's, when it sent a usable one, then the server's own. */
export function opcRequestId(clientId: string | string[] | undefined, serverId: string): string {
  return typeof clientId === 'string' && CLIENT_REQUEST_ID.test(clientId) ? `${clientId}/${serverId}` : serverId;
}

/**
 * The parameters of `Signature k="v",…`, names in lower case, or `undefined` when the header is not one.
 * Values cannot hold `"`; OCI's keyIds (OCIDs, fingerprints, `ST$<jwt>`) and base64 signatures never do.
 */
export function parseSignatureHeader(value: string): Map<string, string> | undefined {
  const m = /^Signature\s+(.*)$/is.exec(value.trim());
  if (!m) return undefined;
  const rest = m[1]!;
  const params = new Map<string, string>();
  const param = /\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(,|$)/y;
  while (param.lastIndex < rest.length) {
    const start = param.lastIndex;
    const p = param.exec(rest);
    if (!p) return undefined;
    const name = p[1]!.toLowerCase();
    if (params.has(name)) return undefined;
    params.set(name, p[2]!);
    if (p[3] === '' && param.lastIndex < rest.length) return undefined;
    if (param.lastIndex === start) return undefined;
  }
  return params;
}

/** An OCI request signature, read but not yet checked. */
export interface SignatureParameters {
  keyId: string;
  /** Base64 of the RSA-SHA256 signature, as sent. */
  signature: string;
  /** The signed header names, in order and in lower case; `date` alone when the header did not say. */
  headers: string[];
}

/**
 * Reads an `authorization` header: `Signature version="1",keyId=…,algorithm="rsa-sha256",headers=…,signature=…`.
 * The reasons are fixed phrases that never quote the header.
 */
export function parseAuthorization(value: string | undefined): Verdict<SignatureParameters> {
  if (value === undefined || value === '') return { ok: false, reason: 'the request is not signed (no authorization header)' };
  const params = parseSignatureHeader(value);
  if (!params) return { ok: false, reason: 'the authorization header is not an HTTP signature' };
  const version = params.get('version');
  if (version !== undefined && version !== '1') return { ok: false, reason: 'unsupported signature version' };
  const keyId = params.get('keyid');
  const signature = params.get('signature');
  if (!keyId) return { ok: false, reason: 'the signature has no keyId' };
  if (!signature) return { ok: false, reason: 'the signature has no signature value' };
  if ((params.get('algorithm') ?? '').toLowerCase() !== 'rsa-sha256') return { ok: false, reason: 'the signature algorithm must be rsa-sha256' };
  // The draft's default list is `date` alone.
  const headers = (params.get('headers') ?? 'date')
    .split(/\s+/)
    .filter((h) => h !== '')
    .map((h) => h.toLowerCase());
  return { ok: true, value: { keyId, signature, headers } };
}

/** Who a `keyId` names: an API key, a security token, or an API-key form that does not parse. */
export type KeyId =
  | { kind: 'security_token'; token: string }
  | { kind: 'api_key'; tenancy: string; user: string; fingerprint: string }
  | { kind: 'api_key'; problem: string };

/** Reads a `keyId`: `ST$<jwt>` for a security token, else `<tenancy>/<user>/<fingerprint>`. */
export function parseKeyId(keyId: string): KeyId {
  if (keyId.startsWith('ST$')) return { kind: 'security_token', token: keyId.slice(3) };
  const parts = keyId.split('/');
  if (parts.length !== 3 || parts.some((part) => part === '')) return { kind: 'api_key', problem: 'keyId is neither <tenancy>/<user>/<fingerprint> nor ST$<token>' };
  const [tenancy, user, fingerprint] = parts as [string, string, string];
  return { kind: 'api_key', tenancy, user, fingerprint };
}

/** The parts of a request that a signature covers. */
export interface SignedRequest {
  method: string;
  /** The path and query, as the request line has them. */
  url: string;
  /** Header names in lower case, as Node's `IncomingMessage.headers` has them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The string the signer signed: one `name: value` line per signed header, joined by `\n`, with
 * `(request-target)` as `<method in lower case> <url>`. A header sent twice reads as its values joined by `, `.
 */
export function signingString(headers: readonly string[], request: SignedRequest): Verdict<string> {
  const lines: string[] = [];
  for (const h of headers) {
    if (h === '(request-target)') {
      lines.push(`(request-target): ${request.method.toLowerCase()} ${request.url}`);
      continue;
    }
    if (!HEADER_NAME.test(h)) return { ok: false, reason: 'the signed headers list has an invalid name' };
    const raw = request.headers[h];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (value === undefined || value === '') return { ok: false, reason: `the signed header ${h} is missing` };
    lines.push(`${h}: ${value}`);
  }
  return { ok: true, value: lines.join('\n') };
}

/** The fields of a `GenerateScopedAccessTokenDetails` body, not yet checked. */
export interface TokenRequestBody {
  scope: unknown;
  publicKey: unknown;
}

/** Reads the request body, or `undefined` when it is not a JSON object. */
export function parseTokenRequestBody(body: Buffer): TokenRequestBody | undefined {
  // Lenient: bad UTF-8 becomes U+FFFD rather than a refusal of its own.
  const details = parseJsonObject(body.toString('utf8'));
  return details ? { scope: details.scope, publicKey: details.publicKey } : undefined;
}
