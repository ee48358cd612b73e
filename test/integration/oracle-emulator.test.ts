import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type oracledbTypes from 'oracledb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbToken, TokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { createOracledbPool, oracledbAccessToken } from 'dbtoken/oracledb';
import { issueSecurityToken, startOciIdentityEmulator, startOracleDbEmulator, type OciIdentityEmulator, type OracleDbEmulator } from 'dbtoken/testing';
import { rsaKeys, tempDir, type Keys } from '../helpers/oci-files.js';

// Two tenancies: A holds the Ashburn database, B the Frankfurt one.
const TENANCY_A = 'ocid1.tenancy.oc1..aaaatenancya0000000000000000000000000000000000000000000000';
const TENANCY_B = 'ocid1.tenancy.oc1..aaaatenancyb0000000000000000000000000000000000000000000000';
const COMP_A = 'ocid1.compartment.oc1..aaaacompa00000000000000000000000000000000000000000000000000';
const COMP_B = 'ocid1.compartment.oc1..aaaacompb00000000000000000000000000000000000000000000000000';
const COMP_OTHER = 'ocid1.compartment.oc1..aaaacompother0000000000000000000000000000000000000000000000';
const DB_A = 'ocid1.autonomousdatabase.oc1.iad.aaaadba000000000000000000000000000000000000000000000000000';
const DB_B = 'ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaadbb0000000000000000000000000000000000000000000000';
const DB_OTHER = 'ocid1.autonomousdatabase.oc1.iad.aaaadbother00000000000000000000000000000000000000000000000';
const ASHBURN = 'us-ashburn-1';
const FRANKFURT = 'eu-frankfurt-1';

// Principals of tenancy A, and one of B.
const ALICE = 'ocid1.user.oc1..aaaaalice000000000000000000000000000000000000000000000000000000';
const BOB = 'ocid1.user.oc1..aaaabob00000000000000000000000000000000000000000000000000000000';
const CAROL = 'ocid1.user.oc1..aaaacarol000000000000000000000000000000000000000000000000000000';
const DAVE = 'ocid1.user.oc1..aaaadave0000000000000000000000000000000000000000000000000000000';
const ERIN = 'ocid1.user.oc1..aaaaerin0000000000000000000000000000000000000000000000000000000';
const FUNCTION = 'ocid1.fnfunc.oc1.iad.aaaafunction00000000000000000000000000000000000000000000000000';

const keys: Record<string, Keys> = { alice: rsaKeys(), bob: rsaKeys(), carol: rsaKeys(), dave: rsaKeys(), erin: rsaKeys() };
const issuer = rsaKeys();
const functionKey = rsaKeys();

let iam: OciIdentityEmulator;
let ashburn: OracleDbEmulator; // tenancy A, compartment A, us-ashburn-1
let frankfurt: OracleDbEmulator; // tenancy B, compartment B, eu-frankfurt-1
let ahead: OracleDbEmulator; // the Ashburn database, with a clock two hours ahead
let skewed: OracleDbEmulator; // the Ashburn database, with a clock six minutes ahead
let announcing: OracleDbEmulator; // the Ashburn database, its ACCEPT announcing end-of-request support
const providers: TokenProvider[] = [];

/** An OCI config file for one API-key user. */
function apiKeyAuth(user: string, tenancy: string, k: Keys): { type: 'api_key'; configFile: string } {
  const dir = tempDir();
  const keyFile = join(dir, 'key.pem');
  writeFileSync(keyFile, k.privatePem, { mode: 0o600 });
  const configFile = join(dir, 'config');
  writeFileSync(configFile, `[DEFAULT]\nuser=${user}\nfingerprint=${k.fingerprint}\nkey_file=${keyFile}\ntenancy=${tenancy}\nregion=${ASHBURN}\n`);
  return { type: 'api_key', configFile };
}

/** A session-token profile whose principal is the function (a dynamic group member). */
function functionAuth(): { type: 'security_token'; configFile: string } {
  const dir = tempDir();
  const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: FUNCTION, tenant: TENANCY_A, exp: Math.floor(Date.now() / 1000) + 3600, publicKey: functionKey.publicKey });
  writeFileSync(join(dir, 'token'), token);
  writeFileSync(join(dir, 'key.pem'), functionKey.privatePem, { mode: 0o600 });
  const configFile = join(dir, 'config');
  writeFileSync(configFile, `[DEFAULT]\nfingerprint=${functionKey.fingerprint}\nkey_file=${join(dir, 'key.pem')}\ntenancy=${TENANCY_A}\nregion=${ASHBURN}\nsecurity_token_file=${join(dir, 'token')}\n`);
  return { type: 'security_token', configFile };
}

function provider(...args: Parameters<typeof ociDbToken>): TokenProvider {
  const p = ociDbToken(...args);
  providers.push(p);
  return p;
}

/** Tokens fetched once and shared by the three drivers' runs. */
const tokens: Record<string, DbToken> = {};

