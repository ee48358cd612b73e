import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsqlConnectPolicy, dsqlRole } from 'dbtoken/provision';
import { verifyDsqlToken, type VerifyingPostgres } from 'dbtoken/testing';
import { DSQL_ARNS, otherKeys, REGION, startVerifyingDsql, staticKeys, temporaryKeys } from '../helpers/aws.js';
import { redact } from '../../src/cli/redact.js';
import { awsEnv, buildCli, dbtoken } from '../helpers/cli.js';
import { tempDir } from '../helpers/oci-files.js';

/**
 * The Aurora DSQL commands: `token dsql` (checked with verifyDsqlToken),
 * `whoami --token dsql` against a private PostgreSQL that checks DSQL tokens
 * and runs AWS IAM GRANT as a cluster does, `sql dsql` and `policy dsql`.
 */

const { app: APP_ARN, other: OTHER_ARN, temporary: TEMP_ARN } = DSQL_ARNS;
const ENDPOINT = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
const CLUSTER_ARN = 'arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz';

let db: VerifyingPostgres;
let caFile: string;

beforeAll(async () => {
  [, db] = await Promise.all([
    buildCli(),
    startVerifyingDsql(),
  ]);
  caFile = join(tempDir('dbtoken-ca-'), 'ca.pem');
  writeFileSync(caFile, db.ca);
}, 180_000);

