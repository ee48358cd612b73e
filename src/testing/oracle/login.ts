/**
 * Internal: what the Oracle Database emulator checks when node-oracledb logs in with an OCI IAM db-token,
 * in the order a database checks it, each refusal with Oracle's own error. Pure apart from signature
 * verification; the clock, the issuer key, the IAM directory and the user catalog are passed in. Never
 * returns, records or throws token or key text. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { constants, createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { parseOciScope } from '../../sources/oci/scope.js';
import { STANDARD_BASE64, verifySecurityToken } from '../security-token.js';
import type { Catalog, IamPrincipal } from './catalog.js';
import { OraError } from './sql.js';
import { AUTH_MODE } from './wire.js';

/*
 * The refusals, with Oracle's texts from the Database Error Messages reference:
 * - ORA-25707 https://docs.oracle.com/error-help/db/ora-25707/ "The token is invalid."
 * - ORA-25708 https://docs.oracle.com/error-help/db/ora-25708/ "The expiration time of the token has passed."
 * - ORA-25711 https://docs.oracle.com/en/error-help/db/dia-25711 (the reference files the text under its
 *   DIA- twin) "The private key is missing or invalid."
 * - ORA-01017 https://docs.oracle.com/error-help/db/ora-01017/ "invalid credential or not authorized; logon
 *   denied", the 23ai wording, which also covers a principal that maps to no user or lacks CREATE SESSION.
 * The thin driver appends the "Help:" link itself, so the texts stop at the message.
 */
const INVALID_TOKEN = 25707;
const EXPIRED_TOKEN = 25708;
const BAD_PRIVATE_KEY = 25711;
const LOGON_DENIED = 1017;
const TEXTS: Record<number, string> = {
  [INVALID_TOKEN]: 'The token is invalid.',
  [EXPIRED_TOKEN]: 'The expiration time of the token has passed.',
  [BAD_PRIVATE_KEY]: 'The private key is missing or invalid.',
  [LOGON_DENIED]: 'invalid credential or not authorized; logon denied',
};

/** The refusal error of a code. @internal */
export function refusal(code: number): OraError {
  return new OraError(code, TEXTS[code] ?? 'logon denied');
}

/** A proof-of-possession header may be this far from the database clock, as OCI allows for request signatures. */
const MAX_HEADER_SKEW_MS = 5 * 60 * 1000;

/** The database a login is for. @internal */
export interface DatabaseIdentity {
  ocid: string;
  compartment: string;
  tenancy: string;
  service: string;
  region: string;
  /** `<tenancy name>[:<compartment name>…]`, what path scopes name; none: path scopes cover nothing. */
  path?: string | undefined;
}

/** What the login check needs besides the request. @internal */
export interface LoginContext {
  nowMs: number;
  /** The identity emulator's db-token signing key. */
  issuer: KeyObject;
  database: DatabaseIdentity;
  /** The IAM directory's entry for a principal OCID, if it has one. */
  directory: (ocid: string) => IamPrincipal | undefined;
  catalog: Catalog;
  /** Whether the token with this `jti`, or this {@link tokenDigest}, was revoked. */
  revoked: (id: string) => boolean;
}

/** The auth request, as the wire module read it. @internal */
export interface LoginRequest {
  fn: number;
  mode: number;
  user: string;
  pairs: ReadonlyMap<string, string>;
}

/** What is known of the token, once read: safe to record (no token or key text). @internal */
export interface TokenFacts {
  principal?: string | undefined;
  tenancy?: string | undefined;
  scope?: string | undefined;
  region?: string | undefined;
  jti?: string | undefined;
  expiresAt?: Date | undefined;
}

