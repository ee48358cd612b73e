import { ConfigError } from '../core/errors.js';
import { describe, GUID, requireObject } from '../core/validation.js';
import { mysqlGrantStatements, type MysqlGrant } from './mysql.js';
import { MYSQL_MAX_USER_CHARS, mysqlAccount, PG_MAX_NAME_BYTES, quoted, requireText } from './quote.js';

/*
 * Documented forms produced here (Microsoft Learn, "Manage Microsoft Entra
 * roles in Azure Database for PostgreSQL" and "Set up Microsoft Entra
 * authentication for Azure Database for MySQL - Flexible Server"):
 *
 *   select * from pgaadauth_create_principal('<roleName>', <isAdmin>, <isMfa>);
 *   select * from pgaadauth_create_principal_with_oid('<roleName>', '<objectId>', '<objectType>', <isAdmin>, <isMfa>);
 *
 * with objectType one of user, group, service; and
 *
 *   CREATE AADUSER '<name>';
 *   CREATE AADUSER '<name>' IDENTIFIED BY '<client or object id>';
 *
 * followed by GRANT ... TO '<name>'@'%' as for rdsMysqlUser.
 */


/** Control, format, separator characters and lone surrogates: nothing a name shows. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * A PostgreSQL string literal holding a role name, `'...'` with `'` doubled.
 * A backslash is refused: with `standard_conforming_strings` off (an old
 * setting a server may still have) it would escape the next character. NUL,
 * invisible characters and names PostgreSQL would truncate (over 63 bytes)
 * are refused as well: the role would not match the token's user.
 */
