import type { MysqlGrant } from '../../provision/mysql.js';
import { COMMON_OPTIONS, flag, listOf, many, oneOf, optional, parseOptions, refuse, required, UsageError, type OptionSpecs, type OptionValues } from '../args.js';
import type { Context } from '../context.js';
import { withUsageErrors, wordingFor, type FieldWording, type FieldWordings } from '../explain.js';
import { json } from '../format.js';

/**
 * `dbtoken sql ...` and `dbtoken policy ...`: the builders of
 * dbtoken/provision, with their options spelled for the command line. The
 * builders check every value; their ConfigErrors come back as usage errors
 * (exit 2) naming the option. Combinations of options are checked here,
 * so that the message can name both options.
 */

const repeatable = { type: 'string', multiple: true } as const;
const text = { type: 'string' } as const;

/** `iamPrincipalOcid` → `--iam-principal-ocid`. */
export function kebabOption(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** How a builder's field reads on the command line: its listed wording, else its first segment in kebab case. */
export function builderWording(field: string, fields: FieldWordings): FieldWording {
  return wordingFor(field, fields) ?? { option: kebabOption(field.split('.')[0]!.replace(/\[\d+\]$/, '')) };
}

/** Runs a builder, turning its ConfigError into a usage error worded by `fields`. */
function build<T>(fields: FieldWordings, builder: () => T): T {
  return withUsageErrors(builder, (field) => builderWording(field, fields));
}

/** One `--grant` of MySQL: `SELECT, INSERT ON orders.* [TO user]`. */
export interface ParsedMysqlGrant extends MysqlGrant {
  /** The `TO` user, when given. */
  readonly to?: string | undefined;
}

/**
 * Parses `--grant 'SELECT, INSERT ON orders.*'` (and `... TO app_readers`).
 * The privileges and the target are checked by the builders; this only
 * splits the words.
 */
export function parseMysqlGrant(value: string): ParsedMysqlGrant {
  // Words, not a regular expression: linear in the length of whatever was typed.
  const words = value.trim().split(/\s+/);
  const n = words.length;
  const on = (i: number): boolean => i >= 1 && words[i]!.toUpperCase() === 'ON';
  const at = on(n - 2) ? n - 2 : on(n - 4) && words[n - 2]!.toUpperCase() === 'TO' ? n - 4 : -1;
  if (at < 0) {
    const shown = value.length > 80 ? `${value.slice(0, 80)}...` : value;
    throw new UsageError('--grant', `--grant "${shown}" is not "<privileges> ON <database>.<table or *>", such as --grant "SELECT, INSERT ON orders.*"`);
  }
  const privileges = words.slice(0, at).join(' ').split(',').map((p) => p.trim());
  return { privileges, on: words[at + 1]!, ...(at === n - 4 ? { to: words[n - 1]! } : {}) };
}

function print(ctx: Context, values: OptionValues, statements: readonly string[]): number {
  ctx.print(flag(values, 'json') ? json({ statements }) : statements.join('\n'));
  return 0;
}

// --- dbtoken sql oracle -------------------------------------------------------

const SQL_ORACLE_OPTIONS = {
  ...COMMON_OPTIONS,
  user: text,
  role: text,
  'iam-group': text,
  'iam-principal': text,
  'iam-principal-ocid': text,
  domain: text,
  tenancy: text,
  privilege: repeatable,
  'grant-role': repeatable,
} as const satisfies OptionSpecs;
const SQL_ORACLE_FIELDS: FieldWordings = {
  user: '--user',
  role: '--role',
  iamGroup: '--iam-group',
  iamPrincipal: '--iam-principal',
  iamPrincipalOcid: {
    option: '--iam-principal-ocid',
    fix: 'give the OCID of the IAM user, instance or resource that logs in (ocid1.user.oc1..<id>), or map a group by name with --iam-group',
  },
  privileges: '--privilege',
  roles: '--grant-role',
};

export async function sqlOracle(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_ORACLE_OPTIONS);
  const { oracleGlobalRole, oracleGlobalUser } = await import('../../provision/oracle.js');
  const user = optional(values, 'user');
  const role = optional(values, 'role');
  if ((user === undefined) === (role === undefined)) {
    throw new UsageError(user === undefined ? '--user' : '--role', user === undefined ? '--user or --role is required: the database user (or global role) to create' : '--user and --role cannot be given together: a user or a global role, one per command');
  }
  const common = {
    ...defined('domain', optional(values, 'domain')),
    ...defined('tenancy', optional(values, 'tenancy')),
    privileges: many(values, 'privilege'),
    roles: many(values, 'grant-role'),
  };
  if (role !== undefined) {
    refuse(values, ['iam-principal', 'iam-principal-ocid'], 'does not apply to a global role: a role maps an IAM group (--iam-group)');
    const iamGroup = required(values, 'iam-group', 'the IAM group whose members get the role');
    return print(ctx, values, build(SQL_ORACLE_FIELDS, () => oracleGlobalRole({ role, iamGroup, ...common })));
  }
  const mapping = {
    ...defined('iamGroup', optional(values, 'iam-group')),
    ...defined('iamPrincipal', optional(values, 'iam-principal')),
    ...defined('iamPrincipalOcid', optional(values, 'iam-principal-ocid')),
  };
  const given = Object.keys(mapping).map(kebabOption);
  if (given.length === 0) {
    throw new UsageError('--iam-group', '--iam-group, --iam-principal or --iam-principal-ocid is required: whom the user maps (a group shares it, a principal has it alone)');
  }
  if (given.length > 1) {
    throw new UsageError(given[1], `${given[1]} cannot be given together with ${given[0]}: a global user maps exactly one IAM group or principal`);
  }
  if (mapping.iamPrincipalOcid !== undefined) {
    refuse(values, ['domain', 'tenancy'], 'is not used with --iam-principal-ocid: an OCID already names the principal in its tenancy and domain; leave it out');
  }
  return print(ctx, values, build(SQL_ORACLE_FIELDS, () => oracleGlobalUser({ user: user!, ...mapping, ...common })));
}

