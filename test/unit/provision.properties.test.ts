import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as provision from 'dbtoken/provision';
import { anyValue, hostileString, listOf, nearly, ocidOf, typedOutcome } from '../helpers/hostile.js';
import { AZURE_BUILDERS } from '../helpers/provision/azure.js';
import { DSQL_BUILDERS } from '../helpers/provision/dsql.js';
import { GCP_BUILDERS } from '../helpers/provision/gcp.js';
import { describeBuilderProperties, options, RUNS, type BuilderSpec } from '../helpers/provision/harness.js';

// Property tests for every builder of dbtoken/provision. For any options a
// JavaScript caller can pass, a builder returns statements of its documented
// form (every name inside its quotes, or in a charset that needs none, no
// grant wider than the name) or throws a ConfigError naming the option. Long
// input stays fast (the test timeout is the bound), and no message shows a
// token or key passed by mistake. The harness is test/helpers/provision/;
// the DSQL, Azure and Google Cloud builders' specs are there too.

const { heatwaveAuthPolicy, heatwaveGroupMapping, heatwaveUser, ociCrossTenancyPolicies, ociDatabasePolicy, oracleGlobalRole, oracleGlobalUser, rdsConnectPolicy, rdsMysqlUser, rdsPostgresUser } = provision;

// ------------------------------------------------------------------ values

const tenancy = ocidOf(fc.constant('tenancy'), false);
const group = ocidOf(fc.constant('group'), false);
const iamUser = ocidOf(fc.constant('user'), false);
const anyOcid = ocidOf(fc.constantFrom('user', 'group', 'instance', 'fnfunc', 'tenancy', 'compartment', 'dynamicgroup', 'autonomousdatabase', 'database', 'vault'));
const compartmentOcid = ocidOf(fc.constantFrom('compartment', 'tenancy'), false);
const databaseOcid = ocidOf(fc.constantFrom('autonomousdatabase', 'database', 'pluggabledatabase'));

const simpleName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_$#]{0,15}$/);
/** Names as people write them, with the characters that matter to quoting and wildcards. */
const name = fc.oneof(simpleName, fc.stringMatching(/^[A-Za-z0-9_%$#@.-]{1,20}$/), fc.string({ minLength: 1, maxLength: 12 }));
const ociName = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
const mysqlHost = fc.constantFrom('%', 'localhost', '10.0.%', '%.example.com', '192.168.1.7');
/** Privileges, including look-alikes whose upper case is ASCII (ſ → S, ı → I) and keywords. */
const privilege = fc.oneof(
  fc.constantFrom('SELECT', 'insert', 'Create Temporary Tables', 'ALL PRIVILEGES', 'EXECUTE', 'grant option', 'CREATE SESSION', 'select any table'),
  fc.constantFrom('ſelect', 'fıle', 'SELECT ON', 'DROP TO x', 'USAGE IDENTIFIED BY', 'CREATE\tSESSION', ' SELECT '),
);
const grantOn = fc.oneof(
  fc.tuple(name, fc.constantFrom('*', 't', 'items', 'a_b', '%')).map(([db, t]) => `${db}.${t}`),
  fc.constantFrom('*.*', '*.t', 'a.b.c', '.*', 'db.', 'app_db.*', 'app%db.*'),
);
const mysqlGrant = fc.record({ privileges: listOf(nearly(privilege)), on: nearly(grantOn) }, { requiredKeys: [] });

// ----------------------------------------------------------- output shapes

const STRING = /'[^'\\]*'/g; // MySQL literals: ' and \ are refused inside
const ORACLE_STRING = /'[^']*'/g; // Oracle literals: no escape character, ' refused inside
const BACKTICK = /`[^`]*`/g;
const ORACLE_IDENT = /"[^"]*"/g;
const PG_IDENT = /"(?:[^"]|"")*"/g;

/** The text outside the quotes: what the server parses as SQL, not as names. */
const outside = (sql: string, ...quotes: RegExp[]): string => quotes.reduce((s, q) => s.replace(q, '<>'), sql);

/** A statement with its names cut out is keywords, `<>` and punctuation only: no comment, no second statement. */
function expectOneStatement(sql: string, grammar: RegExp): void {
  expect(sql).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
  expect(sql).toMatch(grammar);
}

const MYSQL_STATEMENT = /^(CREATE USER <>@<> IDENTIFIED (WITH AWSAuthenticationPlugin AS <> REQUIRE SSL|WITH <> AS <>|BY RANDOM PASSWORD ACCOUNT LOCK)|GRANT [A-Z_]+( [A-Z_]+)*(, [A-Z_]+( [A-Z_]+)*)* ON (\*\.\*|<>\.\*|<>\.<>) TO <>@<>|GRANT PROXY ON <>@<> TO <>@<>);$/;

function checkMysql(statements: string[]): void {
  for (const sql of statements) {
    expectOneStatement(outside(sql, STRING, BACKTICK), MYSQL_STATEMENT);
    // A database-level grant names one database: every _ and % in it is escaped.
    const db = /^GRANT .* ON `([^`]*)`\.\* TO /.exec(sql)?.[1];
    if (db !== undefined) expect(db.replace(/\\[_%]/g, '')).not.toMatch(/[_%\\]/);
  }
}