function pgRoleLiteral(field: string, value: unknown, what: string, tooLong: string): string {
  const name = requireText(field, value, what);
  let i = 0;
  for (const ch of name) {
    const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    if (INVISIBLE.test(ch)) {
      throw new ConfigError(field, `contains the invisible or control character ${code} at position ${i}`, 'pass the name exactly as Entra ID shows it');
    }
    // A backslash, or a character that a character-set conversion can turn into one or into a quote.
    const folded = ch.normalize('NFKC');
    if (ch === '\\' || (folded !== ch && /['\\]/.test(folded))) {
      throw new ConfigError(field, `contains ${code} (${ch}) at position ${i}, which a PostgreSQL string cannot hold safely`, 'use the name without backslashes or look-alikes of a quote or backslash');
    }
    i += ch.length;
  }
  if (name.trim() !== name) {
    throw new ConfigError(field, `${quoted(name)} has white space around it`, 'remove it (the role name would keep it, and match no Entra principal)');
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > PG_MAX_NAME_BYTES) {
    throw new ConfigError(field, `is ${bytes} bytes long, but PostgreSQL keeps only the first ${PG_MAX_NAME_BYTES} bytes of a role name`, tooLong);
  }
  return `'${name.replaceAll("'", "''")}'`;
}

/** An Entra object (or client) id: a GUID, written in lower case. */
function guid(field: string, value: unknown, what: string): string {
  const id = requireText(field, value, what);
  if (!GUID.test(id)) {
    throw new ConfigError(field, `${quoted(id)} is not a GUID (8-4-4-4-12 hexadecimal digits)`, `copy ${what} from the Azure portal or the az CLI`);
  }
  return id.toLowerCase();
}

/** The kinds of Entra principal a PostgreSQL role can stand for. */
const PG_KINDS = ['user', 'group', 'service'] as const;

/**
 * Options of {@link azurePostgresPrincipal}.
 *
 * @example
 * ```ts
 * const user: AzurePostgresPrincipalOptions = { name: 'ada@contoso.com', kind: 'user' };
 * const app: AzurePostgresPrincipalOptions = { name: 'orders-api', kind: 'service', objectId: '66666666-7777-4888-8999-aaaaaaaaaaaa' };
 * ```
 */
export interface AzurePostgresPrincipalOptions {
  /**
   * The role to create. For a user or group made by name: the user's UPN
   * (case-sensitive) or the group's display name, which Entra ID must know.
   * With `objectId`: any name, such as `orders-api`, which tokens of that
   * principal then log in as. At most 63 bytes.
   */
  name: string;
  /** `'user'`, `'group'`, or `'service'` (a service principal or managed identity). */
  kind: 'user' | 'group' | 'service';
  /**
   * The principal's Entra object id (a GUID): the role is bound to it
   * (`pgaadauth_create_principal_with_oid`), so the role name is free and a
   * rename in Entra ID does not break it. Required for `'service'`. For a
   * managed identity, its object (principal) id, not its client id.
   */
  objectId?: string | undefined;
  /** `true` to make the role an Entra admin of the server (`isAdmin`). Default `false`. */
  admin?: boolean | undefined;
}

/**
 * The statement that creates an Azure Database for PostgreSQL (flexible
 * server) role for a Microsoft Entra principal, run as an Entra admin while
 * connected to the `postgres` database: `pgaadauth_create_principal` for a
 * user or group by name, or `pgaadauth_create_principal_with_oid` bound to
 * its object id (required for a service principal or managed identity). MFA
 * is not required of the role (`isMfa` false): tokens of service principals
 * carry no MFA claim. `azureEntraToken({ username: name })` then logs in as
 * it (for a user made by name, its UPN is the default username).
 *
 * The name is a string literal, `'` doubled; a backslash, an invisible
 * character, white space around it or more than 63 bytes is refused.
 * Throws a `ConfigError` naming the option (`name`, `kind`, `objectId`,
 * `admin`).
 *
 * @example
 * ```ts
 * import { azurePostgresPrincipal } from 'dbtoken/provision';
 * azurePostgresPrincipal({ name: 'ada@contoso.com', kind: 'user' });
 * // ["SELECT * FROM pgaadauth_create_principal('ada@contoso.com', false, false);"]
 * azurePostgresPrincipal({ name: 'orders-api', kind: 'service', objectId: '66666666-7777-4888-8999-aaaaaaaaaaaa' });
 * // ["SELECT * FROM pgaadauth_create_principal_with_oid('orders-api', '66666666-7777-4888-8999-aaaaaaaaaaaa', 'service', false, false);"]
 * ```
 */
export function azurePostgresPrincipal(options: AzurePostgresPrincipalOptions): string[] {
  const o = requireObject('options', options, "{ name, kind: 'user' | 'group' | 'service', objectId?, admin? }");
  if (!(PG_KINDS as readonly unknown[]).includes(o.kind)) {
    throw new ConfigError('kind', `must be 'user', 'group' or 'service', got ${typeof o.kind === 'string' ? quoted(o.kind) : describe(o.kind)}`, "pass kind: 'service' for a service principal or managed identity");
  }
  const kind = o.kind as AzurePostgresPrincipalOptions['kind'];
  if (o.admin !== undefined && typeof o.admin !== 'boolean') {
    throw new ConfigError('admin', `must be true or false, got ${describe(o.admin)}`, 'pass admin: true for an Entra admin of the server, or leave it out');
  }
  const admin = o.admin === true;
  const byOid = o.objectId !== undefined;
  const name = pgRoleLiteral(
    'name',
    o.name,
    kind === 'user' ? "the user's UPN, such as ada@contoso.com" : kind === 'group' ? "the group's display name" : 'the role name, such as orders-api',
    byOid ? 'use a shorter role name: bound to the object id, it need not be the principal\'s name' : "bind a shorter role name to the principal's object id instead",
  );
  if (!byOid) {
    if (kind === 'service') {
      throw new ConfigError('objectId', 'is required for a service principal or managed identity', "give its object (principal) id: az ad sp show --id <client id> --query id, or the identity's principalId");
    }
    return [`SELECT * FROM pgaadauth_create_principal(${name}, ${admin}, false);`];
  }
  const oid = guid('objectId', o.objectId, `the ${kind === 'service' ? 'service principal' : kind}'s object id`);
  return [`SELECT * FROM pgaadauth_create_principal_with_oid(${name}, '${oid}', '${kind}', ${admin}, false);`];
}

/**
 * Options of {@link azureMysqlUser}.
 *
 * @example
 * ```ts
 * const options: AzureMysqlUserOptions = {
 *   name: 'orders-api',
 *   objectId: '12121212-3434-4565-8787-909090909090',
 *   grants: [{ privileges: ['SELECT', 'INSERT'], on: 'orders.*' }],
 * };
 * ```
 */
export interface AzureMysqlUserOptions {
  /**
   * The MySQL user to create: an Entra user's UPN or a group's display
   * name, which Entra ID must know; with `objectId`, any name, such as
   * `orders-api`. At most 32 characters.
   */
  name: string;
  /**
   * The id the user is bound to (`IDENTIFIED BY`): for a managed identity
   * or service principal, its client (application) id, as Microsoft's
   * examples show; its object id is accepted as well. A GUID.
   */
  objectId?: string | undefined;
  /** Privileges to grant the new user, as for `rdsMysqlUser`. */
  grants?: readonly MysqlGrant[] | undefined;
}

/**
 * The statements that create an Azure Database for MySQL (flexible server)
 * user for a Microsoft Entra principal, run as the server's Entra admin:
 * `CREATE AADUSER '<name>'` for a user or group by name, or
 * `CREATE AADUSER '<name>' IDENTIFIED BY '<id>'` bound to a managed
 * identity's or service principal's id; then a GRANT per grant, to
 * `'<name>'@'%'`. `azureEntraToken({ username: name })` then logs in as it.
 *
 * The name is quoted as MySQL account names are (see `rdsMysqlUser`): a
 * quote, backslash or invisible character is refused, and so is a name
 * over 32 characters, MySQL's limit (create a long UPN under a shorter
 * alias by hand: `CREATE AADUSER '<UPN>' AS '<alias>'`). Throws a
 * `ConfigError` naming the option (`name`, `objectId`, `grants[0].on`, ...).
 *
 * @example
 * ```ts
 * import { azureMysqlUser } from 'dbtoken/provision';
 * azureMysqlUser({ name: 'orders-api', objectId: '12121212-3434-4565-8787-909090909090', grants: [{ privileges: ['SELECT'], on: 'orders.*' }] });
 * // ["CREATE AADUSER 'orders-api' IDENTIFIED BY '12121212-3434-4565-8787-909090909090';",
 * //  "GRANT SELECT ON `orders`.* TO 'orders-api'@'%';"]
 * ```
 */
export function azureMysqlUser(options: AzureMysqlUserOptions): string[] {
  const o = requireObject('options', options, '{ name, objectId?, grants? }');
  const name = requireText('name', o.name, "the user's UPN, the group's name, or (with objectId) a name for the identity, such as orders-api");
  const chars = [...name].length;
  if (chars > MYSQL_MAX_USER_CHARS) {
    throw new ConfigError(
      'name',
      `is ${chars} characters long, but a MySQL user name holds at most ${MYSQL_MAX_USER_CHARS}`,
      o.objectId === undefined ? "create it under a shorter alias by hand, CREATE AADUSER '<UPN>' AS '<alias>', and log in as the alias" : 'use a shorter name: bound to the id, it need not be the identity\'s name',
    );
  }
  const account = mysqlAccount('name', name, 'host', undefined);
  const user = account.slice(0, account.lastIndexOf('@'));
  const create = o.objectId === undefined ? `CREATE AADUSER ${user};` : `CREATE AADUSER ${user} IDENTIFIED BY '${guid('objectId', o.objectId, "the identity's client id (or object id)")}';`;
  return [create, ...mysqlGrantStatements('grants', o.grants, account)];
}
