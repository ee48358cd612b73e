import { describe, expect, it } from 'vitest';
import { ConfigError, InsecureTransportError, TokenUnavailableError } from '../../src/core/errors.js';
import { parseOptions, UsageError } from '../../src/cli/args.js';
import { TOKEN_OCI_HELP } from '../../src/cli/help.js';
import { main } from '../../src/cli/main.js';
import { ociProviderPlan } from '../../src/cli/provider-options.js';
import { tokenAwsOptions } from '../../src/cli/commands/token-options.js';
import { whoamiOptions } from '../../src/cli/commands/whoami-options.js';
import { OCI_AUTH_TYPES } from '../../src/sources/oci/auth.js';
import { configErrorLine, explainFailure, PROVIDER_FIELDS, withUsageErrors, wordingFor } from '../../src/cli/explain.js';
import { relativeTime } from '../../src/cli/format.js';
import { formatIdentity, MYSQL_TLS_SQL, mysqlIdentity, ORACLE_IDENTITY_SQL, oracleIdentity, pgIdentity } from '../../src/cli/commands/identity.js';
import { builderWording, parseGroupMap, parseMysqlGrant } from '../../src/cli/commands/provision.js';
import { redact } from '../../src/cli/redact.js';

const err = (message: string, props: Record<string, unknown> = {}): Error => Object.assign(new Error(message), props);
/** An environment in which no AWS config file exists, whatever the machine has. */
const NO_AWS_FILES = { AWS_CONFIG_FILE: '/nonexistent/aws/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials' };

