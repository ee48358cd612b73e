import { ConfigError } from '../core/errors.js';
import { describe, requireObject } from '../core/validation.js';
import { mysqlGrantStatements, type MysqlGrant } from './mysql.js';
import { mysqlAccount, mysqlHost, optionalList, requireOcidOf } from './quote.js';

/*
 * Documented forms produced here (MySQL HeatWave Service, "Connecting With a
 * Mapped MySQL User" and "Connecting With a Mapped Proxy User"):
 *
 *   CREATE USER '<user>'@'<host>' IDENTIFIED WITH 'authentication_oci'
 *     AS '{"tenancy": "<tenancy ocid>", "user": "<user ocid>"}';
 *
 *   CREATE USER '<proxied>'@'%' IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;
 *   CREATE USER ''@'<host>' IDENTIFIED WITH 'authentication_oci'
 *     AS '{"tenancy": "<tenancy ocid>", "group_mapping": {"<group ocid>": "<proxied>", ...}}';
 *   GRANT PROXY ON '<proxied>'@'%' TO ''@'<host>';
 *
 * The documentation creates proxied users with IDENTIFIED BY <password>
 * ACCOUNT LOCK; RANDOM PASSWORD (MySQL 8.0.18+) lets the server pick the
 * password, which validate_password requires even for a locked account and
 * which nobody ever uses. The OCIDs are checked, so they hold only
 * [a-z0-9.-] and are safe inside the JSON and the quoted string.
 */

/**
 * Options of {@link heatwaveUser}.
 *
 * @example
 * ```ts
 * const options: HeatwaveUserOptions = {
 *   user: 'alice',
 *   tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexample',
 *   iamUser: 'ocid1.user.oc1..aaaaaaaaexample',
 * };
 * ```
 */
export interface HeatwaveUserOptions {
  /** The MySQL user to create (at most 32 characters; no quotes or backslashes). */
  user: string;
  /** The host part of the account. Default `'%'`. */
  host?: string | undefined;
  /** The OCID of the tenancy the IAM user is in. */
  tenancy: string;
  /** The OCID of the IAM user (local, federated or provisioned) who logs in as `user`. */
  iamUser: string;
  /** Privileges to grant the new account. */
  grants?: readonly MysqlGrant[] | undefined;
}

/**
 * The statements that create a MySQL HeatWave user mapped to one OCI IAM
 * user through the `authentication_oci` plugin. The IAM user then logs in
 * with an API key or a security token (see `heatwaveOciToken()`).
 *
 * @example
 * ```ts
 * import { heatwaveUser } from 'dbtoken/provision';
 * heatwaveUser({ user: 'alice', tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexample', iamUser: 'ocid1.user.oc1..aaaaaaaaexample' });
 * // ['CREATE USER \'alice\'@\'%\' IDENTIFIED WITH \'authentication_oci\' AS \'{"tenancy": "ocid1.tenancy.oc1..aaaaaaaaexample", "user": "ocid1.user.oc1..aaaaaaaaexample"}\';']
 * ```
 */
export function heatwaveUser(options: HeatwaveUserOptions): string[] {
  const o = requireObject('options', options, '{ user, tenancy, iamUser, host?, grants? }');
  const account = mysqlAccount('user', o.user, 'host', o.host);
  const tenancy = requireOcidOf('tenancy', o.tenancy, ['tenancy'], 'tenancy the IAM user is in');
  const iamUser = requireOcidOf('iamUser', o.iamUser, ['user'], 'IAM user');
  return [
    `CREATE USER ${account} IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "${tenancy}", "user": "${iamUser}"}';`,
    ...mysqlGrantStatements('grants', o.grants, account),
  ];
}

/**
 * One IAM group mapped to one MySQL proxied user.
 *
 * @example
 * ```ts
 * const mapping: HeatwaveGroupMapping = {
 *   group: 'ocid1.group.oc1..aaaaaaaaexample',
 *   proxiedUser: 'app_readers',
 *   grants: [{ privileges: ['SELECT'], on: 'orders.*' }],
 * };
 * ```
 */
export interface HeatwaveGroupMapping {
  /** The OCID of the IAM group. */
  group: string;
  /** The MySQL user whose identity and privileges the group's members get (account `'<proxiedUser>'@'%'`). */
  proxiedUser: string;
  /** Privileges to grant the proxied user. */
  grants?: readonly MysqlGrant[] | undefined;
}

/**
 * Options of {@link heatwaveGroupMapping}.
 *
 * @example
 * ```ts
 * const options: HeatwaveGroupMappingOptions = {
 *   tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexample',
 *   groups: [{ group: 'ocid1.group.oc1..aaaaaaaaexample', proxiedUser: 'app_readers' }],
 * };
 * ```
 */
