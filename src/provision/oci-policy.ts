import { ConfigError } from '../core/errors.js';
import { parseOcid } from '../sources/oci/scope.js';
import { requireObject } from '../core/validation.js';
import { ociName, requireOcidOf, requireText, shown } from './quote.js';

/*
 * Documented forms produced here (OCI IAM "Policy Syntax" and "Subjects";
 * Autonomous Database "Create IAM Groups and Policies for IAM Users"; Database
 * Security Guide "Creating an IAM Policy to Authorize Users Authenticating
 * with Tokens" and "Accessing a Database Cross-Tenancy Using an IAM
 * Integration"; OCI "Cross-Tenancy Access Policies"):
 *
 *   Allow group [<domain>/]<group> to use <resource> in tenancy
 *   Allow dynamic-group [<domain>/]<name> to use <resource> in compartment <name[:child]>
 *   Allow group id <ocid> to use <resource> in compartment id <ocid> where target.database.id = '<db ocid>'
 *
 *   users' (source) tenancy:
 *     Define tenancy <DbTenancy> as <db tenancy ocid>
 *     Endorse group [<domain>/]<group> to use database-connections in tenancy <DbTenancy>
 *     Admit any-user of tenancy <DbTenancy> to {GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT} in tenancy
 *   database's (destination) tenancy:
 *     Define tenancy <UserTenancy> as <user tenancy ocid>
 *     Define group <group> as <group ocid>
 *     Admit group <group> of tenancy <UserTenancy> to use database-connections in tenancy
 *     Endorse any-user to {GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT} in tenancy <UserTenancy>
 *
 * The second pair lets the databases read the users' group memberships.
 * Names are refused unless they fit the OCI name charset; a group with any
 * other name can be given by OCID.
 */

/**
 * What a database policy grants `use` on:
 *
 * - `autonomous-database-family`: Autonomous Databases (the form in the
 *   Autonomous Database documentation); it includes `database-connections`.
 * - `database-connections`: IAM token logins to any Oracle DBaaS database
 *   (the form in the Database Security Guide and the cross-tenancy pages).
 * - `database-family`: Base Database and Exadata resources.
 *
 * @example
 * ```ts
 * const resource: OciDatabaseResource = 'database-connections';
 * ```
 */
export type OciDatabaseResource = 'autonomous-database-family' | 'database-connections' | 'database-family';

const RESOURCES: readonly OciDatabaseResource[] = ['autonomous-database-family', 'database-connections', 'database-family'];

/**
 * Options of {@link ociDatabasePolicy}. Give `group` or `dynamicGroup`.
 *
 * @example
 * ```ts
 * const options: OciDatabasePolicyOptions = { group: 'DBUsers', domain: 'sales_domain', compartment: 'testing_compartment' };
 * ```
 */
export interface OciDatabasePolicyOptions {
  /** The IAM group whose members get db-tokens: a name, or its OCID (`ocid1.group...`). */
  group?: string | undefined;
  /** A dynamic group (instances, functions, ...): a name, or its OCID (`ocid1.dynamicgroup...`). */
  dynamicGroup?: string | undefined;
  /** The identity domain of a group given by name. Default: the Default domain. */
  domain?: string | undefined;
  /** What to allow `use` of. Default `autonomous-database-family`. */
  resource?: OciDatabaseResource | undefined;
  /**
   * Where: a compartment name, a path of names (`Parent:Child`), or a
   * compartment OCID. Default: the whole tenancy.
   */
  compartment?: string | undefined;
  /** Limit the policy to one database, by OCID (adds `where target.database.id = '...'`). */
  database?: string | undefined;
}

function resourceOf(value: unknown, fallback: OciDatabaseResource): OciDatabaseResource {
  if (value === undefined) return fallback;
  if (!RESOURCES.includes(value as OciDatabaseResource)) {
    throw new ConfigError('resource', `${shown(value)} is not a database resource type`, `use one of ${RESOURCES.join(', ')}`);
  }
  return value as OciDatabaseResource;
}

