import { ConfigError } from '../../core/errors.js';
import { describe, GUID } from '../../core/validation.js';
import { isObject } from '../security-token.js';
import { decodeJwt, jwksKey, parseJwks, verifyRs256, type EntraJwks } from './jwt.js';

/** The resource (audience) of Azure Database for PostgreSQL and MySQL tokens. @internal */
export const OSS_RDBMS_RESOURCE = 'https://ossrdbms-aad.database.windows.net';

/** The most clock skew {@link verifyEntraToken} allows: 5 minutes, as Microsoft's token validators. @internal */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Options of {@link verifyEntraToken}: what the database trusts (the keys, audience and issuer) and who is
 * logging in.
 *
 * @example
 * ```ts
 * const check: VerifyEntraTokenOptions = {
 *   jwks,
 *   audience: 'https://ossrdbms-aad.database.windows.net',
 *   issuer: `https://sts.windows.net/${tenantId}/`,
 *   user: 'app',
 *   roles: { app: '5c1a2b3d-0000-4000-8000-00000000a11c' },
 * };
 * ```
 */
export interface VerifyEntraTokenOptions {
  /**
   * The signing keys of the tenant, as its `jwks_uri` serves them. The token's `kid` picks the key.
   *
   * @example
   * ```ts
   * const jwks = { keys: [{ kty: 'RSA', use: 'sig', kid, n, e: 'AQAB' }] };
   * ```
   */
  jwks: EntraJwks;
  /**
   * The `aud` the token must carry: the resource it was asked for, without `/.default`. For Azure
   * Database for PostgreSQL and MySQL, `https://ossrdbms-aad.database.windows.net`.
   *
   * @example
   * ```ts
   * const audience = 'https://ossrdbms-aad.database.windows.net';
   * ```
   */
  audience: string;
  /**
   * The `iss` the token must carry, exactly: for Entra's v1.0 access tokens, `https://sts.windows.net/<tenant id>/`.
   *
   * @example
   * ```ts
   * const issuer = `https://sts.windows.net/${emulator.tenantId}/`;
   * ```
   */
  issuer: string;
  /**
   * The database user (role) logging in, exactly as the client sent it.
   *
   * @example
   * ```ts
   * const user = 'alice@contoso.com';
   * ```
   */
  user: string;
  /**
   * Roles bound to an Entra id, role name → GUID: an object id, as `pgaadauth_create_principal_with_oid()`
   * (PostgreSQL) binds it, or an application's client id, as `CREATE AADUSER '<name>' IDENTIFIED BY
   * '<client id>'` (MySQL) binds a service principal or managed identity. A role listed here logs in only
   * with a token whose `oid` is that GUID, or an app-only token (`appidacr` 1 or 2) whose `appid` is, whatever
   * the token's `upn` (GUIDs compare without regard to case). Default none.
   *
   * @example
   * ```ts
   * const roles = { app: servicePrincipalObjectId, webapp: managedIdentityObjectId };
   * ```
   */
  roles?: Readonly<Record<string, string>> | undefined;
  /**
   * Let a user not listed in `roles` log in by name: the token is accepted when the user is exactly (case
   * sensitive) its `upn` or its `unique_name`, as Entra users are named on the server (guests with their
   * `#EXT#` UPN). Default `true`.
   *
   * @example
   * ```ts
   * const byUpn = false; // only the roles bound to an object id log in
   * ```
   */
  byUpn?: boolean | undefined;
  /**
   * The time to check against, in ms. Default `Date.now()`.
   *
   * @example
   * ```ts
   * const now = Date.now() + 2 * 3600_000; // every one-hour token has expired
   * ```
   */
  now?: number | undefined;
  /**
   * How far `exp` and `nbf` may be off the clock, in ms, from 0 to 300,000 (5 minutes). Default 300,000.
   *
   * @example
   * ```ts
   * const clockSkewMs = 0;
   * ```
   */
  clockSkewMs?: number | undefined;
}

/**
 * A token {@link verifyEntraToken} accepted, and for whom.
 *
 * @example
 * ```ts
 * const v = verifyEntraToken(token, check);
 * if (v.ok) console.log(v.user, v.objectId, v.matchedBy, v.expiresAt);
 * ```
 */