export interface HeatwaveGroupMappingOptions {
  /** The OCID of the tenancy the groups are in. */
  tenancy: string;
  /**
   * Every group to map. A DB system has one anonymous `''@'<host>'` account,
   * so all of its groups are mapped in one statement. When an IAM user is in
   * several mapped groups, HeatWave uses the first mapping that matches.
   */
  groups: readonly HeatwaveGroupMapping[];
  /** The host part of the anonymous account. Default `'%'`. */
  host?: string | undefined;
  /**
   * Whether to create the proxied users (locked, with a server-chosen
   * password they never use). Default `true`; pass `false` when they exist.
   */
  createProxiedUsers?: boolean | undefined;
}

/**
 * The statements that let every member of an OCI IAM group log in to MySQL
 * HeatWave as a proxied user: the proxied users (locked; they are only ever
 * assumed through the proxy), their grants, the anonymous
 * `authentication_oci` account holding the `group_mapping`, and `GRANT PROXY`.
 *
 * `CREATE USER ''@'%'` fails if the anonymous account already exists: drop
 * it, or change its mapping with `ALTER USER`.
 *
 * @example
 * ```ts
 * import { heatwaveGroupMapping } from 'dbtoken/provision';
 * heatwaveGroupMapping({
 *   tenancy: 'ocid1.tenancy.oc1..aaaaaaaaexample',
 *   groups: [{ group: 'ocid1.group.oc1..aaaaaaaaexample', proxiedUser: 'app_readers', grants: [{ privileges: ['SELECT'], on: 'orders.*' }] }],
 * });
 * // ["CREATE USER 'app_readers'@'%' IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;",
 * //  "GRANT SELECT ON `orders`.* TO 'app_readers'@'%';",
 * //  `CREATE USER ''@'%' IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "ocid1.tenancy.oc1..aaaaaaaaexample", "group_mapping": {"ocid1.group.oc1..aaaaaaaaexample": "app_readers"}}';`,
 * //  "GRANT PROXY ON 'app_readers'@'%' TO ''@'%';"]
 * ```
 */
export function heatwaveGroupMapping(options: HeatwaveGroupMappingOptions): string[] {
  const o = requireObject('options', options, '{ tenancy, groups: [{ group, proxiedUser }], host? }');
  const tenancy = requireOcidOf('tenancy', o.tenancy, ['tenancy'], 'tenancy the groups are in');
  const anonymous = `''@${mysqlHost('host', o.host)}`;
  if (o.createProxiedUsers !== undefined && typeof o.createProxiedUsers !== 'boolean') {
    throw new ConfigError('createProxiedUsers', `must be true or false, got ${describe(o.createProxiedUsers)}`, 'leave it out to create the proxied users, or pass false when they exist');
  }
  const groups = optionalList('groups', o.groups, "group mappings such as [{ group: 'ocid1.group.oc1..<id>', proxiedUser: 'app_readers' }]");
  if (groups.length === 0) {
    throw new ConfigError('groups', 'is required', "give at least one { group: 'ocid1.group.oc1..<id>', proxiedUser: 'app_readers' }");
  }
  const seen = new Set<string>();
  const proxied: { account: string; name: string; grants: string[] }[] = [];
  const mapping: string[] = [];
  groups.forEach((g, i) => {
    const f = `groups[${i}]`;
    const m = requireObject(f, g, "{ group: 'ocid1.group.oc1..<id>', proxiedUser: 'app_readers' }");
    const group = requireOcidOf(`${f}.group`, m.group, ['group'], 'IAM group');
    if (seen.has(group)) throw new ConfigError(`${f}.group`, 'is mapped twice', 'map each group once: a group maps to one proxied user');
    seen.add(group);
    const account = mysqlAccount(`${f}.proxiedUser`, m.proxiedUser, `${f}.proxiedUser`, '%');
    const name = m.proxiedUser as string;
    if (name.normalize('NFKC').includes('"')) {
      throw new ConfigError(`${f}.proxiedUser`, 'contains " (or a lookalike of it), which cannot go into the group_mapping JSON unescaped', 'use a name without quotes');
    }
    mapping.push(`"${group}": "${name}"`);
    if (!proxied.some((p) => p.name === name)) proxied.push({ account, name, grants: [] });
    proxied.find((p) => p.name === name)!.grants.push(...mysqlGrantStatements(`${f}.grants`, m.grants, account));
  });
  const out: string[] = [];
  for (const p of proxied) {
    if (o.createProxiedUsers !== false) out.push(`CREATE USER ${p.account} IDENTIFIED BY RANDOM PASSWORD ACCOUNT LOCK;`);
    out.push(...p.grants);
  }
  out.push(
    `CREATE USER ${anonymous} IDENTIFIED WITH 'authentication_oci' AS '{"tenancy": "${tenancy}", "group_mapping": {${mapping.join(', ')}}}';`,
    ...proxied.map((p) => `GRANT PROXY ON ${p.account} TO ${anonymous};`),
  );
  return out;
}
