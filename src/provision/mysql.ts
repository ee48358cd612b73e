import { ConfigError } from '../core/errors.js';
import { requireObject } from '../core/validation.js';
import { mysqlAccount, mysqlGrantTarget, optionalList, privilegeName } from './quote.js';

/*
 * Documented form produced here (Amazon RDS / Aurora User Guide, "Creating a
 * database account using IAM authentication", MariaDB and MySQL; REQUIRE SSL
 * from MySQL's CREATE USER grammar, which RDS accepts):
 *
 *   CREATE USER '<user>'@'<host>' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;
 *   GRANT <privileges> ON `<db>`.<table or *> TO '<user>'@'<host>';
 */

/** Words that would change a GRANT statement if they appeared in a privilege name. */
const RESERVED = ['ON', 'TO', 'WITH', 'AS', 'IDENTIFIED', 'REQUIRE', 'FROM', 'BY', 'PROXY'];

/**
 * One MySQL grant: privileges on a database, a table, or everything.
 *
 * `on` is `'orders.*'`, `'orders.items'` or `'*.*'`; the names are written
 * backtick-quoted. A grant covers the named database only: in a
 * database-level grant (`db.*`), where MySQL would read `_` and `%` as
 * wildcards, they are escaped: `'app_db.*'` is written `` `app\_db`.* ``,
 * which does not also cover `appXdb`. Write a wildcard grant by hand if you
 * mean one.
 *
 * @example
 * ```ts
 * const grant: MysqlGrant = { privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], on: 'orders.*' };
 * ```
 */
export interface MysqlGrant {
  /** Privilege names, such as `SELECT` or `EXECUTE`; `ALL PRIVILEGES` also works. */
  privileges: readonly string[];
  /** What the privileges are on: `'<database>.*'`, `'<database>.<table>'` or `'*.*'`. */
  on: string;
}

/** GRANT statements for `grants` (an option at `field`) to `account`. */
export function mysqlGrantStatements(field: string, value: unknown, account: string): string[] {
  return optionalList(field, value, "grants such as [{ privileges: ['SELECT'], on: 'orders.*' }]").map((g, i) => {
    const f = `${field}[${i}]`;
    const grant = requireObject(f, g, "{ privileges: ['SELECT'], on: 'orders.*' }");
    const list = optionalList(`${f}.privileges`, grant.privileges, "privilege names such as ['SELECT']");
    if (list.length === 0) {
      throw new ConfigError(`${f}.privileges`, 'is empty', "give at least one privilege, such as ['SELECT']");
    }
    const privileges = [...new Set(list.map((p, j) => privilegeName(`${f}.privileges[${j}]`, p, RESERVED, 'SELECT or EXECUTE')))];
    return `GRANT ${privileges.join(', ')} ON ${mysqlGrantTarget(`${f}.on`, grant.on)} TO ${account};`;
  });
}

/**
 * Options of {@link rdsMysqlUser}.
 *
 * MySQL account names are written as `'user'@'host'`. A name holding `'`,
 * `\`, NUL, an invisible character, or a lookalike of `'` or `\` (such as
 * the fullwidth `＇`) is refused rather than escaped: whether a backslash
 * escapes depends on the server's sql_mode.
 * User names hold at most 32 characters.
 *
 * @example
 * ```ts
 * const options: RdsMysqlUserOptions = { user: 'app', grants: [{ privileges: ['SELECT'], on: 'orders.*' }] };
 * ```
 */
export interface RdsMysqlUserOptions {
  /** The database user to create; IAM tokens are signed for this exact name. */
  user: string;
  /** The host part of the account. Default `'%'` (any host). */
  host?: string | undefined;
  /** Privileges to grant the new account. */
  grants?: readonly MysqlGrant[] | undefined;
}

/**
 * The statements that create an RDS or Aurora MySQL (or RDS MariaDB) user
 * that logs in with IAM tokens through `AWSAuthenticationPlugin`, over TLS
 * only (`REQUIRE SSL`), and grant it privileges. Run them as the master user.
 *
 * Throws a {@link ConfigError} naming the option (`user`, `host`,
 * `grants[0].on`, ...) for a name that cannot be quoted safely. Each grant
 * covers exactly the database it names (see {@link MysqlGrant}).
 *
 * @example
 * ```ts
 * import { rdsMysqlUser } from 'dbtoken/provision';
 * rdsMysqlUser({ user: 'app', grants: [{ privileges: ['SELECT', 'INSERT'], on: 'app_db.*' }] });
 * // ["CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;",
 * //  "GRANT SELECT, INSERT ON `app\\_db`.* TO 'app'@'%';"]
 * ```
 */
export function rdsMysqlUser(options: RdsMysqlUserOptions): string[] {
  const o = requireObject('options', options, '{ user, host?, grants? }');
  const account = mysqlAccount('user', o.user, 'host', o.host);
  return [
    `CREATE USER ${account} IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;`,
    ...mysqlGrantStatements('grants', o.grants, account),
  ];
}
