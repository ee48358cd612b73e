import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createIamPool, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
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
import { REGION, staticKeys } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { refusal } from '../helpers/provision/harness.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy';
const GROUP = 'ocid1.group.oc1..aaaaaaaaexamplegroup';
const USER_OCID = 'ocid1.user.oc1..aaaaaaaaexampleuser';

// Each row: the builder's output next to the form in the public documentation,
// filled with the documentation's own example values. Oracle identifiers come
// out double-quoted and uppercased: "SALES_GROUP" is the user that the
// documented unquoted `CREATE USER sales_group` creates.
describe('builders produce the documented forms', () => {
  const rows: [string, () => unknown, unknown][] = [
    // Oracle: Autonomous Database "Add IAM Users", "Add IAM Roles"; Database Security Guide (DBaaS).
    [
      'Oracle shared user mapped to an IAM group',
      () => oracleGlobalUser({ user: 'sales_group', iamGroup: 'db_sales_group' }),
      [`CREATE USER "SALES_GROUP" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_sales_group';`, 'GRANT CREATE SESSION TO "SALES_GROUP";'],
    ],
    [
      'Oracle shared user, group in a non-default identity domain',
      () => oracleGlobalUser({ user: 'shared_sales_schema', iamGroup: 'db_sales_group', domain: 'sales_domain' }),
      [
        `CREATE USER "SHARED_SALES_SCHEMA" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=sales_domain/db_sales_group';`,
        'GRANT CREATE SESSION TO "SHARED_SALES_SCHEMA";',
      ],
    ],
    [
      'Oracle exclusive user mapped to an IAM user name',
      () => oracleGlobalUser({ user: 'peter_fitch', iamPrincipal: 'peterfitch' }),
      [`CREATE USER "PETER_FITCH" IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=peterfitch';`, 'GRANT CREATE SESSION TO "PETER_FITCH";'],
    ],
    [
      'Oracle exclusive user, IAM user in a non-default domain',
      () => oracleGlobalUser({ user: 'peter_fitch2', iamPrincipal: 'peterfitch', domain: 'sales_domain' }),
      [`CREATE USER "PETER_FITCH2" IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=sales_domain/peterfitch';`, 'GRANT CREATE SESSION TO "PETER_FITCH2";'],
    ],
    [
      'Oracle exclusive user mapped to an instance principal OCID',
      () => oracleGlobalUser({ user: 'widget', iamPrincipalOcid: 'ocid1.instance.oc1.sea.aaaaaaaa1234567890abcdef' }),
      [
        `CREATE USER "WIDGET" IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_OCID=ocid1.instance.oc1.sea.aaaaaaaa1234567890abcdef';`,
        'GRANT CREATE SESSION TO "WIDGET";',
      ],
    ],
    [
      'Oracle cross-tenancy exclusive user (tenancy OCID, domain, name)',
      () => oracleGlobalUser({ user: 'schema1', iamPrincipal: 'peter.fitch@example.com', domain: 'example_domain', tenancy: TENANCY }),
      [
        `CREATE USER "SCHEMA1" IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=${TENANCY}:example_domain/peter.fitch@example.com';`,
        'GRANT CREATE SESSION TO "SCHEMA1";',
      ],
    ],
    [
      'Oracle cross-tenancy shared user, default domain',
      () => oracleGlobalUser({ user: 'qa_sales_user_group', iamGroup: 'sales_users', tenancy: TENANCY }),
      [
        `CREATE USER "QA_SALES_USER_GROUP" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY}:sales_users';`,
        'GRANT CREATE SESSION TO "QA_SALES_USER_GROUP";',
      ],
    ],
    [
      'Oracle global role mapped to a group',
      () => oracleGlobalRole({ role: 'export_role', iamGroup: 'ExporterGroup' }),
      [`CREATE ROLE "EXPORT_ROLE" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=ExporterGroup';`],
    ],
    [
      'Oracle global role, non-default domain, cross-tenancy',
      () => oracleGlobalRole({ role: 'globalrole1', iamGroup: 'xt_db_users', domain: 'example_domain', tenancy: TENANCY }),
      [`CREATE ROLE "GLOBALROLE1" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY}:example_domain/xt_db_users';`],
    ],
    [
      'Oracle extra privileges and roles (validated, uppercased, deduplicated)',
      () => oracleGlobalUser({ user: 'app', iamGroup: 'g', privileges: ['create  table', 'CREATE SESSION'], roles: ['dwrole', 'Mixed-Case Role'] }),
      [
        `CREATE USER "APP" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=g';`,
        'GRANT CREATE SESSION, CREATE TABLE TO "APP";',
        'GRANT "DWROLE", "Mixed-Case Role" TO "APP";',
      ],
    ],
    [
      'Oracle: a name Oracle cannot take unquoted keeps its case',
      () => oracleGlobalUser({ user: 'sales-app', iamGroup: 'g' }),
      [`CREATE USER "sales-app" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=g';`, 'GRANT CREATE SESSION TO "sales-app";'],
    ],
    // RDS PostgreSQL: "Creating a database account using IAM authentication".
    ['RDS PostgreSQL user with rds_iam', () => rdsPostgresUser({ user: 'db_userx' }), ['CREATE USER "db_userx" WITH LOGIN;', 'GRANT rds_iam TO "db_userx";']],
    [
      'RDS PostgreSQL user with extra roles',
      () => rdsPostgresUser({ user: 'app', roles: ['app_readwrite', 'pg_read_all_data'] }),
      ['CREATE USER "app" WITH LOGIN;', 'GRANT rds_iam TO "app";', 'GRANT "app_readwrite" TO "app";', 'GRANT "pg_read_all_data" TO "app";'],
    ],
    // RDS MySQL: same page, MariaDB and MySQL.
    [
      'RDS MySQL user with AWSAuthenticationPlugin over TLS',
      () => rdsMysqlUser({ user: 'jane_doe' }),
      ["CREATE USER 'jane_doe'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;"],
    ],
    [
      'RDS MySQL user with a host and grants',
      () =>
        rdsMysqlUser({
          user: 'app',
          host: '10.0.%',
          grants: [
            { privileges: ['select', 'Insert', 'SELECT'], on: 'orders.*' },
            { privileges: ['EXECUTE'], on: 'orders.refresh_totals' },
            { privileges: ['PROCESS'], on: '*.*' },
          ],
        }),
      [
        "CREATE USER 'app'@'10.0.%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;",
        "GRANT SELECT, INSERT ON `orders`.* TO 'app'@'10.0.%';",
        "GRANT EXECUTE ON `orders`.`refresh_totals` TO 'app'@'10.0.%';",
        "GRANT PROCESS ON *.* TO 'app'@'10.0.%';",
      ],
    ],
    // MySQL HeatWave: "Connecting With a Mapped MySQL User" / "... Mapped Proxy User".
    [
      'HeatWave user mapped to an IAM user',
      () => heatwaveUser({ user: 'MySQLUser', tenancy: TENANCY, iamUser: USER_OCID }),
      [`CREATE USER 'MySQLUser'@'%' IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "${TENANCY}", "user": "${USER_OCID}"}';`],
    ],
    [
      'HeatWave group mapping through proxied users',
      () =>
        heatwaveGroupMapping({
          tenancy: TENANCY,
          groups: [
            { group: GROUP, proxiedUser: 'pUser1', grants: [{ privileges: ['SELECT'], on: 'orders.*' }] },
            { group: 'ocid1.group.oc1..aaaaaaaaexamplegroup2', proxiedUser: 'pUser2' },
          ],
        }),
      [
        "CREATE USER 'pUser1'@'%' IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;",
        "GRANT SELECT ON `orders`.* TO 'pUser1'@'%';",
        "CREATE USER 'pUser2'@'%' IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;",
        `CREATE USER ''@'%' IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "${TENANCY}", "group_mapping": {"${GROUP}": "pUser1", "ocid1.group.oc1..aaaaaaaaexamplegroup2": "pUser2"}}';`,
        "GRANT PROXY ON 'pUser1'@'%' TO ''@'%';",
        "GRANT PROXY ON 'pUser2'@'%' TO ''@'%';",
      ],
    ],
    [
      'HeatWave group mapping onto existing proxied users',
      () => heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: GROUP, proxiedUser: 'readers' }], createProxiedUsers: false }),
      [
        `CREATE USER ''@'%' IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "${TENANCY}", "group_mapping": {"${GROUP}": "readers"}}';`,
        "GRANT PROXY ON 'readers'@'%' TO ''@'%';",
      ],
    ],
    // OCI policies: ADB "Create IAM Groups and Policies for IAM Users"; DBaaS token policy; policy subjects.
    ['OCI policy, group, whole tenancy', () => ociDatabasePolicy({ group: 'DBUsers' }), ['Allow group DBUsers to use autonomous-database-family in tenancy']],
    // MySQL HeatWave Service, "Mandatory Policies and Permissions" (for the authentication_oci plugin).
    [
      'OCI policy that lets HeatWave check IAM logins',
      () => heatwaveAuthPolicy(),
      ['Allow service mysql_dp_auth to {AUTHENTICATION_INSPECT, GROUP_MEMBERSHIP_INSPECT, DYNAMIC_GROUP_INSPECT} in tenancy'],
    ],
    [
      'OCI policy, group, one compartment',
      () => ociDatabasePolicy({ group: 'DBUsers', compartment: 'testing_compartment' }),
      ['Allow group DBUsers to use autonomous-database-family in compartment testing_compartment'],
    ],
    [
      'OCI policy, group in a domain, one database',
      () =>
        ociDatabasePolicy({
          group: 'DBUsers',
          domain: 'sales_domain',
          compartment: 'testing_compartment',
          database: 'ocid1.autonomousdatabase.oc1.iad.aaaabbbbcccc',
        }),
      [
        "Allow group sales_domain/DBUsers to use autonomous-database-family in compartment testing_compartment where target.database.id = 'ocid1.autonomousdatabase.oc1.iad.aaaabbbbcccc'",
      ],
    ],
    [
      'OCI policy, DBaaS database-connections in the tenancy',
      () => ociDatabasePolicy({ group: 'DBUsers', resource: 'database-connections' }),
      ['Allow group DBUsers to use database-connections in tenancy'],
    ],
    [
      'OCI policy, dynamic group, database-family, nested compartment',
      () => ociDatabasePolicy({ dynamicGroup: 'app_functions', resource: 'database-family', compartment: 'prod:databases' }),
      ['Allow dynamic-group app_functions to use database-family in compartment prod:databases'],
    ],
    [
      'OCI policy, group and compartment by OCID',
      () => ociDatabasePolicy({ group: GROUP, compartment: 'ocid1.compartment.oc1..aaaaaaaaexamplecomp' }),
      [`Allow group id ${GROUP} to use autonomous-database-family in compartment id ocid1.compartment.oc1..aaaaaaaaexamplecomp`],
    ],
    // Cross-tenancy: "Accessing a Database Cross-Tenancy Using an IAM Integration".
    [
      'OCI cross-tenancy Define/Endorse/Admit pairs',
      () =>
        ociCrossTenancyPolicies({
          userTenancy: 'ocid1.tenancy.oc1..aaaaaaaauserten',
          databaseTenancy: 'ocid1.tenancy.oc1..aaaaaaaadbtenan',
          group: 'xt_db_users',
          groupOcid: GROUP,
          domain: 'domainA',
          userTenancyAlias: 'user_tenancy',
          databaseTenancyAlias: 'database_tenancy',
        }),
      {
        source: [
          'Define tenancy database_tenancy as ocid1.tenancy.oc1..aaaaaaaadbtenan',
          'Endorse group domainA/xt_db_users to use database-connections in tenancy database_tenancy',
          'Admit any-user of tenancy database_tenancy to {GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT} in tenancy',
        ],
        destination: [
          'Define tenancy user_tenancy as ocid1.tenancy.oc1..aaaaaaaauserten',
          `Define group xt_db_users as ${GROUP}`,
          'Admit group xt_db_users of tenancy user_tenancy to use database-connections in tenancy',
          'Endorse any-user to {GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT} in tenancy user_tenancy',
        ],
      },
    ],
    [
      'OCI cross-tenancy, ADB family in one compartment, group queries only from Autonomous Databases',
      () =>
        ociCrossTenancyPolicies({
          userTenancy: 'ocid1.tenancy.oc1..aaaaaaaauserten',
          databaseTenancy: 'ocid1.tenancy.oc1..aaaaaaaadbtenan',
          group: 'DbReaders',
          groupOcid: GROUP,
          resource: 'autonomous-database-family',
          compartment: 'finance',
          databasePrincipalType: 'autonomousdatabase',
        }),
      {
        source: [
          'Define tenancy DatabaseTenancy as ocid1.tenancy.oc1..aaaaaaaadbtenan',
          'Endorse group DbReaders to use autonomous-database-family in tenancy DatabaseTenancy',
          "Admit any-user of tenancy DatabaseTenancy to {GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT} in tenancy where request.principal.type = 'autonomousdatabase'",
        ],
        destination: [
          'Define tenancy UserTenancy as ocid1.tenancy.oc1..aaaaaaaauserten',
          `Define group DbReaders as ${GROUP}`,
          'Admit group DbReaders of tenancy UserTenancy to use autonomous-database-family in compartment finance',
          'Endorse any-user to {GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT} in tenancy UserTenancy',
        ],
      },
    ],
    // AWS: "Creating and using an IAM policy for IAM database access" (instance, cluster, proxy).
    [
      'AWS rds-db:connect for a DB instance',
      () => rdsConnectPolicy({ region: 'us-east-2', account: '111122223333', resourceId: 'db-ABCDEFGHIJKL01234', user: 'db_user' }),
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['rds-db:connect'], Resource: ['arn:aws:rds-db:us-east-2:111122223333:dbuser:db-ABCDEFGHIJKL01234/db_user'] },
        ],
      },
    ],
    [
      'AWS rds-db:connect for an Aurora cluster and two users',
      () => rdsConnectPolicy({ region: 'us-east-2', account: '111122223333', resourceId: 'cluster-ABCDEFGHIJKL01234', user: ['db_user', 'jane_doe'] }),
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['rds-db:connect'],
            Resource: [
              'arn:aws:rds-db:us-east-2:111122223333:dbuser:cluster-ABCDEFGHIJKL01234/db_user',
              'arn:aws:rds-db:us-east-2:111122223333:dbuser:cluster-ABCDEFGHIJKL01234/jane_doe',
            ],
          },
        ],
      },
    ],
    [
      'AWS rds-db:connect for an RDS Proxy in the China partition',
      () => rdsConnectPolicy({ region: 'cn-north-1', account: '111122223333', resourceId: 'prx-0123456789abcdef0', user: 'app' }),
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['rds-db:connect'], Resource: ['arn:aws-cn:rds-db:cn-north-1:111122223333:dbuser:prx-0123456789abcdef0/app'] },
        ],
      },
    ],
    [
      'AWS rds-db:connect in GovCloud',
      () => rdsConnectPolicy({ region: 'us-gov-west-1', account: '111122223333', resourceId: 'db-ABCDEFGHIJKL01234', user: 'app' }).Statement[0]!.Resource,
      ['arn:aws-us-gov:rds-db:us-gov-west-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/app'],
    ],
  ];

  it.each(rows)('%s', (_name, build, expected) => {
    expect(build()).toEqual(expected);
  });

  it('Oracle privileges that contain GRANT are privileges too', () => {
    expect(oracleGlobalRole({ role: 'dba_helpers', iamGroup: 'g', privileges: ['grant any role', 'GRANT ANY OBJECT PRIVILEGE'] })).toEqual([
      `CREATE ROLE "DBA_HELPERS" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=g';`,
      'GRANT GRANT ANY ROLE, GRANT ANY OBJECT PRIVILEGE TO "DBA_HELPERS";',
    ]);
  });

  it('every SQL statement ends with ; and every policy statement is one line', () => {
    for (const [, build] of rows) {
      const out = build();
      if (Array.isArray(out) && String(out[0]).match(/^(CREATE|GRANT)/)) {
        for (const s of out as string[]) expect(s).toMatch(/;$/);
      }
      for (const s of JSON.stringify(out).match(/"[^"]*"/g) ?? []) expect(s).not.toMatch(/\\n/);
    }
  });
});