function defined<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

// --- dbtoken sql rds-postgres ------------------------------------------------

const SQL_RDS_POSTGRES_OPTIONS = { ...COMMON_OPTIONS, user: text, 'grant-role': repeatable } as const satisfies OptionSpecs;

export async function sqlRdsPostgres(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_RDS_POSTGRES_OPTIONS);
  const { rdsPostgresUser } = await import('../../provision/postgres.js');
  const user = required(values, 'user', 'the database user to create; IAM tokens are signed for this exact name');
  const roles = many(values, 'grant-role');
  return print(ctx, values, build({ user: '--user', roles: '--grant-role' }, () => rdsPostgresUser({ user, roles })));
}

// --- dbtoken sql rds-mysql ---------------------------------------------------

const SQL_RDS_MYSQL_OPTIONS = { ...COMMON_OPTIONS, user: text, host: text, grant: repeatable } as const satisfies OptionSpecs;

function grantsFor(values: OptionValues, what: string): MysqlGrant[] {
  return many(values, 'grant').map((g) => {
    const { to, ...grant } = parseMysqlGrant(g);
    if (to !== undefined) throw new UsageError('--grant', `--grant "${g}": leave out "TO ${to}"; the grants go to ${what}`);
    return grant;
  });
}

export async function sqlRdsMysql(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_RDS_MYSQL_OPTIONS);
  const { rdsMysqlUser } = await import('../../provision/mysql.js');
  const user = required(values, 'user', 'the database user to create; IAM tokens are signed for this exact name');
  const grants = grantsFor(values, `--user ${user}`);
  const host = optional(values, 'host');
  return print(ctx, values, build({ user: '--user', host: '--host', grants: '--grant' }, () => rdsMysqlUser({ user, ...defined('host', host), grants })));
}

// --- dbtoken sql heatwave ----------------------------------------------------

