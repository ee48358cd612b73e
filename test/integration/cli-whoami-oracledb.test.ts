import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ociScope } from 'dbtoken/oci';
import { startOciIdentityEmulator, type OciIdentityEmulator, type OracleDbEmulator } from 'dbtoken/testing';
import { buildCli, dbtoken } from '../helpers/cli.js';
import { rsaKeys, tempDir, writeProfile, type Keys } from '../helpers/oci-files.js';
import { ALICE, COMP_A, COMP_B, DB_A, DB_B, startTwoDatabases, TENANCY_A, TENANCY_B } from '../helpers/oracle-tenancies.js';

const CAROL = 'ocid1.user.oc1..aaaacarol000000000000000000000000000000000000000000000000000000';

const alice = rsaKeys();
const carol = rsaKeys();

let iam: OciIdentityEmulator;
let ashburn: OracleDbEmulator;
let frankfurt: OracleDbEmulator;
let dbs: Awaited<ReturnType<typeof startTwoDatabases>> | undefined;
let caFile: string;

/** An OCI config file for one API-key user of tenancy A. */
const profile = (user: string, keys: Keys): string => writeProfile(tempDir(), { keys, user, tenancy: TENANCY_A }).configFile;

beforeAll(async () => {
  iam = await startOciIdentityEmulator({
    tenancies: [
      {
        ocid: TENANCY_A,
        users: [
          { ocid: ALICE, name: 'alice', groups: ['db_users'], apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] },
          { ocid: CAROL, name: 'carol', groups: ['visitors'], apiKeys: [{ fingerprint: carol.fingerprint, publicKey: carol.publicPem }] },
        ],
      },
      { ocid: TENANCY_B },
    ],
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
  // The CLI first: a build that fails then leaves no database running.
  await buildCli();
  dbs = await startTwoDatabases(iam, { a: 'g1a_dba_high.adb.oraclecloud.com', b: 'g1b_dbb_high.adb.oraclecloud.com' });
  ({ ashburn, frankfurt, caFile } = dbs);
  await ashburn.admin(`CREATE USER app_users IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app_users;`);
  await frankfurt.admin(`CREATE USER b_app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY_A}:db_users'; GRANT CREATE SESSION TO b_app;`);
}, 120_000);

afterAll(async () => {
  await dbs?.close();
  await iam?.close();
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const whoami = (db: OracleDbEmulator, configFile: string, scope: string, ...more: string[]) =>
  dbtoken(
    ['whoami', '--driver', 'oracledb', '--token', 'oci', '--connect-string', db.connectString, '--scope', scope, '--config-file', configFile, '--endpoint', `${iam.url}/{region}`, ...more],
    { env: { NODE_EXTRA_CA_CERTS: caFile } },
  );

describe('dbtoken whoami --driver oracledb --token oci against the Oracle Database and OCI Identity emulators', () => {
  it('logs in over TCPS with a db-token and prints the identity check', async () => {
    const r = await whoami(ashburn, profile(ALICE, alice), ociScope.database(COMP_A, DB_A), '--region', 'us-ashburn-1');
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      ['authentication_method   TOKEN_GLOBAL', 'authenticated_identity  alice', `enterprise_identity     ${ALICE}`, 'current_user            APP_USERS', ''].join('\n'),
    );
    expect(ashburn.logins.at(-1)).toMatchObject({ ok: true, user: 'APP_USERS', principal: ALICE, mapping: 'IAM_GROUP_NAME=db_users' });
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, region: 'us-ashburn-1', principal: ALICE });
  });

  it('--json, cross-tenancy in another region: a scope in tenancy B, the token from Frankfurt', async () => {
    const r = await whoami(frankfurt, profile(ALICE, alice), ociScope.database(COMP_B, DB_B), '--region', 'eu-frankfurt-1', '--json');
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'oracledb', authenticationMethod: 'TOKEN_GLOBAL', authenticatedIdentity: 'alice', enterpriseIdentity: ALICE, currentUser: 'B_APP' });
    expect(frankfurt.logins.at(-1)).toMatchObject({ ok: true, user: 'B_APP', tenancy: TENANCY_A, region: 'eu-frankfurt-1' });
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, region: 'eu-frankfurt-1', scope: ociScope.database(COMP_B, DB_B) });
  });

  it('an IAM user no database user is mapped to: exit 1, the ORA-01017 explanation on one line, and no retry storm', async () => {
    const before = ashburn.logins.length;
    const r = await whoami(ashburn, profile(CAROL, carol), ociScope.database(COMP_A, DB_A), '--region', 'us-ashburn-1');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: login refused \(ORA-01017\): .*Likely cause: no database user is mapped to this IAM identity \(CREATE USER \.\.\. IDENTIFIED GLOBALLY/);
    // Refused, retried once with a fresh token (the adapter's retry-once), refused again.
    expect(ashburn.logins.slice(before).map((l) => [l.ok, l.principal])).toEqual([
      [false, CAROL],
      [false, CAROL],
    ]);
  });

  it('a scope that does not cover the database: exit 1, the ORA-25707 explanation names --scope', async () => {
    const r = await whoami(ashburn, profile(ALICE, alice), ociScope.compartment(COMP_B), '--region', 'us-ashburn-1');
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: the database refused the token as invalid \(ORA-25707\): .*--scope must name its tenancy, compartment or OCID/);
  });

  it('a database whose CA Node does not trust: exit 1, says how to trust it, and no login is attempted', async () => {
    const before = ashburn.logins.length;
    const r = await dbtoken(
      ['whoami', '--driver', 'oracledb', '--token', 'oci', '--connect-string', ashburn.connectString, '--scope', ociScope.database(COMP_A, DB_A), '--config-file', profile(ALICE, alice), '--endpoint', `${iam.url}/{region}`, '--region', 'us-ashburn-1'],
      { env: { NODE_EXTRA_CA_CERTS: '' } },
    );
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: TLS refused: the database's certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\. Likely cause: .*NODE_EXTRA_CA_CERTS=<PEM file>/);
    expect(ashburn.logins.length).toBe(before);
  });

  it('no output holds token or key text', async () => {
    const r = await whoami(ashburn, profile(ALICE, alice), ociScope.database(COMP_A, DB_A), '--region', 'us-ashburn-1', '--debug');
    expect(r.code).toBe(0);
    const out = r.stdout + r.stderr;
    // Booleans, so that a failure does not print the very secret it found.
    expect(/eyJ[\w-]{10,}\.[\w-]{10,}/.test(out), 'the output holds a JWT').toBe(false);
    expect(out.includes('PRIVATE KEY'), 'the output holds a PEM key').toBe(false);
    expect(out.includes(alice.privatePem.split('\n')[1]!), 'the output holds key material').toBe(false);
  });
});

describe('dbtoken whoami --driver oracledb: the checks before any login', () => {
  const oracleArgs = (...more: string[]) => ['whoami', '--driver', 'oracledb', '--token', 'oci', '--scope', 'urn:oracle:db::id::*', '--auth', 'resource_principal', ...more];

  it('a connect string that is not TCPS: exit 2, the connect string named, nothing sent', async () => {
    const r = await dbtoken(oracleArgs('--connect-string', 'db.example.com:1521/orcl'));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: --connect-string: the db-token would travel without TLS .*tcps:\/\/.*--insecure for testing only; see dbtoken whoami --help$/m);
  });

  it('a tnsnames.ora alias with no --config-dir to look it up in: exit 2, says to give --config-dir', async () => {
    const r = await dbtoken(oracleArgs('--connect-string', 'mydb_high'), { env: { TNS_ADMIN: '' } });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/--connect-string: cannot tell whether "mydb_high" uses TCPS: no tnsnames\.ora entry for it in --config-dir or TNS_ADMIN; give --config-dir/);
  });
});
