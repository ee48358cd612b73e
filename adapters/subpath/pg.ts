/**
 * The node-postgres (`pg`) adapter, and the config objects for ORMs built on pg.
 *
 * @example
 * ```ts
 * import { createPgPool, pgConnection, pgPassword, sequelizeBeforeConnect } from 'dbtoken/pg';
 * ```
 * @module dbtoken/pg
 */
/** @ts-ignore without @types/pg, its types are any */
import pg from 'pg';
// For the doc comment's links.
import type { InsecureTransportError } from '../../src/core/errors.js';
import { createPgPoolWith, type PgIamPoolConfig } from '../pg.js';

export {
  pgConnection,
  pgPassword,
  pgUsesTls,
  sequelizeBeforeConnect,
  type PgConnectionConfig,
  type PgConnectionOptions,
  type PgIamPoolConfig,
  type PgPasswordOptions,
  type PgPool,
  type SequelizeConnectConfig,
} from '../pg.js';

/**
 * Creates pg's own `Pool` whose connections log in with IAM tokens.
 *
 * - Refuses, with {@link InsecureTransportError}, a configuration without
 *   TLS unless `allowInsecureTransport: true`.
 * - Takes `user`, and `host`/`port` when no `host` or `connectionString` is
 *   given, from the token provider (for example `awsRdsToken`'s `username`).
 * - When the server refuses a login (SQLSTATE 28000 or 28P01), forgets the
 *   token that was refused and retries that connection once with a fresh
 *   one. It never retries twice, so a user the server does not know cannot
 *   set off a retry storm.
 *
 * Errors from the provider reach `pool.connect()` / `pool.query()` as the
 * provider's own `DbTokenError` (for example `TokenUnavailableError`).
 *
 * @example
 * ```ts
 * import { createPgPool } from 'dbtoken/pg';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const pool = createPgPool({
 *   token: awsRdsToken({ hostname: 'mydb.abc123.eu-west-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * const { rows } = await pool.query('select session_user');
 * ```
 */
export function createPgPool(options: PgIamPoolConfig): pg.Pool {
  return createPgPoolWith(pg, options);
}