export interface EntraTokenAccepted {
  /**
   * Always `true`.
   *
   * @example
   * ```ts
   * expect(v.ok).toBe(true);
   * ```
   */
  readonly ok: true;
  /**
   * The database user that logs in.
   *
   * @example
   * ```ts
   * expect(v).toMatchObject({ ok: true, user: 'app' });
   * ```
   */
  readonly user: string;
  /**
   * The token's `oid`: the object id of the user, service principal or managed identity.
   *
   * @example
   * ```ts
   * expect(v).toMatchObject({ ok: true, objectId: sp.objectId });
   * ```
   */
  readonly objectId: string | undefined;
  /**
   * Which claim matched the user: `'oid'` or `'appid'` (a role of `roles`), `'upn'` or `'unique_name'`.
   *
   * @example
   * ```ts
   * expect(v).toMatchObject({ ok: true, matchedBy: 'oid' });
   * ```
   */
  readonly matchedBy: 'oid' | 'appid' | 'upn' | 'unique_name';
  /**
   * When the token expires (its `exp`).
   *
   * @example
   * ```ts
   * if (v.ok) expect(v.expiresAt.getTime()).toBeGreaterThan(Date.now());
   * ```
   */
  readonly expiresAt: Date;
  /**
   * The token's claims.
   *
   * @example
   * ```ts
   * if (v.ok) expect(v.claims.idtyp).toBe('app');
   * ```
   */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * A token {@link verifyEntraToken} refused, and why: a fixed phrase that never quotes the token.
 *
 * @example
 * ```ts
 * expect(verifyEntraToken(token, { ...check, now: Date.now() + 3 * 3600_000 })).toEqual({ ok: false, reason: 'token has expired' });
 * ```
 */
export interface EntraTokenRefused {
  /**
   * Always `false`.
   *
   * @example
   * ```ts
   * expect(v.ok).toBe(false);
   * ```
   */
  readonly ok: false;
  /**
   * Why: `token is not a JWT`, `token header is not a JSON object`, `token payload is not a JSON object`,
   * `token alg is not RS256`, `token header has no kid`, `no key in the JWKS has the token's kid`,
   * `the JWKS key is not a usable RSA key`, `token signature does not verify`, `token issuer is not
   * <issuer>`, `token audience is not <audience>`, `token has no exp`, `token has expired`,
   * `token is not yet valid`, `token has no oid`, `token oid is not the object id role <user> is bound to`,
   * `token is for another user`, `<user> is not a role bound to an object id`.
   *
   * @example
   * ```ts
   * expect(v).toEqual({ ok: false, reason: 'token signature does not verify' });
   * ```
   */
  readonly reason: string;
}

/**
 * What {@link verifyEntraToken} answers. It fits the `verify` hook of {@link startVerifyingPostgres} and
 * {@link startVerifyingMariaDb} (a {@link LoginVerdict}).
 *
 * @example
 * ```ts
 * const v: EntraTokenVerdict = verifyEntraToken(token, check);
 * ```
 */
export type EntraTokenVerdict = EntraTokenAccepted | EntraTokenRefused;

function checkOptions(options: VerifyEntraTokenOptions): { jwks: EntraJwks; skew: number; now: number; roles: Map<string, string> } {
  if (!isObject(options)) throw new ConfigError('options', `must be an object { jwks, audience, issuer, user }, got ${describe(options)}`);
  const jwks = parseJwks(options.jwks);
  if (!jwks.ok) throw new ConfigError('jwks', `${jwks.reason.replace(/^the JWKS /, '')}`, 'pass the document the tenant\'s jwks_uri serves');
  for (const field of ['audience', 'issuer'] as const) {
    if (typeof options[field] !== 'string' || options[field] === '') throw new ConfigError(field, `must be a non-empty string, got ${describe(options[field])}`);
  }
  if (typeof options.user !== 'string') throw new ConfigError('user', `must be the database user logging in, got ${describe(options.user)}`);
  if (options.byUpn !== undefined && typeof options.byUpn !== 'boolean') throw new ConfigError('byUpn', `must be true or false, got ${describe(options.byUpn)}`);
  const now = options.now ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new ConfigError('now', `must be a time in ms, got ${describe(now)}`);
  return { jwks: jwks.value, skew: clockSkew(options.clockSkewMs), now, roles: roleMap(options.roles) };
}

/** `clockSkewMs` checked: 0 to {@link MAX_CLOCK_SKEW_MS}, that by default. @internal */
export function clockSkew(value: unknown): number {
  const skew = value ?? MAX_CLOCK_SKEW_MS;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_MS) {
    throw new ConfigError('clockSkewMs', `must be a number of ms from 0 to ${MAX_CLOCK_SKEW_MS}, got ${describe(skew)}`);
  }
  return skew;
}

