import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeatwaveEmulator, type HeatwaveEmulator } from 'dbtoken/testing';
// @ts-expect-error plain JS helper
import { selfSignedCert } from '../../scripts/servers/tls.mjs';
import { otherKeys, REGION, staticKeys, temporaryKeys } from '../helpers/aws.js';
import { awsEnv, buildCli, dbtoken } from '../helpers/cli.js';
import { startEchoPostgres, type EchoPostgres } from '../helpers/echo-postgres.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../helpers/oci-files.js';

const ALICE = 'ocid1.user.oc1..aaaaalice';
const BOB = 'ocid1.user.oc1..aaaabob';
const GROUP = 'ocid1.group.oc1..aaaadevs';
const issuer = rsaKeys();
const aliceKey = rsaKeys();
const bobKey = rsaKeys();
const sessionKey = rsaKeys();
const strangerKey = rsaKeys();

let pg: IamPostgres;
let maria: IamMariadb;
let hw: HeatwaveEmulator;
let echo: EchoPostgres;
const files: Record<'pg' | 'maria' | 'hw', string> = { pg: '', maria: '', hw: '' };

function caFile(pem: string): string {
  const f = join(tempDir('dbtoken-ca-'), 'ca.pem');
  writeFileSync(f, pem);
  return f;
}

beforeAll(async () => {
  const tls = selfSignedCert();
  [, pg, maria, hw, echo] = await Promise.all([
    buildCli(),
    startIamPostgres(),
    startIamMariadb(),
    startHeatwaveEmulator({
      iamUsers: [
        { ocid: ALICE, apiKeys: [{ fingerprint: aliceKey.fingerprint, publicKey: aliceKey.publicPem }] },
        { ocid: BOB, groups: [GROUP], apiKeys: [{ fingerprint: bobKey.fingerprint, publicKey: bobKey.publicPem }] },
      ],
      tokenIssuerPublicKey: issuer.publicPem,
      mysqlUsers: [
        { name: 'alice', iamUser: ALICE },
        { name: '', groupMapping: { [GROUP]: 'dev_proxy' } },
      ],
      tls: { key: tls.key, cert: tls.cert },
    }),
    startEchoPostgres(),
  ]);
  files.pg = caFile(pg.ca);
  files.maria = caFile(maria.ca);
  files.hw = caFile(tls.cert);
});