/** `[<domain>/]<name>` or `id <ocid>` for a group or dynamic group. */
function subjectName(field: string, value: unknown, type: 'group' | 'dynamicgroup', domain: unknown): string {
  const what = type === 'group' ? 'IAM group' : 'dynamic group';
  const text = requireText(field, value, `the ${what}'s name or OCID`);
  if (text.startsWith('ocid1.')) {
    const ocid = requireOcidOf(field, text, [type], what);
    if (domain !== undefined) throw new ConfigError('domain', `is not used with an ${what} OCID, which names it in any domain`, 'remove it');
    return `id ${ocid}`;
  }
  const name = ociName(field, text, `the ${what}'s name`, `give the ${what}'s OCID instead (ocid1.${type}.oc1..<id>)`);
  if (domain === undefined) return name;
  return `${ociName('domain', domain, 'the identity domain name', 'give the group by OCID instead')}/${name}`;
}

/** `tenancy`, `compartment <a:b>` or `compartment id <ocid>`. */
function location(value: unknown): string {
  if (value === undefined) return 'tenancy';
  const text = requireText('compartment', value, 'a compartment name, Parent:Child path, or compartment OCID');
  if (text.startsWith('ocid1.')) {
    const ocid = requireOcidOf('compartment', text, ['compartment', 'tenancy'], 'compartment');
    return parseOcid(ocid)!.type === 'tenancy' ? 'tenancy' : `compartment id ${ocid}`;
  }
  const path = text.split(':').map((part) =>
    ociName('compartment', part, 'a compartment name', 'give the compartment by OCID instead (ocid1.compartment.oc1..<id>)'),
  );
  return `compartment ${path.join(':')}`;
}

/**
 * The OCI IAM policy statement that lets a group (or dynamic group) get
 * db-tokens for the databases in a tenancy or compartment, or for one
 * database. Without it, IAM refuses `generateScopedAccessToken`. Returned as
 * an array of statements, ready for a policy's `statements`.
 *
 * @example
 * ```ts
 * import { ociDatabasePolicy } from 'dbtoken/provision';
 * ociDatabasePolicy({ group: 'DBUsers' });
 * // ['Allow group DBUsers to use autonomous-database-family in tenancy']
 * ociDatabasePolicy({ dynamicGroup: 'app_functions', resource: 'database-connections', compartment: 'prod:db' });
 * // ['Allow dynamic-group app_functions to use database-connections in compartment prod:db']
 * ```
 */
export function ociDatabasePolicy(options: OciDatabasePolicyOptions): string[] {
  const o = requireObject('options', options, '{ group or dynamicGroup, compartment?, resource?, database? }');
  if ((o.group === undefined) === (o.dynamicGroup === undefined)) {
    if (o.group === undefined) throw new ConfigError('group', 'is required', 'give group (users) or dynamicGroup (instances, functions)');
    throw new ConfigError('dynamicGroup', 'cannot be given together with group', 'write one policy for each');
  }
  const subject =
    o.group !== undefined
      ? `group ${subjectName('group', o.group, 'group', o.domain)}`
      : `dynamic-group ${subjectName('dynamicGroup', o.dynamicGroup, 'dynamicgroup', o.domain)}`;
  const resource = resourceOf(o.resource, 'autonomous-database-family');
  const where =
    o.database === undefined
      ? ''
      : ` where target.database.id = '${requireOcidOf('database', o.database, ['autonomousdatabase', 'database', 'pluggabledatabase'], 'database')}'`;
  return [`Allow ${subject} to use ${resource} in ${location(o.compartment)}${where}`];
}

/**
 * The kind of database resource principal that reads group memberships
 * across tenancies (`request.principal.type`).
 *
 * @example
 * ```ts
 * const type: OciDatabasePrincipalType = 'autonomousdatabase'; // Autonomous Database Serverless
 * ```
 */