beforeAll(async () => {
  iam = await startOciIdentityEmulator({
    tenancies: [
      {
        ocid: TENANCY_A,
        users: [
          { ocid: ALICE, name: 'alice', groups: ['db_users'], apiKeys: [{ fingerprint: keys.alice!.fingerprint, publicKey: keys.alice!.publicPem }] },
          { ocid: BOB, name: 'bob', domain: 'sales_domain', groups: ['db_sales'], apiKeys: [{ fingerprint: keys.bob!.fingerprint, publicKey: keys.bob!.publicPem }] },
          { ocid: CAROL, name: 'carol', groups: ['visitors'], apiKeys: [{ fingerprint: keys.carol!.fingerprint, publicKey: keys.carol!.publicPem }] },
          { ocid: DAVE, name: 'dave', apiKeys: [{ fingerprint: keys.dave!.fingerprint, publicKey: keys.dave!.publicPem }] },
        ],
        dynamicGroups: [{ name: 'adb_functions', members: [FUNCTION] }],
      },
      { ocid: TENANCY_B, users: [{ ocid: ERIN, name: 'erin', groups: ['analysts'], apiKeys: [{ fingerprint: keys.erin!.fingerprint, publicKey: keys.erin!.publicPem }] }] },
    ],
    tokenIssuer: { publicKey: issuer.publicPem },
    regions: [ASHBURN, FRANKFURT],
  });
  // By name, tenancy A is "acme" and compartment A its "sales" compartment (what path scopes name).
  const dbA = { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'g1a_dba_high.adb.oraclecloud.com', region: ASHBURN, path: 'acme:sales' };
  ashburn = await startOracleDbEmulator({ identity: iam, database: dbA });
  ahead = await startOracleDbEmulator({ identity: iam, database: dbA, now: () => Date.now() + 2 * 3600_000 });
  skewed = await startOracleDbEmulator({ identity: iam, database: dbA, now: () => Date.now() + 6 * 60_000 });
  announcing = await startOracleDbEmulator({ identity: iam, database: dbA, endOfRequest: true });
  frankfurt = await startOracleDbEmulator({ identity: iam, database: { ocid: DB_B, compartment: COMP_B, tenancy: TENANCY_B, service: 'dbb_tp', region: FRANKFURT } });
  for (const db of [ashburn, ahead, skewed, announcing]) {
    await db.admin(`
      CREATE USER app_users IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users';
      GRANT CREATE SESSION TO app_users;
      CREATE USER "Bob" IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=sales_domain/bob';
      GRANT CONNECT TO "Bob";
      CREATE USER functions IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=adb_functions';
      GRANT CREATE SESSION TO functions;
      CREATE USER dave IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_OCID=${DAVE}';
    `);
  }
  await frankfurt.admin(`
    CREATE USER partner IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY_A}:db_users';
    CREATE ROLE partner_role IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY_A}:db_users';
    GRANT CREATE SESSION TO partner_role;
    CREATE USER erin IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=erin';
    GRANT DWROLE TO erin;
  `);

  const fetch = (user: keyof typeof keys, tenancy: string, scope: string, region = ASHBURN) =>
    provider({ scope, region, auth: apiKeyAuth({ alice: ALICE, bob: BOB, carol: CAROL, dave: DAVE, erin: ERIN }[user], tenancy, keys[user]!), endpoint: `${iam.url}/{region}` }).getToken();
  const scopeA = ociScope.database(COMP_A, DB_A);
  [
    tokens.alice,
    tokens.bob,
    tokens.carol,
    tokens.dave,
    tokens.aliceCross,
    tokens.erin,
    tokens.aliceOtherCompartment,
    tokens.aliceFromFrankfurt,
    tokens.function,
    tokens.pathCompartment,
    tokens.pathDatabase,
    tokens.pathOtherTenancy,
    tokens.pathOtherCompartment,
    tokens.pathOtherDatabase,
  ] = await Promise.all([
    fetch('alice', TENANCY_A, scopeA),
    fetch('bob', TENANCY_A, ociScope.compartment(COMP_A)),
    fetch('carol', TENANCY_A, ociScope.tenancy(TENANCY_A)),
    fetch('dave', TENANCY_A, ociScope.all()),
    fetch('alice', TENANCY_A, ociScope.database(COMP_B, DB_B), FRANKFURT),
    fetch('erin', TENANCY_B, ociScope.all(), FRANKFURT),
    fetch('alice', TENANCY_A, ociScope.compartment(COMP_OTHER)),
    fetch('alice', TENANCY_A, scopeA, FRANKFURT),
    provider({ scope: ociScope.compartment(COMP_A), auth: functionAuth(), endpoint: iam.endpointFor(ASHBURN) }).getToken(),
    fetch('alice', TENANCY_A, ociScope.path({ tenancy: 'acme', compartment: 'sales' })),
    fetch('alice', TENANCY_A, ociScope.path({ tenancy: 'acme', compartment: 'sales', database: DB_A })),
    fetch('alice', TENANCY_A, ociScope.path({ tenancy: 'globex', compartment: 'sales' })),
    fetch('alice', TENANCY_A, ociScope.path({ tenancy: 'acme', compartment: 'marketing' })),
    fetch('alice', TENANCY_A, ociScope.path({ tenancy: 'acme', compartment: 'sales', database: DB_OTHER })),
  ]);
}, 120_000);