describe('bad input is a ConfigError that names the field and says how to fix it', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['options is not an object', () => rdsPostgresUser('app' as never), 'options', /must be an object/],
    ['Oracle user without any mapping', () => oracleGlobalUser({ user: 'app' }), 'iamGroup', /iamGroup .*iamPrincipal .*iamPrincipalOcid/],
    ['Oracle user with two mappings', () => oracleGlobalUser({ user: 'app', iamGroup: 'g', iamPrincipal: 'p' }), 'iamPrincipal', /exactly one/],
    ['Oracle tenancy that is a compartment OCID', () => oracleGlobalUser({ user: 'a', iamGroup: 'g', tenancy: 'ocid1.compartment.oc1..aaaaaaaaexample' }), 'tenancy', /OCID of a compartment.*ocid1\.tenancy/],
    ['Oracle tenancy that is not an OCID', () => oracleGlobalUser({ user: 'a', iamGroup: 'g', tenancy: 'mytenancy' }), 'tenancy', /not an OCID/],
    ['Oracle principal OCID of a group', () => oracleGlobalUser({ user: 'a', iamPrincipalOcid: GROUP }), 'iamPrincipalOcid', /iamGroup/],
    ['Oracle principal OCID with a domain', () => oracleGlobalUser({ user: 'a', iamPrincipalOcid: USER_OCID, domain: 'd' }), 'domain', /remove it/],
    ['Oracle object privilege', () => oracleGlobalUser({ user: 'a', iamGroup: 'g', privileges: ['SELECT ON hr.employees'] }), 'privileges[0]', /not a privilege name/],
    ['Oracle privilege with a keyword', () => oracleGlobalUser({ user: 'a', iamGroup: 'g', privileges: ['CREATE SESSION TO PUBLIC'] }), 'privileges[0]', /keyword TO/],
    ['Oracle user over 128 bytes', () => oracleGlobalUser({ user: 'é'.repeat(65), iamGroup: 'g' }), 'user', /130 bytes.*128/],
    ['Oracle group name with a domain separator', () => oracleGlobalRole({ role: 'r', iamGroup: 'sales/db' }), 'iamGroup', /'\/' and ':' separate/],
    ['Oracle role without a group', () => oracleGlobalRole({ role: 'r' } as never), 'iamGroup', /is required/],
    ['PostgreSQL empty user', () => rdsPostgresUser({ user: '' }), 'user', /is required/],
    ['PostgreSQL roles not an array', () => rdsPostgresUser({ user: 'a', roles: 'r' as never }), 'roles', /must be an array/],
    ['MySQL user over 32 characters', () => rdsMysqlUser({ user: 'u'.repeat(33) }), 'user', /at most 32/],
    ['MySQL host with a quote', () => rdsMysqlUser({ user: 'a', host: "%'" }), 'host', /U\+0027/],
    ['MySQL user with white space around it', () => rdsMysqlUser({ user: ' app' }), 'user', /white space/],
    ['MySQL grant target without a table part', () => rdsMysqlUser({ user: 'a', grants: [{ privileges: ['SELECT'], on: 'orders' }] }), 'grants[0].on', /orders\.\*/],
    ['MySQL grant without privileges', () => rdsMysqlUser({ user: 'a', grants: [{ privileges: [], on: 'orders.*' }] }), 'grants[0].privileges', /at least one/],
    ['MySQL privilege with IDENTIFIED', () => rdsMysqlUser({ user: 'a', grants: [{ privileges: ['USAGE IDENTIFIED BY'], on: '*.*' }] }), 'grants[0].privileges[0]', /keyword IDENTIFIED/],
    ['HeatWave IAM user that is a group', () => heatwaveUser({ user: 'a', tenancy: TENANCY, iamUser: GROUP }), 'iamUser', /OCID of a group/],
    ['HeatWave mapping without groups', () => heatwaveGroupMapping({ tenancy: TENANCY, groups: [] }), 'groups', /at least one/],
    ['HeatWave group mapped twice', () => heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: GROUP, proxiedUser: 'a' }, { group: GROUP, proxiedUser: 'b' }] }), 'groups[1].group', /mapped twice/],
    ['HeatWave proxied user with a double quote', () => heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: GROUP, proxiedUser: 'a"b' }] }), 'groups[0].proxiedUser', /group_mapping JSON/],
    ['OCI policy without a subject', () => ociDatabasePolicy({}), 'group', /group .*dynamicGroup/],
    ['OCI group name with a space', () => ociDatabasePolicy({ group: 'DB Users' }), 'group', /OCID instead/],
    ['OCI unknown resource', () => ociDatabasePolicy({ group: 'g', resource: 'all-resources' as never }), 'resource', /autonomous-database-family/],
    ['OCI compartment with a semicolon', () => ociDatabasePolicy({ group: 'g', compartment: 'prod; Allow any-user to manage all-resources in tenancy' }), 'compartment', /by OCID instead/],
    ['OCI domain with a group OCID', () => ociDatabasePolicy({ group: GROUP, domain: 'd' }), 'domain', /remove it/],
    ['OCI cross-tenancy within one tenancy', () => ociCrossTenancyPolicies({ userTenancy: TENANCY, databaseTenancy: TENANCY, group: 'g', groupOcid: GROUP }), 'databaseTenancy', /ociDatabasePolicy/],
    ['OCI cross-tenancy groupOcid of a user', () => ociCrossTenancyPolicies({ userTenancy: TENANCY, databaseTenancy: 'ocid1.tenancy.oc1..aaaaaaaaother', group: 'g', groupOcid: USER_OCID }), 'groupOcid', /OCID of a user/],
    ['AWS region misspelled', () => rdsConnectPolicy({ region: 'useast1', account: '111122223333', resourceId: 'db-ABC', user: 'a' }), 'region', /us-east-1/],
    ['AWS account of 11 digits', () => rdsConnectPolicy({ region: 'us-east-1', account: '11112222333', resourceId: 'db-ABC', user: 'a' }), 'account', /12-digit/],
    ['AWS instance name for the resource id', () => rdsConnectPolicy({ region: 'us-east-1', account: '111122223333', resourceId: 'mydb', user: 'a' }), 'resourceId', /DbiResourceId/],
    ['AWS wildcard user', () => rdsConnectPolicy({ region: 'us-east-1', account: '111122223333', resourceId: 'db-ABC', user: '*' }), 'user', /wildcard/],
    ['AWS user list with a bad entry', () => rdsConnectPolicy({ region: 'us-east-1', account: '111122223333', resourceId: 'db-ABC', user: ['ok', 'a/b'] }), 'user[1]', /\/ or :/],
  ];

  it('has at least 15 cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases)('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.code).toBe('ERR_DBTOKEN_CONFIG');
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.message).not.toMatch(/[\n\r\0]/);
    // A problem and a fix apart, for callers (the CLI) that word them their own way; `options` is core's check.
    if (field !== 'options') expect(err.message).toBe(`${field}: ${err.problem}; ${err.fix}`);
  });
});