afterAll(async () => {
  await Promise.all([pg?.stop(), maria?.stop(), hw?.close(), echo?.close()]);
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const pgArgs = (...more: string[]) => [
  'whoami', '--driver', 'pg', '--token', 'aws', '--host', '127.0.0.1', '--database', 'postgres', '--region', REGION,
  ...(more.includes('--user') ? [] : ['--user', 'iam_alice']),
  ...(more.includes('--port') ? [] : ['--port', String(pg.port)]),
  ...(more.includes('--no-ca') ? [] : ['--ssl-ca', files.pg]),
  ...more.filter((a) => a !== '--no-ca'),
];
const mariaArgs = (...more: string[]) => [
  'whoami', '--driver', 'mysql2', '--token', 'aws', '--host', '127.0.0.1', '--port', String(maria.port), '--user', 'iam_alice',
  '--ssl-ca', files.maria, '--region', REGION, ...more,
];
const heatwaveArgs = (user: string, configFile: string, ...more: string[]) => [
  'whoami', '--driver', 'mysql2', '--token', 'heatwave', '--host', hw.host, '--port', String(hw.port), '--user', user,
  '--ssl-ca', files.hw, '--config-file', configFile, ...more,
];

describe('dbtoken whoami --driver pg against the private PostgreSQL that verifies RDS tokens', () => {
  it('prints session_user and that TLS is in use', async () => {
    const r = await dbtoken(pgArgs(), { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  iam_alice\ntls           yes\n');
  });

  it('without --region, the region from AWS_REGION (as Lambda sets it)', async () => {
    const args = pgArgs();
    args.splice(args.indexOf('--region'), 2);
    const r = await dbtoken(args, { env: { ...awsEnv(staticKeys), AWS_REGION: REGION } });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  iam_alice\ntls           yes\n');
  });

  it('--json, with temporary credentials', async () => {
    const r = await dbtoken(pgArgs('--json'), { env: awsEnv(temporaryKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'pg', sessionUser: 'iam_alice', tls: true });
  });

  it('a refused login (a key IAM does not know): exit 1, the 28000 explanation on one line', async () => {
    const r = await dbtoken(pgArgs(), { env: awsEnv(otherKeys) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: login refused \(SQLSTATE 28000\): .*Likely cause: the server did not accept the IAM token: .*rds_iam/);
  });

  it('a server certificate nobody vouches for: exit 1, TLS refusal explained', async () => {
    const r = await dbtoken(pgArgs('--no-ca'), { env: awsEnv(staticKeys) });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/TLS refused: the server's certificate is not trusted \(\w+\).*--ssl-ca/);
  });

  it('dbtoken sql rds-postgres output, run on this server, creates a user that whoami then logs in as', async () => {
    const sql = await dbtoken(['sql', 'rds-postgres', '--user', 'iam_carol', '--grant-role', 'pg_read_all_data']);
    expect(sql, sql.stderr).toMatchObject({ code: 0, stderr: '' });
    const before = await dbtoken(pgArgs('--user', 'iam_carol'), { env: awsEnv(staticKeys) });
    expect(before.code).toBe(1); // no such role yet
    // pg_hba.conf lets members of rds_iam log in with tokens, as RDS does.
    for (const statement of lines(sql.stdout)) await pg.admin(statement);
    const { rows } = await pg.admin(
      "select r.rolcanlogin, array(select b.rolname from pg_auth_members m join pg_roles b on b.oid = m.roleid where m.member = r.oid order by 1)::text[] as member_of from pg_roles r where r.rolname = 'iam_carol'",
    );
    expect(rows).toEqual([{ rolcanlogin: true, member_of: ['pg_read_all_data', 'rds_iam'] }]);
    const r = await dbtoken(pgArgs('--user', 'iam_carol', '--json'), { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'pg', sessionUser: 'iam_carol', tls: true });
  });

  it('nothing listening: exit 1, the address named', async () => {
    const r = await dbtoken(pgArgs('--port', '1'), { env: awsEnv(staticKeys) });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1: connection refused/);
  });
});

describe('dbtoken whoami --driver mysql2 --token aws against the private MariaDB (PAM, cleartext, RDS tokens)', () => {
  it('prints USER(), CURRENT_USER(), no proxy mapping, and that TLS is in use', async () => {
    const r = await dbtoken(mariaArgs(), { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^user          iam_alice@[\w.]+\ncurrent_user  iam_alice@%\nproxy         no\ntls           yes\n$/);
  });

  it('--json', async () => {
    const r = await dbtoken(mariaArgs('--json'), { env: awsEnv(temporaryKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const o = JSON.parse(r.stdout);
    expect(o).toEqual({ driver: 'mysql2', user: expect.stringMatching(/^iam_alice@/), currentUser: 'iam_alice@%', proxied: false, tls: true });
  });

  it('--insecure, as a user without REQUIRE SSL: the server says the session is not encrypted', async () => {
    const args = ['whoami', '--driver', 'mysql2', '--token', 'aws', '--host', '127.0.0.1', '--port', String(maria.port), '--user', 'iam_plain', '--region', REGION, '--insecure', '--json'];
    const r = await dbtoken(args, { env: awsEnv(staticKeys) });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ driver: 'mysql2', currentUser: 'iam_plain@%', tls: false });
  });

  it('a refused login: exit 1, the 1045 explanation for RDS MySQL', async () => {
    const r = await dbtoken(mariaArgs(), { env: awsEnv(otherKeys) });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: login refused \(1045\): .*Likely cause: the user is not IDENTIFIED WITH AWSAuthenticationPlugin/);
  });
});

describe('dbtoken whoami --driver mysql2 --token heatwave against the HeatWave emulator', () => {
  it('an API-key profile mapped to its own user', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
    const r = await dbtoken(heatwaveArgs('alice', configFile));
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('user          alice@127.0.0.1\ncurrent_user  alice@%\nproxy         no\ntls           yes\n');
    expect(hw.logins.at(-1)).toMatchObject({ ok: true, method: 'api-key', principal: ALICE, tls: true });
  });

  it('a security-token profile (oci session authenticate), --json', async () => {
    const token = securityToken(issuer.privateKey, { sub: ALICE, exp: Math.floor(Date.now() / 1000) + 3600, jwk: sessionKey.publicKey.export({ format: 'jwk' }) });
    const { configFile } = writeProfile(tempDir(), { keys: sessionKey, token, profile: 'session' });
    const r = await dbtoken(heatwaveArgs('alice', configFile, '--profile', 'session', '--json'));
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'mysql2', user: 'alice@127.0.0.1', currentUser: 'alice@%', proxied: false, tls: true });
    expect(hw.logins.at(-1)).toMatchObject({ ok: true, method: 'security-token' });
  });

  it('a group mapped through a proxy user: USER() and CURRENT_USER() differ, and it says so', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: bobKey });
    const r = await dbtoken(heatwaveArgs('bob', configFile));
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('user          bob@127.0.0.1\ncurrent_user  dev_proxy@%\nproxy         yes: bob has the privileges of dev_proxy\ntls           yes\n');
  });

  it('a key the emulator does not know: exit 1, the 1045 explanation for HeatWave', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: strangerKey, fingerprint: aliceKey.fingerprint });
    const r = await dbtoken(heatwaveArgs('alice', configFile));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/login refused \(1045\): .*Likely cause: the MySQL user is not IDENTIFIED WITH authentication_oci/);
  });

  it('an expired session: exit 1, says to refresh it', async () => {
    const token = securityToken(issuer.privateKey, { sub: ALICE, exp: Math.floor(Date.now() / 1000) - 60, jwk: sessionKey.publicKey.export({ format: 'jwk' }) });
    const { configFile } = writeProfile(tempDir(), { keys: sessionKey, token });
    const r = await dbtoken(heatwaveArgs('alice', configFile));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/the OCI session token has expired: .*oci session refresh/);
  });
});