afterAll(async () => {
  for (const p of providers) p.close();
  await Promise.all([ashburn?.close(), ahead?.close(), skewed?.close(), frankfurt?.close(), announcing?.close()]);
  await iam?.close();
});

const IDENTITY_QUERY =
  "select sys_context('userenv','current_schema'), sys_context('userenv','session_user'), sys_context('userenv','authenticated_identity'), sys_context('userenv','authentication_method'), sys_context('userenv','enterprise_identity') from dual";

type Driver = typeof oracledbTypes;

/**
 * Makes `name`'s network layer send every DATA packet without the END_OF_REQUEST flag (0x0800), as a
 * client that does not mark its requests' ends would, until the returned function undoes it. `count`
 * tells how many flags were taken off.
 */
function withoutEndOfRequest(name: string): { count: () => number; restore: () => void } {
  const { NetworkSession } = createRequire(import.meta.url)(`${name}/lib/thin/sqlnet/networkSession.js`) as { NetworkSession: { prototype: { sendPacket(buf: Buffer): unknown } } };
  const original = NetworkSession.prototype.sendPacket;
  let stripped = 0;
  NetworkSession.prototype.sendPacket = function (this: unknown, buf: Buffer) {
    if (buf.length >= 10 && buf[4] === 6 && buf.readUInt16BE(8) & 0x0800) {
      buf = Buffer.from(buf);
      buf.writeUInt16BE(buf.readUInt16BE(8) & ~0x0800, 8);
      stripped++;
    }
    return original.call(this, buf);
  };
  return { count: () => stripped, restore: () => void (NetworkSession.prototype.sendPacket = original) };
}

/** The parameters of the USERENV namespace, as the SQL Language Reference lists them for SYS_CONTEXT. */
const USERENV = [
  'ACTION', 'AUDITED_CURSORID', 'AUTHENTICATED_IDENTITY', 'AUTHENTICATION_DATA', 'AUTHENTICATION_METHOD', 'BG_JOB_ID', 'CDB_DOMAIN', 'CDB_NAME',
  'CLIENT_IDENTIFIER', 'CLIENT_INFO', 'CLIENT_PROGRAM_NAME', 'CLOUD_SERVICE', 'CON_ID', 'CON_NAME', 'CURRENT_BIND', 'CURRENT_EDITION_ID',
  'CURRENT_EDITION_NAME', 'CURRENT_SCHEMA', 'CURRENT_SCHEMAID', 'CURRENT_SQL', 'CURRENT_SQL1', 'CURRENT_SQL7', 'CURRENT_SQL_LENGTH', 'CURRENT_USER',
  'CURRENT_USERID', 'DATABASE_ROLE', 'DB_DOMAIN', 'DB_NAME', 'DB_SUPPLEMENTAL_LOG_LEVEL', 'DB_UNIQUE_NAME', 'DBLINK_INFO', 'DRAIN_STATUS',
  'ENTERPRISE_IDENTITY', 'ENTRYID', 'FG_JOB_ID', 'GLOBAL_CONTEXT_MEMORY', 'GLOBAL_UID', 'HOST', 'IDENTIFICATION_TYPE', 'INSTANCE', 'INSTANCE_NAME',
  'IP_ADDRESS', 'IS_APPLICATION_PDB', 'IS_APPLICATION_ROOT', 'IS_DG_ROLLING_UPGRADE', 'ISDBA', 'LANG', 'LANGUAGE', 'LDAP_SERVER_TYPE', 'MODULE',
  'NETWORK_PROTOCOL', 'NLS_CALENDAR', 'NLS_CURRENCY', 'NLS_DATE_FORMAT', 'NLS_DATE_LANGUAGE', 'NLS_SORT', 'NLS_TERRITORY', 'ORACLE_HOME', 'OS_USER',
  'PLATFORM_SLASH', 'POLICY_INVOKER', 'PROXY_ENTERPRISE_IDENTITY', 'PROXY_USER', 'PROXY_USERID', 'SCHEDULER_JOB', 'SERVER_HOST', 'SERVICE_NAME',
  'SESSION_DEFAULT_COLLATION', 'SESSION_EDITION_ID', 'SESSION_EDITION_NAME', 'SESSION_USER', 'SESSION_USERID', 'SESSIONID', 'SID', 'STATEMENTID',
  'TERMINAL', 'UNIFIED_AUDIT_SESSIONID',
];