const SQL_HEATWAVE_OPTIONS = {
  ...COMMON_OPTIONS,
  tenancy: text,
  user: text,
  'iam-user': text,
  map: repeatable,
  host: text,
  grant: repeatable,
  'proxied-users-exist': { type: 'boolean' },
} as const satisfies OptionSpecs;
const SQL_HEATWAVE_FIELDS: FieldWordings = {
  tenancy: '--tenancy',
  user: '--user',
  iamUser: '--iam-user',
  host: '--host',
  grants: '--grant',
  groups: '--map',
  'groups.grants': '--grant',
  createProxiedUsers: '--proxied-users-exist',
};

/** `--map ocid1.group.oc1..<id>=app_readers`. */
export function parseGroupMap(value: string): { group: string; proxiedUser: string } {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) {
    throw new UsageError('--map', `--map "${value}" is not <group OCID>=<proxied user>, such as --map ocid1.group.oc1..aaaa...=app_readers`);
  }
  return { group: value.slice(0, eq).trim(), proxiedUser: value.slice(eq + 1).trim() };
}

export async function sqlHeatwave(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_HEATWAVE_OPTIONS);
  const { heatwaveGroupMapping, heatwaveUser } = await import('../../provision/heatwave.js');
  const tenancy = required(values, 'tenancy', 'the OCID of the tenancy the IAM user or groups are in (ocid1.tenancy.oc1..<id>)');
  const host = optional(values, 'host');
  const maps = many(values, 'map');
  if (maps.length === 0) {
    refuse(values, ['proxied-users-exist'], 'applies only to group mappings (--map)');
    const user = required(values, 'user', 'the MySQL user to create for one IAM user (or give --map <group OCID>=<proxied user> for groups)');
    const iamUser = required(values, 'iam-user', 'the OCID of the IAM user who logs in as --user (ocid1.user.oc1..<id>)');
    const grants = grantsFor(values, `--user ${user}`);
    return print(ctx, values, build(SQL_HEATWAVE_FIELDS, () => heatwaveUser({ user, tenancy, iamUser, ...defined('host', host), grants })));
  }
  refuse(values, ['user', 'iam-user'], 'does not apply to group mappings (--map): members log in as the proxied user their group maps to');
  const groups = maps.map((m) => ({ ...parseGroupMap(m), grants: [] as MysqlGrant[] }));
  for (const g of many(values, 'grant')) {
    const { to, ...grant } = parseMysqlGrant(g);
    const target = groups.filter((m) => m.proxiedUser === to);
    if (to === undefined || target.length === 0) {
      throw new UsageError('--grant', `--grant "${g}" must end with TO <proxied user>, one of ${groups.map((m) => m.proxiedUser).join(', ')}`);
    }
    target[0]!.grants.push(grant);
  }
  const createProxiedUsers = !flag(values, 'proxied-users-exist');
  return print(ctx, values, build(SQL_HEATWAVE_FIELDS, () => heatwaveGroupMapping({ tenancy, groups, ...defined('host', host), createProxiedUsers })));
}

// --- dbtoken policy oci ------------------------------------------------------

const POLICY_OCI_OPTIONS = {
  ...COMMON_OPTIONS,
  group: text,
  'dynamic-group': text,
  domain: text,
  resource: text,
  compartment: text,
  database: text,
} as const satisfies OptionSpecs;

export async function policyOci(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, POLICY_OCI_OPTIONS);
  const { ociDatabasePolicy } = await import('../../provision/oci-policy.js');
  const options = {
    ...defined('group', optional(values, 'group')),
    ...defined('dynamicGroup', optional(values, 'dynamic-group')),
    ...defined('domain', optional(values, 'domain')),
    ...defined('resource', optional(values, 'resource')),
    ...defined('compartment', optional(values, 'compartment')),
    ...defined('database', optional(values, 'database')),
  };
  if (options.group === undefined && options.dynamicGroup === undefined) {
    throw new UsageError('--group', '--group or --dynamic-group is required: who gets db-tokens (an IAM group of users, or a dynamic group of instances or functions)');
  }
  if (options.group !== undefined && options.dynamicGroup !== undefined) {
    throw new UsageError('--dynamic-group', '--dynamic-group cannot be given together with --group: write one policy for each');
  }
  return print(ctx, values, build({ group: '--group', dynamicGroup: '--dynamic-group' }, () => ociDatabasePolicy(options as Parameters<typeof ociDatabasePolicy>[0])));
}