const ORACLE_STATEMENT = /^(CREATE (USER|ROLE) <> IDENTIFIED GLOBALLY AS <>|GRANT [A-Z_]+( [A-Z_]+)*(, [A-Z_]+( [A-Z_]+)*)* TO <>|GRANT <>(, <>)* TO <>);$/;

function checkOracle(statements: string[]): void {
  for (const sql of statements) {
    expectOneStatement(outside(sql, ORACLE_IDENT, ORACLE_STRING), ORACLE_STATEMENT);
    const mapping = /AS '([^']*)';$/.exec(sql)?.[1];
    if (mapping !== undefined) expect(mapping).toMatch(/^IAM_(GROUP_NAME|PRINCIPAL_NAME)=(ocid1\.tenancy\.[a-z0-9.-]+:)?([^/:'"]+\/)?[^/:'"]+$|^IAM_PRINCIPAL_OCID=ocid1\.[a-z0-9.-]+$/);
  }
}

const OCI_SUBJECT = '(group|dynamic-group) (id ocid1\\.[a-z0-9.-]+|([A-Za-z0-9._-]+/)?[A-Za-z0-9._-]+)';
const OCI_WHERE = '(tenancy|compartment id ocid1\\.[a-z0-9.-]+|compartment [A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*)';
const OCI_RESOURCE = '(autonomous-database-family|database-connections|database-family)';
const OCI_POLICY = new RegExp(`^Allow ${OCI_SUBJECT} to use ${OCI_RESOURCE} in ${OCI_WHERE}( where target\\.database\\.id = 'ocid1\\.[a-z0-9.-]+')?$`);
const OCI_CROSS = [
  /^Define tenancy [A-Za-z0-9._-]+ as ocid1\.tenancy\.[a-z0-9.-]+$/,
  new RegExp(`^Endorse group ([A-Za-z0-9._-]+/)?[A-Za-z0-9._-]+ to use ${OCI_RESOURCE} in tenancy [A-Za-z0-9._-]+$`),
  /^Admit any-user of tenancy [A-Za-z0-9._-]+ to \{GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT\} in tenancy( where request\.principal\.type = '[a-z]+')?$/,
  /^Define group [A-Za-z0-9._-]+ as ocid1\.group\.[a-z0-9.-]+$/,
  new RegExp(`^Admit group [A-Za-z0-9._-]+ of tenancy [A-Za-z0-9._-]+ to use ${OCI_RESOURCE} in ${OCI_WHERE}$`),
  /^Endorse any-user to \{GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT\} in tenancy [A-Za-z0-9._-]+$/,
];

// ---------------------------------------------------------------- builders

const GRANT_FIELDS = (prefix: string) => `${prefix}(\\[\\d+\\](\\.privileges(\\[\\d+\\])?|\\.on)?)?`;

const BUILDERS: BuilderSpec[] = [
  ...DSQL_BUILDERS,
  ...AZURE_BUILDERS,
  ...GCP_BUILDERS,
  {
    name: 'rdsPostgresUser',
    build: (o) => rdsPostgresUser(o as never),
    options: options({ user: nearly(name), roles: listOf(nearly(name)) }),
    fields: /^(options|user|roles(\[\d+\])?)$/,
    check: (out: string[], o) => {
      const [create, iam, ...grants] = out;
      const ident = `"${String(o.user).replaceAll('"', '""')}"`;
      expect(create).toBe(`CREATE USER ${ident} WITH LOGIN;`);
      expect(iam).toBe(`GRANT rds_iam TO ${ident};`);
      for (const g of grants) expect(outside(g!, PG_IDENT)).toBe('GRANT <> TO <>;');
      const roles = grants.map((g) => /^GRANT ("(?:[^"]|"")*") TO /.exec(g!)![1]!.slice(1, -1).replaceAll('""', '"'));
      expect(roles).toEqual([...new Set(o.roles as string[])]);
      expect(out.join('')).not.toContain('\0');
    },
    valid: { user: 'app', roles: ['reader'] },
    texts: ['user', 'roles.0'],
  },
  {
    name: 'rdsMysqlUser',
    build: (o) => rdsMysqlUser(o as never),
    options: options({ user: nearly(name), host: nearly(mysqlHost), grants: listOf(mysqlGrant) }),
    fields: new RegExp(`^(options|user|host|${GRANT_FIELDS('grants')})$`),
    check: (out: string[]) => checkMysql(out),
    valid: { user: 'app', host: '%', grants: [{ privileges: ['SELECT'], on: 'app_db.*' }] },
    texts: ['user', 'host', 'grants.0.on', 'grants.0.privileges.0'],
  },
  {
    name: 'heatwaveUser',
    build: (o) => heatwaveUser(o as never),
    options: options({ user: nearly(name), host: nearly(mysqlHost), tenancy: nearly(tenancy), iamUser: nearly(iamUser), grants: listOf(mysqlGrant) }),
    fields: new RegExp(`^(options|user|host|tenancy|iamUser|${GRANT_FIELDS('grants')})$`),
    check: (out: string[]) => checkMysql(out),
    valid: { user: 'alice', tenancy: 'ocid1.tenancy.oc1..aaaaaaaat', iamUser: 'ocid1.user.oc1..aaaaaaaau', grants: [{ privileges: ['SELECT'], on: 'app_db.*' }] },
    texts: ['user', 'host', 'tenancy', 'iamUser', 'grants.0.on', 'grants.0.privileges.0'],
  },
  {
    name: 'heatwaveGroupMapping',
    build: (o) => heatwaveGroupMapping(o as never),
    options: options({
      tenancy: nearly(tenancy),
      host: nearly(mysqlHost),
      createProxiedUsers: fc.oneof(fc.boolean(), anyValue),
      groups: listOf(fc.record({ group: nearly(group), proxiedUser: nearly(name), grants: listOf(mysqlGrant) }, { requiredKeys: [] })),
    }),
    fields: new RegExp(`^(options|tenancy|host|createProxiedUsers|groups(\\[\\d+\\](\\.group|\\.proxiedUser|\\.${GRANT_FIELDS('grants')})?)?)$`),
    check: (out: string[]) => {
      checkMysql(out);
      // The group_mapping is JSON whose keys are group OCIDs and whose values are the proxied users.
      const [, host, json] = /^CREATE USER ''@('[^']*') IDENTIFIED WITH 'authentication_oci' AS '(\{.*\})';$/.exec(out.find((s) => s.startsWith("CREATE USER ''@"))!)!;
      for (const [k, v] of Object.entries((JSON.parse(json!) as { group_mapping: Record<string, string> }).group_mapping)) {
        expect(k).toMatch(/^ocid1\.group\.[a-z0-9.-]+$/);
        expect(out).toContain(`GRANT PROXY ON '${v}'@'%' TO ''@${host};`);
      }
    },
    valid: { tenancy: 'ocid1.tenancy.oc1..aaaaaaaat', groups: [{ group: 'ocid1.group.oc1..aaaaaaaag', proxiedUser: 'readers', grants: [{ privileges: ['SELECT'], on: 'app_db.*' }] }] },
    texts: ['tenancy', 'host', 'groups.0.group', 'groups.0.proxiedUser', 'groups.0.grants.0.on', 'groups.0.grants.0.privileges.0'],
  },
  {
    name: 'oracleGlobalUser',
    build: (o) => oracleGlobalUser(o as never),
    options: options({
      user: nearly(name),
      iamGroup: nearly(name),
      iamPrincipal: nearly(name),
      iamPrincipalOcid: nearly(anyOcid),
      domain: nearly(ociName),
      tenancy: nearly(tenancy),
      privileges: listOf(nearly(privilege)),
      roles: listOf(nearly(name)),
    }),
    fields: /^(options|user|iamGroup|iamPrincipal|iamPrincipalOcid|domain|tenancy|privileges(\[\d+\])?|roles(\[\d+\])?)$/,
    check: (out: string[]) => checkOracle(out),
    valid: { user: 'app', iamGroup: 'g', domain: 'd', tenancy: 'ocid1.tenancy.oc1..aaaaaaaat', privileges: ['CREATE TABLE'], roles: ['DWROLE'] },
    texts: ['user', 'iamGroup', 'domain', 'tenancy', 'privileges.0', 'roles.0'],
  },
  {
    name: 'oracleGlobalRole',
    build: (o) => oracleGlobalRole(o as never),
    options: options({ role: nearly(name), iamGroup: nearly(name), domain: nearly(ociName), tenancy: nearly(tenancy), privileges: listOf(nearly(privilege)), roles: listOf(nearly(name)) }),
    fields: /^(options|role|iamGroup|domain|tenancy|privileges(\[\d+\])?|roles(\[\d+\])?)$/,
    check: (out: string[]) => checkOracle(out),
    valid: { role: 'r', iamGroup: 'g', privileges: ['CREATE TABLE'], roles: ['DWROLE'] },
    texts: ['role', 'iamGroup', 'privileges.0', 'roles.0'],
  },
  {
    name: 'ociDatabasePolicy',
    build: (o) => ociDatabasePolicy(o as never),
    options: options({
      group: nearly(fc.oneof(ociName, group)),
      dynamicGroup: nearly(fc.oneof(ociName, ocidOf(fc.constant('dynamicgroup'), false))),
      domain: nearly(ociName),
      resource: nearly(fc.constantFrom('autonomous-database-family', 'database-connections', 'database-family')),
      compartment: nearly(fc.oneof(ociName, fc.array(ociName, { minLength: 2, maxLength: 3 }).map((a) => a.join(':')), compartmentOcid)),
      database: nearly(databaseOcid),
    }),
    fields: /^(options|group|dynamicGroup|domain|resource|compartment|database)$/,
    check: (out: string[]) => {
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(OCI_POLICY);
    },
    valid: { group: 'DBUsers', domain: 'd', compartment: 'prod:db', database: 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaad' },
    texts: ['group', 'domain', 'compartment', 'database'],
  },
  {
    name: 'ociCrossTenancyPolicies',
    build: (o) => ociCrossTenancyPolicies(o as never),
    options: options({
      userTenancy: nearly(tenancy),
      databaseTenancy: nearly(tenancy),
      group: nearly(ociName),
      groupOcid: nearly(group),
      domain: nearly(ociName),
      resource: nearly(fc.constantFrom('autonomous-database-family', 'database-connections', 'database-family')),
      compartment: nearly(fc.oneof(ociName, compartmentOcid)),
      databasePrincipalType: nearly(fc.constantFrom('autonomousdatabase', 'dbsystem', 'laptop')),
      userTenancyAlias: nearly(ociName),
      databaseTenancyAlias: nearly(ociName),
    }),
    fields: /^(options|userTenancy|databaseTenancy|group|groupOcid|domain|resource|compartment|databasePrincipalType|userTenancyAlias|databaseTenancyAlias)$/,
    check: (out: { source: string[]; destination: string[] }) => {
      expect(Object.keys(out).sort()).toEqual(['destination', 'source']);
      for (const s of [...out.source, ...out.destination]) expect(OCI_CROSS.some((re) => re.test(s)), s).toBe(true);
    },
    valid: { userTenancy: 'ocid1.tenancy.oc1..aaaaaaaau', databaseTenancy: 'ocid1.tenancy.oc1..aaaaaaaad', group: 'g', groupOcid: 'ocid1.group.oc1..aaaaaaaag', domain: 'd', compartment: 'c', userTenancyAlias: 'U', databaseTenancyAlias: 'D' },
    texts: ['userTenancy', 'databaseTenancy', 'group', 'groupOcid', 'domain', 'compartment', 'databasePrincipalType', 'userTenancyAlias', 'databaseTenancyAlias', 'resource'],
  },
  {
    name: 'rdsConnectPolicy',
    build: (o) => rdsConnectPolicy(o as never),
    options: options({
      region: nearly(fc.constantFrom('us-east-1', 'cn-north-1', 'us-gov-west-1', 'eu-isoe-west-1')),
      account: nearly(fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constant(111122223333))),
      resourceId: nearly(fc.stringMatching(/^(db|cluster|prx)-[A-Za-z0-9]{4,20}$/)),
      user: fc.oneof(nearly(name), listOf(nearly(name))),
    }),
    fields: /^(options|region|account|resourceId|user(\[\d+\])?)$/,
    check: (out, o) => {
      expect(out.Version).toBe('2012-10-17');
      expect(out.Statement).toHaveLength(1);
      const [st] = out.Statement;
      expect(st.Effect).toBe('Allow');
      expect(st.Action).toEqual(['rds-db:connect']);
      expect(st.Resource.length).toBeGreaterThan(0);
      // No IAM wildcard, no policy variable: the policy names these users on this database only.
      for (const arn of st.Resource) expect(arn).toMatch(/^arn:aws(-[a-z-]+)?:rds-db:[a-z0-9-]+:\d{12}:dbuser:(db|cluster|prx)-[A-Za-z0-9]+\/[A-Za-z0-9_.@$#+=,-]+$/);
      const users = [o.user].flat();
      expect(st.Resource.map((arn: string) => arn.slice(arn.indexOf('/') + 1))).toEqual([...new Set(users)]);
    },
    valid: { region: 'us-east-1', account: '111122223333', resourceId: 'db-ABCDEFGHIJKL01234', user: ['app'] },
    texts: ['region', 'account', 'resourceId', 'user.0'],
  },
];

describe('every builder exported from dbtoken/provision is covered', () => {
  it('has a property spec for each builder', () => {
    const exported = Object.entries(provision).filter(([, v]) => typeof v === 'function').map(([k]) => k).sort();
    expect(exported).toEqual([...BUILDERS.map((b) => b.name), 'heatwaveAuthPolicy'].sort());
  });

  it('heatwaveAuthPolicy ignores whatever it is given', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        expect((heatwaveAuthPolicy as (x: unknown) => string[])(v)).toEqual(heatwaveAuthPolicy());
      }),
      { numRuns: 50 },
    );
  });
});