/** `roles` checked: role name → object id, in lower case. @internal */
export function roleMap(roles: unknown, field = 'roles'): Map<string, string> {
  const map = new Map<string, string>();
  if (roles === undefined) return map;
  if (!isObject(roles)) throw new ConfigError(field, `must be an object of role name → object id, got ${describe(roles)}`);
  for (const [role, oid] of Object.entries(roles)) {
    if (typeof oid !== 'string' || !GUID.test(oid)) throw new ConfigError(`${field}.${role}`, `must be an object id (a GUID), got ${describe(oid)}`);
    map.set(role, oid.toLowerCase());
  }
  return map;
}

/**
 * Checks an Entra ID access token as Azure Database for PostgreSQL or MySQL checks the password of an
 * Entra login, offline: a compact JWS with `alg` `RS256` whose `kid` names a key of `jwks` that verifies
 * its signature (any other `alg`, `none` and HS256 included, is refused before a key is looked at); `iss`
 * exactly `issuer`; `aud` exactly `audience` (or an array holding it); a numeric `exp` not passed and an
 * `nbf` (if any) reached, give or take `clockSkewMs`; then the user: a role of `roles` logs in only with
 * its object id as `oid`, and any other user, when `byUpn`, only with a token whose `upn` or
 * `unique_name` is exactly its name. Never throws for a bad token (a {@link ConfigError} names a bad
 * option); reasons never quote the token. `startEntraIdEmulator(...).verifier()` wraps it with the
 * emulator's keys, issuer and clock.
 *
 * @example
 * ```ts
 * import { verifyEntraToken } from 'dbtoken/testing';
 * const v = verifyEntraToken(token, {
 *   jwks, // the emulator's, as its jwksUri serves it
 *   audience: 'https://ossrdbms-aad.database.windows.net',
 *   issuer: `https://sts.windows.net/${emulator.tenantId}/`,
 *   user: 'alice@contoso.com',
 * });
 * // { ok: true, user: 'alice@contoso.com', matchedBy: 'upn', objectId, expiresAt, claims } or { ok: false, reason }
 * ```
 */
export function verifyEntraToken(token: string, options: VerifyEntraTokenOptions): EntraTokenVerdict {
  const { jwks, skew, now, roles } = checkOptions(options);
  const decoded = decodeJwt(token);
  if (!decoded.ok) return decoded;
  const { header, payload } = decoded.value;
  if (header.alg !== 'RS256') return { ok: false, reason: 'token alg is not RS256' };
  if (typeof header.kid !== 'string' || header.kid === '') return { ok: false, reason: 'token header has no kid' };
  const key = jwksKey(jwks, header.kid);
  if (!key.ok) return key;
  if (!verifyRs256(decoded.value, key.value)) return { ok: false, reason: 'token signature does not verify' };

  if (payload.iss !== options.issuer) return { ok: false, reason: `token issuer is not ${options.issuer}` };
  const aud = payload.aud;
  if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience)))) {
    return { ok: false, reason: `token audience is not ${options.audience}` };
  }
  const { exp, nbf } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'token has no exp' };
  if (now >= exp * 1000 + skew) return { ok: false, reason: 'token has expired' };
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf) || now < nbf * 1000 - skew)) return { ok: false, reason: 'token is not yet valid' };

  const user = options.user;
  const oid = typeof payload.oid === 'string' ? payload.oid : undefined;
  const accepted = (matchedBy: EntraTokenAccepted['matchedBy']): EntraTokenAccepted => ({
    ok: true,
    user,
    objectId: oid,
    matchedBy,
    expiresAt: new Date(exp * 1000),
    claims: Object.freeze({ ...payload }),
  });
  const bound = roles.get(user);
  if (bound !== undefined) {
    if (oid === undefined) return { ok: false, reason: 'token has no oid' };
    if (oid.toLowerCase() === bound) return accepted('oid');
    const appOnly = payload.appidacr === '1' || payload.appidacr === '2';
    if (appOnly && typeof payload.appid === 'string' && payload.appid.toLowerCase() === bound) return accepted('appid');
    return { ok: false, reason: `token oid is not the object id role ${user} is bound to` };
  }
  if (options.byUpn === false) return { ok: false, reason: `${user} is not a role bound to an object id` };
  if (typeof payload.upn === 'string' && payload.upn === user) return accepted('upn');
  if (typeof payload.unique_name === 'string' && payload.unique_name === user) return accepted('unique_name');
  return { ok: false, reason: 'token is for another user' };
}
