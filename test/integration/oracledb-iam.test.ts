// The oracledb adapter end to end: real node-oracledb (thin, TCPS) logs in to the Oracle Database
// emulator with ociDbToken() tokens issued by the OCI Identity emulator.
import oracledb from 'oracledb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIamPool, tokenProvider, type DbToken, type TokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { createOracledbPool } from 'dbtoken/oracledb';
import { oracleGlobalUser } from 'dbtoken/provision';
import { startOciIdentityEmulator, startOracleDbEmulator, type OciIdentityEmulator, type OracleDbEmulator, type OracleDbEmulatorDatabase, type OracleDbLogin } from 'dbtoken/testing';
import { buildCli, dbtoken } from '../helpers/cli.js';
import { rsaKeys, tempDir, writeProfile, type Keys } from '../helpers/oci-files.js';

const TENANCY_A = 'ocid1.tenancy.oc1..aaaaiamtenancya00000000000000000000000000000000000000000000000';
const TENANCY_B = 'ocid1.tenancy.oc1..aaaaiamtenancyb00000000000000000000000000000000000000000000000';
const COMP_A = 'ocid1.compartment.oc1..aaaaiamcompa0000000000000000000000000000000000000000000000000';
const COMP_B = 'ocid1.compartment.oc1..aaaaiamcompb0000000000000000000000000000000000000000000000000';
const COMP_OTHER = 'ocid1.compartment.oc1..aaaaiamcompother00000000000000000000000000000000000000000000';
const DB_A = 'ocid1.autonomousdatabase.oc1.iad.aaaaiamdba00000000000000000000000000000000000000000000000';
const DB_B = 'ocid1.autonomousdatabase.oc1.iad.aaaaiamdbb00000000000000000000000000000000000000000000000';
const DB_F = 'ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaaiamdbf0000000000000000000000000000000000000000';
const ASHBURN = 'us-ashburn-1';
const FRANKFURT = 'eu-frankfurt-1';

const ALICE = 'ocid1.user.oc1..aaaaiamalice0000000000000000000000000000000000000000000000000000';
const BOB = 'ocid1.user.oc1..aaaaiambob000000000000000000000000000000000000000000000000000000';
const CAROL = 'ocid1.user.oc1..aaaaiamcarol0000000000000000000000000000000000000000000000000000';
const PAT = 'ocid1.user.oc1..aaaaiampat000000000000000000000000000000000000000000000000000000';
const QUINN = 'ocid1.user.oc1..aaaaiamquinn0000000000000000000000000000000000000000000000000000';

const keys: Record<string, Keys> = { [ALICE]: rsaKeys(), [BOB]: rsaKeys(), [CAROL]: rsaKeys(), [PAT]: rsaKeys(), [QUINN]: rsaKeys() };
const TENANCY_OF: Record<string, string> = { [ALICE]: TENANCY_A, [BOB]: TENANCY_A, [CAROL]: TENANCY_A, [PAT]: TENANCY_A, [QUINN]: TENANCY_A };

/** Lifetime of the db-tokens of the second identity emulator, for rollovers: several pass during one test. */
const SHORT_TOKEN_SECONDS = 8;
/** Provider settings that fit those tokens: refresh 2 s ahead, hand none out with less than 1 s left. */
const SHORT_TOKEN_PROVIDER = { refreshBefore: 2_000, minValidity: 1_000 };

const IDENTITY_QUERY =
  "select sys_context('userenv','current_schema'), sys_context('userenv','session_user'), sys_context('userenv','authenticated_identity'), sys_context('userenv','authentication_method'), sys_context('userenv','enterprise_identity') from dual";

const DATABASE_A: OracleDbEmulatorDatabase = { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'g1a_iam_high.adb.oraclecloud.com', region: ASHBURN };