export type OciDatabasePrincipalType = 'autonomousdatabase' | 'cloudautonomousvmcluster' | 'dbsystem' | 'cloudvmcluster' | 'vmcluster';

const ALIAS_FIX = "use a label of letters, digits, '.', '-' and '_', such as AcmeUsers";
const PRINCIPAL_TYPES: readonly OciDatabasePrincipalType[] = ['autonomousdatabase', 'cloudautonomousvmcluster', 'dbsystem', 'cloudvmcluster', 'vmcluster'];

/**
 * Options of {@link ociCrossTenancyPolicies}.
 *
 * @example
 * ```ts
 * const options: OciCrossTenancyPolicyOptions = {
 *   userTenancy: 'ocid1.tenancy.oc1..aaaaaaaausers',
 *   databaseTenancy: 'ocid1.tenancy.oc1..aaaaaaaadatabases',
 *   group: 'xt_db_users',
 *   groupOcid: 'ocid1.group.oc1..aaaaaaaaexample',
 *   domain: 'domainA',
 * };
 * ```
 */
export interface OciCrossTenancyPolicyOptions {
  /** The OCID of the tenancy the users (and their group) are in. */
  userTenancy: string;
  /** The OCID of the tenancy the databases are in. */
  databaseTenancy: string;
  /** The group's name in the users' tenancy. */
  group: string;
  /** The group's OCID, which the database tenancy needs for `Define group`. */
  groupOcid: string;
  /** The group's identity domain. Default: the Default domain. */
  domain?: string | undefined;
  /** What to endorse and admit `use` of. Default `database-connections`. */
  resource?: OciDatabaseResource | undefined;
  /** Admit the group to one compartment of the database tenancy instead of all of it (name, path or OCID). */
  compartment?: string | undefined;
  /**
   * Only databases of this type may read the users' group memberships (adds
   * `where request.principal.type = '...'` to the users' tenancy's `Admit`,
   * as the documentation recommends). Default: any principal of the database
   * tenancy, as in the documentation's first example.
   */
  databasePrincipalType?: OciDatabasePrincipalType | undefined;
  /** The label for the users' tenancy in the database tenancy's policy. Default `UserTenancy`. */
  userTenancyAlias?: string | undefined;
  /** The label for the database tenancy in the users' tenancy's policy. Default `DatabaseTenancy`. */
  databaseTenancyAlias?: string | undefined;
}

/**
 * The statements of {@link ociCrossTenancyPolicies}: one policy for each
 * tenancy, created in its root compartment.
 *
 * @example
 * ```ts
 * const { source, destination }: OciCrossTenancyPolicies = ociCrossTenancyPolicies(options);
 * // source: create in the users' tenancy; destination: create in the database's tenancy
 * ```
 */
export interface OciCrossTenancyPolicies {
  /** For the users' (source) tenancy: `Define`, `Endorse`, and the `Admit` that lets databases read group memberships. */
  readonly source: string[];
  /** For the database's (destination) tenancy: `Define`, `Admit`, and the matching `Endorse`. */
  readonly destination: string[];
}

/**
 * The cross-tenancy policies that let a group of one tenancy log in with
 * db-tokens to databases of another: the users' tenancy endorses its group
 * and admits the databases' group-membership queries; the database tenancy
 * admits the group and endorses those queries. Both must exist.
 *
 * @example
 * ```ts
 * import { ociCrossTenancyPolicies } from 'dbtoken/provision';
 * const { source, destination } = ociCrossTenancyPolicies({
 *   userTenancy: 'ocid1.tenancy.oc1..aaaaaaaausers',
 *   databaseTenancy: 'ocid1.tenancy.oc1..aaaaaaaadatabases',
 *   group: 'xt_db_users',
 *   groupOcid: 'ocid1.group.oc1..aaaaaaaaexample',
 * });
 * // source[1]:      'Endorse group xt_db_users to use database-connections in tenancy DatabaseTenancy'
 * // destination[2]: 'Admit group xt_db_users of tenancy UserTenancy to use database-connections in tenancy'
 * ```
 */
