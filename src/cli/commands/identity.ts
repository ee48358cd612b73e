import { table } from '../format.js';

/**
 * "Who does the database say I am?": one query per kind of server, run on a
 * connection the caller opened. Each function takes only the one method it
 * calls, so a test can hand it a stand-in connection.
 */

/** PostgreSQL: the login role and whether this session is encrypted. */
export interface PgIdentity {
  readonly driver: 'pg';
  readonly sessionUser: string;
  /** From `pg_stat_ssl`; null when the server does not say. */
  readonly tls: boolean | null;
}

/** MySQL: who logged in, whose privileges the session has (a proxy user when they differ), and whether it is encrypted. */
export interface MysqlIdentity {
  readonly driver: 'mysql2';
  /** `USER()`: the name the client logged in with, and its host. */
  readonly user: string;
  /** `CURRENT_USER()`: the account whose privileges apply. */
  readonly currentUser: string;
  /** True when the user names differ: the login was mapped to a proxy user. */
  readonly proxied: boolean;
  /** From the session's `Ssl_cipher` status; null when the server does not say. */
  readonly tls: boolean | null;
}

/** Oracle Database: `sys_context('USERENV', ...)`. */
export interface OracleIdentity {
  readonly driver: 'oracledb';
  /** `TOKEN_GLOBAL` for an IAM db-token login. */
  readonly authenticationMethod: string | null;
  /** The IAM principal (user name or OCID) the token carried. */
  readonly authenticatedIdentity: string | null;
  /** The IAM identity's OCID. */
  readonly enterpriseIdentity: string | null;
  /** The database schema the session runs as (the shared or exclusive mapping). */
  readonly currentUser: string | null;
}

export type Identity = PgIdentity | MysqlIdentity | OracleIdentity;

export const PG_IDENTITY_SQL = 'select session_user, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl';
export const MYSQL_IDENTITY_SQL = 'SELECT USER(), CURRENT_USER()';
/** MySQL and MariaDB both answer it; `performance_schema` may be off and `information_schema` lacks it in MySQL 8. */
export const MYSQL_TLS_SQL = "SHOW SESSION STATUS LIKE 'Ssl_cipher'";
export const ORACLE_IDENTITY_SQL =
  "select sys_context('USERENV', 'AUTHENTICATION_METHOD') as authentication_method," +
  " sys_context('USERENV', 'AUTHENTICATED_IDENTITY') as authenticated_identity," +
  " sys_context('USERENV', 'ENTERPRISE_IDENTITY') as enterprise_identity," +
  " sys_context('USERENV', 'CURRENT_USER') as db_user" +
  ' from dual';

/** A pg client or pool client. */
export interface PgQueryable {
  query(sql: string): Promise<{ rows: unknown[] }>;
}

/** A mysql2 promise connection. */
export interface MysqlQueryable {
  query(options: { sql: string; timeout?: number }): Promise<[unknown, unknown]>;
}

/** A node-oracledb connection. */
export interface OracleExecutable {
  execute(sql: string): Promise<{ rows?: unknown[] }>;
}

/** The column values of the first row, whether the driver returns arrays or objects. */
function firstRow(rows: unknown, columns: readonly string[]): unknown[] {
  const row = Array.isArray(rows) ? rows[0] : undefined;
  if (row === undefined || row === null) throw new Error('the identity query returned no row');
  if (Array.isArray(row)) return row;
  const byName = row as Record<string, unknown>;
  const keys = Object.keys(byName);
  return columns.map((c, i) => {
    const k = keys.find((key) => key.toLowerCase() === c.toLowerCase()) ?? keys[i];
    return k === undefined ? null : byName[k];
  });
}

function text(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** The user part of MySQL's `name@host`. */
export function mysqlUserName(account: string): string {
  const at = account.lastIndexOf('@');
  return at < 0 ? account : account.slice(0, at);
}

export async function pgIdentity(client: PgQueryable): Promise<PgIdentity> {
  const { rows } = await client.query(PG_IDENTITY_SQL);
  const [user, ssl] = firstRow(rows, ['session_user', 'ssl']);
  return { driver: 'pg', sessionUser: String(user), tls: typeof ssl === 'boolean' ? ssl : null };
}

export async function mysqlIdentity(conn: MysqlQueryable, timeoutMs?: number): Promise<MysqlIdentity> {
  const timeout = timeoutMs !== undefined ? { timeout: timeoutMs } : {};
  const [rows] = await conn.query({ sql: MYSQL_IDENTITY_SQL, ...timeout });
  const [u, c] = firstRow(rows, ['USER()', 'CURRENT_USER()']);
  const user = String(u);
  const currentUser = String(c);
  return { driver: 'mysql2', user, currentUser, proxied: mysqlUserName(user) !== mysqlUserName(currentUser), tls: await mysqlTls(conn, timeout) };
}

/** Whether the server says the session is encrypted: an `Ssl_cipher` other than ''. */
async function mysqlTls(conn: MysqlQueryable, timeout: { timeout?: number }): Promise<boolean | null> {
  let rows: unknown;
  try {
    [rows] = await conn.query({ sql: MYSQL_TLS_SQL, ...timeout });
  } catch {
    // A server or proxy that refuses the statement: the identity is still worth printing.
    return null;
  }
  if (!Array.isArray(rows) || rows.length === 0) return null;
  const [, value] = firstRow(rows, ['Variable_name', 'Value']);
  return typeof value === 'string' ? value !== '' : null;
}

export async function oracleIdentity(conn: OracleExecutable): Promise<OracleIdentity> {
  const { rows } = await conn.execute(ORACLE_IDENTITY_SQL);
  const [method, identity, enterprise, current] = firstRow(rows, ['authentication_method', 'authenticated_identity', 'enterprise_identity', 'db_user']);
  return {
    driver: 'oracledb',
    authenticationMethod: text(method),
    authenticatedIdentity: text(identity),
    enterpriseIdentity: text(enterprise),
    currentUser: text(current),
  };
}

const orNone = (v: string | null): string => v ?? '(none)';
const yesNo = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'no');

/** What `whoami` prints. */
export function formatIdentity(id: Identity): string {
  switch (id.driver) {
    case 'pg':
      return table([
        ['session_user', id.sessionUser],
        ['tls', yesNo(id.tls)],
      ]);
    case 'mysql2':
      return table([
        ['user', id.user],
        ['current_user', id.currentUser],
        ['proxy', id.proxied ? `yes: ${mysqlUserName(id.user)} has the privileges of ${mysqlUserName(id.currentUser)}` : 'no'],
        ['tls', yesNo(id.tls)],
      ]);
    case 'oracledb':
      return table([
        ['authentication_method', orNone(id.authenticationMethod)],
        ['authenticated_identity', orNone(id.authenticatedIdentity)],
        ['enterprise_identity', orNone(id.enterpriseIdentity)],
        ['current_user', orNone(id.currentUser)],
      ]);
  }
}