let iam: OciIdentityEmulator;
let iamShort: OciIdentityEmulator; // the same directory, issuing 8-second tokens
let ashburn: OracleDbEmulator; // tenancy A, compartment A, us-ashburn-1
let partner: OracleDbEmulator; // tenancy B, compartment B, us-ashburn-1: reached cross-tenancy
let frankfurt: OracleDbEmulator; // tenancy A, compartment A, eu-frankfurt-1
let ahead: OracleDbEmulator; // the Ashburn database, its clock two hours ahead of the client's
let short: OracleDbEmulator; // the Ashburn database, trusting iamShort
const started: OracleDbEmulator[] = [];
const providers: TokenProvider[] = [];
const pools: oracledb.Pool[] = [];

async function database(identity: OciIdentityEmulator, db: OracleDbEmulatorDatabase, now?: () => number): Promise<OracleDbEmulator> {
  const emulator = await startOracleDbEmulator({ identity, database: db, ...(now ? { now } : {}) });
  started.push(emulator);
  return emulator;
}

/**
 * An `ociDbToken()` provider for a directory user's API key (a profile whose region is Ashburn), reaching
 * `identity` (default `iam`): the IAM of `region` when given, else of the profile's region.
 */
function ociToken(user: string, scope: string, opts: { region?: string; identity?: OciIdentityEmulator; provider?: Parameters<typeof ociDbToken>[1] } = {}): TokenProvider {
  const { configFile } = writeProfile(tempDir(), { keys: keys[user]!, user, tenancy: TENANCY_OF[user]!, region: ASHBURN });
  const identity = opts.identity ?? iam;
  const where = opts.region ? { region: opts.region, endpoint: `${identity.url}/{region}` } : { endpoint: identity.endpointFor(ASHBURN) };
  const p = ociDbToken({ scope, ...where, auth: { type: 'api_key', configFile } }, opts.provider);
  providers.push(p);
  return p;
}

/**
 * A pool on an emulator that opens no connection ahead and grows one at a time. With
 * `maxLifetimeSession` (seconds), a released connection older than that is closed, so a later
 * `getConnection` logs in anew (node-oracledb thin keeps released connections, `drop` or not).
 */
async function pool(kind: 'createIamPool' | 'createOracledbPool', token: TokenProvider, db: OracleDbEmulator, maxLifetimeSession = 0): Promise<oracledb.Pool> {
  const attributes = { connectString: db.connectString, walletContent: db.wallet, poolMin: 0, poolMax: 4, poolIncrement: 1, maxLifetimeSession };
  const p = kind === 'createIamPool' ? await createIamPool({ driver: 'oracledb', token, ...attributes }) : await createOracledbPool({ token, ...attributes });
  pools.push(p);
  return p;
}

/** The identity query's one row, on a connection from the pool, released again. */
async function identityThrough(p: oracledb.Pool): Promise<unknown[]> {
  const conn = await p.getConnection();
  try {
    return (await conn.execute(IDENTITY_QUERY)).rows![0] as unknown[];
  } finally {
    await conn.close();
  }
}

/** The claims a test reads from a db-token: which token it is and when it expires. */
function claims(token: string): { jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string; exp: number };
}