describe.each([
  ['oracledb', '6.10.0'],
  ['oracledb7', '7.0.1'],
  ['oracledb26', '26.0.0'],
])('node-oracledb %s (%s, thin) logs in to the emulator over TCPS', (name, version) => {
  let oracledb: Driver;
  beforeAll(async () => {
    oracledb = ((await import(name)) as { default: Driver }).default;
    expect(oracledb.versionString).toBe(version);
    expect(oracledb.thin).toBe(true);
  });

  const connect = (db: OracleDbEmulator, t: { token: string; privateKey?: string }) =>
    oracledb.getConnection({ connectString: db.connectString, walletContent: db.wallet, externalAuth: true, accessToken: { token: t.token, privateKey: t.privateKey! } } as never);

  /** The refusal the driver reports for a login, and the emulator's record of it. */
  const refused = async (db: OracleDbEmulator, t: { token: string; privateKey?: string }) => {
    const before = db.logins.length;
    const err = (await connect(db, t).then(
      () => new Error('the login succeeded'),
      (e: unknown) => e,
    )) as Error & { errorNum?: number; code?: string };
    expect(db.logins.length).toBe(before + 1);
    return { err, login: db.logins.at(-1)! };
  };

  it('a group mapping: the identity query answers the mapped schema, the IAM user, TOKEN_GLOBAL and the OCID', async () => {
    const conn = await connect(ashburn, tokens.alice!);
    try {
      const identity = await conn.execute(IDENTITY_QUERY);
      expect(identity.rows).toEqual([['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]]);
      expect((await conn.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
      expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]);
      expect((await conn.execute("select sys_context('USERENV', 'IDENTIFICATION_TYPE') type, -12.5 n, 'x' from dual")).rows).toEqual([['GLOBAL SHARED', -12.5, 'x']]);
      expect(conn.oracleServerVersionString).toBe('23.26.1.0.0');
    } finally {
      await conn.close();
    }
    expect(ashburn.logins.at(-1)).toMatchObject({
      ok: true,
      user: 'APP_USERS',
      mapping: 'IAM_GROUP_NAME=db_users',
      principal: ALICE,
      tenancy: TENANCY_A,
      region: ASHBURN,
      driver: `node-oracledb : ${version} thn`,
    });
    const session = ashburn.sessions.find((s) => s.id === ashburn.logins.at(-1)!.sessionId)!;
    expect(session).toMatchObject({ user: 'APP_USERS', loggedOff: true });
  });

  it('a principal mapping in a named identity domain, with CREATE SESSION through the CONNECT role', async () => {
    const conn = await connect(ashburn, tokens.bob!);
    try {
      const r = await conn.execute(`${IDENTITY_QUERY.replace(' from dual', '')}, sys_context('userenv','identification_type') from dual`);
      expect(r.rows).toEqual([['Bob', 'Bob', 'bob', 'TOKEN_GLOBAL', BOB, 'GLOBAL EXCLUSIVE']]);
    } finally {
      await conn.close();
    }
    expect(ashburn.logins.at(-1)).toMatchObject({ ok: true, user: 'Bob', mapping: 'IAM_PRINCIPAL_NAME=sales_domain/bob', scope: ociScope.compartment(COMP_A) });
  });

  it.each([
    ['the tenancy and compartment', 'pathCompartment', 'urn:oracle:db::path::acme:sales'],
    ['the tenancy, compartment and database', 'pathDatabase', `urn:oracle:db::path::acme:sales::${DB_A}`],
  ])('a path scope naming %s logs in', async (_n, name, scope) => {
    const conn = await connect(ashburn, tokens[name]!);
    try {
      expect((await conn.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
    } finally {
      await conn.close();
    }
    expect(ashburn.logins.at(-1)).toMatchObject({ ok: true, user: 'APP_USERS', principal: ALICE, scope });
  });

  it('a resource principal through its dynamic group', async () => {
    const conn = await connect(ashburn, tokens.function!);
    try {
      expect((await conn.execute(IDENTITY_QUERY)).rows).toEqual([['FUNCTIONS', 'FUNCTIONS', FUNCTION, 'TOKEN_GLOBAL', FUNCTION]]);
    } finally {
      await conn.close();
    }
  });

  it('cross-tenancy, in another region: a tenancy-A group maps to a user of the tenancy-B database in Frankfurt', async () => {
    const conn = await connect(frankfurt, tokens.aliceCross!);
    try {
      expect((await conn.execute(IDENTITY_QUERY)).rows).toEqual([['PARTNER', 'PARTNER', 'alice', 'TOKEN_GLOBAL', ALICE]]);
    } finally {
      await conn.close();
    }
    expect(frankfurt.logins.at(-1)).toMatchObject({ ok: true, user: 'PARTNER', tenancy: TENANCY_A, region: FRANKFURT, globalRoles: ['PARTNER_ROLE'], mapping: `IAM_GROUP_NAME=${TENANCY_A}:db_users` });
  });

  it('another region, own tenancy: a tenancy-B user fetches its token from Frankfurt, with scope *', async () => {
    const conn = await connect(frankfurt, tokens.erin!);
    try {
      expect((await conn.execute('select user from dual')).rows).toEqual([['ERIN']]);
    } finally {
      await conn.close();
    }
  });

  it('ping, commit, rollback, a re-executed statement, and errors that leave the session usable', async () => {
    const conn = await connect(ashburn, tokens.alice!);
    try {
      await conn.ping();
      await conn.commit();
      await conn.rollback();
      expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]);
      expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]); // re-executed from the statement cache
      const missing = await conn.execute('select * from nosuchtable').catch((e: unknown) => e);
      expect(missing).toMatchObject({ errorNum: 942, code: 'ORA-00942' });
      const bogus = await conn.execute('truncate table t').catch((e: unknown) => e);
      expect(bogus).toMatchObject({ errorNum: 900, code: 'ORA-00900' });
      for (const [sql, binds, options] of [
        ['select :1 from dual', [5], {}],
        ['begin :x := 1; end;', { x: { dir: oracledb.BIND_OUT, type: oracledb.NUMBER } }, {}],
        ['insert into t values (:1)', [1], { autoCommit: true }],
      ] as const) {
        const err = await conn.execute(sql, binds as never, options).catch((e: unknown) => e);
        expect(err, sql).toMatchObject({ code: expect.stringMatching(/^ORA-009/) });
      }
      const badAttribute = await conn.execute("select sys_context('userenv', 'no_such_thing') from dual").catch((e: unknown) => e);
      expect(badAttribute).toMatchObject({ errorNum: 2003 });
      await conn.execute("alter session set nls_date_format = 'YYYY-MM-DD'");
      expect((await conn.execute('select dbtimezone from dual')).rows).toEqual([['+00:00']]);
      // Without prefetch the execute only describes; the row comes with the FETCH that follows.
      expect((await conn.execute("select 'no prefetch' from dual", [], { prefetchRows: 0 })).rows).toEqual([['no prefetch']]);
      const rs = await conn.execute('select user, 42 from dual', [], { resultSet: true });
      expect(await rs.resultSet!.getRows(10)).toEqual([['APP_USERS', 42]]);
      await rs.resultSet!.close();
      expect((await conn.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
    } finally {
      await conn.close();
    }
    const session = ashburn.sessions.find((s) => s.id === ashburn.logins.at(-1)!.sessionId)!;
    expect(session.calls).toMatchObject({ ping: 1, commit: 1, rollback: 1 });
    expect(session.loggedOff).toBe(true);
  });

  it('end-of-request mode, when the ACCEPT announces it: the driver reads each answer up to END_OF_REQUEST', async () => {
    const conn = await connect(announcing, tokens.alice!);
    try {
      // The driver took up the mode (node-oracledb keeps it on its network session).
      expect((conn as unknown as { _impl: { nscon: { endOfRequestSupport: boolean } } })._impl.nscon.endOfRequestSupport).toBe(true);
      expect((await conn.execute(IDENTITY_QUERY)).rows).toEqual([['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]]);
      expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]);
      expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]);
      await conn.ping();
      await conn.commit();
      await conn.rollback();
      expect(await conn.execute('select * from nosuchtable').catch((e: unknown) => e)).toMatchObject({ errorNum: 942 });
      expect((await conn.execute("select 'no prefetch' from dual", [], { prefetchRows: 0 })).rows).toEqual([['no prefetch']]);
      expect((await conn.execute('select dbtimezone from dual')).rows).toEqual([['+00:00']]);
    } finally {
      await conn.close();
    }
    expect(announcing.sessions.at(-1)).toMatchObject({ loggedOff: true, calls: { ping: 1, commit: 1, rollback: 1 } });
    const pool = await oracledb.createPool({
      connectString: announcing.connectString, walletContent: announcing.wallet, externalAuth: true, homogeneous: true, poolMin: 0, poolMax: 2, poolPingInterval: 0,
      accessToken: { token: tokens.alice!.token, privateKey: tokens.alice!.privateKey! },
    } as never);
    try {
      const [a, b] = await Promise.all([pool.getConnection(), pool.getConnection()]);
      expect((await a.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
      await a.close();
      await b.close();
      const again = await pool.getConnection();
      expect((await again.execute('select 1 from dual')).rows).toEqual([[1]]);
      await again.close();
    } finally {
      await pool.close(0);
    }
  });

  it('requests that carry no END_OF_REQUEST flag are answered all the same, in either mode', async () => {
    const plain = withoutEndOfRequest(name);
    try {
      for (const db of [ashburn, announcing]) {
        const conn = await connect(db, tokens.alice!);
        try {
          expect((await conn.execute(IDENTITY_QUERY)).rows).toEqual([['APP_USERS', 'APP_USERS', 'alice', 'TOKEN_GLOBAL', ALICE]]);
          expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]);
          expect((await conn.execute('select 1 from dual')).rows).toEqual([[1]]);
          await conn.ping();
          expect(await conn.execute('select :1 from dual', [5]).catch((e: unknown) => e)).toMatchObject({ code: expect.stringMatching(/^ORA-009/) });
          expect((await conn.execute(`select '${'x'.repeat(3000)}' a, '${'y'.repeat(3000)}' b, '${'z'.repeat(3000)}' c from dual`)).rows).toEqual([['x'.repeat(3000), 'y'.repeat(3000), 'z'.repeat(3000)]]);
        } finally {
          await conn.close();
        }
      }
    } finally {
      plain.restore();
    }
    // Every request went out unmarked: negotiation, login, the calls, the logoff.
    expect(plain.count()).toBeGreaterThanOrEqual(2 * 9);
  });

  it('number literals in any form come back as numbers, and values that do not fit are ORA errors on a session that goes on', async () => {
    const conn = await connect(ashburn, tokens.alice!);
    try {
      const long = '1234567890123456789012345678901234567890123456789';
      expect((await conn.execute(`select 1e100, -1.5e-3, 2E+3, ${long} from dual`)).rows).toEqual([[1e100, -0.0015, 2000, Number(long)]]);
      // NUMBER keeps 40 digits of the 49, as the string form shows.
      const asText = await conn.execute(`select ${long} n from dual`, [], { fetchInfo: { N: { type: oracledb.STRING } } });
      expect(asText.rows).toEqual([['1234567890123456789012345678901234567890000000000']]);
      expect(await conn.execute(`select '${'x'.repeat(4001)}' from dual`).catch((e: unknown) => e)).toMatchObject({ errorNum: 1704, code: 'ORA-01704' });
      expect(await conn.execute('select 1e126 from dual').catch((e: unknown) => e)).toMatchObject({ errorNum: 1426 });
      expect((await conn.execute(`select '${'x'.repeat(4000)}' from dual`)).rows).toEqual([['x'.repeat(4000)]]);
      expect((await conn.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
    } finally {
      await conn.close();
    }
  });

  it('USERENV: every documented parameter answers, with NULL where unset, and what the application sets shows', async () => {
    const conn = await connect(ashburn, tokens.alice!);
    try {
      const all = await conn.execute(`select ${USERENV.map((p) => `sys_context('USERENV', '${p}') "${p}"`).join(', ')} from dual`, [], { outFormat: oracledb.OUT_FORMAT_OBJECT });
      const row = (all.rows as Record<string, string | null>[])[0]!;
      expect(Object.keys(row)).toEqual(USERENV);
      expect(row).toMatchObject({ AUTHENTICATION_DATA: null, CLIENT_IDENTIFIER: null, CLIENT_INFO: null, ACTION: null, PROXY_USER: null, SESSION_USER: 'APP_USERS', CURRENT_USERID: row.SESSION_USERID });
      expect(row.MODULE).toBe(row.CLIENT_PROGRAM_NAME);
      expect(await conn.execute("select sys_context('userenv', 'current_sql8') from dual").catch((e: unknown) => e)).toMatchObject({ errorNum: 2003 });
      conn.clientId = 'app-user-42';
      conn.module = 'billing';
      conn.action = 'month end';
      conn.clientInfo = 'batch 7';
      const set = "select sys_context('userenv','client_identifier'), sys_context('userenv','module'), sys_context('userenv','action'), sys_context('userenv','client_info') from dual";
      expect((await conn.execute(set)).rows).toEqual([['app-user-42', 'billing', 'month end', 'batch 7']]);
      conn.action = '';
      expect((await conn.execute(set)).rows).toEqual([['app-user-42', 'billing', null, 'batch 7']]);
    } finally {
      await conn.close();
    }
  });

  it('a homogeneous pool: acquire, ping on reuse, release, and log off on close', async () => {
    const token = provider({ scope: ociScope.database(COMP_A, DB_A), auth: apiKeyAuth(ALICE, TENANCY_A, keys.alice!), endpoint: iam.endpointFor(ASHBURN) });
    const attributes = { connectString: ashburn.connectString, walletContent: ashburn.wallet, poolMin: 0, poolMax: 2, poolPingInterval: 0 };
    const pool =
      name === 'oracledb'
        ? await createOracledbPool({ token, ...attributes } as never)
        : await oracledb.createPool({ ...attributes, externalAuth: true, homogeneous: true, accessToken: oracledbAccessToken(token) } as never);
    const first = ashburn.sessions.length;
    try {
      const [a, b] = await Promise.all([pool.getConnection(), pool.getConnection()]);
      expect((await a!.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
      expect((await b!.execute('select 1 from dual')).rows).toEqual([[1]]);
      await a!.close();
      await b!.close();
      const again = await pool.getConnection();
      expect((await again.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
      await again.close();
      const mine = ashburn.sessions.slice(first);
      expect(mine).toHaveLength(2);
      expect(mine.every((s) => s.open && !s.loggedOff)).toBe(true);
      expect(mine.reduce((n, s) => n + s.calls.ping, 0)).toBe(1);
    } finally {
      await pool.close(0);
    }
    const mine = ashburn.sessions.slice(first);
    expect(mine.every((s) => s.loggedOff)).toBe(true);
  });

  it('a heterogeneous pool never reaches the wire: the driver refuses it (NJS-085)', async () => {
    const before = ashburn.logins.length;
    const err = await oracledb
      .createPool({ connectString: ashburn.connectString, walletContent: ashburn.wallet, externalAuth: true, homogeneous: false, accessToken: { token: tokens.alice!.token, privateKey: tokens.alice!.privateKey! } } as never)
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^NJS-085/);
    expect(ashburn.logins.length).toBe(before);
  });

  describe('refusals reach the application as Oracle errors', () => {
    it('a token paired with another key: ORA-25711', async () => {
      const { err, login } = await refused(ashburn, { token: tokens.alice!.token, privateKey: tokens.bob!.privateKey });
      expect(err).toMatchObject({ errorNum: 25711, code: 'ORA-25711' });
      expect(err.message).toMatch(/^ORA-25711: The private key is missing or invalid\./);
      expect(login).toMatchObject({ ok: false, errorNum: 25711, principal: ALICE, reason: expect.stringContaining('does not verify') });
    });

    it('a token for another compartment: ORA-25707', async () => {
      const { err, login } = await refused(ashburn, tokens.aliceOtherCompartment!);
      expect(err).toMatchObject({ errorNum: 25707, code: 'ORA-25707' });
      expect(err.message).toMatch(/^ORA-25707: The token is invalid\./);
      expect(login.reason).toBe("the db-token scope names another compartment than the database's");
    });

    it.each([
      ['another tenancy', 'pathOtherTenancy', 'urn:oracle:db::path::globex:sales', "the db-token scope names another tenancy than the database's"],
      ['another compartment', 'pathOtherCompartment', 'urn:oracle:db::path::acme:marketing', "the db-token scope names another compartment than the database's"],
      ['another database', 'pathOtherDatabase', `urn:oracle:db::path::acme:sales::${DB_OTHER}`, 'the db-token scope names another database'],
    ])('a path-scoped token for %s: ORA-25707', async (_n, name, scope, reason) => {
      const { err, login } = await refused(ashburn, tokens[name]!);
      expect(err).toMatchObject({ errorNum: 25707, code: 'ORA-25707' });
      expect(err.message).toMatch(/^ORA-25707: The token is invalid\./);
      expect(login).toMatchObject({ ok: false, principal: ALICE, scope, reason });
    });

    it('a token from another region: ORA-25707', async () => {
      const { err, login } = await refused(ashburn, tokens.aliceFromFrankfurt!);
      expect(err).toMatchObject({ errorNum: 25707 });
      expect(login).toMatchObject({ region: FRANKFURT, reason: `the db-token was issued in ${FRANKFURT}, not the database's region ${ASHBURN}` });
    });

    it("a token expired on the database's clock: ORA-25708 (which the driver relabels NJS-087)", async () => {
      const { err, login } = await refused(ahead, tokens.alice!);
      expect(err.errorNum).toBe(25708);
      expect(err.message).toMatch(/ORA-25708: The expiration time of the token has passed\./);
      expect(login).toMatchObject({ errorNum: 25708, code: 'ORA-25708', reason: 'db-token has expired' });
    });

    it('an unmapped user: ORA-01017', async () => {
      const { err, login } = await refused(ashburn, tokens.carol!);
      expect(err).toMatchObject({ errorNum: 1017, code: 'ORA-01017' });
      expect(err.message).toMatch(/^ORA-01017: invalid credential or not authorized; logon denied/);
      expect(login).toMatchObject({ principal: CAROL, reason: 'no global user or role maps this principal' });
    });

    it('a user without CREATE SESSION: ORA-01017', async () => {
      const { err, login } = await refused(ashburn, tokens.dave!);
      expect(err).toMatchObject({ errorNum: 1017 });
      expect(login.reason).toBe('the global user DAVE lacks the CREATE SESSION privilege');
    });

    it('a revoked token: ORA-25707, and the same principal with a fresh token logs in', async () => {
      const db = await startOracleDbEmulator({ identity: iam, database: { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'g1a_dba_high.adb.oraclecloud.com', region: ASHBURN } });
      try {
        await db.admin(`CREATE USER app_users IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app_users`);
        db.revoke(tokens.alice!.token);
        const { err } = await refused(db, tokens.alice!);
        expect(err).toMatchObject({ errorNum: 25707 });
        expect(db.logins.at(-1)?.reason).toBe('the db-token was revoked');
        tokens.aliceSecond ??= await fetchAliceAgain();
        expect(tokens.aliceSecond.token).not.toBe(tokens.alice!.token);
        const conn = await connect(db, tokens.aliceSecond);
        await conn.close();
      } finally {
        await db.close();
      }
    });

    it('a token sent without its private key (a plain OAuth-style token): ORA-25711', async () => {
      const before = ashburn.logins.length;
      const err = await oracledb
        .getConnection({ connectString: ashburn.connectString, walletContent: ashburn.wallet, externalAuth: true, accessToken: tokens.alice!.token } as never)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ errorNum: 25711 });
      expect(ashburn.logins.slice(before)).toMatchObject([{ ok: false, reason: 'no AUTH_HEADER and AUTH_SIGNATURE: the token came without its private key' }]);
    });

    it("a signed header more than 5 minutes from the database's clock: ORA-25711", async () => {
      const { err, login } = await refused(skewed, tokens.alice!);
      expect(err).toMatchObject({ errorNum: 25711 });
      expect(login.reason).toBe("the AUTH_HEADER date is more than 5 minutes from the database's clock");
    });

    it('a password login: ORA-01017 (the database has IAM token logins only)', async () => {
      const err = await oracledb.getConnection({ connectString: ashburn.connectString, walletContent: ashburn.wallet, user: 'admin', password: 'Welcome_1234' } as never).catch((e: unknown) => e);
      expect(err).toMatchObject({ errorNum: 1017 });
      expect(ashburn.logins.at(-1)).toMatchObject({ ok: false, reason: 'a password login (the emulator has only IAM token logins)' });
    });

    it('an unknown service name is refused at connect time (NJS-518), before any login', async () => {
      const before = ashburn.logins.length;
      const err = await oracledb
        .getConnection({ connectString: `tcps://127.0.0.1:${ashburn.port}/no_such_service`, walletContent: ashburn.wallet, externalAuth: true, accessToken: { token: tokens.alice!.token, privateKey: tokens.alice!.privateKey! } } as never)
        .catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/NJS-518/);
      expect(ashburn.logins.length).toBe(before);
    });
  });
});

async function fetchAliceAgain(): Promise<DbToken> {
  return provider({ scope: ociScope.database(COMP_A, DB_A), auth: apiKeyAuth(ALICE, TENANCY_A, keys.alice!), endpoint: iam.endpointFor(ASHBURN) }).getToken({ forceRefresh: true });
}

it('the login and session records never hold token, signature or key text', () => {
  const printed = JSON.stringify([ashburn.logins, ashburn.sessions, frankfurt.logins, ahead.logins, skewed.logins]);
  expect(ashburn.logins.length).toBeGreaterThan(20);
  for (const t of Object.values(tokens)) {
    expect(printed).not.toContain(t.token.split('.')[2]!);
    expect(printed).not.toContain(t.token.split('.')[1]!.slice(0, 40));
    expect(printed).not.toContain(t.privateKey!.split('\n')[1]!);
  }
});

describe('admin()', () => {
  it("rejects with Oracle's error, keeping the statements before it", async () => {
    const db = await startOracleDbEmulator({ identity: iam, database: { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'scratch', region: ASHBURN } });
    try {
      const err = await db.admin(`CREATE USER first IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; CREATE TABLE t (x number); GRANT CREATE SESSION TO first`).catch((e: unknown) => e);
      expect(err).toMatchObject({ errorNum: 900, code: 'ORA-00900', message: 'ORA-00900: invalid SQL statement' });
      const again = await db.admin(`CREATE USER first IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'`).catch((e: unknown) => e);
      expect(again).toMatchObject({ errorNum: 1920, message: "ORA-01920: user name 'FIRST' conflicts with another user or role name" });
      await db.admin('GRANT CREATE SESSION TO first');
    } finally {
      await db.close();
    }
  });

  it('checks its options', async () => {
    await expect(startOracleDbEmulator({ identity: iam, database: { ocid: 'mydb', compartment: COMP_A, tenancy: TENANCY_A, service: 'x1', region: ASHBURN } })).rejects.toThrow(/database.ocid/);
    await expect(startOracleDbEmulator({ identity: iam, database: { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'x', region: ASHBURN } })).rejects.toThrow(/database.service/);
    for (const path of [TENANCY_A, 'acme:', ' acme:sales', `acme:sales::${DB_A}`, 'acme corp', '', 42]) {
      await expect(startOracleDbEmulator({ identity: iam, database: { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'x1', region: ASHBURN, path: path as string } })).rejects.toThrow(/database.path/);
    }
    await expect(startOracleDbEmulator({ identity: {} as never, database: { ocid: DB_A, compartment: COMP_A, tenancy: TENANCY_A, service: 'x1', region: ASHBURN } })).rejects.toThrow(/identity/);
  });
});

describe('trusting the emulator from another process: NODE_EXTRA_CA_CERTS with `ca`, no wallet', () => {
  // Each driver connects to `localhost`, which the certificate names, so ssl_server_dn_match (on by default) holds.
  const child = `
    const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const out = {};
      for (const name of ['oracledb', 'oracledb7', 'oracledb26']) {
        const oracledb = require(name);
        try {
          const conn = await oracledb.getConnection({ connectString: input.connectString, externalAuth: true, accessToken: { token: input.token, privateKey: input.privateKey } });
          out[name] = (await conn.execute('select user from dual')).rows;
          await conn.close();
        } catch (err) {
          out[name] = String(err.message).split('\\n')[0];
        }
      }
      process.stdout.write(JSON.stringify(out));
    })();
  `;

  async function run(env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
    const { spawn } = await import('node:child_process');
    const connectString = `tcps://localhost:${ashburn.port}/${ashburn.service}`;
    const proc = spawn(process.execPath, ['-e', child], { cwd: process.cwd(), env: { ...process.env, NODE_EXTRA_CA_CERTS: undefined, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdin.end(JSON.stringify({ connectString, token: tokens.alice!.token, privateKey: tokens.alice!.privateKey }));
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d));
    proc.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    expect(code, stderr).toBe(0);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  it('each driver logs in when the CA is trusted, and none does when it is not', async () => {
    const caFile = join(tempDir(), 'ca.pem');
    writeFileSync(caFile, ashburn.ca);
    const trusted = await run({ NODE_EXTRA_CA_CERTS: caFile });
    expect(trusted).toEqual({ oracledb: [['APP_USERS']], oracledb7: [['APP_USERS']], oracledb26: [['APP_USERS']] });
    const untrusted = await run({});
    for (const outcome of Object.values(untrusted)) expect(outcome).toMatch(/^NJS-506/);
  });
});
