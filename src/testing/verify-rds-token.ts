import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { asciiLowerCase, rdsSignedHosts } from '../sources/aws/rds-host.js';

/**
 * A key pair the verifier knows, as IAM would.
 *
 * @example
 * ```ts
 * const key: RdsVerifierCredentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: '<secret-access-key>', sessionToken: '<session-token>' };
 * verifyRdsToken(password, { hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1', credentials: [key] });
 * ```
 */
export interface RdsVerifierCredentials {
  /** The key ID tokens name in `X-Amz-Credential`. */
  readonly accessKeyId: string;
  /** The secret that signs them. */
  readonly secretAccessKey: string;
  /** When set, tokens signed with this key must carry this session token. */
  readonly sessionToken?: string | undefined;
}

/**
 * What {@link verifyRdsToken} checks a token against: the server's side of the login.
 *
 * @example
 * ```ts
 * const config: RdsTokenVerifierConfig = {
 *   hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1',
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: '<secret-access-key>' }],
 *   maxSkewMs: 60_000,
 * };
 * const verdict = verifyRdsToken(password, config);
 * ```
 */
export interface RdsTokenVerifierConfig {
  /** The host name the server is reached by (what the client signed). */
  hostname: string;
  /** The server's port. */
  port: number;
  /** The login user; the token's `DBUser` must match it. */
  username: string;
  /** The region the server is in. */
  region: string;
  /** The keys IAM knows. */
  credentials: readonly RdsVerifierCredentials[];
  /** The time to check against, in ms. Default `Date.now()`. */
  now?: number | undefined;
  /** How far in the future `X-Amz-Date` may be (clock skew). Default 5 minutes. */
  maxSkewMs?: number | undefined;
}

/**
 * The verdict: `ok`, or the reason for refusal (never containing the token or a key).
 *
 * @example
 * ```ts
 * const verdict: RdsTokenVerdict = verifyRdsToken(password, config);
 * if (verdict.ok) console.log(verdict.user, verdict.expiresAt);
 * else console.log(verdict.reason); // e.g. 'signature does not match'
 * ```
 */
export type RdsTokenVerdict = RdsTokenAccepted | RdsTokenRefused;

/**
 * A token {@link verifyRdsToken} accepted.
 *
 * @example
 * ```ts
 * // what verifyRdsToken returns for a good token
 * const accepted: RdsTokenAccepted = { ok: true, user: 'iam_alice', accessKeyId: 'AKIDEXAMPLE', expiresAt: new Date('2030-01-01T00:15:00Z') };
 * ```
 */
export interface RdsTokenAccepted {
  /** Accepted. */
  ok: true;
  /** The database user it logs in as. */
  user: string;
  /** The key that signed it. */
  accessKeyId: string;
  /** When it stops being accepted. */
  expiresAt: Date;
}

/**
 * A token {@link verifyRdsToken} refused.
 *
 * @example
 * ```ts
 * // what verifyRdsToken returns for a token signed more than 15 minutes ago
 * const refused: RdsTokenRefused = { ok: false, reason: 'token expired' };
 * ```
 */
export interface RdsTokenRefused {
  /** Refused. */
  ok: false;
  /** Why, in a few words (never containing the token). */
  reason: string;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const MAX_RDS_EXPIRES_S = 900;

/** RFC 3986 encoding as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * Verifies an AWS RDS IAM token the way RDS does, written from the SigV4
 * specification (not by calling a signer): it recomputes the signature with
 * the secret key, and checks expiry, `DBUser`, host and port, the credential
 * scope (`<date>/<region>/rds-db/aws4_request`) and the session token.
 *
 * The host is compared with A-Z folded and no other case folding, and the
 * signature is over it in lower case, as the AWS CLI, boto3 and dbtoken sign
 * it: `aws rds generate-db-auth-token --hostname MyDB.example...` passes for
 * `mydb.example...`, and a lookalike such as `db.\u212Aube.example` (KELVIN
 * SIGN) does not pass for `db.kube.example`. For port 443 the signature may
 * also be over the host without the port, as the AWS CLI and boto3 sign it.
 *
 * @example
 * ```ts
 * import { verifyRdsToken } from 'dbtoken/testing';
 * const verdict = verifyRdsToken(password, {
 *   hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1',
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }],
 * });
 * if (!verdict.ok) console.log(verdict.reason); // e.g. 'token expired'
 * ```
 */
export function verifyRdsToken(token: string, config: RdsTokenVerifierConfig): RdsTokenVerdict {
  const refuse = (reason: string): RdsTokenVerdict => ({ ok: false, reason });
  if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) return refuse('malformed token');
  const split = token.indexOf('/?');
  if (split <= 0) return refuse('malformed token: no host/? prefix');
  const hostPort = token.slice(0, split);
  // Only A-Z fold, as in DNS: Unicode case folding would take a lookalike (KELVIN SIGN for K) for the host.
  if (asciiLowerCase(hostPort) !== asciiLowerCase(`${config.hostname}:${config.port}`)) return refuse('token is for another host or port');

  const params = new Map<string, string>();
  for (const pair of token.slice(split + 2).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return refuse('malformed query parameter');
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(pair.slice(0, eq));
      v = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return refuse('malformed percent-encoding');
    }
    if (params.has(k)) return refuse(`duplicate parameter ${k}`);
    params.set(k, v);
  }
  const get = (k: string): string | undefined => params.get(k);
  for (const k of ['Action', 'DBUser', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (!params.has(k)) return refuse(`missing ${k}`);
  }
  if (get('Action') !== 'connect') return refuse('Action is not connect');
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return refuse('unsupported algorithm');
  if (get('DBUser') !== config.username) return refuse('token is for another user');
  if (get('X-Amz-SignedHeaders') !== 'host') return refuse('signed headers must be host');

  const amzDate = get('X-Amz-Date')!;
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return refuse('malformed X-Amz-Date');
  const expiresS = Number(get('X-Amz-Expires'));
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > MAX_RDS_EXPIRES_S) return refuse('X-Amz-Expires out of range');
  const now = config.now ?? Date.now();
  if (signedAt > now + (config.maxSkewMs ?? 5 * 60_000)) return refuse('token is not yet valid (signed in the future)');
  const expiresAt = signedAt + expiresS * 1000;
  if (now > expiresAt) return refuse('token expired');

  const scope = get('X-Amz-Credential')!.split('/');
  if (scope.length !== 5) return refuse('malformed credential scope');
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  if (date !== amzDate.slice(0, 8)) return refuse('credential date does not match X-Amz-Date');
  if (region !== config.region) return refuse('token is for another region');
  if (service !== 'rds-db' || terminator !== 'aws4_request') return refuse('credential scope is not rds-db/aws4_request');

  const key = config.credentials.find((c) => c.accessKeyId === accessKeyId);
  if (key === undefined) return refuse('unknown access key');
  const sessionToken = get('X-Amz-Security-Token');
  if ((key.sessionToken ?? undefined) !== sessionToken) return refuse('session token missing or wrong');

  const canonicalQuery = [...params]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const credentialScope = `${date}/${region}/${service}/aws4_request`;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, date), region), service), 'aws4_request');
  const given = Buffer.from(get('X-Amz-Signature')!);
  const signedOver = (host: string): boolean => {
    const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', EMPTY_SHA256].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const expected = Buffer.from(createHmac('sha256', signingKey).update(stringToSign).digest('hex'));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!rdsSignedHosts(hostPort).some(signedOver)) return refuse('signature does not match');
  return { ok: true, user: config.username, accessKeyId, expiresAt: new Date(expiresAt) };
}
