import { beforeAll, describe, expect, it } from 'vitest';
import {
  heatwaveAuthPolicy,
  heatwaveGroupMapping,
  heatwaveUser,
  ociCrossTenancyPolicies,
  ociDatabasePolicy,
  oracleGlobalRole,
  oracleGlobalUser,
  rdsConnectPolicy,
  rdsMysqlUser,
  rdsPostgresUser,
} from 'dbtoken/provision';
import { buildCli, dbtoken } from '../helpers/cli.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancya';
const DB_TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancyb';
const USER_OCID = 'ocid1.user.oc1..aaaaaaaapeter';
const GROUP_OCID = 'ocid1.group.oc1..aaaaaaaadevs';
const GROUP2_OCID = 'ocid1.group.oc1..aaaaaaaaops';
const DB_OCID = 'ocid1.autonomousdatabase.oc1.phx.aaaaaaaadb';

beforeAll(async () => {
  await buildCli();
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

async function ok(args: string[]): Promise<string> {
  const r = await dbtoken(args);
  expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
  return r.stdout;
}

describe('dbtoken sql prints what the dbtoken/provision builders build, one statement per line', () => {
  it.each([
    [
      'Oracle shared mapping in an identity domain, with privileges and roles',
      ['sql', 'oracle', '--user', 'sales_app', '--iam-group', 'db_sales_group', '--domain', 'sales_domain', '--privilege', 'CREATE TABLE', '--grant-role', 'DWROLE'],
      oracleGlobalUser({ user: 'sales_app', iamGroup: 'db_sales_group', domain: 'sales_domain', privileges: ['CREATE TABLE'], roles: ['DWROLE'] }),
    ],
    [
      'Oracle exclusive mapping by name',
      ['sql', 'oracle', '--user', 'peter', '--iam-principal', 'peter.fitch@example.com'],
      oracleGlobalUser({ user: 'peter', iamPrincipal: 'peter.fitch@example.com' }),
    ],
    [
      'Oracle exclusive mapping by OCID',
      ['sql', 'oracle', '--user', 'peter', '--iam-principal-ocid', USER_OCID],
      oracleGlobalUser({ user: 'peter', iamPrincipalOcid: USER_OCID }),
    ],
    [
      'Oracle cross-tenancy group mapping',
      ['sql', 'oracle', '--user', 'xt_user', '--iam-group', 'xt_db_users', '--tenancy', TENANCY],
      oracleGlobalUser({ user: 'xt_user', iamGroup: 'xt_db_users', tenancy: TENANCY }),
    ],
    [
      'Oracle global role',
      ['sql', 'oracle', '--role', 'export_role', '--iam-group', 'ExporterGroup', '--privilege', 'SELECT ANY TABLE'],
      oracleGlobalRole({ role: 'export_role', iamGroup: 'ExporterGroup', privileges: ['SELECT ANY TABLE'] }),
    ],
    ['RDS PostgreSQL', ['sql', 'rds-postgres', '--user', 'app', '--grant-role', 'pg_read_all_data'], rdsPostgresUser({ user: 'app', roles: ['pg_read_all_data'] })],
    [
      'RDS MySQL with grants',
      ['sql', 'rds-mysql', '--user', 'app', '--grant', 'SELECT, INSERT ON orders.*', '--grant', 'SELECT ON audit.log'],
      rdsMysqlUser({ user: 'app', grants: [{ privileges: ['SELECT', 'INSERT'], on: 'orders.*' }, { privileges: ['SELECT'], on: 'audit.log' }] }),
    ],
    [
      'HeatWave user mapped to one IAM user',
      ['sql', 'heatwave', '--tenancy', TENANCY, '--user', 'peter', '--iam-user', USER_OCID, '--grant', 'SELECT ON shop.*'],
      heatwaveUser({ user: 'peter', tenancy: TENANCY, iamUser: USER_OCID, grants: [{ privileges: ['SELECT'], on: 'shop.*' }] }),
    ],
    [
      'HeatWave groups mapped to proxied users, grants per proxied user',
      ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=devs`, '--map', `${GROUP2_OCID}=ops`, '--grant', 'ALL ON shop.* TO devs', '--grant', 'SELECT ON shop.* TO ops'],
      heatwaveGroupMapping({
        tenancy: TENANCY,
        groups: [
          { group: GROUP_OCID, proxiedUser: 'devs', grants: [{ privileges: ['ALL'], on: 'shop.*' }] },
          { group: GROUP2_OCID, proxiedUser: 'ops', grants: [{ privileges: ['SELECT'], on: 'shop.*' }] },
        ],
      }),
    ],
    [
      'HeatWave group mapping onto existing proxied users',
      ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=devs`, '--proxied-users-exist'],
      heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: GROUP_OCID, proxiedUser: 'devs' }], createProxiedUsers: false }),
    ],
    [
      'OCI policy for a group in a compartment',
      ['policy', 'oci', '--group', 'DBUsers', '--compartment', 'testing_compartment'],
      ociDatabasePolicy({ group: 'DBUsers', compartment: 'testing_compartment' }),
    ],
    [
      'OCI policy for a dynamic group, one database, database-connections',
      ['policy', 'oci', '--dynamic-group', 'app_functions', '--domain', 'Default', '--resource', 'database-connections', '--database', DB_OCID],
      ociDatabasePolicy({ dynamicGroup: 'app_functions', domain: 'Default', resource: 'database-connections', database: DB_OCID }),
    ],
    [
      'OCI policy for Base Database (database-family)',
      ['policy', 'oci', '--group', GROUP_OCID, '--resource', 'database-family', '--compartment', 'prod:db'],
      ociDatabasePolicy({ group: GROUP_OCID, resource: 'database-family', compartment: 'prod:db' }),
    ],
    ['HeatWave authentication service policy', ['policy', 'heatwave'], heatwaveAuthPolicy()],
  ])('%s', async (_name, args, statements) => {
    const out = await ok(args);
    expect(lines(out)).toEqual(statements);
    const json = JSON.parse(await ok([...args, '--json']));
    expect(json).toEqual({ statements });
  });

  it('the documented forms, as a user reads them', async () => {
    expect(await ok(['sql', 'oracle', '--user', 'sales_app', '--iam-group', 'db_sales_group', '--domain', 'sales_domain'])).toBe(
      `CREATE USER "SALES_APP" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=sales_domain/db_sales_group';\nGRANT CREATE SESSION TO "SALES_APP";\n`,
    );
    expect(await ok(['sql', 'rds-postgres', '--user', 'app'])).toBe('CREATE USER "app" WITH LOGIN;\nGRANT rds_iam TO "app";\n');
    expect(await ok(['sql', 'rds-mysql', '--user', 'app'])).toBe(`CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;\n`);
    expect(await ok(['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=devs`])).toBe(
      [
        "CREATE USER 'devs'@'%' IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;",
        `CREATE USER ''@'%' IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "${TENANCY}", "group_mapping": {"${GROUP_OCID}": "devs"}}';`,
        "GRANT PROXY ON 'devs'@'%' TO ''@'%';",
        '',
      ].join('\n'),
    );
  });
});