// --- dbtoken policy oci-cross-tenancy ----------------------------------------

const POLICY_CROSS_TENANCY_OPTIONS = {
  ...COMMON_OPTIONS,
  'user-tenancy': text,
  'database-tenancy': text,
  group: text,
  'group-ocid': text,
  domain: text,
  resource: text,
  compartment: text,
  'database-principal-type': text,
  'user-tenancy-alias': text,
  'database-tenancy-alias': text,
} as const satisfies OptionSpecs;

export async function policyOciCrossTenancy(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, POLICY_CROSS_TENANCY_OPTIONS);
  const { ociCrossTenancyPolicies } = await import('../../provision/oci-policy.js');
  const userTenancy = required(values, 'user-tenancy', "the OCID of the users' tenancy (where the IAM group is)");
  const databaseTenancy = required(values, 'database-tenancy', "the OCID of the database's tenancy");
  const group = required(values, 'group', 'the IAM group name, as the policies name it');
  const groupOcid = required(values, 'group-ocid', "the group's OCID (ocid1.group.oc1..<id>), for the database tenancy's Define");
  if (databaseTenancy === userTenancy) {
    throw new UsageError('--database-tenancy', "--database-tenancy is --user-tenancy: within one tenancy use dbtoken policy oci instead");
  }
  const options = {
    userTenancy,
    databaseTenancy,
    group,
    groupOcid,
    ...defined('domain', optional(values, 'domain')),
    ...defined('resource', optional(values, 'resource')),
    ...defined('compartment', optional(values, 'compartment')),
    ...defined('databasePrincipalType', optional(values, 'database-principal-type')),
    ...defined('userTenancyAlias', optional(values, 'user-tenancy-alias')),
    ...defined('databaseTenancyAlias', optional(values, 'database-tenancy-alias')),
  };
  const fields: FieldWordings = {
    userTenancy: '--user-tenancy',
    databaseTenancy: '--database-tenancy',
    groupOcid: '--group-ocid',
    databasePrincipalType: '--database-principal-type',
    userTenancyAlias: '--user-tenancy-alias',
    databaseTenancyAlias: '--database-tenancy-alias',
  };
  const policies = build(fields, () => ociCrossTenancyPolicies(options as Parameters<typeof ociCrossTenancyPolicies>[0]));
  if (flag(values, 'json')) {
    ctx.print(json(policies));
  } else {
    ctx.print(
      [
        `# Policy in the users' tenancy (${userTenancy}):`,
        ...policies.source,
        '',
        `# Policy in the database's tenancy (${databaseTenancy}):`,
        ...policies.destination,
      ].join('\n'),
    );
  }
  return 0;
}

// --- dbtoken policy heatwave ------------------------------------------------

export async function policyHeatwave(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, COMMON_OPTIONS);
  const { heatwaveAuthPolicy } = await import('../../provision/oci-policy.js');
  return print(ctx, values, heatwaveAuthPolicy());
}

// --- dbtoken policy aws ------------------------------------------------------

const POLICY_AWS_OPTIONS = { ...COMMON_OPTIONS, region: text, account: text, 'resource-id': text, user: repeatable } as const satisfies OptionSpecs;

export async function policyAws(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, POLICY_AWS_OPTIONS);
  const { rdsConnectPolicy } = await import('../../provision/aws-policy.js');
  const region = required(values, 'region', "the database's region, such as us-east-2");
  const account = required(values, 'account', 'the 12-digit AWS account id that owns the database');
  const resourceId = required(values, 'resource-id', "the database's resource id: db-... (DbiResourceId), cluster-... or prx-..., not its name");
  const users = many(values, 'user');
  if (users.length === 0) throw new UsageError('--user', '--user is required: the database user the role may log in as (repeat it for several)');
  const fields: FieldWordings = {
    resourceId: '--resource-id',
    account: { option: '--account', fix: 'give the 12 digits of the account id, leading zeros included, such as 111122223333' },
  };
  const policy = build(fields, () => rdsConnectPolicy({ region, account, resourceId, user: users }));
  ctx.print(flag(values, 'json') ? json(policy) : JSON.stringify(policy, null, 2));
  return 0;
}