describeBuilderProperties(BUILDERS);

describe('privilege names', () => {
  const raw = fc.oneof(privilege, hostileString, fc.array(fc.constantFrom('select', 'ANY', 'table', 'ſ', 'ı', 'K', 'ß', '_', ' ', '\t', 'ON'), { maxLength: 6 }).map((a) => a.join('')));

  it('an accepted privilege is the words the caller wrote, in ASCII upper case: no look-alike folds into another privilege', () => {
    fc.assert(
      fc.property(raw, (p) => {
        const mysql = typedOutcome(() => rdsMysqlUser({ user: 'a', grants: [{ privileges: [p], on: 'd.*' }] }), /^grants\[0\]\.privileges\[0\]$/);
        const oracle = typedOutcome(() => oracleGlobalRole({ role: 'r', iamGroup: 'g', privileges: [p] }), /^privileges\[0\]$/);
        const words = p.trim().replace(/\s+/g, ' ');
        if ('value' in mysql) {
          expect(words).toMatch(/^[A-Za-z_ ]+$/);
          expect(mysql.value[1]).toBe(`GRANT ${words.toUpperCase()} ON \`d\`.* TO 'a'@'%';`);
        }
        if ('value' in oracle) {
          expect(words).toMatch(/^[A-Za-z_ ]+$/);
          expect(oracle.value[1]).toBe(`GRANT ${words.toUpperCase()} TO "R";`);
        }
      }),
      RUNS,
    );
  });
});