describe('dbtoken policy', () => {
  const crossArgs = ['policy', 'oci-cross-tenancy', '--user-tenancy', TENANCY, '--database-tenancy', DB_TENANCY, '--group', 'xt_db_users', '--group-ocid', GROUP_OCID];

  it('oci-cross-tenancy prints the two policies, each under the tenancy it belongs in', async () => {
    const expected = ociCrossTenancyPolicies({ userTenancy: TENANCY, databaseTenancy: DB_TENANCY, group: 'xt_db_users', groupOcid: GROUP_OCID });
    const out = await ok(crossArgs);
    const [source, destination] = out.trimEnd().split('\n\n');
    expect(lines(source!)).toEqual([`# Policy in the users' tenancy (${TENANCY}):`, ...expected.source]);
    expect(lines(destination!)).toEqual([`# Policy in the database's tenancy (${DB_TENANCY}):`, ...expected.destination]);
    expect(out).toContain(`Define tenancy DatabaseTenancy as ${DB_TENANCY}`);
    expect(out).toContain('Endorse group xt_db_users to use database-connections in tenancy DatabaseTenancy');
    expect(out).toContain('Admit group xt_db_users of tenancy UserTenancy to use database-connections in tenancy');
  });

  it('oci-cross-tenancy --json, with a compartment, a principal type and aliases', async () => {
    const args = [...crossArgs, '--domain', 'domainA', '--resource', 'autonomous-database-family', '--compartment', 'dbs', '--database-principal-type', 'autonomousdatabase', '--user-tenancy-alias', 'Acme', '--database-tenancy-alias', 'AcmeDb', '--json'];
    expect(JSON.parse(await ok(args))).toEqual(
      ociCrossTenancyPolicies({
        userTenancy: TENANCY,
        databaseTenancy: DB_TENANCY,
        group: 'xt_db_users',
        groupOcid: GROUP_OCID,
        domain: 'domainA',
        resource: 'autonomous-database-family',
        compartment: 'dbs',
        databasePrincipalType: 'autonomousdatabase',
        userTenancyAlias: 'Acme',
        databaseTenancyAlias: 'AcmeDb',
      }),
    );
  });

  it('aws prints the policy document, indented; --json on one line', async () => {
    const args = ['policy', 'aws', '--region', 'us-east-2', '--account', '111122223333', '--resource-id', 'db-ABCDEFGHIJKL01234', '--user', 'app', '--user', 'report'];
    const expected = rdsConnectPolicy({ region: 'us-east-2', account: '111122223333', resourceId: 'db-ABCDEFGHIJKL01234', user: ['app', 'report'] });
    const out = await ok(args);
    expect(out).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(out).toContain('"arn:aws:rds-db:us-east-2:111122223333:dbuser:db-ABCDEFGHIJKL01234/app"');
    const one = await ok([...args, '--json']);
    expect(lines(one)).toHaveLength(1);
    expect(JSON.parse(one)).toEqual(expected);
  });
});