export function ociCrossTenancyPolicies(options: OciCrossTenancyPolicyOptions): OciCrossTenancyPolicies {
  const o = requireObject('options', options, '{ userTenancy, databaseTenancy, group, groupOcid }');
  const userTenancy = requireOcidOf('userTenancy', o.userTenancy, ['tenancy'], "users' tenancy");
  const dbTenancy = requireOcidOf('databaseTenancy', o.databaseTenancy, ['tenancy'], "databases' tenancy");
  if (userTenancy === dbTenancy) {
    throw new ConfigError('databaseTenancy', "is the users' tenancy", 'within one tenancy use ociDatabasePolicy() instead');
  }
  const group = ociName('group', o.group, "the group's name in the users' tenancy", "rename the group, or use one whose name fits: cross-tenancy policies name the group");
  const domain = o.domain === undefined ? undefined : ociName('domain', o.domain, 'the identity domain name', 'use a group of a domain whose name fits');
  const groupOcid = requireOcidOf('groupOcid', o.groupOcid, ['group'], 'IAM group');
  const resource = resourceOf(o.resource, 'database-connections');
  const userAlias = o.userTenancyAlias === undefined ? 'UserTenancy' : ociName('userTenancyAlias', o.userTenancyAlias, "a label for the users' tenancy", ALIAS_FIX);
  const dbAlias = o.databaseTenancyAlias === undefined ? 'DatabaseTenancy' : ociName('databaseTenancyAlias', o.databaseTenancyAlias, 'a label for the database tenancy', ALIAS_FIX);
  let where = '';
  if (o.databasePrincipalType !== undefined) {
    if (!PRINCIPAL_TYPES.includes(o.databasePrincipalType as OciDatabasePrincipalType)) {
      throw new ConfigError('databasePrincipalType', `${shown(o.databasePrincipalType)} is not a principal type`, `use one of ${PRINCIPAL_TYPES.join(', ')}`);
    }
    where = ` where request.principal.type = '${o.databasePrincipalType as string}'`;
  }
  const inspect = '{GROUP_MEMBERSHIP_INSPECT, AUTHENTICATION_INSPECT}';
  return {
    source: [
      `Define tenancy ${dbAlias} as ${dbTenancy}`,
      `Endorse group ${domain === undefined ? '' : `${domain}/`}${group} to use ${resource} in tenancy ${dbAlias}`,
      `Admit any-user of tenancy ${dbAlias} to ${inspect} in tenancy${where}`,
    ],
    destination: [
      `Define tenancy ${userAlias} as ${userTenancy}`,
      `Define group ${group} as ${groupOcid}`,
      `Admit group ${group} of tenancy ${userAlias} to use ${resource} in ${location(o.compartment)}`,
      `Endorse any-user to ${inspect} in tenancy ${userAlias}`,
    ],
  };
}

/**
 * The OCI IAM policy statement MySQL HeatWave needs before it accepts any
 * `authentication_oci` login: it lets HeatWave's authentication service
 * (`mysql_dp_auth`) check the signing keys and security tokens of IAM users
 * and read their group memberships (for group mappings). Create it once, in
 * the root compartment of the tenancy whose IAM users log in (MySQL HeatWave
 * Service, "Mandatory Policies and Permissions").
 *
 * @example
 * ```ts
 * import { heatwaveAuthPolicy } from 'dbtoken/provision';
 * heatwaveAuthPolicy();
 * // ['Allow service mysql_dp_auth to {AUTHENTICATION_INSPECT, GROUP_MEMBERSHIP_INSPECT, DYNAMIC_GROUP_INSPECT} in tenancy']
 * ```
 */
export function heatwaveAuthPolicy(): string[] {
  return ['Allow service mysql_dp_auth to {AUTHENTICATION_INSPECT, GROUP_MEMBERSHIP_INSPECT, DYNAMIC_GROUP_INSPECT} in tenancy'];
}