// --- dbtoken sql dsql --------------------------------------------------------

const SQL_DSQL_OPTIONS = { ...COMMON_OPTIONS, role: text, arn: text } as const satisfies OptionSpecs;

export async function sqlDsql(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_DSQL_OPTIONS);
  const { dsqlRole } = await import('../../provision/dsql.js');
  const role = required(values, 'role', 'the database role to create; DSQL tokens log in as this exact name');
  const arn = required(values, 'arn', 'the ARN of the IAM role or user that logs in as --role, such as arn:aws:iam::111122223333:role/app-service');
  return print(ctx, values, build({ role: '--role', arn: '--arn' }, () => dsqlRole({ role, arn })));
}

// --- dbtoken policy dsql -----------------------------------------------------

const POLICY_DSQL_OPTIONS = { ...COMMON_OPTIONS, 'cluster-arn': text, 'cluster-id': text, region: text, account: text, admin: { type: 'boolean' } } as const satisfies OptionSpecs;

export async function policyDsql(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, POLICY_DSQL_OPTIONS);
  const { dsqlConnectPolicy } = await import('../../provision/dsql.js');
  const clusterArn = optional(values, 'cluster-arn');
  let cluster: { clusterArn: string } | { clusterId: string; region: string; account: string };
  if (clusterArn !== undefined) {
    refuse(values, ['cluster-id', 'region', 'account'], 'cannot be given together with --cluster-arn, which names the cluster already');
    cluster = { clusterArn };
  } else {
    cluster = {
      clusterId: required(values, 'cluster-id', 'the cluster id, the first label of its endpoint (or give --cluster-arn)'),
      region: required(values, 'region', "the cluster's region, such as us-east-1"),
      account: required(values, 'account', 'the 12-digit AWS account id that owns the cluster'),
    };
  }
  const fields: FieldWordings = {
    clusterArn: '--cluster-arn',
    clusterId: '--cluster-id',
    account: { option: '--account', fix: 'give the 12 digits of the account id, leading zeros included, such as 111122223333' },
  };
  const policy = build(fields, () => dsqlConnectPolicy({ ...cluster, admin: flag(values, 'admin') }));
  ctx.print(flag(values, 'json') ? json(policy) : JSON.stringify(policy, null, 2));
  return 0;
}

// --- dbtoken sql azure-postgres ----------------------------------------------

const SQL_AZURE_POSTGRES_OPTIONS = { ...COMMON_OPTIONS, name: text, kind: text, 'object-id': text, admin: { type: 'boolean' } } as const satisfies OptionSpecs;
const AZURE_KINDS = ['user', 'group', 'service'] as const;

export async function sqlAzurePostgres(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_AZURE_POSTGRES_OPTIONS);
  const { azurePostgresPrincipal } = await import('../../provision/azure.js');
  const name = required(values, 'name', "the role to create: a user's UPN or a group's display name, or (with --object-id) any name, such as orders-api");
  const kind = oneOf('kind', required(values, 'kind', `what the principal is: ${listOf(AZURE_KINDS)} (a service principal or managed identity)`), AZURE_KINDS);
  const objectId = optional(values, 'object-id');
  if (kind === 'service' && objectId === undefined) {
    throw new UsageError('--object-id', "--object-id is required with --kind service: the service principal's or managed identity's object (principal) id, which the role is bound to");
  }
  const fields: FieldWordings = { name: '--name', kind: '--kind', objectId: '--object-id', admin: '--admin' };
  return print(ctx, values, build(fields, () => azurePostgresPrincipal({ name, kind, ...defined('objectId', objectId), admin: flag(values, 'admin') })));
}

// --- dbtoken sql azure-mysql -------------------------------------------------

const SQL_AZURE_MYSQL_OPTIONS = { ...COMMON_OPTIONS, name: text, 'object-id': text, grant: repeatable } as const satisfies OptionSpecs;

