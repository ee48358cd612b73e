/**
 * The SigV4 presigned-URL check the test kit's token verifiers share
 * (`verifyRdsToken` for RDS, `verifyDsqlToken` for Aurora DSQL),
 * written from the SigV4 specification. Pure, without I/O; internal to
 * dbtoken/testing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { asciiLowerCase } from '../sources/aws/rds-host.js';
import type { RdsVerifierCredentials } from './verify-rds-token.js';

/**
 * What a presigned token is checked against: the parts that differ between
 * services. Refusal reasons for the host, the action and anything
 * `checkParams` finds are given here, so each verifier keeps its own words.
 *
 * @example
 * ```ts
 * const rules: PresignedTokenRules = {
 *   service: 'dsql', actions: ['DbConnect'], actionRefusal: 'Action is not DbConnect', maxExpiresS: 604_800,
 *   host: 'abc.dsql.us-east-1.on.aws', hostRefusal: 'token is for another host',
 *   signedHosts: (host) => [asciiLowerCase(host)], required: ['Action', 'X-Amz-Signature'],
 * };
 * ```
 */
export interface PresignedTokenRules {
  /** The service in the credential scope: `rds-db`, `dsql`. */
  readonly service: string;
  /** The `Action` values accepted. */
  readonly actions: readonly string[];
  /** The reason when `Action` is none of them. */
  readonly actionRefusal: string;
  /** The largest `X-Amz-Expires`, in seconds. */
  readonly maxExpiresS: number;
  /** The text before `/?` the token must name, compared with A-Z folded (and no other case folding). */
  readonly host: string;
  /** The reason when it names another. */
  readonly hostRefusal: string;
  /** The `host` header values the signature may be over, given the token's own text before `/?`. */
  readonly signedHosts: (host: string) => readonly string[];
  /** The query parameters that must be present, checked in this order. */
  readonly required: readonly string[];
  /** Further checks of the parameters, made after `Action` and the algorithm: a refusal reason, or `undefined`. */
  readonly checkParams?: ((params: ReadonlyMap<string, string>) => string | undefined) | undefined;
}

/**
 * What the check is made with: the keys IAM knows, the region, the time.
 *
 * @example
 * ```ts
 * const against: PresignedTokenAgainst = { region: 'us-east-1', credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }] };
 * ```
 */
export interface PresignedTokenAgainst {
  /** The region the server is in. */
  readonly region: string;
  /** The keys IAM knows. */
  readonly credentials: readonly RdsVerifierCredentials[];
  /** The time to check against, in ms. Default `Date.now()`. */
  readonly now?: number | undefined;
  /** How far in the future `X-Amz-Date` may be (clock skew). Default 5 minutes. */
  readonly maxSkewMs?: number | undefined;
}

/**
 * The verdict of {@link checkPresignedToken}: its parameters when accepted,
 * or the reason for refusal (never containing the token or a key).
 *
 * @example
 * ```ts
 * const v: PresignedTokenVerdict = checkPresignedToken(token, rules, against);
 * if (v.ok) console.log(v.params.get('Action'), v.accessKeyId, v.expiresAt);
 * ```
 */
export type PresignedTokenVerdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly expiresAt: Date; readonly params: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly reason: string };

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const MAX_TOKEN_LENGTH = 16_384;

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
 * Checks a SigV4 presigned token, `<host>/?<query>`: its form (no
 * duplicate parameter, the required ones present), `Action`, the algorithm,
 * the signed headers (`host` only), `X-Amz-Date` and `X-Amz-Expires`
 * against the clock, the credential scope
 * (`<date>/<region>/<service>/aws4_request`), the key and its session
 * token, and last the signature, recomputed with the secret key over the
 * canonical request for each of `rules.signedHosts`.
 *
 * @example
 * ```ts
 * const v = checkPresignedToken(token, rules, { region: 'us-east-1', credentials: [key] });
 * if (!v.ok) console.log(v.reason); // e.g. 'signature does not match'
 * ```
 */
export function checkPresignedToken(token: string, rules: PresignedTokenRules, against: PresignedTokenAgainst): PresignedTokenVerdict {
  const refuse = (reason: string): PresignedTokenVerdict => ({ ok: false, reason });
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return refuse('malformed token');
  const split = token.indexOf('/?');
  if (split <= 0) return refuse('malformed token: no host/? prefix');
  const host = token.slice(0, split);
  // Only A-Z fold, as in DNS: Unicode case folding would take a lookalike (KELVIN SIGN for K) for the host.
  if (asciiLowerCase(host) !== asciiLowerCase(rules.host)) return refuse(rules.hostRefusal);

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
  for (const k of rules.required) {
    if (!params.has(k)) return refuse(`missing ${k}`);
  }
  if (!rules.actions.includes(get('Action') ?? '')) return refuse(rules.actionRefusal);
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return refuse('unsupported algorithm');
  const further = rules.checkParams?.(params);
  if (further !== undefined) return refuse(further);
  if (get('X-Amz-SignedHeaders') !== 'host') return refuse('signed headers must be host');

  const amzDate = get('X-Amz-Date') ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return refuse('malformed X-Amz-Date');
  const expiresS = Number(get('X-Amz-Expires'));
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > rules.maxExpiresS) return refuse('X-Amz-Expires out of range');
  const now = against.now ?? Date.now();
  if (signedAt > now + (against.maxSkewMs ?? 5 * 60_000)) return refuse('token is not yet valid (signed in the future)');
  const expiresAt = signedAt + expiresS * 1000;
  if (now > expiresAt) return refuse('token expired');

  const scope = (get('X-Amz-Credential') ?? '').split('/');
  if (scope.length !== 5) return refuse('malformed credential scope');
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string];
  if (date !== amzDate.slice(0, 8)) return refuse('credential date does not match X-Amz-Date');
  if (region !== against.region) return refuse('token is for another region');
  if (service !== rules.service || terminator !== 'aws4_request') return refuse(`credential scope is not ${rules.service}/aws4_request`);

  const key = against.credentials.find((c) => c.accessKeyId === accessKeyId);
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
  const given = Buffer.from(get('X-Amz-Signature') ?? '');
  const signedOver = (signedHost: string): boolean => {
    const canonicalRequest = ['GET', '/', canonicalQuery, `host:${signedHost}`, '', 'host', EMPTY_SHA256].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const expected = Buffer.from(createHmac('sha256', signingKey).update(stringToSign).digest('hex'));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!rules.signedHosts(host).some(signedOver)) return refuse('signature does not match');
  return { ok: true, accessKeyId, expiresAt: new Date(expiresAt), params };
}
