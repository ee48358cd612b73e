/**
 * Internal: the superuser's SQL client of the verifying servers (`admin()`), over the server's local
 * socket, through the driver the user's tests already have: pg or postgres.js for PostgreSQL, mysql2
 * for MariaDB. The driver is loaded when a server starts, so importing `dbtoken/testing` loads none.
 * Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { loadMysql2, loadPg, loadPostgres } from '../../adapters/load-driver.js';
import { ConfigError } from '../core/errors.js';

/** Runs one SQL text at `endpoint` and resolves to the rows of its (last) statement. @internal */
export type SqlRunner = (endpoint: LocalEndpoint, sql: string, values?: readonly unknown[]) => Promise<Record<string, any>[]>;

/** Where the superuser connects. @internal */
export interface LocalEndpoint {
  /** The folder (PostgreSQL) or file (MariaDB) of the server's Unix socket. */
  readonly socket: string;
  readonly port: number;
  readonly user: string;
  readonly database?: string | undefined;
}

/** A driver that is not installed: the loaders' ConfigError (anything else, such as a broken install, is thrown as it is). */
const notInstalled = (err: unknown): boolean => err instanceof ConfigError;

interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, any>[] } | { rows: Record<string, any>[] }[]>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}
type PgModule = { Client: new (config: Record<string, unknown>) => PgClient };
type PostgresSql = { unsafe(sql: string, values?: unknown[]): Promise<Record<string, any>[]>; end(): Promise<void> };
type PostgresModule = (config: Record<string, unknown>) => PostgresSql;

/**
 * A PostgreSQL runner through pg, or postgres.js when pg is not installed. Each call opens and closes
 * its own connection, so nothing stays open between calls.
 *
 * @internal
 */
export async function postgresRunner(): Promise<SqlRunner> {
  let pg: PgModule | undefined;
  try {
    pg = (await loadPg()) as unknown as PgModule;
  } catch (err) {
    if (!notInstalled(err)) throw err;
  }
  if (pg) {
    const { Client } = pg;
    return async (e, sql, values) => {
      const client = new Client({ host: e.socket, port: e.port, user: e.user, database: e.database });
      client.on('error', () => {});
      await client.connect();
      try {
        const result = await client.query(sql, values ? [...values] : undefined);
        return (Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? [];
      } finally {
        await client.end();
      }
    };
  }
  let postgres: PostgresModule;
  try {
    postgres = (await loadPostgres()) as unknown as PostgresModule;
  } catch (err) {
    if (!notInstalled(err)) throw err;
    throw new ConfigError('admin', 'needs pg or postgres (postgres.js) to run SQL on the verifying PostgreSQL, and neither is installed', 'npm install pg', { cause: err });
  }
  return async (e, sql, values) => {
    const client = postgres({ host: e.socket, port: e.port, user: e.user, database: e.database, max: 1, onnotice: () => {} });
    try {
      return [...(await client.unsafe(sql, values ? [...values] : undefined))];
    } finally {
      await client.end();
    }
  };
}

interface MysqlConnection {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
  destroy(): void;
}
type Mysql2Module = { createConnection(config: Record<string, unknown>): Promise<MysqlConnection> };

/**
 * A MariaDB runner through mysql2. Each call opens and closes its own connection.
 *
 * @internal
 */
export async function mariadbRunner(): Promise<SqlRunner> {
  let mysql: Mysql2Module;
  try {
    mysql = (await loadMysql2()) as unknown as Mysql2Module;
  } catch (err) {
    if (!notInstalled(err)) throw err;
    throw new ConfigError('admin', 'needs mysql2 to run SQL on the verifying MariaDB, and it is not installed', 'npm install mysql2', { cause: err });
  }
  const open = async (e: Parameters<SqlRunner>[0]): Promise<MysqlConnection> => {
    // Root has MariaDB's one connection past max_connections; a refused connection holds it for a moment
    // while the server lets it go, so "Too many connections" is asked again, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await mysql.createConnection({ socketPath: e.socket, user: e.user, ...(e.database ? { database: e.database } : {}) });
      } catch (err) {
        if ((err as { errno?: unknown } | null)?.errno !== 1040 || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  return async (e, sql, values) => {
    const c = await open(e);
    try {
      const [rows] = await c.query(sql, values ? [...values] : undefined);
      return Array.isArray(rows) ? (rows as Record<string, any>[]) : [];
    } finally {
      await c.end().catch(() => c.destroy());
    }
  };
}
