import { ConfigError } from '../core/errors.js';
import { requireObject } from '../core/validation.js';
import { parseOcid } from '../sources/oci/scope.js';
import { optionalList, oracleIamName, oracleIdent, privilegeName, requireOcidOf, requireText } from './quote.js';

/*
 * Documented forms produced here (Oracle Database Security Guide, "Authenticating
 * and Authorizing IAM Users for Oracle DBaaS Databases", and the Autonomous
 * Database pages "Add IAM Users" / "Add IAM Roles" / "Accessing a Database
 * Cross-Tenancy Using an IAM Integration"):
 *
 *   CREATE USER <user> IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=[<domain>/]<group>';        shared
 *   CREATE USER <user> IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=[<domain>/]<name>';     exclusive
 *   CREATE USER <user> IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_OCID=<principal ocid>';      exclusive
 *   CREATE ROLE <role> IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=[<domain>/]<group>';
 *   cross-tenancy: the group or principal name is prefixed with '<tenancy ocid>:'
 *   GRANT CREATE SESSION TO <user>;
 *
 * Identifiers are always written double-quoted (so reserved words and any
 * casing are safe); see oracleIdent() in quote.ts for the casing rule.
 */

/** Words that would change a GRANT statement if they appeared in a privilege name. */
const RESERVED = ['TO', 'ON', 'IDENTIFIED', 'BY', 'WITH', 'FROM', 'CONTAINER'];

/**
 * Options of {@link oracleGlobalUser}. Give exactly one of `iamGroup`,
 * `iamPrincipal` or `iamPrincipalOcid`.
 *
 * Names: `user` and `roles` are Oracle identifiers, written double-quoted. A
 * name Oracle would take unquoted (`sales_app`) is uppercased, the way
 * `CREATE USER sales_app` stores it (`"SALES_APP"`); any other name
 * (`sales-app`) is kept exactly as written, and is then case-sensitive.
 *
 * @example
 * ```ts
 * const shared: OracleGlobalUserOptions = { user: 'sales_app', iamGroup: 'db_sales_group', domain: 'sales_domain' };
 * const exclusive: OracleGlobalUserOptions = { user: 'peter', iamPrincipal: 'peter.fitch@example.com' };
 * ```
 */
export interface OracleGlobalUserOptions {
  /** The database user (schema) to create, such as `sales_app`. At most 128 bytes. */
  user: string;
  /** Shared mapping: every member of this IAM group (or dynamic group) logs in as `user`. */
  iamGroup?: string | undefined;
  /** Exclusive mapping: this one IAM user logs in as `user`. */
  iamPrincipal?: string | undefined;
  /**
   * Exclusive mapping by OCID: a user, or an instance or resource principal
   * (`ocid1.instance...`, `ocid1.fnfunc...`). An OCID is unique in every
   * tenancy and domain, so `domain` and `tenancy` are not used with it.
   */
  iamPrincipalOcid?: string | undefined;
  /** The identity domain of the group or principal. Default: the Default domain (no prefix). */
  domain?: string | undefined;
  /**
   * Cross-tenancy: the OCID of the tenancy the group or principal lives in,
   * when that is not the database's tenancy. Written as `<tenancy OCID>:` in
   * front of the name.
   */
  tenancy?: string | undefined;
  /**
   * System privileges to grant besides `CREATE SESSION` (always granted), such
   * as `CREATE TABLE`. Object privileges (`SELECT ON ...`) are yours to grant.
   */
  privileges?: readonly string[] | undefined;
  /** Roles to grant, such as `DWROLE` (Oracle identifiers, same casing rule as `user`). */
  roles?: readonly string[] | undefined;
}

/**
 * Options of {@link oracleGlobalRole}.
 *
 * @example
 * ```ts
 * const options: OracleGlobalRoleOptions = { role: 'export_role', iamGroup: 'ExporterGroup', privileges: ['SELECT ANY TABLE'] };
 * ```
 */
