import { ConfigError } from '../../core/errors.js';
import type { MysqlGrant } from '../../provision/mysql.js';
import { COMMON_OPTIONS, flag, many, optional, parseOptions, refuse, required, UsageError, type OptionSpecs, type OptionValues } from '../args.js';
import type { Context } from '../context.js';
import { json } from '../format.js';

/**
 * `dbtoken sql ...` and `dbtoken policy ...`: the builders of
 * dbtoken/provision, with their options spelled for the command line. The
 * builders check every value; their ConfigErrors come back as usage errors
 * (exit 2) naming the option.
 */

const repeatable = { type: 'string', multiple: true } as const;
const text = { type: 'string' } as const;

/** A builder field (`iamGroup`, `grants[1].on`, `groups[0].proxiedUser`) as the option that set it. */
export type FieldOptions = Readonly<Record<string, string>>;

/** `iamPrincipalOcid` → `--iam-principal-ocid`. */
export function kebabOption(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The option behind a builder's ConfigError field: the longest mapped
 * prefix of the path (`groups[0].grants` before `groups`), or the first
 * segment in kebab case.
 */
export function optionForBuilderField(field: string, options: FieldOptions): string {
  const parts = field.split('.');
  for (let n = parts.length; n > 0; n--) {
    const path = parts.slice(0, n).join('.').replace(/\[\d+\]/g, '');
    const option = options[path];
    if (option !== undefined) return option;
  }
  return kebabOption(parts[0]!.replace(/\[\d+\]$/, ''));
}

/** The command that runs each builder, for messages that point from one builder to another. */
const BUILDER_COMMANDS: Readonly<Record<string, string>> = {
  oracleGlobalUser: 'dbtoken sql oracle --user',
  oracleGlobalRole: 'dbtoken sql oracle --role',
  rdsPostgresUser: 'dbtoken sql rds-postgres',
  rdsMysqlUser: 'dbtoken sql rds-mysql',
  heatwaveUser: 'dbtoken sql heatwave --user',
  heatwaveGroupMapping: 'dbtoken sql heatwave --map',
  ociDatabasePolicy: 'dbtoken policy oci',
  ociCrossTenancyPolicies: 'dbtoken policy oci-cross-tenancy',
  rdsConnectPolicy: 'dbtoken policy aws',
};

/** A builder's ConfigError as a usage error: the field replaced by its option, camelCase names in the text too. */
export function builderUsageError(err: ConfigError, options: FieldOptions): UsageError {
  const option = optionForBuilderField(err.field, options);
  let rest = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
  for (const [field, opt] of Object.entries(options)) {
    // camelCase names are never prose; plain ones only where a message names an option.
    const re = /[A-Z]/.test(field) ? new RegExp(`\\b${field}\\b`, 'g') : new RegExp(`(?<=\\b(?:with|give|or) )${field}\\b`, 'g');
    rest = rest.replace(re, opt);
  }
  rest = rest.replace(/\b(\w+)\(\)/g, (call, name: string) => BUILDER_COMMANDS[name] ?? call).replace(/\.$/, '');
  return new UsageError(option, `${option} ${rest}`);
}

/** Runs a builder, turning its ConfigError into a usage error. */
function build<T>(options: FieldOptions, builder: () => T): T {
  try {
    return builder();
  } catch (err) {
    if (err instanceof ConfigError) throw builderUsageError(err, options);
    throw err;
  }
}

/** One `--grant` of MySQL: `SELECT, INSERT ON orders.* [TO user]`. */
export interface ParsedMysqlGrant extends MysqlGrant {
  /** The `TO` user, when given. */
  readonly to?: string;
}

/**
 * Parses `--grant 'SELECT, INSERT ON orders.*'` (and `... TO app_readers`).
 * The privileges and the target are checked by the builders; this only
 * splits the words.
 */
export function parseMysqlGrant(value: string): ParsedMysqlGrant {
  const m = /^(.+?)\s+ON\s+(\S+)(?:\s+TO\s+(\S+))?$/i.exec(value.trim());
  if (m === null) {
    throw new UsageError('--grant', `--grant "${value}" is not "<privileges> ON <database>.<table or *>", such as --grant "SELECT, INSERT ON orders.*"`);
  }
  const privileges = m[1]!.split(',').map((p) => p.trim());
  return { privileges, on: m[2]!, ...(m[3] !== undefined ? { to: m[3] } : {}) };
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
const SQL_ORACLE_FIELDS: FieldOptions = {
  user: '--user',
  role: '--role',
  iamGroup: '--iam-group',
  iamPrincipal: '--iam-principal',
  iamPrincipalOcid: '--iam-principal-ocid',
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
  if (Object.keys(mapping).length === 0) {
    throw new UsageError('--iam-group', '--iam-group, --iam-principal or --iam-principal-ocid is required: whom the user maps (a group shares it, a principal has it alone)');
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
const SQL_HEATWAVE_FIELDS: FieldOptions = {
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
  const fields: FieldOptions = {
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
  const policy = build({ resourceId: '--resource-id' }, () => rdsConnectPolicy({ region, account, resourceId, user: users }));
  ctx.print(flag(values, 'json') ? json(policy) : JSON.stringify(policy, null, 2));
  return 0;
}
