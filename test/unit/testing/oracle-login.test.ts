import { sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Catalog, type IamPrincipal } from '../../../src/testing/oracle/catalog.js';
import { checkLogin, tokenDigest, type LoginContext, type LoginRequest } from '../../../src/testing/oracle/login.js';
import { parseAdminStatement, splitStatements } from '../../../src/testing/oracle/sql.js';
import { rsaKeyPairSync } from '../../../src/testing/key-pairs.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
const OTHER_TENANCY = 'ocid1.tenancy.oc1..aaaaother';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaacompartment';
const DATABASE = 'ocid1.autonomousdatabase.oc1.iad.aaaadatabase';
const ALICE = 'ocid1.user.oc1..aaaaalice';
const NOW = Date.UTC(2026, 10, 29, 9, 0, 0);
const database = { ocid: DATABASE, compartment: COMPARTMENT, tenancy: TENANCY, service: 'mydb_high', region: 'us-ashburn-1', path: 'acme:sales' };

const issuer = rsaKeyPairSync(2048);
const session = rsaKeyPairSync(2048);
const stranger = rsaKeyPairSync(2048);

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

function jwt(claims: Record<string, unknown>, o: { key?: KeyObject; alg?: string } = {}): string {
  const head = `${b64({ alg: o.alg ?? 'RS256', typ: 'JWT' })}.${b64({
    sub: ALICE,
    tenant: TENANCY,
    scope: `urn:oracle:db::id::${COMPARTMENT}::${DATABASE}`,
    region: 'us-ashburn-1',
    jti: 'token-1',
    exp: NOW / 1000 + 3600,
    jwk: session.publicKey.export({ format: 'jwk' }),
    ...claims,
  })}`;
  return `${head}.${sign('sha256', Buffer.from(head), o.key ?? issuer.privateKey).toString('base64url')}`;
}

/** The pairs node-oracledb sends: the token, and the header signed with `key`. */
function request(token: string, o: { key?: KeyObject; date?: number; target?: string; omitProof?: boolean; fn?: number } = {}): LoginRequest {
  const header = `date: ${new Date(o.date ?? NOW).toUTCString()}\n(request-target): ${o.target ?? 'mydb_high'}\nhost: 127.0.0.1:1522`;
  const pairs = new Map([
    ['AUTH_TOKEN', token],
    ['SESSION_CLIENT_DRIVER_NAME', 'node-oracledb : 6.10.0 thn'],
  ]);
  if (!o.omitProof) {
    pairs.set('AUTH_HEADER', header);
    pairs.set('AUTH_SIGNATURE', sign('sha256', Buffer.from(header), o.key ?? session.privateKey).toString('base64'));
  }
  return { fn: o.fn ?? 115, mode: o.omitProof ? 0x1 : 0x20000001, user: '', pairs };
}

function context(over: Partial<LoginContext> = {}, script = "CREATE USER app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app"): LoginContext {
  const catalog = new Catalog(TENANCY);
  for (const s of splitStatements(script)) catalog.apply(parseAdminStatement(s));
  const directory = new Map<string, IamPrincipal>([[ALICE, { ocid: ALICE, tenancy: TENANCY, name: 'alice', groups: [{ name: 'db_users' }] }]]);
  return { nowMs: NOW, issuer: issuer.publicKey, database, directory: (o) => directory.get(o), catalog, revoked: () => false, ...over };
}