export interface OracleGlobalRoleOptions {
  /** The database role to create (an Oracle identifier, casing as for users). */
  role: string;
  /** The IAM group whose members get the role when they log in. */
  iamGroup: string;
  /** The identity domain of the group. Default: the Default domain. */
  domain?: string | undefined;
  /** Cross-tenancy: the OCID of the tenancy the group lives in. */
  tenancy?: string | undefined;
  /** System privileges to grant to the role. */
  privileges?: readonly string[] | undefined;
  /** Roles to grant to the role. */
  roles?: readonly string[] | undefined;
}

/** OCID types that name no principal: mapping one of them can never log anyone in. */
const NOT_PRINCIPALS = new Map<string, string>(Object.entries({
  group: 'map a group by name with iamGroup',
  dynamicgroup: 'map a dynamic group by name with iamGroup',
  tenancy: 'give the OCID of a user, instance or resource',
  compartment: 'give the OCID of a user, instance or resource',
  domain: 'give the OCID of a user, instance or resource',
  policy: 'give the OCID of a user, instance or resource',
  autonomousdatabase: 'give the OCID of the user or resource that logs in, not the database',
  database: 'give the OCID of the user or resource that logs in, not the database',
  pluggabledatabase: 'give the OCID of the user or resource that logs in, not the database',
}));

/** The OCID of a user or of an instance or resource principal. */
function principalOcid(value: unknown): string {
  const field = 'iamPrincipalOcid';
  const ocid = requireText(field, value, 'the OCID of an IAM user or of an instance or resource principal (ocid1.user.oc1..<id>)');
  const parsed = parseOcid(ocid);
  if (parsed === undefined) {
    throw new ConfigError(field, 'is not an OCID', 'it should look like ocid1.user.oc1..<id> or ocid1.instance.oc1.<region>.<id>');
  }
  const fix = NOT_PRINCIPALS.get(parsed.type);
  if (fix !== undefined) throw new ConfigError(field, `is the OCID of a ${parsed.type}, which cannot log in`, fix);
  return ocid;
}

/** `[<tenancy ocid>:][<domain>/]<name>`, each part checked. */
function iamName(o: Record<string, unknown>, field: string, what: string): string {
  const name = oracleIamName(field, o[field], what);
  const domain = o.domain === undefined ? undefined : oracleIamName('domain', o.domain, 'the identity domain name, such as sales_domain');
  const tenancy = o.tenancy === undefined ? undefined : requireOcidOf('tenancy', o.tenancy, ['tenancy'], 'tenancy the IAM identity is in');
  return `${tenancy === undefined ? '' : `${tenancy}:`}${domain === undefined ? '' : `${domain}/`}${name}`;
}

/** The GRANT statements for `privileges` and `roles`, each list in one statement. */
function grants(o: Record<string, unknown>, grantee: string, always: readonly string[]): string[] {
  const privileges = [...always];
  optionalList('privileges', o.privileges, "system privileges such as ['CREATE TABLE']").forEach((p, i) => {
    const name = privilegeName(`privileges[${i}]`, p, RESERVED, 'CREATE TABLE or SELECT ANY TABLE');
    if (!privileges.includes(name)) privileges.push(name);
  });
  const roles = optionalList('roles', o.roles, "roles such as ['DWROLE']").map((r, i) =>
    oracleIdent(`roles[${i}]`, r, 'a role name, such as DWROLE'),
  );
  const out: string[] = [];
  if (privileges.length > 0) out.push(`GRANT ${privileges.join(', ')} TO ${grantee};`);
  if (roles.length > 0) out.push(`GRANT ${[...new Set(roles)].join(', ')} TO ${grantee};`);
  return out;
}