export async function sqlAzureMysql(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_AZURE_MYSQL_OPTIONS);
  const { azureMysqlUser } = await import('../../provision/azure.js');
  const name = required(values, 'name', "the MySQL user to create: a user's UPN or a group's name, or (with --object-id) any name, such as orders-api");
  const grants = grantsFor(values, `--name ${name}`);
  const fields: FieldWordings = { name: '--name', objectId: '--object-id', grants: '--grant' };
  return print(ctx, values, build(fields, () => azureMysqlUser({ name, ...defined('objectId', optional(values, 'object-id')), grants })));
}

// --- dbtoken sql cloud-sql ---------------------------------------------------

const SQL_CLOUD_SQL_OPTIONS = {
  ...COMMON_OPTIONS,
  email: text,
  engine: text,
  instance: text,
  kind: text,
  'grant-role': repeatable,
  grant: repeatable,
} as const satisfies OptionSpecs;
const GCP_KINDS = ['user', 'service_account'] as const;
const GCP_BUILDER_FIELDS: FieldWordings = { email: '--email', engine: '--engine', instance: '--instance', kind: '--kind', member: '--member', project: '--project', roles: '--grant-role', grants: '--grant', connector: '--connector' };

/** `--kind user|service_account`; without it, the builders tell a service account by its email. */
function gcpKind(values: OptionValues): { kind?: 'user' | 'service_account' } {
  const k = optional(values, 'kind');
  return k === undefined ? {} : { kind: oneOf('kind', k, GCP_KINDS) };
}

/** A command for a POSIX shell: arguments with characters a shell reads specially are single-quoted. */
export function shellLine(command: readonly string[]): string {
  return command.map((a) => (/^[A-Za-z0-9@%+=:,./_-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

export async function sqlCloudSql(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, SQL_CLOUD_SQL_OPTIONS);
  const { cloudSqlIamUser } = await import('../../provision/gcp.js');
  const email = required(values, 'email', "the Google account's or service account's email");
  const engine = oneOf('engine', required(values, 'engine', "the instance's engine, postgres or mysql"), ['postgres', 'mysql'] as const);
  const instance = required(values, 'instance', "the instance id, such as orders, or its connection name project:region:instance");
  const roles = many(values, 'grant-role');
  if (engine === 'mysql' && roles.length > 0) throw new UsageError('--grant-role', '--grant-role grants PostgreSQL roles: for MySQL, give --grant "<privileges> ON <db>.<table or *>"');
  if (engine === 'postgres' && many(values, 'grant').length > 0) throw new UsageError('--grant', '--grant grants MySQL privileges: for PostgreSQL, give --grant-role <role> (a role holding the privileges)');
  const options = {
    email,
    engine,
    instance,
    ...gcpKind(values),
    ...(engine === 'postgres' ? { roles } : { grants: grantsFor(values, `the user of --email ${email}`) }),
  };
  const user = build(GCP_BUILDER_FIELDS, () => cloudSqlIamUser(options));
  if (flag(values, 'json')) {
    ctx.print(json(user));
    return 0;
  }
  ctx.print(
    [
      `# Add the IAM principal to the instance (its database user: ${user.user}):`,
      shellLine(user.command),
      ...(user.statements.length > 0 ? [`# Then, in the database, as a user that holds these roles or privileges:`, ...user.statements] : []),
    ].join('\n'),
  );
  return 0;
}

// --- dbtoken policy gcp ------------------------------------------------------

const POLICY_GCP_OPTIONS = { ...COMMON_OPTIONS, project: text, member: text, kind: text, connector: { type: 'boolean' } } as const satisfies OptionSpecs;

export async function policyGcp(argv: readonly string[], ctx: Context): Promise<number> {
  const values = parseOptions(argv, POLICY_GCP_OPTIONS);
  const { gcpInstanceUserBinding } = await import('../../provision/gcp.js');
  const project = required(values, 'project', "the id of the project that holds the Cloud SQL instance");
  const member = required(values, 'member', "the email of the Google account or service account that logs in");
  const commands = build(GCP_BUILDER_FIELDS, () => gcpInstanceUserBinding({ project, member, ...gcpKind(values), connector: flag(values, 'connector') }));
  ctx.print(flag(values, 'json') ? json({ commands }) : commands.map(shellLine).join('\n'));
  return 0;
}
