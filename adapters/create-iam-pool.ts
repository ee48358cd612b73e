import { ConfigError } from '../src/core/errors.js';
import { awaitsUser } from '../src/core/provider.js';
import { describe } from '../src/core/validation.js';
import { loadMysql2, loadOracledb, loadPg, loadPgConnectionString, loadPostgres } from './load-driver.js';
// Types only: each adapter is loaded with its driver, below.
import type { Mysql2IamPoolConfig, Mysql2Pool } from './mysql2.js';
import type { OracledbIamPoolAttributes, OracledbPool } from './oracledb.js';
import type { PgIamPoolConfig, PgPool } from './pg.js';
import type { PostgresJsIamOptions, PostgresJsSql } from './postgres.js';
import { requireProvider } from './preamble.js';

/** Stands in for pg's parser when there is no connection string to read. */
const noConnectionString = (): never => {
  throw new Error('no connection string to parse');
};

/**
 * How {@link createIamPool} opens each driver's pool: only then does it load
 * the driver package (see load-driver.ts) and the adapter's pool opener
 * (open/), which takes the driver as an argument and so imports none.
 */
const DRIVERS: { [D in IamPoolDriver]: (options: any) => Promise<IamPools[D]> } = {
  pg: async (o) => {
    const pg = await loadPg();
    // The parser is pg's dependency, not the app's: load it only for a connection string (pg then reads nothing else of it).
    const parse = o?.connectionString === undefined ? noConnectionString : await loadPgConnectionString();
    return (await import('./open/pg.js')).createPgPoolWith(pg, o, parse);
  },
  postgres: async (o) => (await import('./open/postgres.js')).createPostgresJsWith(await loadPostgres(), o),
  mysql2: async (o) => (await import('./open/mysql2.js')).createMysql2PoolWith(await loadMysql2(), o),
  oracledb: async (o) => (await import('./open/oracledb.js')).createOracledbPoolWith(await loadOracledb(), o),
};

/**
 * A driver name accepted by {@link createIamPool}.
 *
 * @example
 * ```ts
 * const driver: IamPoolDriver = 'pg'; // or 'postgres', 'mysql2', 'oracledb': that package must be installed
 * const pool = await createIamPool({ driver, token, database: 'orders', ssl: { ca: rdsCaBundle } });
 * ```
 */
export type IamPoolDriver = 'pg' | 'postgres' | 'mysql2' | 'oracledb';

/**
 * Options of {@link createIamPool} for `driver: 'pg'`: pg's pool options plus the token provider.
 *
 * @example
 * ```ts
 * const options: PgIamPoolOptions = {
 *   driver: 'pg', database: 'orders', ssl: { ca: rdsCaBundle },
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 * };
 * const pool = await createIamPool(options); // a pg.Pool
 * ```
 */
export interface PgIamPoolOptions extends PgIamPoolConfig {
  /** Selects node-postgres; the `pg` package must be installed. */
  driver: 'pg';
}

/**
 * Options of {@link createIamPool} for `driver: 'postgres'`: postgres.js's options plus the token provider.
 *
 * @example
 * ```ts
 * const options: PostgresIamPoolOptions = {
 *   driver: 'postgres', database: 'orders', ssl: { ca: rdsCaBundle },
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 * };
 * const sql = await createIamPool(options); // postgres.js's sql
 * ```
 */
export interface PostgresIamPoolOptions extends PostgresJsIamOptions {
  /** Selects postgres.js; the `postgres` package must be installed. */
  driver: 'postgres';
}

/**
 * Options of {@link createIamPool} for `driver: 'mysql2'`: mysql2's pool options plus the token provider.
 *
 * @example
 * ```ts
 * const options: Mysql2IamPoolOptions = {
 *   driver: 'mysql2', database: 'orders', ssl: { ca: rdsCaBundle },
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', port: 3306, username: 'app' }),
 * };
 * const pool = await createIamPool(options); // a mysql2/promise Pool
 * ```
 */
export interface Mysql2IamPoolOptions extends Mysql2IamPoolConfig {
  /** Selects mysql2 (promise API); the `mysql2` package must be installed. */
  driver: 'mysql2';
}

/**
 * Options of {@link createIamPool} for `driver: 'oracledb'`: node-oracledb's pool attributes plus the token provider.
 *
 * @example
 * ```ts
 * const options: OracledbIamPoolOptions = {
 *   driver: 'oracledb',
 *   token: ociDbToken({ scope: ociScope.all() }),
 *   connectString: 'tcps://adb.eu-frankfurt-1.oraclecloud.com:1522/g1234_mydb_high.adb.oraclecloud.com',
 * };
 * const pool = await createIamPool(options); // an oracledb.Pool
 * ```
 */
