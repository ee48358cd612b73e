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
// pg's own connection string parser, which pg depends on and ships.
import pgConnectionString from 'pg-connection-string';
// For the doc comment's links.
import type { ConfigError, InsecureTransportError } from '../../src/core/errors.js';
import type { TokenProvider } from '../../src/core/provider.js';
import {
  createPgPoolWith,
  pgConnectionWith,
  pgUsesTlsWith,
  type ConnectionStringParser,
  type PgConnectionConfig,
  type PgConnectionOptions,
  type PgIamPoolConfig,
} from '../pg.js';

export {
  pgPassword,
  sequelizeBeforeConnect,
  type PgConnectionConfig,
  type PgConnectionOptions,
  type PgConnectionSsl,
  type PgIamPoolConfig,
  type PgPasswordOptions,
  type PgPool,
  type SequelizeConnectConfig,
} from '../pg.js';

/** pg-connection-string's `parse`: its ESM build exports the function as the default, its CommonJS build a function that is also its own `parse`. */
const parse = ((pgConnectionString as { parse?: unknown }).parse ?? pgConnectionString) as ConnectionStringParser;

/**
 * Creates pg's own `Pool` whose connections log in with IAM tokens.
 *
 * - Refuses, with {@link InsecureTransportError}, a configuration without
 *   TLS unless `allowInsecureTransport: true`: no `ssl` (or `ssl: false`),
 *   or a connection string whose `sslmode` is `disable`, `allow` or `prefer`.
 * - Takes `user`, and `host`/`port` when neither the options nor the
 *   connection string name a host, from the token provider (for example
 *   `awsRdsToken`'s `username`).
 * - Reads `connectionString` (`DATABASE_URL`) as pg does, with pg's own
 *   parser: its host, port, user, database, `sslmode`, `sslrootcert` and
 *   other parameters. A password in it, or a user other than the
 *   provider's, is a {@link ConfigError}.
 * - Paces new logins per endpoint (`loginRate`; 25 a second by default for
 *   RDS tokens), before each connection opens; a connection already open
 *   never waits.
 * - When the server refuses a login (SQLSTATE 28000 or 28P01), retries it
 *   after a jittered backoff: with the same token when the refusal is a
 *   throttle (RDS Proxy names it, or the token was accepted before), up to
 *   5 times; otherwise once with a fresh token. At most 7 tries, so a user
 *   the server does not know cannot set off a retry storm (docs/fleet.md).
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
 * @example A connection string
 * ```ts
 * // DATABASE_URL=postgresql://app@mydb.abc123.eu-west-1.rds.amazonaws.com:5432/orders?sslmode=verify-full&sslrootcert=global-bundle.pem
 * const pool = createPgPool({ token, connectionString: process.env.DATABASE_URL });
 * ```
 */
export function createPgPool(options: PgIamPoolConfig): pg.Pool {
  return createPgPoolWith(pg, options, parse);
}

/**
 * The connection settings of the provider's target as one object, which
 * pg, knex, MikroORM (`driverOptions.connection`) and TypeORM
 * (`type: 'postgres'`) all take as it is: `host`, `port`, `user` (and
 * `username`, TypeORM's name for it), `password` from {@link pgPassword},
 * `ssl` that verifies the server, and `database` when a connection string
 * names one. Spread it, and add the database and your pool settings.
 *
 * - Without `connectionString`, host, port and user are the provider's,
 *   which must name a host and a user (`awsRdsToken` does); otherwise this
 *   is a {@link ConfigError}.
 * - With `connectionString`, it is read as pg reads it (pg's own parser):
 *   its host and port replace the provider's, and its `sslmode` and
 *   `sslrootcert` give `ssl`. A password in it, or a user other than the
 *   provider's, is a {@link ConfigError}; an `sslmode` that may send the
 *   token in plain text is an {@link InsecureTransportError}, unless
 *   `allowInsecureTransport` is set.
 *
 * `password` is called by pg, once per login, even under MikroORM and knex
 * (see {@link pgPassword}), so each new connection logs in with a valid token.
 *
 * @example TypeORM
 * ```ts
 * import { DataSource } from 'typeorm';
 * import { pgConnection } from 'dbtoken/pg';
 * const dataSource = new DataSource({ type: 'postgres', database: 'orders', ...pgConnection(provider, { ca: rdsCaBundle }) });
 * await dataSource.initialize();
 * ```
 * @example MikroORM 6
 * ```ts
 * import { MikroORM } from '@mikro-orm/postgresql';
 * import { pgConnection } from 'dbtoken/pg';
 * const orm = await MikroORM.init({
 *   dbName: 'orders',
 *   entities: [],
 *   discovery: { warnWhenNoEntities: false },
 *   driverOptions: { connection: pgConnection(provider, { ca: rdsCaBundle }) },
 * });
 * ```
 * @example knex, with a connection string
 * ```ts
 * import knex from 'knex';
 * import { pgConnection } from 'dbtoken/pg';
 * // DATABASE_URL=postgresql://app@mydb.abc123.us-east-1.rds.amazonaws.com:5432/orders?sslmode=verify-full&sslrootcert=global-bundle.pem
 * const db = knex({ client: 'pg', connection: pgConnection(provider, { connectionString: process.env.DATABASE_URL }) });
 * ```
 */
export function pgConnection(provider: TokenProvider, options?: PgConnectionOptions): PgConnectionConfig {
  return pgConnectionWith(parse, provider, options);
}

/**
 * Would pg send the password over TLS with this config? Reads `ssl`, the
 * connection string (with pg's own parser) and `PGSSLMODE` as pg does, and
 * counts `sslmode` `disable`, `allow` and `prefer` as plain text: the last
 * two fall back to it in libpq, and will in pg 9.
 *
 * @example
 * ```ts
 * pgUsesTls({ ssl: { ca: rdsCaBundle } });                                                   // true
 * pgUsesTls({ connectionString: 'postgres://app@db.internal/orders?sslmode=verify-full' }); // true
 * pgUsesTls({ connectionString: 'postgres://app@db.internal/orders?sslmode=prefer' });      // false
 * pgUsesTls({}, { PGSSLMODE: 'disable' });                                                  // false
 * ```
 */
export function pgUsesTls(config: { ssl?: unknown; connectionString?: string | undefined }, env: NodeJS.ProcessEnv = process.env): boolean {
  return pgUsesTlsWith(parse, config, env);
}
