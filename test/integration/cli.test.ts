import { createPublicKey } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOciIdentityEmulator, verifyRdsToken, type OciIdentityEmulator } from 'dbtoken/testing';
import { REGION, staticKeys, temporaryKeys } from '../helpers/aws.js';
import { awsEnv, buildCli, dbtoken } from '../helpers/cli.js';
import { rsaKeys, tempDir, writeProfile } from '../helpers/oci-files.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy'; // writeProfile's tenancy
const ALICE = 'ocid1.user.oc1..aaaaalice';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaacompartmentb000000000000000000000000000000000000000000';
const alice = rsaKeys();
const stranger = rsaKeys();
const issuer = rsaKeys();
let iam: OciIdentityEmulator;

beforeAll(async () => {
  await buildCli();
  iam = await startOciIdentityEmulator({
    tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }],
    tokenIssuer: { publicKey: issuer.publicPem },
    regions: ['us-ashburn-1'],
  });
});
afterAll(async () => {
  await iam?.close();
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const claims = (jwt: string): Record<string, any> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
const mode = (p: string): number => statSync(p).mode & 0o777;

describe('dbtoken --help', () => {
  it.each([
    [[], /Usage: dbtoken <command>[\s\S]*token aws[\s\S]*token oci[\s\S]*whoami[\s\S]*sql[\s\S]*policy/],
    [['token'], /Usage: dbtoken token <aws\|oci>/],
    [['token', 'aws'], /Usage: dbtoken token aws --host <host> --port <port> --user <user>[\s\S]*--region/],
    [['token', 'oci'], /Usage: dbtoken token oci --scope <urn>[\s\S]*--auth[\s\S]*oci_db_key\.pem/],
    [['whoami'], /Usage: dbtoken whoami --driver <pg\|mysql2\|oracledb>[\s\S]*--ssl-ca[\s\S]*--connect-string/],
    [['sql'], /Usage: dbtoken sql <oracle\|rds-postgres\|rds-mysql\|heatwave>[\s\S]*IDENTIFIED GLOBALLY/],
    [['sql', 'oracle'], /Usage: dbtoken sql oracle \(--user <name> \| --role <name>\)[\s\S]*--iam-principal-ocid[\s\S]*--tenancy/],
    [['sql', 'rds-postgres'], /Usage: dbtoken sql rds-postgres --user <name>[\s\S]*rds_iam/],
    [['sql', 'rds-mysql'], /Usage: dbtoken sql rds-mysql --user <name>[\s\S]*AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL/],
    [['sql', 'heatwave'], /Usage: dbtoken sql heatwave --tenancy <ocid>[\s\S]*--map <group ocid>=<proxied user>[\s\S]*GRANT PROXY/],
    [['policy'], /Usage: dbtoken policy <oci\|oci-cross-tenancy\|heatwave\|aws>[\s\S]*rds-db:connect/],
    [['policy', 'heatwave'], /Usage: dbtoken policy heatwave[\s\S]*mysql_dp_auth/],
    [['policy', 'oci'], /Usage: dbtoken policy oci \(--group <name\|ocid> \| --dynamic-group <name\|ocid>\)[\s\S]*database-family/],
    [['policy', 'oci-cross-tenancy'], /Usage: dbtoken policy oci-cross-tenancy --user-tenancy <ocid> --database-tenancy <ocid>[\s\S]*Endorse/],
    [['policy', 'aws'], /Usage: dbtoken policy aws --region <region> --account <id> --resource-id <id> --user <name>/],
  ])('dbtoken %j --help prints usage on stdout and exits 0', async (words, usage) => {
    for (const flag of ['--help', '-h']) {
      const r = await dbtoken([...words, flag]);
      expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(usage);
    }
  });

  it('--help wins over bad arguments next to it', async () => {
    const r = await dbtoken(['whoami', '--driver', 'nope', '--port', 'x', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: dbtoken whoami/);
  });

  it('--debug and --json may come before the subcommand\'s name', async () => {
    for (const args of [['--json', 'sql', 'rds-postgres', '--user', 'app'], ['sql', '--json', 'rds-postgres', '--user', 'app'], ['--debug', 'sql', 'rds-postgres', '--user', 'app', '--json']]) {
      const r = await dbtoken(args);
      expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toEqual({ statements: ['CREATE USER "app" WITH LOGIN;', 'GRANT rds_iam TO "app";'] });
    }
  });

  it('--version prints the package version', async () => {
    const r = await dbtoken(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });
});

describe('bad arguments: exit 2, one line on stderr naming the option', () => {
  const aws = ['token', 'aws', '--host', 'db.internal', '--port', '5432', '--user', 'app', '--region', 'us-east-1'];
  const oci = ['token', 'oci', '--scope', 'urn:oracle:db::id::*'];
  const pg = ['whoami', '--driver', 'pg', '--token', 'aws', '--host', 'db.internal', '--user', 'app', '--region', 'us-east-1'];
  it.each([
    ['a missing --host', ['token', 'aws', '--port', '5432', '--user', 'app'], '--host'],
    ['a port that is not a number', ['token', 'aws', '--host', 'h', '--port', 'abc', '--user', 'u', '--region', 'us-east-1'], '--port'],
    ['a port out of range', [...pg, '--port', '70000'], '--port'],
    ['a region that is not one', ['token', 'aws', '--host', 'h', '--port', '5432', '--user', 'u', '--region', 'moon-1'], '--region'],
    ['no --region for a host that is not an RDS endpoint', ['token', 'aws', '--host', '127.0.0.1', '--port', '5432', '--user', 'u'], '--region'],
    ['an unknown option', [...aws, '--bogus'], '--bogus'],
    ['an option given twice', [...aws, '--host', 'other'], '--host'],
    ['an option without its value', ['token', 'aws', '--host', '--port', '5432'], '--host'],
    ['a value for a flag', [...aws, '--json=yes'], '--json'],
    ['an OCI option on an AWS token', [...aws, '--scope', 'urn:oracle:db::id::*'], '--scope'],
    ['a scope that is not a db-token URN', ['token', 'oci', '--scope', 'urn:example:nope'], '--scope'],
    ['a scope naming a user OCID', ['token', 'oci', '--scope', 'urn:oracle:db::id::ocid1.user.oc1..aaaaalice'], '--scope'],
    ['a path scope naming its tenancy by OCID', ['token', 'oci', '--scope', 'urn:oracle:db::path::ocid1.tenancy.oc1..aaaaaaaatenancy'], '--scope'],
    ['a path scope whose database is a compartment OCID', ['token', 'oci', '--scope', `urn:oracle:db::path::acme:sales::${COMPARTMENT}`], '--scope'],
    ['an unknown auth method', [...oci, '--auth', 'password'], '--auth'],
    ['--profile with instance_principal', [...oci, '--auth', 'instance_principal', '--profile', 'X'], '--profile'],
    ['an OCI region that is not one', [...oci, '--region', 'mars'], '--region'],
    ['a plain-http endpoint to a remote host', [...oci, '--endpoint', 'http://auth.example.com'], '--endpoint'],
    ['an OCI config file that does not exist', [...oci, '--config-file', '/nonexistent/oci/config'], '--config-file'],
    ['--out naming a file', [...oci, '--out', '/etc/hostname'], '--out'],
    ['--out under a file', [...oci, '--out', '/etc/hostname/db-token'], '--out'],
    ['a value with a line break (the error stays on one line)', ['token', 'aws', '--host', 'h', '--port', '1\n2', '--user', 'u', '--region', 'us-east-1'], '--port'],
    ['no --driver', ['whoami', '--token', 'aws', '--host', 'h', '--user', 'u'], '--driver'],
    ['an unknown driver', ['whoami', '--driver', 'sqlite', '--token', 'aws'], '--driver'],
    ['a token the driver cannot use', ['whoami', '--driver', 'pg', '--token', 'heatwave', '--host', 'h', '--user', 'u'], '--token'],
    ['a connect string for pg', [...pg, '--connect-string', 'tcps://h:1522/s'], '--connect-string'],
    ['a host for oracledb', ['whoami', '--driver', 'oracledb', '--token', 'oci', '--scope', 'urn:oracle:db::id::*', '--host', 'h'], '--host'],
    ['no --connect-string for oracledb', ['whoami', '--driver', 'oracledb', '--token', 'oci', '--scope', 'urn:oracle:db::id::*'], '--connect-string'],
    ['an unreadable --ssl-ca', [...pg, '--ssl-ca', '/nonexistent/ca.pem'], '--ssl-ca'],
    ['an unknown --ssl-mode', [...pg, '--ssl-mode', 'disable'], '--ssl-mode'],
    ['--ssl-mode for oracledb', ['whoami', '--driver', 'oracledb', '--token', 'oci', '--scope', 'urn:oracle:db::id::*', '--connect-string', 'tcps://h:1522/s', '--ssl-mode', 'verify-ca'], '--ssl-mode'],
    ['--insecure with --ssl-ca', [...pg, '--insecure', '--ssl-ca', '/etc/hostname'], '--insecure'],
    ['an AWS region on a HeatWave login', ['whoami', '--driver', 'mysql2', '--token', 'heatwave', '--host', 'h', '--user', 'u', '--region', 'us-east-1'], '--region'],
    ['a HeatWave config file that does not exist', ['whoami', '--driver', 'mysql2', '--token', 'heatwave', '--host', 'h', '--user', 'u', '--config-file', '/nonexistent/config'], '--config-file'],
  ])('%s', async (_name, args, option) => {
    const r = await dbtoken(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(option);
    expect(r.stderr).toMatch(/^dbtoken( \w+)*: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each([
    ['no command', []],
    ['an unknown command', ['frobnicate']],
    ['an unknown token provider', ['token', 'gcp']],
    ['a stray word', ['token', 'aws', '--host', 'h', 'stray']],
    ['a group without its subcommand', ['sql']],
    ['an unknown database for sql', ['sql', 'db2']],
    ['an unknown policy kind', ['policy', 'gcp']],
  ])('%s', async (_name, args) => {
    const r = await dbtoken(args);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
  });
});

describe('dbtoken token aws', () => {
  const target = { hostname: 'db.internal.example', port: 5432, username: 'iam_alice', region: REGION };
  const args = ['token', 'aws', '--host', target.hostname, '--port', '5432', '--user', 'iam_alice', '--region', REGION];

  it('prints a token the RDS verifier accepts, signed with the SDK default chain (environment credentials)', async () => {
    const r = await dbtoken(args, { env: awsEnv(staticKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(lines(r.stdout)).toHaveLength(1);
    const token = r.stdout.trim();
    expect(token).toMatch(/^db\.internal\.example:5432\/\?Action=connect&DBUser=iam_alice&/);
    expect(verifyRdsToken(token, { ...target, credentials: [staticKeys] })).toMatchObject({ ok: true, user: 'iam_alice', accessKeyId: staticKeys.accessKeyId });
  });

  it('--json prints { token, expiresAt } with temporary credentials (session token included)', async () => {
    const before = Date.now();
    const r = await dbtoken([...args, '--json'], { env: awsEnv(temporaryKeys) });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['expiresAt', 'token']);
    expect(verifyRdsToken(out.token, { ...target, credentials: [temporaryKeys] }).ok).toBe(true);
    const expires = Date.parse(out.expiresAt);
    expect(expires - before).toBeGreaterThan(14 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it('reads the region from an RDS endpoint', async () => {
    const host = 'mydb.abc123xyz.eu-west-1.rds.amazonaws.com';
    const r = await dbtoken(['token', 'aws', '--host', host, '--port', '3306', '--user', 'app'], { env: awsEnv(staticKeys) });
    expect(r.code, r.stderr).toBe(0);
    expect(verifyRdsToken(r.stdout.trim(), { hostname: host, port: 3306, username: 'app', region: 'eu-west-1', credentials: [staticKeys] }).ok).toBe(true);
  });

  it.each([
    ['AWS_REGION', { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'eu-west-1' }, 'us-east-2'],
    ['AWS_DEFAULT_REGION', { AWS_DEFAULT_REGION: 'eu-west-1' }, 'eu-west-1'],
  ])('a host that is not an RDS endpoint, without --region: signs for %s', async (_name, env, region) => {
    const r = await dbtoken(['token', 'aws', '--host', '127.0.0.1', '--port', '5432', '--user', 'app'], { env: { ...awsEnv(staticKeys), ...env } });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(verifyRdsToken(r.stdout.trim(), { hostname: '127.0.0.1', port: 5432, username: 'app', region, credentials: [staticKeys] }).ok).toBe(true);
  });

  it("a host that is not an RDS endpoint, without --region: signs for the AWS profile's region (AWS_PROFILE, AWS_CONFIG_FILE)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-3\n[profile prod]\nregion = ap-south-1\n');
    // The profile's keys too: the SDK reads a profile's credentials before AWS_ACCESS_KEY_ID.
    writeFileSync(join(dir, 'credentials'), `[prod]\naws_access_key_id = ${staticKeys.accessKeyId}\naws_secret_access_key = ${staticKeys.secretAccessKey}\n`);
    const env = { AWS_PROFILE: 'prod', AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
    const r = await dbtoken(['token', 'aws', '--host', '127.0.0.1', '--port', '5432', '--user', 'app'], { env });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(verifyRdsToken(r.stdout.trim(), { hostname: '127.0.0.1', port: 5432, username: 'app', region: 'ap-south-1', credentials: [staticKeys] }).ok).toBe(true);
  });

  it('an AWS profile without a region: exit 2, one line naming --region and every source', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config'), '[default]\noutput = json\n');
    const r = await dbtoken(['token', 'aws', '--host', '127.0.0.1', '--port', '5432', '--user', 'app'], { env: { ...awsEnv(staticKeys), AWS_CONFIG_FILE: join(dir, 'config') } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken token aws: --region: cannot be inferred from hostname "127\.0\.0\.1" \(not an RDS endpoint\), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" \(no region for it in .*\); give an AWS region, such as --region us-east-1/);
  });

  it('without credentials: exit 1, one line saying so', async () => {
    const r = await dbtoken(args, { env: { HOME: tempDir('dbtoken-home-') } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/no token: .*Likely cause: no AWS credentials were found/);
  });
});

describe('dbtoken token oci against the OCI Identity Data Plane emulator', () => {
  function keyMatchesJwk(pem: string, jwk: object): boolean {
    const a = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    const b = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    return a.equals(b);
  }
  const ociArgs = (configFile: string, ...more: string[]) => [
    'token', 'oci', '--scope', `urn:oracle:db::id::${COMPARTMENT}`, '--config-file', configFile, '--endpoint', iam.endpointFor('us-ashburn-1'), ...more,
  ];

  it('writes token and oci_db_key.pem (0600) in a new 0700 directory; the key is the token\'s jwk; prints where and until when', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const out = join(tempDir(), 'nested', 'db-token');
    const r = await dbtoken(ociArgs(configFile, '--out', out));
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const token = readFileSync(join(out, 'token'), 'utf8');
    const key = readFileSync(join(out, 'oci_db_key.pem'), 'utf8');
    expect(mode(out)).toBe(0o700);
    expect(mode(join(out, 'token'))).toBe(0o600);
    expect(mode(join(out, 'oci_db_key.pem'))).toBe(0o600);
    const c = claims(token);
    expect(c).toMatchObject({ sub: ALICE, scope: `urn:oracle:db::id::${COMPARTMENT}` });
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keyMatchesJwk(key, c.jwk)).toBe(true);
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, principal: ALICE, scope: `urn:oracle:db::id::${COMPARTMENT}` });
    // Where and when, never what.
    expect(r.stdout).toContain(join(out, 'token'));
    expect(r.stdout).toContain(join(out, 'oci_db_key.pem'));
    expect(r.stdout).toContain(new Date(c.exp * 1000).toISOString());
    expect(r.stdout).toMatch(/in (59|60) min|in 1 h/);
    expect(r.stdout).not.toContain(token.slice(0, 40));
    expect(r.stdout).not.toContain('PRIVATE KEY');
  });

  it('--json prints { dir, tokenFile, keyFile, expiresAt }; an existing directory keeps its mode and old files are replaced at 0600', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const out = join(tempDir(), 'db-token');
    mkdirSync(out, { mode: 0o755 });
    chmodSync(out, 0o755);
    writeFileSync(join(out, 'token'), 'old', { mode: 0o644 });
    chmodSync(join(out, 'token'), 0o644);
    const r = await dbtoken(ociArgs(configFile, '--out', out, '--json'));
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const o = JSON.parse(r.stdout);
    expect(o).toEqual({ dir: out, tokenFile: join(out, 'token'), keyFile: join(out, 'oci_db_key.pem'), expiresAt: expect.any(String) });
    expect(Date.parse(o.expiresAt)).toBe(claims(readFileSync(o.tokenFile, 'utf8')).exp * 1000);
    expect(mode(out)).toBe(0o755);
    expect(mode(o.tokenFile)).toBe(0o600);
    expect(mode(o.keyFile)).toBe(0o600);
    expect(keyMatchesJwk(readFileSync(o.keyFile, 'utf8'), claims(readFileSync(o.tokenFile, 'utf8')).jwk)).toBe(true);
  });

  it('a path scope, by name: the token is issued for it as written', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const scope = 'urn:oracle:db::path::acme:sales:eu::ocid1.autonomousdatabase.oc1.iad.aaaaaaaadatabase';
    const r = await dbtoken(['token', 'oci', '--scope', scope, '--config-file', configFile, '--endpoint', iam.endpointFor('us-ashburn-1'), '--out', join(tempDir(), 'db-token'), '--json']);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(claims(readFileSync(JSON.parse(r.stdout).tokenFile, 'utf8'))).toMatchObject({ sub: ALICE, scope });
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, principal: ALICE, scope });
  });

  it('a malformed path scope: exit 2 before any IAM call', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const before = iam.requests.length;
    const r = await dbtoken(['token', 'oci', '--scope', 'urn:oracle:db::path::acme:sales::mydb', '--config-file', configFile, '--endpoint', iam.endpointFor('us-ashburn-1'), '--out', join(tempDir(), 'db-token')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dbtoken token oci: --scope: "mydb" is not an OCID; it should look like ocid1.autonomousdatabase.oc1..<id>; see dbtoken token oci --help\n');
    expect(iam.requests.length).toBe(before);
  });

  it('writes to ~/.oci/db-token by default', async () => {
    const home = tempDir('dbtoken-home-');
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const r = await dbtoken(ociArgs(configFile, '--json'), { env: { HOME: home } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dir).toBe(join(home, '.oci', 'db-token'));
    expect(mode(join(home, '.oci', 'db-token'))).toBe(0o700);
    expect(mode(join(home, '.oci', 'db-token', 'token'))).toBe(0o600);
  });

  it('--out a directory others may write without a sticky bit: exit 2 before any IAM call, its mode left alone', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const out = tempDir();
    chmodSync(out, 0o777);
    const before = iam.requests.length;
    const r = await dbtoken(ociArgs(configFile, '--out', out));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/--out .* is writable by anyone and has no sticky bit/);
    expect(iam.requests.length).toBe(before);
    expect(statSync(out).mode & 0o7777).toBe(0o777);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--out that is a symlink: exit 2 before any IAM call, and the directory it points to is left alone', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const target = tempDir();
    chmodSync(target, 0o755);
    const link = join(tempDir(), 'db-token');
    symlinkSync(target, link);
    const before = iam.requests.length;
    const r = await dbtoken(ociArgs(configFile, '--out', link));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/--out .* is a symbolic link/);
    expect(iam.requests.length).toBe(before);
    expect(mode(target)).toBe(0o755);
    expect(readdirSync(target)).toEqual([]);
  });

  it('a "token" that is a directory: exit 2 before any IAM call, the key not written', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const out = tempDir();
    mkdirSync(join(out, 'token'));
    const before = iam.requests.length;
    const r = await dbtoken(ociArgs(configFile, '--out', out));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .*: token there is not a regular file/);
    expect(iam.requests.length).toBe(before);
    expect(readdirSync(out)).toEqual(['token']);
  });

  it('another run writing the same directory: exit 1, the old token and key left as a pair', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const out = tempDir();
    chmodSync(out, 0o700);
    writeFileSync(join(out, 'token'), 'old token', { mode: 0o600 });
    writeFileSync(join(out, 'oci_db_key.pem'), 'old key', { mode: 0o600 });
    writeFileSync(join(out, '.dbtoken.lock'), '');
    const r = await dbtoken(ociArgs(configFile, '--out', out));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/another dbtoken is writing to/);
    expect(readFileSync(join(out, 'token'), 'utf8')).toBe('old token');
    expect(readFileSync(join(out, 'oci_db_key.pem'), 'utf8')).toBe('old key');
    expect(readdirSync(out).sort()).toEqual(['.dbtoken.lock', 'oci_db_key.pem', 'token']);
  });

  it('a key IAM does not know: exit 1, the 401 explained, no files written', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: stranger });
    const out = join(tempDir(), 'db-token');
    const r = await dbtoken(ociArgs(configFile, '--out', out));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/IAM refused the request \(401\).*Likely cause: IAM does not know the signing key/);
    expect(() => statSync(out)).toThrow();
  });
});
