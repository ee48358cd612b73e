/**
 * Loads the driver package {@link createIamPool} needs, when it needs it.
 *
 * Each `import()` names its package literally and sits directly inside its
 * own `try` block: bundlers (esbuild, webpack) then bundle a driver that is
 * installed and leave a missing one to fail here, at run time, as a
 * ConfigError naming the package. The CommonJS build keeps this shape (a
 * `require()` directly inside the `try`): see scripts/build.mjs.
 */
import { exportsOf, peerMissing } from '../src/core/optional-peer.js';
import type { Mysql2Driver } from './mysql2.js';
import type { OracledbDriver } from './oracledb.js';
import type { ConnectionStringParser, PgDriver } from './pg.js';
import type { PostgresDriver } from './postgres.js';

/** `err` as the ConfigError for a missing `specifier`, when it is one; otherwise `err` itself. */
function notInstalled(driver: string, specifier: string, err: unknown): unknown {
  return peerMissing(err, specifier, 'driver', `'${driver}' needs`);
}

/** node-postgres. */
export async function loadPg(): Promise<PgDriver> {
  try {
    return exportsOf(await import('pg'));
  } catch (err) {
    throw notInstalled('pg', 'pg', err);
  }
}

/** pg's connection string parser (pg-connection-string), which pg depends on and so brings along. */
export async function loadPgConnectionString(): Promise<ConnectionStringParser> {
  try {
    const parser = exportsOf(await import('pg-connection-string')) as unknown as ConnectionStringParser & { parse?: ConnectionStringParser };
    return parser.parse ?? parser;
  } catch (err) {
    throw notInstalled('pg', 'pg-connection-string', err);
  }
}

/** postgres.js. */
export async function loadPostgres(): Promise<PostgresDriver> {
  try {
    return exportsOf(await import('postgres'));
  } catch (err) {
    throw notInstalled('postgres', 'postgres', err);
  }
}

/** mysql2's promise API. */
export async function loadMysql2(): Promise<Mysql2Driver> {
  try {
    return exportsOf(await import('mysql2/promise'));
  } catch (err) {
    throw notInstalled('mysql2', 'mysql2/promise', err);
  }
}

/** node-oracledb. */
export async function loadOracledb(): Promise<OracledbDriver> {
  try {
    return exportsOf(await import('oracledb'));
  } catch (err) {
    throw notInstalled('oracledb', 'oracledb', err);
  }
}