describe('bad arguments to sql and policy: exit 2, one line naming the option', () => {
  it.each([
    ['Oracle without --user or --role', ['sql', 'oracle', '--iam-group', 'g'], '--user'],
    ['Oracle with both --user and --role', ['sql', 'oracle', '--user', 'u', '--role', 'r', '--iam-group', 'g'], '--user'],
    ['Oracle without a mapping', ['sql', 'oracle', '--user', 'u'], '--iam-group'],
    ['Oracle with two mappings', ['sql', 'oracle', '--user', 'u', '--iam-group', 'g', '--iam-principal', 'p'], '--iam-principal'],
    ['Oracle role mapped to a principal', ['sql', 'oracle', '--role', 'r', '--iam-principal', 'p'], '--iam-principal'],
    ['Oracle principal OCID that is a group', ['sql', 'oracle', '--user', 'u', '--iam-principal-ocid', GROUP_OCID], '--iam-principal-ocid'],
    ['Oracle tenancy that is not a tenancy OCID', ['sql', 'oracle', '--user', 'u', '--iam-group', 'g', '--tenancy', USER_OCID], '--tenancy'],
    ['Oracle privilege with a keyword', ['sql', 'oracle', '--user', 'u', '--iam-group', 'g', '--privilege', 'DBA TO PUBLIC'], '--privilege'],
    ['Oracle role name with a quote', ['sql', 'oracle', '--user', 'u', '--iam-group', 'g', '--grant-role', 'DBA"; DROP'], '--grant-role'],
    ['PostgreSQL without --user', ['sql', 'rds-postgres'], '--user'],
    ['PostgreSQL user given twice', ['sql', 'rds-postgres', '--user', 'a', '--user', 'b'], '--user'],
    ['MySQL grant without ON', ['sql', 'rds-mysql', '--user', 'u', '--grant', 'SELECT'], '--grant'],
    ['MySQL grant with TO', ['sql', 'rds-mysql', '--user', 'u', '--grant', 'SELECT ON a.* TO root'], '--grant'],
    ['MySQL grant on a bad target', ['sql', 'rds-mysql', '--user', 'u', '--grant', 'SELECT ON orders'], '--grant'],
    ['MySQL host with a quote', ['sql', 'rds-mysql', '--user', 'u', '--host', "%' OR '1"], '--host'],
    ['HeatWave without --tenancy', ['sql', 'heatwave', '--user', 'u', '--iam-user', USER_OCID], '--tenancy'],
    ['HeatWave user without --iam-user', ['sql', 'heatwave', '--tenancy', TENANCY, '--user', 'u'], '--iam-user'],
    ['HeatWave --iam-user that is a group', ['sql', 'heatwave', '--tenancy', TENANCY, '--user', 'u', '--iam-user', GROUP_OCID], '--iam-user'],
    ['HeatWave --map without =', ['sql', 'heatwave', '--tenancy', TENANCY, '--map', GROUP_OCID], '--map'],
    ['HeatWave --map of a user OCID', ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${USER_OCID}=devs`], '--map'],
    ['HeatWave group grant without TO', ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=devs`, '--grant', 'SELECT ON a.*'], '--grant'],
    ['HeatWave --user with --map', ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=devs`, '--user', 'u'], '--user'],
    ['HeatWave group mapped twice', ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=a`, '--map', `${GROUP_OCID}=b`], '--map'],
    ['OCI policy without a group', ['policy', 'oci'], '--group'],
    ['OCI policy with group and dynamic group', ['policy', 'oci', '--group', 'a', '--dynamic-group', 'b'], '--dynamic-group'],
    ['OCI policy resource unknown', ['policy', 'oci', '--group', 'a', '--resource', 'all-resources'], '--resource'],
    ['OCI policy group name with a space', ['policy', 'oci', '--group', 'a b'], '--group'],
    ['OCI policy database that is a compartment', ['policy', 'oci', '--group', 'a', '--database', 'ocid1.compartment.oc1..aaaaaaaac'], '--database'],
    ['cross-tenancy without --group-ocid', ['policy', 'oci-cross-tenancy', '--user-tenancy', TENANCY, '--database-tenancy', DB_TENANCY, '--group', 'g'], '--group-ocid'],
    ['cross-tenancy within one tenancy', ['policy', 'oci-cross-tenancy', '--user-tenancy', TENANCY, '--database-tenancy', TENANCY, '--group', 'g', '--group-ocid', GROUP_OCID], '--database-tenancy'],
    ['cross-tenancy unknown principal type', ['policy', 'oci-cross-tenancy', '--user-tenancy', TENANCY, '--database-tenancy', DB_TENANCY, '--group', 'g', '--group-ocid', GROUP_OCID, '--database-principal-type', 'laptop'], '--database-principal-type'],
    ['AWS account not 12 digits', ['policy', 'aws', '--region', 'us-east-2', '--account', '1234', '--resource-id', 'db-ABCDEFGHIJKL01234', '--user', 'app'], '--account'],
    ['AWS resource id that is a name', ['policy', 'aws', '--region', 'us-east-2', '--account', '111122223333', '--resource-id', 'my-database', '--user', 'app'], '--resource-id'],
    ['AWS user with a wildcard', ['policy', 'aws', '--region', 'us-east-2', '--account', '111122223333', '--resource-id', 'db-ABCDEFGHIJKL01234', '--user', '*'], '--user'],
    ['AWS without --user', ['policy', 'aws', '--region', 'us-east-2', '--account', '111122223333', '--resource-id', 'db-ABCDEFGHIJKL01234'], '--user'],
    ['AWS region that is not one', ['policy', 'aws', '--region', 'moon', '--account', '111122223333', '--resource-id', 'db-ABCDEFGHIJKL01234', '--user', 'app'], '--region'],
  ])('%s', async (_name, args, option) => {
    const r = await dbtoken(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^dbtoken (sql|policy) [\\w-]+: ${option.replace(/-/g, '\\-')}\\b`));
    expect(r.stderr).toMatch(/see dbtoken (sql|policy) [\w-]+ --help\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // The message speaks the CLI's language, not the builder's option names.
    expect(r.stderr).not.toMatch(/\b(iamGroup|iamPrincipal|iamPrincipalOcid|iamUser|groupOcid|resourceId|dynamicGroup|databaseTenancy|userTenancy|proxiedUser|createProxiedUsers)\b/);
  });
});

describe('the injection table through the CLI: hostile names are refused (exit 2) or quoted as data', () => {
  it.each([
    ['Oracle user closing the quoted identifier', ['sql', 'oracle', '--user', 'X" IDENTIFIED BY pw --', '--iam-group', 'g'], '--user'],
    ['Oracle group closing the string literal', ['sql', 'oracle', '--user', 'u', '--iam-group', "g'; GRANT DBA TO u; --"], '--iam-group'],
    ['Oracle domain with a slash trick', ['sql', 'oracle', '--user', 'u', '--iam-group', 'g', '--domain', "d'||'x"], '--domain'],
    ['MySQL user closing the account quote', ['sql', 'rds-mysql', '--user', "app'@'%' IDENTIFIED BY 'pw"], '--user'],
    ['MySQL user with a backslash', ['sql', 'rds-mysql', '--user', 'app\\'], '--user'],
    ['MySQL user with a fullwidth quote', ['sql', 'rds-mysql', '--user', 'app\uFF07'], '--user'],
    ['MySQL database with a backtick', ['sql', 'rds-mysql', '--user', 'u', '--grant', 'SELECT ON a`b.*'], '--grant'],
    ['HeatWave proxied user with a double quote (JSON)', ['sql', 'heatwave', '--tenancy', TENANCY, '--map', `${GROUP_OCID}=a"b`], '--map'],
    ['OCI group name ending the statement', ['policy', 'oci', '--group', 'g to manage all-resources in tenancy'], '--group'],
    ['OCI compartment with a where clause', ['policy', 'oci', '--group', 'g', '--compartment', "c where request.user.id='x'"], '--compartment'],
  ])('%s', async (_name, args, option) => {
    const r = await dbtoken(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`: ${option}`);
  });

  it('PostgreSQL quotes what it can: a hostile name becomes one quoted identifier', async () => {
    const out = await ok(['sql', 'rds-postgres', '--user', 'x"; DROP ROLE postgres; --']);
    expect(lines(out)).toEqual(['CREATE USER "x""; DROP ROLE postgres; --" WITH LOGIN;', 'GRANT rds_iam TO "x""; DROP ROLE postgres; --";']);
  });
});