/** Successful db-token requests the identity emulator answered since `mark`. */
function issuedSince(identity: OciIdentityEmulator, mark: number): number {
  return identity.requests.slice(mark).filter((r) => r.ok).length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Handed {
  refresh: boolean;
  jti: string;
  /** The token's `exp`, in ms. */
  expiresAt: number;
  /** When the driver got it, on the client's clock. */
  at: number;
}

/**
 * Records what the adapter's `accessToken` callback hands node-oracledb, and with which `refresh` flag,
 * by wrapping the callback on its way into the driver's `createPool`. `onRefresh` sees each token
 * handed with `refresh` true.
 */
function recordTokenCallback(onRefresh?: (token: string) => void): Handed[] {
  const handed: Handed[] = [];
  const createPool = oracledb.createPool.bind(oracledb) as (a: oracledb.PoolAttributes) => Promise<oracledb.Pool>;
  vi.spyOn(oracledb, 'createPool').mockImplementationOnce(((attrs: oracledb.PoolAttributes) => {
    const callback = attrs.accessToken as (refresh: boolean) => Promise<{ token: string; privateKey: string }>;
    return createPool({
      ...attrs,
      accessToken: async (refresh: boolean) => {
        const given = await callback(refresh);
        const c = claims(given.token);
        handed.push({ refresh, jti: c.jti, expiresAt: c.exp * 1000, at: Date.now() });
        if (refresh) onRefresh?.(given.token);
        return given;
      },
    } as oracledb.PoolAttributes);
  }) as never);
  return handed;
}

beforeAll(async () => {
  const user = (ocid: string, name: string, groups: string[], domain?: string) => ({
    ocid,
    name,
    groups,
    ...(domain ? { domain } : {}),
    apiKeys: [{ fingerprint: keys[ocid]!.fingerprint, publicKey: keys[ocid]!.publicPem }],
  });
  const tenancies = [
    {
      ocid: TENANCY_A,
      users: [
        user(ALICE, 'alice', ['db_users']),
        user(BOB, 'bob', []),
        user(CAROL, 'carol', ['visitors']),
        user(PAT, 'pat', ['db_provisioned']),
        user(QUINN, 'quinn', [], 'ops_domain'),
      ],
    },
    { ocid: TENANCY_B, users: [] },
  ];
  [iam, iamShort] = await Promise.all([
    startOciIdentityEmulator({ tenancies, regions: [ASHBURN, FRANKFURT] }),
    startOciIdentityEmulator({ tenancies, regions: [ASHBURN], tokenLifetimeSeconds: SHORT_TOKEN_SECONDS }),
  ]);
  [ashburn, partner, frankfurt, ahead, short] = await Promise.all([
    database(iam, DATABASE_A),
    database(iam, { ocid: DB_B, compartment: COMP_B, tenancy: TENANCY_B, service: 'g1b_partner_tp.adb.oraclecloud.com', region: ASHBURN }),
    database(iam, { ocid: DB_F, compartment: COMP_A, tenancy: TENANCY_A, service: 'g1f_iam_low.adb.oraclecloud.com', region: FRANKFURT }),
    database(iam, DATABASE_A, () => Date.now() + 2 * 3600_000),
    database(iamShort, DATABASE_A),
  ]);
  const appUsers = `CREATE USER app_users IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app_users;`;
  for (const db of [ashburn, frankfurt, ahead, short]) await db.admin(appUsers);
  await ashburn.admin(`CREATE USER bob IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=bob'; GRANT CREATE SESSION TO bob;`);
  await partner.admin(`
    CREATE USER partner IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY_A}:db_users';
    GRANT CREATE SESSION TO partner;
  `);
}, 120_000);

afterEach(async () => {
  vi.restoreAllMocks();
  for (const p of pools.splice(0)) await p.close(0).catch(() => {});
  for (const p of providers.splice(0)) p.close();
});

afterAll(async () => {
  await Promise.all(started.map((db) => db.close()));
  await Promise.all([iam?.close(), iamShort?.close()]);
});

describe('logins with ociDbToken() tokens, through the adapter', () => {
  it('createIamPool, a group mapping: the identity query answers the mapped schema, the IAM user, TOKEN_GLOBAL and the OCID', async () => {
    const mark = ashburn.logins.length;
    const p = await pool('createIamPool', ociToken(ALICE, ociScope.database(COMP_A, DB_A)), ashburn);
    expect(p).toBeInstanceOf(oracledb.Pool);
    expect(await identityThrough(p)).toEqual(['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]);
    expect(ashburn.logins.slice(mark)).toMatchObject([
      { ok: true, user: 'APP_USERS', mapping: 'IAM_GROUP_NAME=db_users', principal: ALICE, tenancy: TENANCY_A, scope: ociScope.database(COMP_A, DB_A), region: ASHBURN },
    ]);
  });

  it('createOracledbPool, a principal mapping: an exclusive global user', async () => {
    const mark = ashburn.logins.length;
    const p = await pool('createOracledbPool', ociToken(BOB, ociScope.compartment(COMP_A)), ashburn);
    expect(await identityThrough(p)).toEqual(['BOB', 'BOB', 'bob', 'TOKEN_GLOBAL', BOB]);
    const conn = await p.getConnection(); // the same session, from the pool
    try {
      expect((await conn.execute("select sys_context('userenv','identification_type') from dual")).rows).toEqual([['GLOBAL EXCLUSIVE']]);
    } finally {
      await conn.close();
    }
    expect(ashburn.logins.slice(mark)).toMatchObject([{ ok: true, user: 'BOB', mapping: 'IAM_PRINCIPAL_NAME=bob' }]);
  });

  it("createIamPool, cross-tenancy: a tenancy-A user's token scoped to tenancy B's database, mapped by tenancy-qualified group", async () => {
    const mark = partner.logins.length;
    const p = await pool('createIamPool', ociToken(ALICE, ociScope.database(COMP_B, DB_B)), partner);
    expect(await identityThrough(p)).toEqual(['PARTNER', 'PARTNER', 'alice', 'TOKEN_GLOBAL', ALICE]);
    expect(partner.logins.slice(mark)).toMatchObject([{ ok: true, user: 'PARTNER', tenancy: TENANCY_A, mapping: `IAM_GROUP_NAME=${TENANCY_A}:db_users` }]);
  });

  it("createOracledbPool, another region: ociDbToken({ region }) gets the token from the database's region", async () => {
    const mark = frankfurt.logins.length;
    const requests = iam.requests.length;
    const p = await pool('createOracledbPool', ociToken(ALICE, ociScope.compartment(COMP_A), { region: FRANKFURT }), frankfurt);
    expect(await identityThrough(p)).toEqual(['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]);
    expect(iam.requests.slice(requests)).toMatchObject([{ ok: true, region: FRANKFURT, principal: ALICE }]);
    expect(frankfurt.logins.slice(mark)).toMatchObject([{ ok: true, region: FRANKFURT }]);
  });
});

describe('bad tokens through createOracledbPool are refused with Oracle codes; a refused login is retried once, never twice', () => {
  /** One `getConnection` on a new pool: the error, the login attempts it made, and the tokens issued for it. */
  async function refused(token: TokenProvider, db: OracleDbEmulator) {
    const mark = db.logins.length;
    const requests = iam.requests.length;
    const p = await pool('createOracledbPool', token, db);
    const err = (await p.getConnection().then(
      async (conn) => {
        await conn.close();
        return new Error('the login succeeded');
      },
      (e: unknown) => e,
    )) as Error & { errorNum?: number; code?: string };
    return { err, logins: db.logins.slice(mark), issued: issuedSince(iam, requests) };
  }

  /** Refused twice: with the pool's token, then, after the adapter invalidated it, with a fresh one; never a third time. */
  function refusedTwice(logins: OracleDbLogin[], errorNum: number, reason: string, issued: number): void {
    expect(logins).toMatchObject([
      { ok: false, errorNum, reason },
      { ok: false, errorNum, reason },
    ]);
    // The emulator reads no claims from an expired token; the other refusals name the token.
    if (errorNum !== 25708) expect(logins[0]!.tokenId).not.toBe(logins[1]!.tokenId);
    expect(issued).toBe(2);
  }

  it('a token paired with another key: ORA-25711, not retried (the token is not at fault)', async () => {
    const scope = ociScope.database(COMP_A, DB_A);
    const [alice, bob] = await Promise.all([ociToken(ALICE, scope).getToken(), ociToken(BOB, scope).getToken()]);
    const mismatched = tokenProvider(async (): Promise<DbToken> => ({ token: alice.token, privateKey: bob.privateKey!, expiresAt: alice.expiresAt }));
    providers.push(mismatched);
    const { err, logins } = await refused(mismatched, ashburn);
    expect(err).toMatchObject({ errorNum: 25711, code: 'ORA-25711' });
    expect(err.message).toMatch(/^ORA-25711: The private key is missing or invalid\./);
    expect(logins).toMatchObject([{ ok: false, errorNum: 25711, principal: ALICE, reason: expect.stringContaining('does not verify') }]);
  });

  it("a token for another database's compartment: ORA-25707", async () => {
    const { err, logins, issued } = await refused(ociToken(ALICE, ociScope.compartment(COMP_OTHER)), ashburn);
    expect(err).toMatchObject({ errorNum: 25707, code: 'ORA-25707' });
    expect(err.message).toMatch(/^ORA-25707: The token is invalid\./);
    refusedTwice(logins, 25707, "the db-token scope names another compartment than the database's", issued);
  });

  it("a token from another region: ORA-25707 (without region, the token comes from the profile's region)", async () => {
    const { err, logins, issued } = await refused(ociToken(ALICE, ociScope.compartment(COMP_A)), frankfurt);
    expect(err).toMatchObject({ errorNum: 25707 });
    refusedTwice(logins, 25707, `the db-token was issued in ${ASHBURN}, not the database's region ${FRANKFURT}`, issued);
  });

  it("an expired token, the database's clock ahead of the client's: ORA-25708 (which the driver relabels NJS-087)", async () => {
    const { err, logins, issued } = await refused(ociToken(ALICE, ociScope.database(COMP_A, DB_A)), ahead);
    expect(err.errorNum).toBe(25708);
    expect(err.message).toMatch(/ORA-25708: The expiration time of the token has passed\./);
    refusedTwice(logins, 25708, 'db-token has expired', issued);
  });

  it('an unmapped user: ORA-01017', async () => {
    const { err, logins, issued } = await refused(ociToken(CAROL, ociScope.database(COMP_A, DB_A)), ashburn);
    expect(err).toMatchObject({ errorNum: 1017, code: 'ORA-01017' });
    refusedTwice(logins, 1017, 'no global user or role maps this principal', issued);
    expect(logins[0]!.principal).toBe(CAROL);
  });
});

describe('recovery: a refused login invalidates exactly that token, and the connection is retried once with a fresh one', () => {
  it('a token revoked at the database: one refusal, one new token, and the connection succeeds', async () => {
    const token = ociToken(ALICE, ociScope.database(COMP_A, DB_A));
    const requests = iam.requests.length;
    const p = await pool('createOracledbPool', token, ashburn);
    const held = await token.getToken(); // the token the pool was created with
    expect(issuedSince(iam, requests)).toBe(1);
    ashburn.revoke(held.token);
    const mark = ashburn.logins.length;
    expect(await identityThrough(p)).toEqual(['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]);
    const logins = ashburn.logins.slice(mark);
    expect(logins).toMatchObject([
      { ok: false, errorNum: 25707, reason: 'the db-token was revoked', tokenId: claims(held.token).jti },
      { ok: true, user: 'APP_USERS' },
    ]);
    expect(logins[1]!.tokenId).not.toBe(logins[0]!.tokenId);
    expect(issuedSince(iam, requests)).toBe(2); // the source was called again exactly once
    // The pool keeps the fresh token: a second connection logs in with it, and needs no new one.
    const [a, b] = await Promise.all([p.getConnection(), p.getConnection()]);
    await Promise.all([a.close(), b.close()]);
    expect(ashburn.logins.slice(mark + 2)).toMatchObject([{ ok: true, tokenId: logins[1]!.tokenId }]);
    expect(issuedSince(iam, requests)).toBe(2);
  });

  it('concurrent connections refused with the same revoked token share one new token, each retried at most once', async () => {
    const token = ociToken(ALICE, ociScope.database(COMP_A, DB_A));
    const requests = iam.requests.length;
    const p = await pool('createOracledbPool', token, ashburn);
    const revoked = claims((await token.getToken()).token).jti;
    ashburn.revoke((await token.getToken()).token);
    const mark = ashburn.logins.length;
    const conns = await Promise.all([p.getConnection(), p.getConnection(), p.getConnection()]);
    for (const c of conns) await c.close();
    const logins = ashburn.logins.slice(mark);
    const refusals = logins.filter((l) => !l.ok);
    const successes = logins.filter((l) => l.ok);
    expect(successes).toHaveLength(3);
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(3); // one retry per connection at most
    for (const r of refusals) expect(r).toMatchObject({ errorNum: 25707, tokenId: revoked });
    expect(new Set(successes.map((l) => l.tokenId)).size).toBe(1);
    expect(successes[0]!.tokenId).not.toBe(revoked);
    expect(issuedSince(iam, requests)).toBe(2);
  });

  it('a token swapped into the pool near its old one\'s expiry that the database refuses is the one invalidated and replaced', async () => {
    const handed = recordTokenCallback();
    const token = ociToken(ALICE, ociScope.database(COMP_A, DB_A), { identity: iamShort, provider: SHORT_TOKEN_PROVIDER });
    const mark = short.logins.length;
    const p = await pool('createOracledbPool', token, short, 1);
    expect(await identityThrough(p)).toEqual(['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]);
    // Past the pool token's expiry: the next connection swaps in the provider's token, which the database refuses.
    await sleep(handed[0]!.expiresAt - Date.now() + 50);
    const next = await token.getToken();
    short.revoke(next.token);
    expect(await identityThrough(p)).toEqual(['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]);
    const logins = short.logins.slice(mark);
    expect(logins).toMatchObject([{ ok: true, tokenId: handed[0]!.jti }, { ok: false, errorNum: 25707, reason: 'the db-token was revoked' }, { ok: true }]);
    expect(new Set(logins.map((l) => l.tokenId)).size).toBe(3);
    expect(claims((await token.getToken()).token).jti).not.toBe(claims(next.token).jti); // the refused one was forgotten
    // Both replacements were the adapter's (setAccessToken): the driver's callback ran only for the first token.
    expect(handed.map((h) => h.refresh)).toEqual([false]);
  }, 60_000);
});

describe('rollover', () => {
  it('a pool opens new connections across several token lifetimes: each login with a token valid at that moment, none refused', async () => {
    const handed = recordTokenCallback();
    const token = ociToken(ALICE, ociScope.database(COMP_A, DB_A), { identity: iamShort, provider: SHORT_TOKEN_PROVIDER });
    const mark = short.logins.length;
    const p = await pool('createIamPool', token, short, 1);
    const rollovers = 3;
    // Each round sleeps over a second: a bound on rounds, not on time.
    const rounds = (rollovers + 3) * SHORT_TOKEN_SECONDS;
    let opened = 0;
    // New connections at any moment of a token's life, its last one included: the adapter hands the pool
    // the provider's token in the background once the held one is close to expiry, and a login made
    // meanwhile with the held one still reaches the database before that one expires.
    while (new Set(short.logins.slice(mark).map((l) => l.tokenId)).size <= rollovers) {
      expect(opened, 'the pool did not roll its token over in time').toBeLessThan(rounds);
      expect(await identityThrough(p)).toEqual(['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]);
      opened += 1;
      await sleep(1_050); // past maxLifetimeSession: the next getConnection opens a new connection
    }
    const logins = short.logins.slice(mark);
    expect(logins).toHaveLength(opened); // each getConnection opened a new connection
    expect(logins.filter((l) => !l.ok)).toEqual([]);
    for (const l of logins) expect(l.at.getTime()).toBeLessThan(l.expiresAt!.getTime());
    // The first token came through the driver's callback; each later one replaced the last before it expired.
    expect(handed.map((h) => h.refresh)).toEqual([false]);
    const runs = logins.map((l) => ({ id: l.tokenId, expiresAt: l.expiresAt!.getTime() })).filter((r, i, all) => i === 0 || r.id !== all[i - 1]!.id);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length); // none came back once replaced
    for (const [i, r] of runs.entries()) if (i > 0) expect(r.expiresAt).toBeGreaterThan(runs[i - 1]!.expiresAt);
  }, 120_000);
});

describe("provisioning: what 'dbtoken sql oracle' and dbtoken/provision print, applied through admin(), makes the login work", () => {
  beforeAll(async () => {
    await buildCli();
  }, 180_000);

  async function sql(args: string[]): Promise<string> {
    const r = await dbtoken(['sql', 'oracle', ...args]);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    return r.stdout;
  }

  it('the CLI, a group mapping: refused (ORA-01017) before the statements, logged in after', async () => {
    const db = await database(iam, DATABASE_A);
    const p = await pool('createOracledbPool', ociToken(PAT, ociScope.database(COMP_A, DB_A)), db);
    expect(await p.getConnection().catch((e: unknown) => e)).toMatchObject({ errorNum: 1017 });
    await db.admin(await sql(['--user', 'prov_app', '--iam-group', 'db_provisioned']));
    expect(await identityThrough(p)).toEqual(['PROV_APP', 'PROV_APP', 'pat', 'TOKEN_GLOBAL', PAT]);
    expect(db.logins.at(-1)).toMatchObject({ ok: true, mapping: 'IAM_GROUP_NAME=db_provisioned' });
  });

  it('the CLI, cross-tenancy: a user and a global role for a group of the other tenancy', async () => {
    const db = await database(iam, { ocid: DB_B, compartment: COMP_B, tenancy: TENANCY_B, service: 'g1b_prov_tp', region: ASHBURN });
    await db.admin(await sql(['--user', 'xt_app', '--iam-group', 'db_users', '--tenancy', TENANCY_A]));
    await db.admin(await sql(['--role', 'xt_reader', '--iam-group', 'db_users', '--tenancy', TENANCY_A, '--privilege', 'SELECT ANY TABLE']));
    const p = await pool('createIamPool', ociToken(ALICE, ociScope.compartment(COMP_B)), db);
    expect(await identityThrough(p)).toEqual(['XT_APP', 'XT_APP', 'alice', 'TOKEN_GLOBAL', ALICE]);
    expect(db.logins.at(-1)).toMatchObject({ ok: true, user: 'XT_APP', globalRoles: ['XT_READER'], mapping: `IAM_GROUP_NAME=${TENANCY_A}:db_users` });
  });

  it('the builders: a principal in a named identity domain, and a principal by OCID', async () => {
    const db = await database(iam, DATABASE_A);
    await db.admin(
      [...oracleGlobalUser({ user: 'quinn', iamPrincipal: 'quinn', domain: 'ops_domain' }), ...oracleGlobalUser({ user: 'bob_by_ocid', iamPrincipalOcid: BOB })].join('\n'),
    );
    const scope = ociScope.database(COMP_A, DB_A);
    const quinn = await pool('createOracledbPool', ociToken(QUINN, scope), db);
    expect(await identityThrough(quinn)).toEqual(['QUINN', 'QUINN', 'quinn', 'TOKEN_GLOBAL', QUINN]);
    expect(db.logins.at(-1)).toMatchObject({ ok: true, mapping: 'IAM_PRINCIPAL_NAME=ops_domain/quinn' });
    const bob = await pool('createOracledbPool', ociToken(BOB, scope), db);
    expect(await identityThrough(bob)).toEqual(['BOB_BY_OCID', 'BOB_BY_OCID', 'bob', 'TOKEN_GLOBAL', BOB]);
    expect(db.logins.at(-1)).toMatchObject({ ok: true, mapping: `IAM_PRINCIPAL_OCID=${BOB}` });
  });
});