// The injection table. A name is either refused (ConfigError naming the field)
// or written so the server reads it as data. For MySQL, Oracle and OCI the
// accepted names are checked against the statement with the name cut out;
// for PostgreSQL the server itself shows it (below).
const HOSTILE: [string, string][] = [
  ['double quote and DROP ROLE', 'x"; DROP ROLE postgres; --'],
  ['single quote', "a'b"],
  ['backslash-escaped quote and DROP USER', "a\\'; DROP USER root; --"],
  ['classic Bobby Tables', "robert'); DROP TABLE students;--"],
  ['backtick', 'a`b'],
  ['NUL', 'a\0b'],
  ['newline', 'a\nb; DROP ROLE postgres'],
  ['carriage return', 'a\rb'],
  ['200 characters', 'x'.repeat(200)],
  ['fullwidth double quote (NFKC ")', 'x\uFF02; DROP ROLE postgres; --'],
  ['fullwidth apostrophe (NFKC \')', 'a\uFF07b'],
  ['fullwidth backslash (NFKC \\)', 'a\uFF3Cb'],
  ['modifier letter apostrophe (looks like \', is not)', 'a\u02BCb'],
  ['right-to-left override', 'admin\u202Egpj.exe'],
  ['zero-width space', 'adm\u200Bin'],
  ['fullwidth letters (looks like admin)', '\uFF41\uFF44\uFF4D\uFF49\uFF4E'],
  ['Cyrillic lookalike', 'p\u043Estgres'],
  ['lone surrogate', 'a\uD800b'],
  ['dollar quoting', '$$; DROP ROLE postgres; $$'],
  ['percent and underscore', 'a%b_c'],
];