describe('--ssl-mode: verify-full (the default) wants the certificate to name --host; verify-ca trusts the chain only', () => {
  let other: HeatwaveEmulator;
  let otherCa: string;
  beforeAll(async () => {
    // A server whose certificate names only heatwave.internal, reached as 127.0.0.1 (a DB system by its private IP).
    const tls = selfSignedCert({ names: 'DNS:heatwave.internal' });
    other = await startHeatwaveEmulator({
      iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: aliceKey.fingerprint, publicKey: aliceKey.publicPem }] }],
      mysqlUsers: [{ name: 'alice', iamUser: ALICE }],
      tls: { key: tls.key, cert: tls.cert },
    });
    otherCa = caFile(tls.cert);
  });
  afterAll(async () => {
    await other?.close();
  });
  const args = (configFile: string, ...more: string[]) => [
    'whoami', '--driver', 'mysql2', '--token', 'heatwave', '--host', '127.0.0.1', '--port', String(other.port), '--user', 'alice',
    '--ssl-ca', otherCa, '--config-file', configFile, ...more,
  ];

  it('verify-full refuses a certificate for another name, before any login', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
    const r = await dbtoken(args(configFile));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/TLS refused: .*Likely cause: the certificate does not name --host/);
    expect(other.logins).toEqual([]);
  });

  it('verify-ca logs in over TLS with the same certificate', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
    const r = await dbtoken(args(configFile, '--ssl-mode', 'verify-ca'));
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^user {10}alice@127\.0\.0\.1\n/);
    expect(other.logins.at(-1)).toMatchObject({ ok: true, tls: true, principal: ALICE });
  });

  it('verify-ca still refuses a certificate nobody vouches for', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
    const r = await dbtoken(args(configFile, '--ssl-mode', 'verify-ca').map((a) => (a === otherCa ? files.hw : a)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TLS refused: the server's certificate is not trusted/);
  });

  it('pg with verify-ca', async () => {
    const r = await dbtoken(pgArgs('--ssl-mode', 'verify-ca'), { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  iam_alice\ntls           yes\n');
  });
});

// The oracledb login, against the Oracle Database emulator: cli-whoami-oracledb.test.ts.

describe('--debug: the stack and causes, never a token', () => {
  it('canary: a server that quotes the token back in its error; --debug output keeps none of it', async () => {
    const canary = 'CANARYsessionTOKEN' + 'x9Z'.repeat(40);
    const keys = { accessKeyId: 'ASIADBTOKENCANARY01', secretAccessKey: 'Canary/Secret/Key/0123456789abcdefABCDEF', sessionToken: canary };
    const r = await dbtoken(
      ['whoami', '--driver', 'pg', '--token', 'aws', '--host', '127.0.0.1', '--port', String(echo.port), '--user', 'iam_alice', '--region', REGION, '--insecure', '--debug'],
      { env: awsEnv(keys) },
    );
    expect(r.code).toBe(1);
    expect(echo.passwords.length).toBeGreaterThan(0);
    const output = r.stdout + r.stderr;
    // The explanation and the debug report are there...
    expect(r.stderr).toMatch(/^dbtoken whoami: login refused \(SQLSTATE 28000\)/m);
    expect(r.stderr).toMatch(/^debug: awsRdsToken for iam_alice/m);
    expect(r.stderr).toMatch(/^stack: error: password authentication failed[\s\S]*\n\s+at /m);
    expect(r.stderr).toMatch(/^\s+code: "28000"$/m);
    expect(r.stderr).toContain('the server got "[redacted');
    // ...and no secret.
    for (const password of echo.passwords) {
      expect(output).not.toContain(password);
      expect(output).not.toContain(password.slice(password.indexOf('X-Amz-Signature=')));
    }
    expect(output).not.toContain(canary);
    expect(output).not.toContain(encodeURIComponent(canary));
    expect(output).not.toContain(keys.secretAccessKey);
    expect(output).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
  });
});
