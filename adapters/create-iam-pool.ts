import { ConfigError } from '../src/core/errors.js';
import { describe } from '../src/core/validation.js';
import { requireProvider } from './preamble.js';
// Types only: the driver itself is loaded lazily, below.
import type { PgIamPoolConfig, PgPool } from './pg.js';
import type { PostgresJsIamOptions, PostgresJsSql } from './postgres.js';
import type { Mysql2IamPoolConfig, Mysql2Pool } from './mysql2.js';
import type { OracledbIamPoolAttributes, OracledbPool } from './oracledb.js';

/** The drivers {@link createIamPool} knows, and the package each one needs. */
const DRIVERS: Record<IamPoolDriver, { pkg: string; load: () => Promise<(o: any) => unknown> }> = {
  pg: { pkg: 'pg', load: async () => (await import('./pg.js')).createPgPool },
  postgres: { pkg: 'postgres', load: async () => (await import('./postgres.js')).createPostgresJs },
  mysql2: { pkg: 'mysql2', load: async () => (await import('./mysql2.js')).createMysql2Pool },
  oracledb: { pkg: 'oracledb', load: async () => (await import('./oracledb.js')).createOracledbPool },
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
 * Options of {@link createIamPool}: `driver`, `token`, and the driver's own pool options.
 *
 * @example
 * ```ts
 * const options: IamPoolOptions = { driver: 'pg', token, host: 'db.internal', database: 'orders', ssl: { ca } };
 * const pool = await createIamPool(options);
 * ```
 */
export type IamPoolOptions = PgIamPoolOptions | PostgresIamPoolOptions | Mysql2IamPoolOptions | OracledbIamPoolOptions;

function isModuleNotFound(err: unknown, pkg: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    (e.message.includes(`'${pkg}'`) || e.message.includes(`"${pkg}"`) || e.message.includes(`/${pkg}/`))
  );
}

/**
 * The one entry point: opens the driver's own pool, with every new
 * connection logging in with a token from `options.token`. The driver is
 * loaded only now; if it is not installed, this rejects with a
 * {@link ConfigError} naming the package to install.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const pool = await createIamPool({
 *   driver: 'pg',
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * await pool.query('select 1');
 * ```
 */
export async function createIamPool(options: PgIamPoolOptions): Promise<PgPool>;
export async function createIamPool(options: PostgresIamPoolOptions): Promise<PostgresJsSql>;
export async function createIamPool(options: Mysql2IamPoolOptions): Promise<Mysql2Pool>;
export async function createIamPool(options: OracledbIamPoolOptions): Promise<OracledbPool>;
export async function createIamPool(options: IamPoolOptions): Promise<PgPool | PostgresJsSql | Mysql2Pool | OracledbPool> {
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
  requireProvider(rest.token, 'token');
  const spec = DRIVERS[driver as IamPoolDriver];
  let create;
  try {
    create = await spec.load();
  } catch (err) {
    if (isModuleNotFound(err, spec.pkg)) {
      throw new ConfigError('driver', `'${driver}' needs the ${spec.pkg} package, which is not installed`, `npm install ${spec.pkg}`, { cause: err });
    }
    throw err;
  }
  return (await create(rest)) as PgPool | PostgresJsSql | Mysql2Pool | OracledbPool;
}