type Outcome = 'refused' | 'data';

/** Where a name goes, how to build it, the statement with the name cut out, and how the name is written there (default: as given). */
const TARGETS: { target: string; field: string; build: (name: string) => string; template: string; refuses: RegExp; written?: (name: string) => string }[] = [
  { target: 'MySQL user', field: 'user', build: (n) => rdsMysqlUser({ user: n })[0]!, template: "CREATE USER '<>'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;", refuses: /['\\\0]|[\p{Cc}\p{Cf}\p{Cs}]|[\uFF07\uFF3C]|^.{33,}$/su },
  { target: 'MySQL host', field: 'host', build: (n) => rdsMysqlUser({ user: 'app', host: n })[0]!, template: "CREATE USER 'app'@'<>' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;", refuses: /['\\\0]|[\p{Cc}\p{Cf}\p{Cs}]|[\uFF07\uFF3C]/u },
  { target: 'MySQL database in a grant', field: 'grants[0].on', build: (n) => rdsMysqlUser({ user: 'app', grants: [{ privileges: ['SELECT'], on: `${n}.*` }] })[1]!, template: "GRANT SELECT ON `<>`.* TO 'app'@'%';", refuses: /['\\`\0.]|[\p{Cc}\p{Cf}\p{Cs}]|[\uFF07\uFF3C\uFF40]|^.{65,}$/su, written: (n) => n.replace(/[_%]/g, '\\$&') },
  { target: 'HeatWave proxied user', field: 'groups[0].proxiedUser', build: (n) => heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: GROUP, proxiedUser: n }] })[0]!, template: "CREATE USER '<>'@'%' IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;", refuses: /['"\\\0]|[\p{Cc}\p{Cf}\p{Cs}]|[\uFF02\uFF07\uFF3C]|^.{33,}$/su },
  { target: 'Oracle user', field: 'user', build: (n) => oracleGlobalUser({ user: n, iamGroup: 'g' })[0]!, template: `CREATE USER "<>" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=g';`, refuses: /['"\0]|[\p{Cc}\p{Cf}\p{Cs}]|[\uFF02\uFF07]|^.{129,}$/su },
  { target: 'Oracle IAM group', field: 'iamGroup', build: (n) => oracleGlobalUser({ user: 'app', iamGroup: n })[0]!, template: `CREATE USER "APP" IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=<>';`, refuses: /['"\0/:]|[\p{Cc}\p{Cf}\p{Cs}]|[\uFF02\uFF07]|^.{129,}$/su },
  { target: 'OCI policy group', field: 'group', build: (n) => ociDatabasePolicy({ group: n })[0]!, template: 'Allow group <> to use autonomous-database-family in tenancy', refuses: /[^A-Za-z0-9._-]|^.{101,}$/su },
  { target: 'AWS policy user', field: 'user', build: (n) => rdsConnectPolicy({ region: 'us-east-1', account: '111122223333', resourceId: 'db-ABC', user: n }).Statement[0]!.Resource[0]!, template: 'arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/<>', refuses: /[^A-Za-z0-9_.@$#+=,-]|^.{64,}$/su },
];

describe('SQL-injection table: every hostile name is refused or quoted as data', () => {
  const rows = HOSTILE.flatMap(([label, name]) =>
    TARGETS.map((t) => ({ label, name, ...t, expected: (t.refuses.test(name) ? 'refused' : 'data') as Outcome })),
  );

  it.each(rows)('$target: $label → $expected', ({ name, build, field, template, expected, written }) => {
    if (expected === 'refused') {
      const err = refusal(() => build(name));
      expect(err.field).toBe(field);
      expect(err.message).not.toMatch(/[\n\r\0\u202E]/);
      expect(err.fix).not.toBe('');
    } else {
      // Accepted: the statement is the template with exactly this name in the quotes.
      const oracleName = /^[A-Za-z][A-Za-z0-9_$#]*$/.test(name) && template.includes('"<>"') ? name.toUpperCase() : name;
      expect(build(name)).toBe(template.replace('<>', () => (written ? written(oracleName) : oracleName)));
    }
  });

  it('quotes, NUL and control characters are refused by every builder but PostgreSQL (backslashes too, where they could escape)', () => {
    for (const t of TARGETS) {
      const backslash = t.target.startsWith('Oracle') ? [] : ['a\\b'];
      for (const name of ["a'b", 'a\0b', 'a\nb', 'a\uFF07b', ...backslash]) expect(() => t.build(name), `${t.target} ${JSON.stringify(name)}`).toThrow(ConfigError);
    }
  });

  it('PostgreSQL names are quoted with " doubled; NUL, lone surrogates and names over 63 bytes are refused', () => {
    expect(rdsPostgresUser({ user: 'x"; DROP ROLE postgres; --' })).toEqual([
      'CREATE USER "x""; DROP ROLE postgres; --" WITH LOGIN;',
      'GRANT rds_iam TO "x""; DROP ROLE postgres; --";',
    ]);
    expect(refusal(() => rdsPostgresUser({ user: 'a\0b' })).message).toMatch(/NUL/);
    expect(refusal(() => rdsPostgresUser({ user: 'a\uD800b' })).message).toMatch(/surrogate/);
    expect(refusal(() => rdsPostgresUser({ user: 'x'.repeat(200) })).message).toMatch(/200 bytes.*63 bytes/);
    expect(refusal(() => rdsPostgresUser({ user: 'é'.repeat(32) })).message).toMatch(/64 bytes/);
    expect(rdsPostgresUser({ user: 'é'.repeat(31) + 'x' })[0]).toBe(`CREATE USER "${'é'.repeat(31)}x" WITH LOGIN;`);
    expect(refusal(() => rdsPostgresUser({ user: 'app', roles: ['ok', 'x'.repeat(64)] })).field).toBe('roles[1]');
  });
});

describe('rdsPostgresUser on a real PostgreSQL', () => {
  let db: IamPostgres;
  const providers: TokenProvider[] = [];
  const pools: pg.Pool[] = [];

  beforeAll(async () => {
    // rds_iam exists only on RDS; this server creates it, and lets its members log in with tokens.
    db = await startIamPostgres();
  });

  afterAll(async () => {
    for (const p of pools) await p.end().catch(() => {});
    for (const p of providers) p.close();
    await db?.stop();
  });

  async function roles(): Promise<{ name: string; iam: boolean; login: boolean }[]> {
    const { rows } = await db.admin(
      "select rolname as name, pg_has_role(oid, 'rds_iam', 'member') as iam, rolcanlogin as login from pg_roles order by rolname",
    );
    return rows;
  }

  async function loginAs(username: string) {
    const token = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username, region: REGION, credentials: staticKeys }, { cacheKey: `provision-${Math.random()}` });
    providers.push(token);
    const pool = await createIamPool({ driver: 'pg', token, database: 'postgres', ssl: { ca: db.ca }, host: db.host, port: db.port, max: 1 });
    pools.push(pool);
    return pool;
  }

  it('recreates iam_bob with the builder, and an IAM login as iam_bob then works', async () => {
    // iam_bob, made by the server helper, owns nothing and is in no role: dropping it loses nothing.
    const deps = await db.admin(
      "select (select count(*) from pg_shdepend d join pg_roles r on d.refobjid = r.oid where r.rolname = 'iam_bob')::int as owned, " +
        "(select count(*) from pg_auth_members m join pg_roles r on r.oid in (m.member, m.roleid) where r.rolname = 'iam_bob')::int as memberships",
    );
    expect(deps.rows[0]).toEqual({ owned: 0, memberships: 0 });
    await db.admin('DROP ROLE iam_bob');
    await expect(loginAs('iam_bob').then((p) => p.query('select 1'))).rejects.toMatchObject({ code: '28000' });

    await db.admin('CREATE ROLE app_read NOLOGIN');
    const statements = rdsPostgresUser({ user: 'iam_bob', roles: ['app_read'] });
    expect(statements).toEqual(['CREATE USER "iam_bob" WITH LOGIN;', 'GRANT rds_iam TO "iam_bob";', 'GRANT "app_read" TO "iam_bob";']);
    for (const sql of statements) await db.admin(sql);

    const pool = await loginAs('iam_bob');
    const { rows } = await pool.query(
      "select session_user as u, pg_has_role('iam_bob', 'rds_iam', 'member') as iam, pg_has_role('iam_bob', 'app_read', 'member') as app_read, " +
        'ssl from pg_stat_ssl where pid = pg_backend_pid()',
    );
    expect(rows[0]).toEqual({ u: 'iam_bob', iam: true, app_read: true, ssl: true });
    expect(db.ldap.binds.at(-1)).toMatchObject({ user: 'iam_bob', ok: true });
  });

  const accepted = HOSTILE.filter(([, name]) => {
    try {
      rdsPostgresUser({ user: name });
      return true;
    } catch {
      return false;
    }
  });

  it('refuses only NUL, lone surrogates and over-long names', () => {
    expect(HOSTILE.filter((h) => !accepted.includes(h)).map(([label]) => label)).toEqual(['NUL', '200 characters', 'lone surrogate']);
  });

  it.each(accepted)('stores the hostile name (%s) as data and drops nothing', async (_label, name) => {
    const before = await roles();
    for (const sql of rdsPostgresUser({ user: name })) await db.admin(sql);
    const after = await roles();
    // Exactly one new role, named exactly `name`, with rds_iam; every other role is still there, unchanged.
    expect(after.filter((r) => !before.some((b) => b.name === r.name))).toEqual([{ name, iam: true, login: true }]);
    expect(after.filter((r) => r.name !== name)).toEqual(before);
    expect(after.map((r) => r.name)).toEqual(expect.arrayContaining(['postgres', 'rds_iam', 'iam_alice', 'static_user']));
  });
});