describe('checkLogin', () => {
  it('a good login: the mapped user, the IAM name and OCID, and what is safe to record of the token', () => {
    const token = jwt({});
    const v = checkLogin(request(token), context());
    expect(v).toEqual({
      ok: true,
      token: { principal: ALICE, tenancy: TENANCY, scope: `urn:oracle:db::id::${COMPARTMENT}::${DATABASE}`, region: 'us-ashburn-1', jti: 'token-1', expiresAt: new Date(NOW + 3600_000) },
      session: { user: 'APP', mapping: 'IAM_GROUP_NAME=db_users', exclusive: false, globalRoles: [], principal: ALICE, identity: 'alice' },
    });
    expect(JSON.stringify(v)).not.toContain(token.split('.')[2]);
  });

  it.each([
    ['* in the database\'s tenancy', { scope: 'urn:oracle:db::id::*' }],
    ['the tenancy', { scope: `urn:oracle:db::id::${TENANCY}` }],
    ['the compartment', { scope: `urn:oracle:db::id::${COMPARTMENT}` }],
    ['the compartment and database', {}],
  ])('a scope of %s covers the database', (_n, claims) => {
    expect(checkLogin(request(jwt(claims)), context()).ok).toBe(true);
  });

  it.each([
    ['the tenancy', 'acme'],
    ['the tenancy and compartment', 'acme:sales'],
    ['the tenancy, compartment and database', `acme:sales::${DATABASE}`],
    ['the tenancy and database', `acme::${DATABASE}`],
  ])('a path scope naming %s covers the database', (_n, path) => {
    expect(checkLogin(request(jwt({ scope: `urn:oracle:db::path::${path}` })), context()).ok).toBe(true);
  });

  it('a path scope covers a database in a nested compartment when it names the whole compartment path', () => {
    const nested = context({ database: { ...database, path: 'acme:sales:eu' } });
    expect(checkLogin(request(jwt({ scope: 'urn:oracle:db::path::acme:sales:eu' })), nested).ok).toBe(true);
    expect(checkLogin(request(jwt({ scope: 'urn:oracle:db::path::acme' })), nested).ok).toBe(true);
    expect(checkLogin(request(jwt({ scope: 'urn:oracle:db::path::acme:sales' })), nested)).toMatchObject({ ok: false, reason: "the db-token scope names another compartment than the database's" });
    expect(checkLogin(request(jwt({ scope: 'urn:oracle:db::path::acme:eu' })), nested)).toMatchObject({ ok: false, reason: "the db-token scope names another compartment than the database's" });
  });

  it('a path scope naming a compartment does not cover a database in the root compartment', () => {
    const root = context({ database: { ...database, compartment: TENANCY, path: 'acme' } });
    expect(checkLogin(request(jwt({ scope: `urn:oracle:db::path::acme::${DATABASE}` })), root).ok).toBe(true);
    expect(checkLogin(request(jwt({ scope: `urn:oracle:db::path::acme:sales::${DATABASE}` })), root)).toMatchObject({ ok: false, error: { errorNum: 25707 }, reason: "the db-token scope names another compartment than the database's" });
  });

  it('a path scope from a caller of another tenancy covers the database it names (cross-tenancy)', () => {
    const ctx = context({ directory: () => ({ ocid: ALICE, tenancy: OTHER_TENANCY, name: 'alice', groups: [{ name: 'db_users' }] }) }, `CREATE USER partner IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${OTHER_TENANCY}:db_users'; GRANT CREATE SESSION TO partner`);
    expect(checkLogin(request(jwt({ tenant: OTHER_TENANCY, scope: 'urn:oracle:db::path::acme:sales' })), ctx)).toMatchObject({ ok: true, session: { user: 'PARTNER' } });
  });

  it('a caller of another tenancy comes in with a scope naming this one (cross-tenancy)', () => {
    const ctx = context({ directory: () => ({ ocid: ALICE, tenancy: OTHER_TENANCY, name: 'alice', groups: [{ name: 'db_users' }] }) }, `CREATE USER partner IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${OTHER_TENANCY}:db_users'; GRANT CREATE SESSION TO partner`);
    expect(checkLogin(request(jwt({ tenant: OTHER_TENANCY, scope: `urn:oracle:db::id::${TENANCY}` })), ctx)).toMatchObject({ ok: true, session: { user: 'PARTNER' } });
    expect(checkLogin(request(jwt({ tenant: OTHER_TENANCY, scope: 'urn:oracle:db::id::*' })), ctx)).toMatchObject({ ok: false, error: { errorNum: 25707 } });
  });

  const refusals: [string, () => LoginRequest, number, string, Partial<LoginContext>?][] = [
    ['a password login', () => request(jwt({}), { fn: 118 }), 1017, 'a password login (the emulator has only IAM token logins)'],
    ['no token', () => ({ fn: 115, mode: 1, user: 'scott', pairs: new Map() }), 1017, 'no AUTH_TOKEN: not a token login'],
    ['a token that is no JWT', () => request('not-a-jwt'), 25707, 'malformed db-token'],
    ['a token signed by another issuer', () => request(jwt({}, { key: stranger.privateKey })), 25707, 'db-token signature does not verify'],
    ['an unsigned token', () => request(jwt({}, { alg: 'none' })), 25707, 'db-token is not RS256'],
    ['an expired token', () => request(jwt({ exp: NOW / 1000 - 1 })), 25708, 'db-token has expired'],
    ['a token not yet valid', () => request(jwt({ nbf: NOW / 1000 + 60 })), 25707, 'db-token is not yet valid'],
    ['a revoked token', () => request(jwt({})), 25707, 'the db-token was revoked', { revoked: (id: string) => id === 'token-1' }],
    ['a revoked token without jti', () => request(jwt({ jti: undefined })), 25707, 'the db-token was revoked', { revoked: (id: string) => id === tokenDigest(jwt({ jti: undefined })) }],
    ['a token without tenant', () => request(jwt({ tenant: undefined })), 25707, 'the db-token has no tenant claim'],
    ['a token without scope', () => request(jwt({ scope: undefined })), 25707, 'the db-token has no scope'],
    ['a malformed scope', () => request(jwt({ scope: 'urn:oracle:db::id::mydb' })), 25707, 'the db-token scope is not a urn:oracle:db::id:: or urn:oracle:db::path:: URN'],
    ['a malformed path scope', () => request(jwt({ scope: `urn:oracle:db::path::${TENANCY}` })), 25707, 'the db-token scope is not a urn:oracle:db::id:: or urn:oracle:db::path:: URN'],
    ['a path scope naming another tenancy', () => request(jwt({ scope: 'urn:oracle:db::path::globex:sales' })), 25707, "the db-token scope names another tenancy than the database's"],
    ['a path scope naming another compartment', () => request(jwt({ scope: 'urn:oracle:db::path::acme:marketing' })), 25707, "the db-token scope names another compartment than the database's"],
    ['a path scope naming another database', () => request(jwt({ scope: 'urn:oracle:db::path::acme:sales::ocid1.autonomousdatabase.oc1.iad.aaaaother' })), 25707, 'the db-token scope names another database'],
    ['a path scope naming another database in the tenancy', () => request(jwt({ scope: 'urn:oracle:db::path::acme::ocid1.autonomousdatabase.oc1.iad.aaaaother' })), 25707, 'the db-token scope names another database'],
    ['a path scope naming the tenancy in another letter case', () => request(jwt({ scope: 'urn:oracle:db::path::ACME' })), 25707, "the db-token scope names another tenancy than the database's"],
    ['a path scope, at a database without a path', () => request(jwt({ scope: 'urn:oracle:db::path::acme' })), 25707, 'the db-token has a path scope, and the database has no path (tenancy and compartment names) to match', { database: { ...database, path: undefined } }],
    ['another tenancy', () => request(jwt({ scope: `urn:oracle:db::id::${OTHER_TENANCY}` })), 25707, "the db-token scope names another tenancy than the database's"],
    ['another compartment', () => request(jwt({ scope: 'urn:oracle:db::id::ocid1.compartment.oc1..aaaaother' })), 25707, "the db-token scope names another compartment than the database's"],
    ['another database', () => request(jwt({ scope: `urn:oracle:db::id::${COMPARTMENT}::ocid1.autonomousdatabase.oc1.iad.aaaaother` })), 25707, 'the db-token scope names another database'],
    ['no region', () => request(jwt({ region: undefined })), 25707, 'the db-token has no region claim'],
    ['another region', () => request(jwt({ region: 'eu-frankfurt-1' })), 25707, "the db-token was issued in eu-frankfurt-1, not the database's region us-ashburn-1"],
    ['a token without its key', () => request(jwt({}), { omitProof: true }), 25711, 'no AUTH_HEADER and AUTH_SIGNATURE: the token came without its private key'],
    ['a header signed with another key', () => request(jwt({}), { key: stranger.privateKey }), 25711, "AUTH_SIGNATURE does not verify with the token's jwk: the private key is not the token's"],
    ['a header dated 6 minutes ago', () => request(jwt({}), { date: NOW - 6 * 60_000 }), 25711, "the AUTH_HEADER date is more than 5 minutes from the database's clock"],
    ['a header dated 6 minutes ahead', () => request(jwt({}), { date: NOW + 6 * 60_000 }), 25711, "the AUTH_HEADER date is more than 5 minutes from the database's clock"],
    ['a header for another service', () => request(jwt({}), { target: 'otherdb_high' }), 25711, 'the AUTH_HEADER (request-target) is not this service'],
    ['an unmapped principal', () => request(jwt({ sub: 'ocid1.user.oc1..aaaastranger' })), 1017, 'no global user or role maps this principal'],
    ['a user without CREATE SESSION', () => request(jwt({})), 1017, 'the global user APP lacks the CREATE SESSION privilege', { catalog: (() => {
      const c = new Catalog(TENANCY);
      c.apply(parseAdminStatement("CREATE USER app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'"));
      return c;
    })() }],
  ];

  it.each(refusals)('refuses %s', (_n, req, code, reason, over) => {
    const v = checkLogin(req(), context(over));
    expect(v).toMatchObject({ ok: false, reason, error: { errorNum: code } });
  });

  it('a header 4 minutes off either way, and a service named in another letter case, are fine', () => {
    expect(checkLogin(request(jwt({}), { date: NOW - 4 * 60_000 }), context()).ok).toBe(true);
    expect(checkLogin(request(jwt({}), { date: NOW + 4 * 60_000, target: 'MYDB_HIGH' }), context()).ok).toBe(true);
  });

  it("the refusals carry Oracle's texts", () => {
    const text = (req: LoginRequest) => {
      const v = checkLogin(req, context());
      return v.ok ? undefined : v.error.message;
    };
    expect(text(request(jwt({ region: 'x' })))).toBe('ORA-25707: The token is invalid.');
    expect(text(request(jwt({ exp: 1 })))).toBe('ORA-25708: The expiration time of the token has passed.');
    expect(text(request(jwt({}), { omitProof: true }))).toBe('ORA-25711: The private key is missing or invalid.');
    expect(text(request(jwt({ sub: 'ocid1.user.oc1..x' })))).toBe('ORA-01017: invalid credential or not authorized; logon denied');
  });
});