/** A session's identity after a good login. @internal */
export interface SessionIdentity {
  /** The database user, which is also the schema. */
  user: string;
  /** The mapping that matched, as written in `IDENTIFIED GLOBALLY AS '…'`. */
  mapping: string;
  exclusive: boolean;
  globalRoles: string[];
  /** The principal's OCID (ENTERPRISE_IDENTITY). */
  principal: string;
  /** The IAM name (AUTHENTICATED_IDENTITY): a user's name, else the OCID. */
  identity: string;
}

/** The outcome of a login. @internal */
export type LoginVerdict = { ok: true; token: TokenFacts; session: SessionIdentity } | { ok: false; token: TokenFacts; error: OraError; reason: string };

/**
 * Checks a login in the order a database does:
 * 1. a token is there, is a JWT signed (RS256) by the identity emulator's key, and is not revoked (ORA-25707);
 * 2. it has not expired at `nowMs` (ORA-25708);
 * 3. its `scope` covers this database: `*` in the database's tenancy, the tenancy, the compartment, or
 *    the compartment and database, whichever tenancy the caller is in; or a path scope naming the
 *    database's tenancy, and its compartment and OCID when it names them (ORA-25707);
 * 4. its `region` claim is the database's region (ORA-25707);
 * 5. AUTH_HEADER is signed with the private key of the token's `jwk`, its `date` is within 5 minutes
 *    of `nowMs`, and its `(request-target)` is this service (ORA-25711);
 * 6. the principal maps to a global user (ORA-01017), which has CREATE SESSION (ORA-01017).
 *
 * @internal
 */
export function checkLogin(req: LoginRequest, ctx: LoginContext): LoginVerdict {
  const token: TokenFacts = {};
  const refuse = (code: number, reason: string): LoginVerdict => ({ ok: false, token, error: refusal(code), reason });

  if (req.fn !== 115) return refuse(LOGON_DENIED, 'a password login (the emulator has only IAM token logins)');
  const jwt = req.pairs.get('AUTH_TOKEN');
  if (jwt === undefined || jwt === '') return refuse(LOGON_DENIED, 'no AUTH_TOKEN: not a token login');

  const checked = verifySecurityToken(jwt, ctx.issuer, ctx.nowMs);
  const claims = checked.ok ? checked.value.payload : undefined;
  if (claims) {
    const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const principal = text(claims.sub);
    const tenancy = text(claims.tenant) ?? text(claims.res_tenant);
    const scope = text(claims.scope);
    const region = text(claims.region);
    const jti = text(claims.jti);
    Object.assign(token, {
      ...(principal ? { principal } : {}),
      ...(tenancy ? { tenancy } : {}),
      ...(scope ? { scope } : {}),
      ...(region ? { region } : {}),
      ...(jti ? { jti } : {}),
      expiresAt: new Date((claims.exp as number) * 1000),
    });
  }
  if (!checked.ok) {
    const reason = checked.reason.replace('security token', 'db-token');
    return refuse(checked.reason === 'security token has expired' ? EXPIRED_TOKEN : INVALID_TOKEN, reason);
  }
  if (ctx.revoked(token.jti ?? '') || ctx.revoked(tokenDigest(jwt))) return refuse(INVALID_TOKEN, 'the db-token was revoked');
  if (token.tenancy === undefined) return refuse(INVALID_TOKEN, 'the db-token has no tenant claim');

  const scopeProblem = scopeMismatch(token.scope, token.tenancy, ctx.database);
  if (scopeProblem) return refuse(INVALID_TOKEN, scopeProblem);
  if (token.region === undefined) return refuse(INVALID_TOKEN, 'the db-token has no region claim');
  if (token.region !== ctx.database.region) return refuse(INVALID_TOKEN, `the db-token was issued in ${token.region}, not the database's region ${ctx.database.region}`);

  const popProblem = proofOfPossessionProblem(req, checked.value.key, ctx);
  if (popProblem) return refuse(BAD_PRIVATE_KEY, popProblem);

  const listed = ctx.directory(token.principal!);
  const principal: IamPrincipal = listed ?? { ocid: token.principal!, tenancy: token.tenancy, groups: [] };
  const resolved = ctx.catalog.resolve(principal);
  if (!resolved) return refuse(LOGON_DENIED, 'no global user or role maps this principal');
  if (!resolved.canCreateSession) return refuse(LOGON_DENIED, `the global user ${resolved.user} lacks the CREATE SESSION privilege`);
  return {
    ok: true,
    token,
    session: {
      user: resolved.user,
      mapping: resolved.mapping.text,
      exclusive: resolved.exclusive,
      globalRoles: resolved.globalRoles,
      principal: principal.ocid,
      identity: principal.name ?? principal.ocid,
    },
  };
}