describe('MySQL database-level grants', () => {
  it('name exactly one database: unescaping the written name gives back the name asked for', () => {
    fc.assert(
      fc.property(fc.oneof(name, fc.stringMatching(/^[a-z_%]{1,40}$/)), (db) => {
        const out = typedOutcome(() => rdsMysqlUser({ user: 'a', grants: [{ privileges: ['SELECT'], on: `${db}.*` }] }), /^grants\[0\]\.on$/);
        if ('error' in out || db === '*') return; // '*.*' is the global grant, asked for by name
        const written = /^GRANT SELECT ON `(.*)`\.\* TO 'a'@'%';$/.exec(out.value[1]!)![1]!;
        expect(written.replace(/\\([_%])/g, '$1')).toBe(db);
        expect(written.replace(/\\[_%]/g, '')).not.toMatch(/[_%]/);
      }),
      RUNS,
    );
  });
});

describe('regressions found by the properties', () => {
  const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaat';

  it('a hole in a list is refused like a missing entry (was written as "undefined" or as an empty privilege list)', () => {
    /* eslint-disable no-sparse-arrays */
    expect(() => rdsPostgresUser({ user: 'app', roles: [, 'r'] as never })).toThrow(/^roles\[0\]: is required/);
    expect(() => oracleGlobalRole({ role: 'r', iamGroup: 'g', roles: [, 'a'] as never })).toThrow(/^roles\[0\]: is required/);
    expect(() => oracleGlobalUser({ user: 'u', iamGroup: 'g', privileges: [, 'CREATE TABLE'] as never })).toThrow(/^privileges\[0\]: is required/);
    expect(() => rdsMysqlUser({ user: 'a', grants: [,] as never })).toThrow(/^grants\[0\]: must be an object/);
    expect(() => heatwaveUser({ user: 'a', tenancy: TENANCY, iamUser: 'ocid1.user.oc1..aaaaaaaau', grants: [{ privileges: [,] as never, on: 'd.*' }] })).toThrow(/^grants\[0\]\.privileges\[0\]: is required/);
    expect(() => heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: 'ocid1.group.oc1..aaaaaaaag', proxiedUser: 'p', grants: [,] as never }] })).toThrow(/^groups\[0\]\.grants\[0\]: must be an object/);
    expect(() => rdsConnectPolicy({ region: 'us-east-1', account: '111122223333', resourceId: 'db-ABC', user: [, 'app'] as never })).toThrow(/^user\[0\]: is required/);
    /* eslint-enable no-sparse-arrays */
  });

  it('a privilege whose upper case only looks ASCII is refused (fıle was granted as FILE, ſelect as SELECT)', () => {
    expect(() => rdsMysqlUser({ user: 'a', grants: [{ privileges: ['fıle'], on: '*.*' }] })).toThrow(/^grants\[0\]\.privileges\[0\]: "fıle" is not a privilege name/);
    expect(() => oracleGlobalUser({ user: 'u', iamGroup: 'g', privileges: ['ſelect any table'] })).toThrow(/^privileges\[0\]: "ſelect any table" is not a privilege name/);
    expect(rdsMysqlUser({ user: 'a', grants: [{ privileges: ['file'], on: '*.*' }] })[1]).toBe("GRANT FILE ON *.* TO 'a'@'%';");
  });

  it('a secret access key given as a name is not echoed (was echoed, up to 80 characters or in full)', () => {
    const key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    for (const build of [
      () => rdsConnectPolicy({ region: 'us-east-1', account: '111122223333', resourceId: key, user: 'app' }),
      () => ociDatabasePolicy({ group: key }),
      () => rdsMysqlUser({ user: 'a', grants: [{ privileges: [key], on: 'd.*' }] }),
      () => oracleGlobalUser({ user: 'u', iamGroup: 'g', tenancy: key }),
    ]) {
      const out = typedOutcome(build, /./);
      expect(out).toHaveProperty('error');
      expect((out as { error: Error }).error.message).toContain('(a 40-character value shaped like a token or key, not shown)');
      expect((out as { error: Error }).error.message).not.toContain('EXAMPLEKEY');
    }
  });

  it('a long name is cut in the message (was echoed in full: 5,000 characters for a 5,000-character name)', () => {
    const err = typedOutcome(() => rdsMysqlUser({ user: 'a', grants: [{ privileges: ['SELECT'], on: `${'x'.repeat(5_000)}.*` }] }), /./) as { error: Error };
    expect(err.error.message).toContain(`"${'x'.repeat(64)}..." (5000 characters)`);
    expect(err.error.message.length).toBeLessThan(400);
  });
});

describe('regressions found while checking the Oracle output', () => {
  it('& in an Oracle name is refused: SQL*Plus and SQLcl would substitute &name inside the quotes', () => {
    expect(() => oracleGlobalUser({ user: 'R&D', iamGroup: 'g' })).toThrow(/^user: contains U\+0026 \(&\) at position 1/);
    expect(() => oracleGlobalUser({ user: 'u', iamGroup: 'sales&marketing' })).toThrow(/^iamGroup: contains U\+0026/);
    expect(() => oracleGlobalRole({ role: 'r', iamGroup: 'g', roles: ['a\uFF06b'] })).toThrow(/^roles\[0\]: contains U\+FF06/);
  });
});