afterAll(async () => {
  await db?.close();
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const secrets = [staticKeys.secretAccessKey, otherKeys.secretAccessKey, temporaryKeys.secretAccessKey, temporaryKeys.sessionToken];

function expectNoSecret(text: string): void {
  for (const s of secrets) expect(text).not.toContain(s);
  expect(text).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
}

describe('dbtoken token dsql', () => {
  const verify = (token: string, admin: boolean, over: Partial<Parameters<typeof verifyDsqlToken>[1]> = {}) =>
    verifyDsqlToken(token, { hostname: ENDPOINT, region: REGION, credentials: [staticKeys], admin, ...over });

  it('prints a DbConnect token for a role, signed with the SDK default chain; the region read from the cluster endpoint', async () => {
    const r = await dbtoken(['token', 'dsql', '--host', ENDPOINT, '--user', 'app'], { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(lines(r.stdout)).toHaveLength(1);
    const token = r.stdout.trim();
    expect(token).toMatch(new RegExp(`^${ENDPOINT.replace(/\./g, '\\.')}/\\?Action=DbConnect&`));
    expect(verify(token, false)).toMatchObject({ ok: true, action: 'DbConnect', accessKeyId: staticKeys.accessKeyId });
    expect(verify(token, true)).toMatchObject({ ok: false, reason: expect.stringMatching(/Action is not DbConnectAdmin/) });
    expect(r.stdout).not.toContain(staticKeys.secretAccessKey);
  });

  it('--admin prints a DbConnectAdmin token, accepted for the admin user only', async () => {
    const r = await dbtoken(['token', 'dsql', '--host', ENDPOINT, '--admin'], { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const token = r.stdout.trim();
    expect(token).toMatch(/\/\?Action=DbConnectAdmin&/);
    expect(verify(token, true)).toMatchObject({ ok: true, action: 'DbConnectAdmin' });
    expect(verify(token, false).ok).toBe(false);
  });

  it('a DSQL token quoted back in an error is redacted whole, as an RDS token is', async () => {
    for (const more of [['--user', 'app'], ['--admin']]) {
      const r = await dbtoken(['token', 'dsql', '--host', ENDPOINT, ...more], { env: awsEnv(temporaryKeys) });
      expect(r.code, r.stderr).toBe(0);
      const token = r.stdout.trim();
      expect(redact(`the server said: password "${token}" is wrong`)).toBe('the server said: password "[redacted token]" is wrong');
    }
  });

  it('--user admin is the admin role too, as for awsDsqlToken()', async () => {
    const r = await dbtoken(['token', 'dsql', '--host', ENDPOINT, '--user', 'admin'], { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(verify(r.stdout.trim(), true)).toMatchObject({ ok: true, action: 'DbConnectAdmin' });
  });

  it("--json --expires-in 3600 prints { token, expiresAt }: the token is signed for an hour, and expiresAt is at most 15 minutes ahead, as the environment's temporary credentials may expire unseen", async () => {
    const before = Date.now();
    const r = await dbtoken(['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--expires-in', '3600', '--json'], { env: awsEnv(temporaryKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['expiresAt', 'token']);
    expect(out.token).toContain('X-Amz-Expires=3600');
    expect(verify(out.token, false, { credentials: [temporaryKeys] })).toMatchObject({ ok: true, accessKeyId: temporaryKeys.accessKeyId });
    const expires = Date.parse(out.expiresAt);
    expect(expires - before).toBeGreaterThan(14 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(r.stdout).not.toContain(temporaryKeys.secretAccessKey);
  });

  it('a host that is not a cluster endpoint (a tunnel), without --region: signs for AWS_REGION', async () => {
    const r = await dbtoken(['token', 'dsql', '--host', 'localhost', '--user', 'app'], { env: { ...awsEnv(staticKeys), AWS_REGION: 'eu-west-1' } });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(verifyDsqlToken(r.stdout.trim(), { hostname: 'localhost', region: 'eu-west-1', credentials: [staticKeys], admin: false }).ok).toBe(true);
  });

  it('without credentials: exit 1, one line saying so', async () => {
    const r = await dbtoken(['token', 'dsql', '--host', ENDPOINT, '--user', 'app'], { env: { HOME: tempDir('dbtoken-home-') } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken token dsql: no token: .*Likely cause: no AWS credentials were found/);
  });

  it.each([
    ['no --host', ['token', 'dsql', '--user', 'app'], '--host'],
    ['neither --user nor --admin', ['token', 'dsql', '--host', ENDPOINT], '--user'],
    ['--user and --admin', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--admin'], '--admin'],
    ['a port (a DSQL token is signed without one)', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--port', '5432'], '--port'],
    ['a host with a port', ['token', 'dsql', '--host', `${ENDPOINT}:5432`, '--user', 'app'], '--host'],
    ['a role with a space', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app reader'], '--user'],
    ['--expires-in that is not a number', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--expires-in', '15m'], '--expires-in'],
    ['--expires-in below a minute', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--expires-in', '30'], '--expires-in'],
    ['--expires-in over 7 days', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--expires-in', '604801'], '--expires-in'],
    ['a region that is not one', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--region', 'moon-1'], '--region'],
    ['no region for a host that is not a cluster endpoint', ['token', 'dsql', '--host', '127.0.0.1', '--user', 'app'], '--region'],
    ['an OCI option', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--scope', 'urn:oracle:db::id::*'], '--scope'],
    ['--profile (AWS_PROFILE picks the profile, as for token aws)', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--profile', 'prod'], '--profile'],
    ['an unknown option', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--bogus'], '--bogus'],
    ['an option given twice', ['token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--user', 'b'], '--user'],
    ['a value for --admin', ['token', 'dsql', '--host', ENDPOINT, '--admin=yes'], '--admin'],
    ['whoami: --token dsql with mysql2', ['whoami', '--driver', 'mysql2', '--token', 'dsql', '--host', ENDPOINT, '--user', 'app'], '--token'],
    ['whoami: --admin with --token aws', ['whoami', '--driver', 'pg', '--token', 'aws', '--host', 'h', '--user', 'app', '--region', REGION, '--admin'], '--admin'],
    ['whoami: --token dsql without --user or --admin', ['whoami', '--driver', 'pg', '--token', 'dsql', '--host', ENDPOINT], '--user'],
    ['whoami: --token dsql with --user and --admin', ['whoami', '--driver', 'pg', '--token', 'dsql', '--host', ENDPOINT, '--user', 'app', '--admin'], '--admin'],
  ])('bad arguments: %s: exit 2, one line naming the option', async (_name, args, option) => {
    const r = await dbtoken(args, { env: awsEnv(staticKeys) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken (token dsql|whoami): /);
    expect(r.stderr).toContain(option);
    expect(r.stderr).toMatch(/see dbtoken (token dsql|whoami) --help\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/\b(username|expiresIn)\b/); // the CLI's words, not the library's
    expectNoSecret(r.stderr);
  });

  it.each([
    [['token'], /Usage: dbtoken token <aws\|oci>[\s\S]*token dsql {2}print an Aurora DSQL IAM token/],
    [['token', 'dsql'], /Usage: dbtoken token dsql --host <cluster endpoint> \(--user <role> \| --admin\)[\s\S]*--region[\s\S]*--expires-in/],
    [['whoami'], /--token <aws\|dsql\|oci\|heatwave>[\s\S]*dsql: +--region/],
    [['sql', 'dsql'], /Usage: dbtoken sql dsql --role <name> --arn <IAM role or user ARN>[\s\S]*AWS IAM GRANT/],
    [['policy', 'dsql'], /Usage: dbtoken policy dsql \(--cluster-arn <arn> \| --cluster-id <id> --region <region> --account <id>\) \[--admin\][\s\S]*dsql:DbConnect/],
  ])('dbtoken %j --help', async (words, usage) => {
    const r = await dbtoken([...words, '--help']);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(usage);
  });
});

describe('dbtoken whoami --driver pg --token dsql against a PostgreSQL that checks DSQL tokens', () => {
  const whoamiArgs = (...more: string[]) => [
    'whoami', '--driver', 'pg', '--token', 'dsql', '--host', db.host, '--port', String(db.port), '--ssl-ca', caFile, '--region', REGION,
    ...(more.includes('--user') || more.includes('--admin') ? [] : ['--user', 'app']),
    ...more,
  ];

  it('a role granted to the signing identity (AWS IAM GRANT): prints the role and that TLS is in use; the database is postgres without --database', async () => {
    const r = await dbtoken(whoamiArgs(), { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  app\ntls           yes\n');
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: true });
  });

  it('--json, with temporary credentials: a session of the role granted by its role ARN', async () => {
    const r = await dbtoken(whoamiArgs('--json'), { env: awsEnv(temporaryKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'pg', sessionUser: 'app', tls: true });
  });

  it('--admin logs in as admin with a DbConnectAdmin token, no grant needed', async () => {
    const r = await dbtoken(whoamiArgs('--admin'), { env: awsEnv(otherKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  admin\ntls           yes\n');
  });

  it('without --region, the region from AWS_REGION', async () => {
    const args = whoamiArgs();
    args.splice(args.indexOf('--region'), 2);
    const r = await dbtoken(args, { env: { ...awsEnv(staticKeys), AWS_REGION: REGION } });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  app\ntls           yes\n');
  });

  it('a role not granted to the signing identity: exit 1, the 28000 explanation on one line, naming AWS IAM GRANT; no secret or token in it, even with --debug', async () => {
    const r = await dbtoken(whoamiArgs(), { env: awsEnv(otherKeys) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: login refused \(SQLSTATE 28000\): .*Likely cause: the cluster did not accept the IAM token: .*AWS IAM GRANT.*dsql:DbConnect/);
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: false, reason: `role app is not granted to ${OTHER_ARN} (AWS IAM GRANT)` });
    expectNoSecret(r.stderr);

    // Temporary credentials: the session token travels inside the token.
    const debug = await dbtoken(whoamiArgs('--user', 'reporting', '--debug'), { env: awsEnv(temporaryKeys) });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/debug: awsDsqlToken for role reporting \(DbConnect\) at 127\.0\.0\.1 in us-east-1 of --region/);
    expect(debug.stderr).toMatch(/stack: /);
    expectNoSecret(debug.stderr);
    expect(debug.stderr).not.toMatch(/Action=DbConnect&/);
  });

  it('a role granted to another identity only: refused', async () => {
    const r = await dbtoken(whoamiArgs('--user', 'reporting'), { env: awsEnv(staticKeys) });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/login refused \(SQLSTATE 28000\)/);
    expect(db.logins.at(-1)).toMatchObject({ user: 'reporting', ok: false, reason: expect.stringMatching(/not granted/) });
  });

  it('a certificate nobody vouches for: exit 1, TLS refusal explained, no login attempted', async () => {
    const args = whoamiArgs();
    args.splice(args.indexOf('--ssl-ca'), 2);
    const before = db.logins.length;
    const r = await dbtoken(args, { env: awsEnv(staticKeys) });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/TLS refused: the server's certificate is not trusted/);
    expect(db.logins.length).toBe(before);
  });

  it('dbtoken sql dsql output, run as admin, maps a new role to an IAM role; whoami then logs in as it, until AWS IAM REVOKE', async () => {
    const sql = await dbtoken(['sql', 'dsql', '--role', 'carol', '--arn', OTHER_ARN]);
    expect(sql, sql.stderr).toMatchObject({ code: 0, stderr: '' });
    const before = await dbtoken(whoamiArgs('--user', 'carol'), { env: awsEnv(otherKeys) });
    expect(before.code).toBe(1); // no such role yet
    for (const statement of lines(sql.stdout)) await db.admin(statement);
    expect(await db.admin('SELECT * FROM sys.iam_pg_role_mappings')).toContainEqual({ pg_role_name: 'carol', arn: OTHER_ARN });
    const r = await dbtoken(whoamiArgs('--user', 'carol', '--json'), { env: awsEnv(otherKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'pg', sessionUser: 'carol', tls: true });
    await db.admin(`AWS IAM REVOKE "carol" FROM '${OTHER_ARN}'`);
    const after = await dbtoken(whoamiArgs('--user', 'carol'), { env: awsEnv(otherKeys) });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/login refused \(SQLSTATE 28000\)/);
  });
});

describe('dbtoken sql dsql and dbtoken policy dsql print what dsqlRole and dsqlConnectPolicy build', () => {
  async function ok(args: string[]): Promise<string> {
    const r = await dbtoken(args);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    return r.stdout;
  }

  it('sql dsql: CREATE ROLE and AWS IAM GRANT, one per line; --json {statements}', async () => {
    const args = ['sql', 'dsql', '--role', 'app', '--arn', APP_ARN];
    const out = await ok(args);
    expect(out).toBe(`CREATE ROLE "app" WITH LOGIN;\nAWS IAM GRANT "app" TO '${APP_ARN}';\n`);
    expect(lines(out)).toEqual(dsqlRole({ role: 'app', arn: APP_ARN }));
    expect(JSON.parse(await ok([...args, '--json']))).toEqual({ statements: dsqlRole({ role: 'app', arn: APP_ARN }) });
  });

  it('sql dsql quotes a hostile role as one identifier', async () => {
    expect(lines(await ok(['sql', 'dsql', '--role', 'x";DROP', '--arn', APP_ARN]))).toEqual(['CREATE ROLE "x"";DROP" WITH LOGIN;', `AWS IAM GRANT "x"";DROP" TO '${APP_ARN}';`]);
  });

  it.each([
    ['by cluster id, region and account', ['--cluster-id', 'abcdefghijklmnopqrstuvwxyz', '--region', 'us-east-1', '--account', '111122223333'], { clusterId: 'abcdefghijklmnopqrstuvwxyz', region: 'us-east-1', account: '111122223333' }],
    ['by cluster ARN, for admin', ['--cluster-arn', CLUSTER_ARN, '--admin'], { clusterArn: CLUSTER_ARN, admin: true }],
  ])('policy dsql %s: the policy document, indented; --json on one line', async (_name, more, options) => {
    const expected = dsqlConnectPolicy(options);
    const out = await ok(['policy', 'dsql', ...more]);
    expect(out).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(out).toContain(`"${CLUSTER_ARN}"`);
    expect(out).toContain(options.admin ? '"dsql:DbConnectAdmin"' : '"dsql:DbConnect"');
    const one = await ok(['policy', 'dsql', ...more, '--json']);
    expect(lines(one)).toHaveLength(1);
    expect(JSON.parse(one)).toEqual(expected);
  });

  it.each([
    ['sql without --role', ['sql', 'dsql', '--arn', APP_ARN], '--role'],
    ['sql without --arn', ['sql', 'dsql', '--role', 'app'], '--arn'],
    ['sql for the admin role', ['sql', 'dsql', '--role', 'admin', '--arn', APP_ARN], '--role'],
    ['sql with a role PostgreSQL would truncate', ['sql', 'dsql', '--role', 'r'.repeat(64), '--arn', APP_ARN], '--role'],
    ['sql with an assumed-role ARN', ['sql', 'dsql', '--role', 'app', '--arn', TEMP_ARN], '--arn'],
    ['sql with an ARN that closes the string', ['sql', 'dsql', '--role', 'app', '--arn', "arn:aws:iam::111122223333:role/x'; DROP ROLE app; --"], '--arn'],
    ['policy without a cluster', ['policy', 'dsql'], '--cluster-id'],
    ['policy with a cluster id but no --account', ['policy', 'dsql', '--cluster-id', 'abcdefghijklmnopqrstuvwxyz', '--region', 'us-east-1'], '--account'],
    ['policy with the endpoint as cluster id', ['policy', 'dsql', '--cluster-id', ENDPOINT, '--region', 'us-east-1', '--account', '111122223333'], '--cluster-id'],
    ['policy with an account of 4 digits', ['policy', 'dsql', '--cluster-id', 'abcdefghijklmnopqrstuvwxyz', '--region', 'us-east-1', '--account', '1234'], '--account'],
    ['policy with a region that is not one', ['policy', 'dsql', '--cluster-id', 'abcdefghijklmnopqrstuvwxyz', '--region', 'moon', '--account', '111122223333'], '--region'],
    ['policy with an RDS cluster ARN', ['policy', 'dsql', '--cluster-arn', 'arn:aws:rds:us-east-1:111122223333:cluster:mydb'], '--cluster-arn'],
    ['policy with a cluster ARN and --region', ['policy', 'dsql', '--cluster-arn', CLUSTER_ARN, '--region', 'us-east-1'], '--region'],
  ])('%s: exit 2, one line naming the option', async (_name, args, option) => {
    const r = await dbtoken(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^dbtoken (sql|policy) dsql: ${option.replace(/-/g, '\\-')}\\b`));
    expect(r.stderr).toMatch(/see dbtoken (sql|policy) dsql --help\n$/);
    expect(r.stderr).not.toMatch(/\b(clusterArn|clusterId|dsqlRole|dsqlConnectPolicy)\b/);
  });
});