export interface OracledbIamPoolOptions extends OracledbIamPoolAttributes {
  /** Selects node-oracledb (thin mode); the `oracledb` package must be installed. */
  driver: 'oracledb';
}

/**
 * The pool {@link createIamPool} resolves to, for each driver: the driver's
 * own. A driver whose types are not installed (`@types/pg`,
 * `@types/oracledb`; mysql2 and postgres.js ship theirs) has `any` here.
 *
 * @example
 * ```ts
 * const pools: IamPools['pg'][] = []; // pg.Pool[]
 * pools.push(await createIamPool({ driver: 'pg', token, database: 'orders', ssl: { ca: rdsCaBundle } }));
 * ```
 */
export interface IamPools {
  /** node-postgres: a `pg.Pool`. */
  pg: PgPool;
  /** postgres.js: its `sql` function. */
  postgres: PostgresJsSql;
  /** mysql2: a `mysql2/promise` `Pool`. */
  mysql2: Mysql2Pool;
  /** node-oracledb: an `oracledb.Pool`. */
  oracledb: OracledbPool;
}

/**
 * Options of {@link createIamPool}: `driver`, `token`, and the driver's own
 * pool options. `IamPoolOptions<'pg'>` is one driver's; plain `IamPoolOptions`
 * is any driver's.
 *
 * @example
 * ```ts
 * const options: IamPoolOptions<'pg'> = { driver: 'pg', token, host: 'db.internal', database: 'orders', ssl: { ca } };
 * const pool = await createIamPool(options); // a pg.Pool
 * ```
 */
export type IamPoolOptions<D extends IamPoolDriver = IamPoolDriver> = Extract<
  PgIamPoolOptions | PostgresIamPoolOptions | Mysql2IamPoolOptions | OracledbIamPoolOptions,
  {
    /** The drivers to pick from. */
    driver: D;
  }
>;

/**
 * The one entry point: opens the driver's own pool, with every new
 * connection logging in with a token from `options.token`. `options.driver`
 * picks the driver, and the rest of `options` is typed as that driver's pool
 * options, so a misspelt option is reported by name. The driver is loaded
 * only now; if it is not installed, this rejects with a {@link ConfigError}
 * naming the package to install.
 *
 * @example pg: resolves to a pg.Pool
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const pool = await createIamPool({
 *   driver: 'pg',
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * const { rows } = await pool.query('select session_user');
 * ```
 * @example postgres: resolves to the sql function of postgres.js
 * ```ts
 * const sql = await createIamPool({
 *   driver: 'postgres',
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * const [row] = await sql`select session_user`;
 * ```
 * @example mysql2: resolves to a mysql2/promise Pool
 * ```ts
 * const pool = await createIamPool({
 *   driver: 'mysql2',
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', port: 3306, username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * const [rows] = await pool.query('select current_user()');
 * ```
 * @example oracledb: resolves to an oracledb.Pool
 * ```ts
 * import { ociDbToken, ociScope } from 'dbtoken/oci';
 * const pool = await createIamPool({
 *   driver: 'oracledb',
 *   token: ociDbToken({ scope: ociScope.database(compartmentOcid, adbOcid) }),
 *   connectString: 'tcps://adb.eu-frankfurt-1.oraclecloud.com:1522/g1234_mydb_high.adb.oraclecloud.com',
 * });
 * const conn = await pool.getConnection();
 * ```
 */
export async function createIamPool<D extends IamPoolDriver>(options: IamPoolOptions<D> & { driver: D }): Promise<IamPools[D]> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', `must be an object, got ${describe(options)}`, 'pass { driver, token, ...the driver\'s pool options }');
  }
  const { driver, ...rest } = options as { driver: unknown; token?: unknown };
  if (typeof driver !== 'string' || !Object.hasOwn(DRIVERS, driver)) {
    const names = Object.keys(DRIVERS).map((d) => `'${d}'`);
    throw new ConfigError(
      'driver',
      `must be one of ${names.join(', ')}, got ${typeof driver === 'string' ? `'${driver}'` : describe(driver)}`,
      'set driver to the database driver package the pool is for',
    );
  }
  // Before the driver loads: a missing provider is a ConfigError even where the driver is missing too.
  const token = requireProvider(rest.token, 'token');
  // A provider that reads its user from its first token (Azure's upn): the pool needs the user first.
  if (awaitsUser(token)) await token.getToken();
  return DRIVERS[driver as D](rest);
}