/**
 * The statements that create an Oracle Database global user (Autonomous
 * Database, Base Database, Exadata) mapped to OCI IAM, and grant it
 * `CREATE SESSION`. Run them as ADMIN once the database uses OCI IAM
 * (`DBMS_CLOUD_ADMIN.ENABLE_EXTERNAL_AUTHENTICATION`, or
 * `identity_provider_type=OCI_IAM`).
 *
 * - `iamGroup`: a shared user for every member of the group (or dynamic group,
 *   for instance and resource principals).
 * - `iamPrincipal` / `iamPrincipalOcid`: an exclusive user for one identity.
 *
 * Throws a {@link ConfigError} naming the option when a name would not fit
 * its quotes, an OCID has the wrong type, or the mapping is ambiguous.
 *
 * @example
 * ```ts
 * import { oracleGlobalUser } from 'dbtoken/provision';
 * oracleGlobalUser({ user: 'sales_group', iamGroup: 'db_sales_group' });
 * // ['CREATE USER "SALES_GROUP" IDENTIFIED GLOBALLY AS \'IAM_GROUP_NAME=db_sales_group\';',
 * //  'GRANT CREATE SESSION TO "SALES_GROUP";']
 * oracleGlobalUser({ user: 'peter', iamPrincipal: 'peterfitch', domain: 'sales_domain', tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexample' });
 * // ['CREATE USER "PETER" IDENTIFIED GLOBALLY AS \'IAM_PRINCIPAL_NAME=ocid1.tenancy.oc1..aaaaaaaaexample:sales_domain/peterfitch\';', ...]
 * ```
 */
export function oracleGlobalUser(options: OracleGlobalUserOptions): string[] {
  const o = requireObject('options', options, "{ user, and one of iamGroup, iamPrincipal, iamPrincipalOcid }");
  const user = oracleIdent('user', o.user, 'the database user to create, such as sales_app');
  const given = (['iamGroup', 'iamPrincipal', 'iamPrincipalOcid'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    if (given.length === 0) {
      throw new ConfigError('iamGroup', 'is required', 'give iamGroup (shared user for a group), iamPrincipal (one IAM user by name) or iamPrincipalOcid (one principal by OCID)');
    }
    throw new ConfigError(given[1]!, `cannot be given together with ${given[0]}`, 'give only one: a global user maps exactly one IAM group or principal');
  }
  let mapping: string;
  if (given[0] === 'iamPrincipalOcid') {
    for (const k of ['domain', 'tenancy'] as const) {
      if (o[k] !== undefined) {
        throw new ConfigError(k, 'is not used with iamPrincipalOcid: an OCID already names the principal in its tenancy and domain', 'remove it');
      }
    }
    mapping = `IAM_PRINCIPAL_OCID=${principalOcid(o.iamPrincipalOcid)}`;
  } else if (given[0] === 'iamGroup') {
    mapping = `IAM_GROUP_NAME=${iamName(o, 'iamGroup', 'the IAM group or dynamic group name, such as db_sales_group')}`;
  } else {
    mapping = `IAM_PRINCIPAL_NAME=${iamName(o, 'iamPrincipal', 'the IAM user name, such as peter.fitch@example.com')}`;
  }
  return [`CREATE USER ${user} IDENTIFIED GLOBALLY AS '${mapping}';`, ...grants(o, user, ['CREATE SESSION'])];
}

/**
 * The statements that create an Oracle Database global role mapped to an
 * IAM group: members of the group get the role's privileges on top of those
 * of the user they log in as. Optional grants go to the role.
 *
 * @example
 * ```ts
 * import { oracleGlobalRole } from 'dbtoken/provision';
 * oracleGlobalRole({ role: 'export_role', iamGroup: 'ExporterGroup', domain: 'sales_domain', roles: ['DATAPUMP_CLOUD_EXP'] });
 * // ['CREATE ROLE "EXPORT_ROLE" IDENTIFIED GLOBALLY AS \'IAM_GROUP_NAME=sales_domain/ExporterGroup\';',
 * //  'GRANT "DATAPUMP_CLOUD_EXP" TO "EXPORT_ROLE";']
 * ```
 */
export function oracleGlobalRole(options: OracleGlobalRoleOptions): string[] {
  const o = requireObject('options', options, '{ role, iamGroup }');
  const role = oracleIdent('role', o.role, 'the database role to create, such as export_role');
  const mapping = `IAM_GROUP_NAME=${iamName(o, 'iamGroup', 'the IAM group name, such as ExporterGroup')}`;
  return [`CREATE ROLE ${role} IDENTIFIED GLOBALLY AS '${mapping}';`, ...grants(o, role, [])];
}