/** How a token without a `jti` is named in the revocation list. @internal */
export function tokenDigest(jwt: string): string {
  return `sha256:${createHash('sha256').update(jwt).digest('hex')}`;
}

/** Why `scope` does not cover the database, or `undefined` when it does. */
function scopeMismatch(scope: string | undefined, callerTenancy: string, db: DatabaseIdentity): string | undefined {
  if (scope === undefined) return 'the db-token has no scope';
  let parsed;
  try {
    parsed = parseOciScope(scope);
  } catch {
    return 'the db-token scope is not a urn:oracle:db::id:: or urn:oracle:db::path:: URN';
  }
  switch (parsed.kind) {
    case 'all':
      return callerTenancy === db.tenancy ? undefined : "the db-token scope is * in the caller's tenancy, which is not the database's";
    case 'tenancy':
      return parsed.ocid === db.tenancy ? undefined : "the db-token scope names another tenancy than the database's";
    case 'compartment':
      return parsed.ocid === db.compartment ? undefined : "the db-token scope names another compartment than the database's";
    case 'database':
      if (parsed.compartment !== db.compartment) return "the db-token scope names another compartment than the database's";
      return parsed.database === db.ocid ? undefined : 'the db-token scope names another database';
    case 'path': {
      if (db.path === undefined) return 'the db-token has a path scope, and the database has no path (tenancy and compartment names) to match';
      const [tenancy, ...compartments] = db.path.split(':');
      if (parsed.tenancy !== tenancy) return "the db-token scope names another tenancy than the database's";
      if (parsed.compartment !== undefined && parsed.compartment !== compartments.join(':')) return "the db-token scope names another compartment than the database's";
      if (parsed.database !== undefined && parsed.database !== db.ocid) return 'the db-token scope names another database';
      return undefined;
    }
  }
}

/** Why AUTH_HEADER / AUTH_SIGNATURE do not prove possession of the token's key, or `undefined`. */
function proofOfPossessionProblem(req: LoginRequest, key: KeyObject, ctx: LoginContext): string | undefined {
  const header = req.pairs.get('AUTH_HEADER');
  const signature = req.pairs.get('AUTH_SIGNATURE');
  if (!header || !signature || (req.mode & AUTH_MODE.IAM_TOKEN) === 0) return 'no AUTH_HEADER and AUTH_SIGNATURE: the token came without its private key';
  if (!STANDARD_BASE64.test(signature)) return 'AUTH_SIGNATURE is not base64';
  let verified = false;
  try {
    verified = verifySignature('sha256', Buffer.from(header, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
  } catch {
    verified = false;
  }
  if (!verified) return "AUTH_SIGNATURE does not verify with the token's jwk: the private key is not the token's";
  const fields = new Map<string, string>();
  for (const line of header.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const date = Date.parse(fields.get('date') ?? '');
  if (!Number.isFinite(date)) return 'AUTH_HEADER has no date';
  if (Math.abs(ctx.nowMs - date) > MAX_HEADER_SKEW_MS) return "the AUTH_HEADER date is more than 5 minutes from the database's clock";
  const target = fields.get('(request-target)');
  if (target === undefined || target.toLowerCase() !== ctx.database.service.toLowerCase()) return 'the AUTH_HEADER (request-target) is not this service';
  return undefined;
}