describe('explainFailure: each known refusal gets its likely cause, exit 1', () => {
  it.each([
    ['PostgreSQL 28000', err('PAM authentication failed for user "app"', { code: '28000' }), {}, /^login refused \(SQLSTATE 28000\): .*Likely cause: .*GRANT rds_iam.*rds-db:connect/],
    ['PostgreSQL 28P01', err('password authentication failed for user "app"', { code: '28P01' }), {}, /^login refused \(SQLSTATE 28P01\): .*Likely cause: the server did not accept the IAM token/],
    ['PostgreSQL pg_hba.conf', err('no pg_hba.conf entry for host "10.0.0.1", user "app", database "db", no encryption', { code: '28000' }), {}, /no pg_hba\.conf rule/],
    ['MySQL 1045 with an RDS token', err("Access denied for user 'app'@'10.0.0.1' (using password: YES)", { errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' }), { token: 'aws' as const }, /^login refused \(1045\): .*AWSAuthenticationPlugin AS 'RDS'/],
    ['MySQL 1045 on HeatWave', err("Access denied for user 'alice'@'10.0.0.1'", { errno: 1045 }), { token: 'heatwave' as const }, /^login refused \(1045\): .*IDENTIFIED WITH authentication_oci.*oci session refresh/],
    ['ORA-01017', err('ORA-01017: invalid credential or not authorized; logon denied\nHelp: https://docs.oracle.com/error-help/db/ora-01017/', { code: 'ORA-01017', errorNum: 1017 }), { token: 'oci' as const }, /^login refused \(ORA-01017\): ORA-01017: invalid credential .* logon denied Help: .*Likely cause: no database user is mapped.*IDENTIFIED GLOBALLY.*OCI_IAM.*autonomous-database-family/],
    ['ORA-25707', err('ORA-25707: The token is invalid.', { code: 'ORA-25707', errorNum: 25707 }), { token: 'oci' as const }, /^the database refused the token as invalid \(ORA-25707\): .*scope does not cover this database.*--region/],
    ['ORA-25708', err('ORA-25708: The token has expired.', { errorNum: 25708 }), { token: 'oci' as const }, /^the database refused the token as expired \(ORA-25708\): .*db-tokens last 1 hour/],
    ['NJS-087', err('NJS-087: access token has expired', { code: 'NJS-087' }), { token: 'oci' as const }, /^the driver refused an expired token \(NJS-087\): .*clock/],
    ['TLS: an untrusted certificate', err('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), {}, /^TLS refused: the server's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)\. Likely cause: pass the CA .* --ssl-ca/],
    ['TLS: a certificate for another name', err("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), {}, /^TLS refused: .*does not name --host/],
    ['TLS through mysql2: a certificate for another name', err("Hostname/IP does not match certificate's altnames: Host: db.example.com. is not in the cert's altnames: DNS:other", { code: 'HANDSHAKE_SSL_ERROR' }), {}, /^TLS refused: .*does not name --host.*--ssl-mode verify-ca/],
    ['TLS through mysql2: an untrusted certificate', err('self-signed certificate', { code: 'HANDSHAKE_SSL_ERROR' }), {}, /^TLS refused: the server's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/],
    ['TLS through oracledb: an untrusted certificate', err('NJS-506: connection to host db.example.com port 1522 encountered TLS handshake failure. (CONNECTION_ID=x)\nunable to verify the first certificate', { code: 'NJS-506' }), { token: 'oci' as const }, /^TLS refused: the database's certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\. Likely cause: .*NODE_EXTRA_CA_CERTS/],
    ['TLS through oracledb: a certificate for another name', err("NJS-506: connection to host 10.0.0.5 port 1522 encountered TLS handshake failure. (CONNECTION_ID=x)\nHostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list", { code: 'NJS-506' }), { token: 'oci' as const }, /^TLS refused: the database's certificate does not name the host in --connect-string/],
    ['TLS: an expired certificate', err('certificate has expired', { code: 'CERT_HAS_EXPIRED' }), {}, /^TLS refused: .*not valid now \(CERT_HAS_EXPIRED\)/],
    ['TLS: a server without TLS', err('The server does not support SSL connections'), {}, /^TLS refused: .*does not send a token in the clear.*--insecure/],
    ['TLS: refused by dbtoken before sending', new InsecureTransportError('the connection has no TLS; pass ssl, or allowInsecureTransport: true for local testing'), {}, /^TLS refused: (?!.*allowInsecureTransport).*--insecure/],
    [
      'an expired OCI session token',
      new ConfigError('security_token_file', '/home/a/.oci/config:2: the security token in /home/a/.oci/sessions/DEFAULT/token expired at 2026-11-23T10:00:00Z', 'run `oci session refresh --profile DEFAULT`'),
      { token: 'heatwave' as const },
      /^the OCI session token has expired: \/home\/a\/\.oci\/config:2: the security token .* expired at 2026-11-23T10:00:00Z\. Likely cause: .*oci session refresh/,
    ],
    ['expired credentials behind a failed fetch', new TokenUnavailableError('no token', { cause: err('The security token included in the request is expired') }), { token: 'aws' as const }, /^no token, something has expired: .*Likely cause: the credentials the token is made from have expired/],
    ['IAM 401', new TokenUnavailableError('no token', { cause: err('The required information to complete authentication was not provided', { statusCode: 401 }) }), { token: 'oci' as const }, /^IAM refused the request \(401\): .*fingerprint and key_file/],
    ['IAM 404', new TokenUnavailableError('no token', { cause: err('Authorization failed or requested resource not found', { statusCode: 404 }) }), { token: 'oci' as const }, /^IAM answered 404: .*--scope names .*policy/],
    ['no AWS credentials', new TokenUnavailableError('no token', { cause: Object.assign(err('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }) }), { token: 'aws' as const }, /no AWS credentials were found/],
    ['an SDK that is not installed', err("Cannot find package 'oci-common' imported from /app/node_modules/dbtoken/dist/esm/src/oci-worker.js", { code: 'ERR_MODULE_NOT_FOUND' }), { token: 'oci' as const }, /^this command needs the oci-common package, which is not installed: npm install oci-common@2\.139\.1 oci-identitydataplane@2\.139\.1$/],
    ['a timeout', err('timeout expired'), {}, /^timed out: timeout expired\. Likely cause: the server is unreachable/],
    [
      'an IAM endpoint that refuses the connection (the hint is about IAM, not --host)',
      new TokenUnavailableError('no token', { cause: err('IAM at http://127.0.0.1:9 cannot be reached: connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' }) }),
      { token: 'oci' as const },
      /^no token, IAM could not be reached: .*Likely cause: the IAM endpoint did not answer \(ECONNREFUSED\): check --region and --endpoint(?!.*--host)/,
    ],
    ['connection refused', err('connect ECONNREFUSED 10.0.0.1:5432', { code: 'ECONNREFUSED', address: '10.0.0.1', port: 5432 }), {}, /^cannot connect to 10\.0\.0\.1:5432: connection refused/],
  ])('%s', (_name, error, ctx, expected) => {
    const f = explainFailure(error, { command: 'dbtoken whoami', ...ctx });
    expect(f.exitCode).toBe(1);
    expect(f.message).toMatch(expected);
    expect(f.message).not.toContain('\n');
  });

  it('NJS-168 (node-oracledb dropped the accessToken callback\'s error): the provider\'s own error is explained', () => {
    const tokenError = new TokenUnavailableError('no token', { cause: err('Authorization failed or requested resource not found', { statusCode: 404 }) });
    const wrapped = err('NJS-168: cannot get token from the accessToken callback', { code: 'NJS-168' });
    expect(explainFailure(wrapped, { command: 'dbtoken whoami', token: 'oci', tokenError }).message).toMatch(/^IAM answered 404/);
  });

  it('the refusal is found down the cause chain and inside an AggregateError', () => {
    const inner = err('ORA-25708: The token has expired.', { code: 'ORA-25708' });
    const outer = new AggregateError([err('first address failed'), new Error('wrapper', { cause: inner })], 'all attempts failed');
    expect(explainFailure(outer, { command: 'dbtoken whoami' }).message).toMatch(/\(ORA-25708\)/);
  });

  it.each([
    ['NJS-515', 'NJS-515: error in Easy Connect connection string: x', '--connect-string'],
    ['NJS-517', 'NJS-517: cannot connect to Oracle Database. Unable to find "mydb" in "/etc/tns/tnsnames.ora"', '--connect-string'],
    ['NJS-516', 'NJS-516: no configuration directory set or available to search for tnsnames.ora', '--config-dir'],
  ])('%s (a connect string node-oracledb cannot use): exit 2, naming %s', (code, message) => {
    const f = explainFailure(err(message, { code }), { command: 'dbtoken whoami', token: 'oci' });
    expect(f.exitCode).toBe(2);
    expect(f.message).toMatch(/^--(connect-string|config-dir): NJS-51\d: .*; see dbtoken whoami --help$/);
  });

  it('usage errors: exit 2, pointing at --help', () => {
    expect(explainFailure(new UsageError('--port', '--port must be a number'), { command: 'dbtoken token aws' })).toEqual({
      exitCode: 2,
      message: '--port must be a number; see dbtoken token aws --help',
    });
  });

  it('an unknown error keeps its message, on one line', () => {
    expect(explainFailure(err('something\nodd.'), { command: 'dbtoken whoami' })).toEqual({ exitCode: 1, message: 'something odd' });
  });
});

describe('a ConfigError is rendered from its data: the option, the problem, and a fix in the CLI\'s words', () => {
  it.each([
    [
      'a config file that cannot be read: the CLI says --config-file, not auth.configFile',
      new ConfigError('auth.configFile', '/x/config cannot be read (ENOENT)', 'create it with `oci setup config` or pass auth.configFile'),
      '--config-file: /x/config cannot be read (ENOENT); create it with `oci setup config`, or give another with --config-file',
    ],
    [
      'a profile the file does not have',
      new ConfigError('profile', 'profile [PROD] not found in /x/config (it has [DEFAULT])', 'pass profile, or create it with `oci setup config` or `oci session authenticate`'),
      '--profile: profile [PROD] not found in /x/config (it has [DEFAULT]); pick one with --profile, or create it with `oci setup config` or `oci session authenticate`',
    ],
    [
      'a profile without a region',
      new ConfigError('auth.region', '/x/config:1: profile [DEFAULT] has no region', 'add region = <region id> to it, or pass region to ociDbToken'),
      '--region: /x/config:1: profile [DEFAULT] has no region; add region = <region id> to the profile, or give --region',
    ],
    [
      'a hostname with a port',
      new ConfigError('hostname', 'must be a bare hostname without scheme, port, user or path (got "db:5432")', 'put the port in `port`'),
      '--host: must be a bare hostname without scheme, port, user or path (got "db:5432"); give the host name alone, and the port with --port',
    ],
    [
      "a fix about the profile's contents is the library's own",
      new ConfigError('key_file', '/x/config:3: key_file /k.pem is not a PEM private key', 'point key_file at the API signing key (PEM) that `oci setup config` made'),
      '--profile: /x/config:3: key_file /k.pem is not a PEM private key; point key_file at the API signing key (PEM) that `oci setup config` made',
    ],
    [
      'a part of the scope, with its own fix',
      new ConfigError('scope.database', 'is in realm oc2 but the compartment is in realm oc1', "a database scope names the database's own compartment"),
      "--scope: is in realm oc2 but the compartment is in realm oc1; a database scope names the database's own compartment",
    ],
    ['no fix', new ConfigError('endpoint', '"x" is not a URL'), '--endpoint: "x" is not a URL'],
    [
      'a field without an option keeps its library name',
      new ConfigError('keySize', 'must be 2048, 3072 or 4096, got the number 1', 'pass 2048, 3072 or 4096'),
      'keySize: must be 2048, 3072 or 4096, got the number 1; pass 2048, 3072 or 4096',
    ],
  ])('%s', (_name, error, line) => {
    expect(explainFailure(error, { command: 'dbtoken token oci' })).toEqual({ exitCode: 2, message: line });
  });

  it('reads field, problem and fix, never the message', () => {
    const error = new ConfigError('auth.configFile', '/x/config cannot be read (EACCES)', 'pass auth.configFile');
    Object.defineProperty(error, 'message', { value: 'auth.configFile: something else entirely' });
    expect(explainFailure(error, { command: 'dbtoken token oci' }).message).toBe('--config-file: /x/config cannot be read (EACCES); create it with `oci setup config`, or give another with --config-file');
  });

  it.each([
    ['its own entry', 'auth.profile', { option: '--profile' }],
    ['its own entry, with the CLI fix', 'profile', PROVIDER_FIELDS.profile],
    ['no entry', 'keySize', undefined],
    ['inherited names are no entries', 'constructor', undefined],
  ])('wordingFor: %s (%s)', (_name, field, expected) => {
    expect(wordingFor(field, PROVIDER_FIELDS)).toEqual(expected);
  });

  it.each([
    ['the longest listed prefix, indexes dropped', 'groups[0].grants[1].privileges[0]', { option: '--grant', fix: 'add a privilege' }],
    ['a shorter prefix', 'groups[1].proxiedUser', { option: '--map' }],
  ])('wordingFor: %s', (_name, field, expected) => {
    expect(wordingFor(field, { groups: '--map', 'groups.grants': { option: '--grant', fix: 'add a privilege' } })).toEqual(expected);
  });

  it.each([
    ['the CLI fix replaces the library fix', { option: '--account', fix: 'give 12 digits' }, '--account: "1234" is not a 12-digit AWS account id; give 12 digits'],
    ['without a CLI fix, the library fix stays', { option: '--account' }, "--account: \"1234\" is not a 12-digit AWS account id; pass the account id as a string of 12 digits"],
    ['without wording, the library field stays', undefined, "account: \"1234\" is not a 12-digit AWS account id; pass the account id as a string of 12 digits"],
  ])('configErrorLine: %s', (_name, wording, line) => {
    const error = new ConfigError('account', '"1234" is not a 12-digit AWS account id', 'pass the account id as a string of 12 digits');
    expect(configErrorLine(error, wording)).toBe(line);
  });

  it('withUsageErrors: a ConfigError becomes a usage error naming the option; other errors pass through', () => {
    const config = new ConfigError('region', '"moon" is not an AWS region name', 'write it like us-east-1');
    let thrown: unknown;
    try {
      withUsageErrors(() => {
        throw config;
      }, () => ({ option: '--region' }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect(thrown).toMatchObject({ option: '--region', message: '--region: "moon" is not an AWS region name; write it like us-east-1' });
    const other = new Error('not a config error');
    expect(() => withUsageErrors(() => {
      throw other;
    }, () => ({ option: '--region' }))).toThrow(other);
    expect(withUsageErrors(() => 42, () => undefined)).toBe(42);
  });
});

describe('the library\'s ConfigErrors through the commands: one line each, in the CLI\'s words', () => {
  const GROUP = 'ocid1.group.oc1..aaaaaaaadevs';
  const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancya';
  async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const code = await main(argv, { stdout: () => {}, stderr: (t) => void (stderr += t), env: NO_AWS_FILES });
    return { code, stderr };
  }

  it.each([
    [
      'an RDS token for a host that is not an RDS endpoint (resolveRdsRegion)',
      ['token', 'aws', '--host', '127.0.0.1', '--port', '5432', '--user', 'u'],
      'dbtoken token aws: --region: cannot be inferred from hostname "127.0.0.1" (not an RDS endpoint), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" ' +
        '(no AWS config file at /nonexistent/aws/config or /nonexistent/aws/credentials); give an AWS region, such as --region us-east-1; see dbtoken token aws --help',
    ],
    [
      'an RDS token with a region that is not one (resolveRdsRegion)',
      ['token', 'aws', '--host', '127.0.0.1', '--port', '5432', '--user', 'u', '--region', 'moon-1'],
      'dbtoken token aws: --region: "moon-1" is not an AWS region name; give an AWS region, such as --region us-east-1; see dbtoken token aws --help',
    ],
    [
      'a scope that is not a db-token URN (parseOciScope)',
      ['token', 'oci', '--scope', 'urn:example:nope'],
      /^dbtoken token oci: --scope: "urn:example:nope" does not start with urn:oracle:db::id:: or urn:oracle:db::path::; write it as urn:oracle:db::id::\*, .*, or urn:oracle:db::path::<tenancy name>\[:<compartment name>\]\[::<database OCID>\]; see dbtoken token oci --help\n$/,
    ],
    [
      'a path scope naming its tenancy by OCID (parseOciScope)',
      ['token', 'oci', '--scope', `urn:oracle:db::path::${TENANCY}`],
      `dbtoken token oci: --scope: "${TENANCY}" is an OCID, but a path scope names the tenancy by its name; give the tenancy's name, or name it by OCID in a urn:oracle:db::id:: scope; see dbtoken token oci --help`,
    ],
    [
      'an Oracle principal OCID that is a group: the CLI fix names --iam-group',
      ['sql', 'oracle', '--user', 'u', '--iam-principal-ocid', GROUP],
      `dbtoken sql oracle: --iam-principal-ocid: is the OCID of a group, which cannot log in; give the OCID of the IAM user, instance or resource that logs in (ocid1.user.oc1..<id>), or map a group by name with --iam-group; see dbtoken sql oracle --help`,
    ],
    [
      'an AWS account that is not 12 digits: the CLI fix speaks of digits, not strings',
      ['policy', 'aws', '--region', 'us-east-2', '--account', '1234', '--resource-id', 'db-ABC', '--user', 'app'],
      'dbtoken policy aws: --account: "1234" is not a 12-digit AWS account id; give the 12 digits of the account id, leading zeros included, such as 111122223333; see dbtoken policy aws --help',
    ],
    [
      'a MySQL grant on a bad target: the library fix as it is',
      ['sql', 'rds-mysql', '--user', 'u', '--grant', 'SELECT ON orders'],
      `dbtoken sql rds-mysql: --grant: "orders" is not <database>.* or <database>.<table> (or *.*); write it like 'orders.*'; see dbtoken sql rds-mysql --help`,
    ],
    [
      'a field named by its kebab-case option',
      ['policy', 'oci', '--group', 'g', '--resource', 'all-resources'],
      'dbtoken policy oci: --resource: "all-resources" is not a database resource type; use one of autonomous-database-family, database-connections, database-family; see dbtoken policy oci --help',
    ],
    [
      'two Oracle mappings',
      ['sql', 'oracle', '--user', 'u', '--iam-group', 'g', '--iam-principal', 'p'],
      'dbtoken sql oracle: --iam-principal cannot be given together with --iam-group: a global user maps exactly one IAM group or principal; see dbtoken sql oracle --help',
    ],
    [
      'a domain with a principal OCID',
      ['sql', 'oracle', '--user', 'u', '--iam-principal-ocid', 'ocid1.user.oc1..aaaaaaaapeter', '--domain', 'd'],
      'dbtoken sql oracle: --domain is not used with --iam-principal-ocid: an OCID already names the principal in its tenancy and domain; leave it out; see dbtoken sql oracle --help',
    ],
    [
      'a group and a dynamic group',
      ['policy', 'oci', '--group', 'a', '--dynamic-group', 'b'],
      'dbtoken policy oci: --dynamic-group cannot be given together with --group: write one policy for each; see dbtoken policy oci --help',
    ],
    [
      'cross-tenancy policies within one tenancy',
      ['policy', 'oci-cross-tenancy', '--user-tenancy', TENANCY, '--database-tenancy', TENANCY, '--group', 'g', '--group-ocid', GROUP],
      'dbtoken policy oci-cross-tenancy: --database-tenancy is --user-tenancy: within one tenancy use dbtoken policy oci instead; see dbtoken policy oci-cross-tenancy --help',
    ],
  ])('%s', async (_name, argv, expected) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    if (typeof expected === 'string') expect(r.stderr).toBe(`${expected}\n`);
    else expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(/\b(iamGroup|iamPrincipalOcid|dynamicGroup|databaseTenancy|userTenancy|resourceId|ociDatabasePolicy|auth\.configFile)\b/);
  });

  it('every OCI auth type the library knows is taken by --auth and named in its help', () => {
    for (const type of OCI_AUTH_TYPES) expect(ociProviderPlan({ scope: 'urn:oracle:db::id::*', auth: type }).auth).toEqual({ type });
    expect(() => ociProviderPlan({ scope: 'urn:oracle:db::id::*', auth: 'password' })).toThrow(expect.objectContaining({ option: '--auth' }));
    const listed = `${OCI_AUTH_TYPES.slice(0, -1).map((t, i) => (i === 0 ? `${t} (default)` : t)).join(', ')} or ${OCI_AUTH_TYPES.at(-1)}`;
    expect(TOKEN_OCI_HELP.replace(/\s+/g, ' ')).toContain(listed);
  });
});

describe('whoami queries, against stand-in connections', () => {
  it('Oracle: one query for the four USERENV values; rows as arrays (the driver default)', async () => {
    const asked: string[] = [];
    const conn = {
      execute: async (sql: string) => {
        asked.push(sql);
        return { rows: [['TOKEN_GLOBAL', 'peter.fitch@example.com', 'ocid1.user.oc1..aaaaaaaapeter', 'PETER']] };
      },
    };
    const id = await oracleIdentity(conn);
    expect(asked).toEqual([ORACLE_IDENTITY_SQL]);
    for (const item of ['AUTHENTICATION_METHOD', 'AUTHENTICATED_IDENTITY', 'ENTERPRISE_IDENTITY', 'CURRENT_USER']) {
      expect(ORACLE_IDENTITY_SQL).toContain(`sys_context('USERENV', '${item}')`);
    }
    expect(ORACLE_IDENTITY_SQL).toMatch(/ from dual$/);
    expect(id).toEqual({
      driver: 'oracledb',
      authenticationMethod: 'TOKEN_GLOBAL',
      authenticatedIdentity: 'peter.fitch@example.com',
      enterpriseIdentity: 'ocid1.user.oc1..aaaaaaaapeter',
      currentUser: 'PETER',
    });
    expect(formatIdentity(id)).toBe(
      [
        'authentication_method   TOKEN_GLOBAL',
        'authenticated_identity  peter.fitch@example.com',
        'enterprise_identity     ocid1.user.oc1..aaaaaaaapeter',
        'current_user            PETER',
      ].join('\n'),
    );
  });

  it('Oracle: rows as objects (outFormat OBJECT, upper-case keys), and NULLs shown as (none)', async () => {
    const conn = {
      execute: async () => ({
        rows: [{ AUTHENTICATION_METHOD: 'PASSWORD', AUTHENTICATED_IDENTITY: 'ADMIN', ENTERPRISE_IDENTITY: null, DB_USER: 'ADMIN' }],
      }),
    };
    const id = await oracleIdentity(conn);
    expect(id).toMatchObject({ authenticationMethod: 'PASSWORD', enterpriseIdentity: null, currentUser: 'ADMIN' });
    expect(formatIdentity(id)).toContain('enterprise_identity     (none)');
  });

  it('Oracle: no row is an error, not a blank identity', async () => {
    await expect(oracleIdentity({ execute: async () => ({ rows: [] }) })).rejects.toThrow(/no row/);
  });

  it('PostgreSQL and MySQL stand-ins', async () => {
    expect(await pgIdentity({ query: async () => ({ rows: [{ session_user: 'app', ssl: false }] }) })).toEqual({ driver: 'pg', sessionUser: 'app', tls: false });
    expect(await pgIdentity({ query: async () => ({ rows: [{ session_user: 'app', ssl: null }] }) })).toMatchObject({ tls: null });
    const asked: unknown[] = [];
    const proxied = await mysqlIdentity(
      {
        query: async (q) => {
          asked.push(q);
          return q.sql === MYSQL_TLS_SQL
            ? [[{ Variable_name: 'Ssl_cipher', Value: 'TLS_AES_256_GCM_SHA384' }], []]
            : [[{ 'USER()': 'bob@10.0.0.7', 'CURRENT_USER()': 'dev_proxy@%' }], []];
        },
      },
      5000,
    );
    expect(asked).toEqual([
      { sql: 'SELECT USER(), CURRENT_USER()', timeout: 5000 },
      { sql: "SHOW SESSION STATUS LIKE 'Ssl_cipher'", timeout: 5000 },
    ]);
    expect(proxied).toEqual({ driver: 'mysql2', user: 'bob@10.0.0.7', currentUser: 'dev_proxy@%', proxied: true, tls: true });
    expect(formatIdentity(proxied)).toBe('user          bob@10.0.0.7\ncurrent_user  dev_proxy@%\nproxy         yes: bob has the privileges of dev_proxy\ntls           yes');
    const plain = await mysqlIdentity({ query: async (q) => (q.sql === MYSQL_TLS_SQL ? [[['Ssl_cipher', '']], []] : [[['app@10.0.0.7', 'app@%']], []]) });
    expect(plain).toMatchObject({ proxied: false, tls: false });
    expect(formatIdentity(plain)).toMatch(/\ntls           no$/);
  });

  it.each([
    ['refuses the status statement (a proxy)', async () => Promise.reject(Object.assign(new Error('not supported'), { errno: 1064 }))],
    ['has no such status', async () => [[], []] as [unknown, unknown]],
  ])('MySQL: a server that %s still gets its identity printed, with TLS unknown', async (_name, status) => {
    const conn = { query: async (q: { sql: string }) => (q.sql === MYSQL_TLS_SQL ? status() : [[['app@10.0.0.7', 'app@%']], []] as [unknown, unknown]) };
    const id = await mysqlIdentity(conn);
    expect(id).toMatchObject({ user: 'app@10.0.0.7', tls: null });
    expect(formatIdentity(id)).toMatch(/\ntls           unknown$/);
  });
});

describe('redact', () => {
  const rds = 'db.example.com:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261123%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261123T101500Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvY2lkMS51c2VyIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
  it.each([
    ['an RDS token inside a message', `the server got "${rds}" and said no`, ['the server got "[redacted token]" and said no']],
    ['a JWT', `token ${jwt} expired`, ['token [redacted token] expired']],
    ['a PEM key, even cut off', 'key: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC', ['key: [redacted key]']],
    ['a secret access key', 'secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here', ['secret [redacted] here']],
    ['OCIDs and hex digests stay', 'user ocid1.user.oc1..aaaaaaaaqwertyuiopasdfghjklzxcvbnm1234567 sha 0123456789abcdef0123456789abcdef', ['user ocid1.user.oc1..aaaaaaaaqwertyuiopasdfghjklzxcvbnm1234567 sha 0123456789abcdef0123456789abcdef']],
    ['a known secret and its URL-encoded form', 'got s3cr3t/value+x and s3cr3t%2Fvalue%2Bx', ['got [redacted] and [redacted]'], ['s3cr3t/value+x']],
  ])('%s', (_name, text, [expected], secrets: string[] = []) => {
    expect(redact(text, secrets)).toBe(expected);
  });
});

describe('argument helpers', () => {
  it.each([
    ['SELECT ON orders.*', { privileges: ['SELECT'], on: 'orders.*' }],
    ['SELECT, INSERT ON orders.items', { privileges: ['SELECT', 'INSERT'], on: 'orders.items' }],
    ['select on *.* to app_readers', { privileges: ['select'], on: '*.*', to: 'app_readers' }],
    ['ALL PRIVILEGES ON shop.*', { privileges: ['ALL PRIVILEGES'], on: 'shop.*' }],
  ])('parseMysqlGrant(%j)', (text, expected) => {
    expect(parseMysqlGrant(text)).toEqual(expected);
  });

  it.each(['SELECT', 'ON orders.*', 'SELECT ON', '', 'SELECT ON a TO', 'SELECT TO x ON'])('parseMysqlGrant(%j) is a usage error naming --grant', (text) => {
    expect(() => parseMysqlGrant(text)).toThrow(expect.objectContaining({ option: '--grant' }));
  });

  it('parseMysqlGrant is linear: 200,000 spaces are refused at once, and the message is cut short', () => {
    const err = (() => {
      try {
        parseMysqlGrant(`SELECT${' '.repeat(200_000)}x`);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message.length).toBeLessThan(300);
  });

  it.each([
    ['ocid1.group.oc1..aaaa=devs', { group: 'ocid1.group.oc1..aaaa', proxiedUser: 'devs' }],
    ['ocid1.group.oc1..aaaa = devs ', { group: 'ocid1.group.oc1..aaaa', proxiedUser: 'devs' }],
  ])('parseGroupMap(%j)', (text, expected) => {
    expect(parseGroupMap(text)).toEqual(expected);
  });

  it.each(['devs', '=devs', 'ocid1.group.oc1..aaaa='])('parseGroupMap(%j) is a usage error naming --map', (text) => {
    expect(() => parseGroupMap(text)).toThrow(expect.objectContaining({ option: '--map' }));
  });

  it.each([
    ['iamGroup', {}, '--iam-group'],
    ['iamPrincipalOcid', {}, '--iam-principal-ocid'],
    ['roles[2]', { roles: '--grant-role' }, '--grant-role'],
    ['grants[0].on', { grants: '--grant' }, '--grant'],
    ['groups[1].grants[0].privileges', { groups: '--map', 'groups.grants': '--grant' }, '--grant'],
    ['groups[1].proxiedUser', { groups: '--map', 'groups.grants': '--grant' }, '--map'],
    ['user[1]', {}, '--user'],
  ])('builderWording(%j)', (field, options, expected) => {
    expect(builderWording(field, options).option).toBe(expected);
  });

  it('repeatable options collect every value; others refuse a second one', () => {
    const specs = { user: { type: 'string', multiple: true }, host: { type: 'string' } } as const;
    expect(parseOptions(['--user', 'a', '--user', 'b', '--host', 'h'], specs)).toMatchObject({ user: ['a', 'b'], host: 'h' });
    expect(() => parseOptions(['--host', 'a', '--host', 'b'], specs)).toThrow(expect.objectContaining({ option: '--host' }));
  });

  it.each([
    [0, 'in less than a minute'],
    [15 * 60_000, 'in 15 min'],
    [65 * 60_000, 'in 1 h 5 min'],
    [120 * 60_000, 'in 2 h'],
    [-2 * 60_000, '2 min ago'],
  ])('relativeTime(+%i ms) = %s', (ms, expected) => {
    expect(relativeTime(new Date(1_000_000 + ms), 1_000_000)).toBe(expected);
  });
});

describe('token aws and whoami find the AWS region as awsRdsToken() does', () => {
  const tokenArgs = ['--host', '127.0.0.1', '--port', '5432', '--user', 'app'];
  const whoamiArgs = ['--driver', 'pg', '--token', 'aws', '--host', 'db.internal.example.com', '--user', 'app'];
  const profileEnv = { ...NO_AWS_FILES, AWS_CONFIG_FILE: '/etc/passwd', AWS_PROFILE: 'prod' }; // a file that exists: the profile is read with the first token
  it.each([
    ['--region', ['--region', 'sa-east-1'], { AWS_REGION: 'us-east-2' }, 'sa-east-1', '--region'],
    ['AWS_REGION', [], { ...NO_AWS_FILES, AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'eu-west-1' }, 'us-east-2', 'AWS_REGION'],
    ['AWS_DEFAULT_REGION', [], { ...NO_AWS_FILES, AWS_DEFAULT_REGION: 'eu-west-1' }, 'eu-west-1', 'AWS_DEFAULT_REGION'],
    ['the profile', [], profileEnv, undefined, 'AWS profile "prod" in /etc/passwd or /nonexistent/aws/credentials'],
  ] as const)('%s', (_name, more, env, region, from) => {
    for (const plan of [tokenAwsOptions([...tokenArgs, ...more], env).provider, whoamiOptions([...whoamiArgs, ...more], env).provider]) {
      expect(plan).toMatchObject({ kind: 'aws', region, regionFrom: from });
    }
  });

  it('none of them: a usage error on --region, for whoami too', () => {
    let thrown: unknown;
    try {
      whoamiOptions(whoamiArgs, NO_AWS_FILES);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).option).toBe('--region');
    expect((thrown as Error).message).toMatch(/^--region: cannot be inferred from hostname "db\.internal\.example\.com" \(not an RDS endpoint\), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default"/);
  });

  it('a profile without a region, found at the first token: --region, in AWS words', () => {
    const error = new ConfigError('region', 'cannot be inferred from hostname "h" (not an RDS endpoint), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" (no region for it in /c or /k)', 'pass region');
    expect(explainFailure(error, { command: 'dbtoken whoami', token: 'aws' })).toEqual({
      exitCode: 2,
      message: '--region: cannot be inferred from hostname "h" (not an RDS endpoint), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" (no region for it in /c or /k); give an AWS region, such as --region us-east-1',
    });
    expect(explainFailure(new ConfigError('region', 'x'), { command: 'dbtoken whoami', token: 'oci' }).message).toBe('--region: x; give an OCI region, such as --region us-ashburn-1');
  });
});
