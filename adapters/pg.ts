/**
 * The node-postgres (`pg`) adapter, given the driver. `dbtoken/pg`
 * (subpath/pg.ts) binds it to the installed `pg`, and createIamPool to the
 * one it loaded. Only pg's types are imported here, so that a bundle without
 * the driver builds.
 */
import type { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
/** @ts-ignore optional peer: without pg's types, its types are any */
import type pg from 'pg';
import { ConfigError, InsecureTransportError } from '../src/core/errors.js';
import type { TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { applyTarget, checkPoolOptions, checkTarget, isLoginRefused, PROVIDER_PASSWORD, requireProvider, retryRefusedLogin } from './preamble.js';

/**
 * The `pg.Pool` that {@link createPgPool} returns: pg's own pool class.
 *
 * @example
 * ```ts
 * const pool: PgPool = createPgPool({ token, database: 'orders', ssl: { ca: rdsCaBundle } });
 * const { rows } = await pool.query('select session_user');
 * await pool.end();
 * ```
 */
export type PgPool = pg.Pool;

/**
 * Options of {@link createPgPool}: pg's own `PoolConfig`, less `password`,
 * plus the token provider.
 *
 * @example
 * ```ts
 * const config: PgIamPoolConfig = {
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders', ssl: { ca: rdsCaBundle }, max: 10,
 * };
 * const pool = createPgPool(config);
 * ```
 */
export interface PgIamPoolConfig extends Omit<pg.PoolConfig, 'password'> {
  /** Supplies the password of every new physical connection. */
  token: TokenProvider;
  /**
   * Allow tokens over connections without TLS. Only for local testing: a
   * token is a password for the next 15 to 60 minutes. Default false.
   */
  allowInsecureTransport?: boolean | undefined;
}

/**
 * Options of {@link pgPassword}.
 *
 * @example
 * ```ts
 * const options: PgPasswordOptions = { allowInsecureTransport: true }; // local PostgreSQL without TLS only
 * const client = new pg.Client({ host: 'localhost', user: 'app', password: pgPassword(staticToken('test-token'), options) });
 * ```
 */
export interface PgPasswordOptions {
  /** Allow sending the token over a connection without TLS. Default false. */
  allowInsecureTransport?: boolean | undefined;
}

/** The token each client sent, so that a refusal invalidates exactly that one. */
const kToken = Symbol('dbtoken.sentToken');

interface Tagged {
  [kToken]?: DbToken;
}

/** The token a refused login sent, read from the error {@link createPgPool}'s client tagged. */
function refusedToken(err: unknown): DbToken | undefined {
  return isLoginRefused('postgres', err) ? (err as Tagged)[kToken] : undefined;
}

function streamIsEncrypted(client: unknown): boolean | undefined {
  const stream = (client as { connection?: { stream?: { encrypted?: boolean } } } | null)?.connection?.stream;
  return stream === undefined ? undefined : stream.encrypted === true;
}

/** What pg's `Client` is as `this` of a password function: what it connects to, and its wire connection. */
interface PgClientView {
  host?: string | undefined;
  port?: number | string | undefined;
  user?: string | undefined;
  connection?: EventEmitter & { stream?: { encrypted?: boolean } } | undefined;
}

/** Forgets `token` when the server refuses the login it was sent in, so the next connection fetches a new one. */
function forgetIfRefused(provider: TokenProvider, client: PgClientView, token: DbToken): void {
  const con = client.connection;
  if (typeof con?.once !== 'function') return;
  const onError = (msg: unknown): void => {
    if (isLoginRefused('postgres', msg)) provider.invalidate(token);
  };
  con.once('errorMessage', onError);
  con.once('authenticationOk', () => con.off('errorMessage', onError));
}

/**
 * A function for pg's `password` option: pg calls it once per new physical
 * connection, and it answers with a cached IAM token.
 *
 * - It refuses (with {@link InsecureTransportError}) to hand a token to a
 *   connection that is not encrypted, unless `allowInsecureTransport` is set.
 * - It checks the connection against the provider's target: another user,
 *   or another port on the token's host, is a {@link ConfigError}, and the
 *   token never reaches the server.
 * - When the server refuses the token, it forgets it, so the next
 *   connection gets a fresh one. It does not retry that login;
 *   {@link createPgPool} does.
 *
 * It fits anything built on `pg.Pool` or `pg.Client`: knex, Prisma's
 * `@prisma/adapter-pg`, Drizzle, TypeORM. For Sequelize, see
 * {@link sequelizeBeforeConnect}; for a whole config object, {@link pgConnection}.
 *
 * @example
 * ```ts
 * import knex from 'knex';
 * import { pgPassword } from 'dbtoken/pg';
 * const db = knex({
 *   client: 'pg',
 *   connection: { host, user: 'app', database: 'orders', ssl: { ca }, password: pgPassword(provider) },
 * });
 * ```
 */
export function pgPassword(provider: TokenProvider, options?: PgPasswordOptions): () => Promise<string> {
  requireProvider(provider, 'provider');
  const allowInsecure = options?.allowInsecureTransport === true;
  return async function password(this: unknown, params?: { ssl?: unknown }): Promise<string> {
    const client = (typeof this === 'object' && this !== null ? this : {}) as PgClientView;
    const encrypted = streamIsEncrypted(this) ?? Boolean(params?.ssl);
    if (!encrypted && !allowInsecure) {
      throw new InsecureTransportError(
        'refusing to send an IAM token over a PostgreSQL connection without TLS; set ssl (for example ssl: { ca }), or allowInsecureTransport: true for local testing only',
      );
    }
    checkTarget(provider.target, { host: client.host, port: client.port, user: client.user }, 5432, 'this connection');
    const token = await provider.getToken();
    forgetIfRefused(provider, client, token);
    if (typeof this === 'object' && this !== null) (this as Tagged)[kToken] = token;
    return token.token;
  };
}

/**
 * Options of {@link pgConnection}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const options: PgConnectionOptions = { ca: readFileSync('global-bundle.pem', 'utf8') }; // the RDS CA bundle
 * const connection = pgConnection(provider, options);
 * ```
 */
export interface PgConnectionOptions {
  /**
   * The certificate authorities that signed the server's certificate (PEM),
   * for servers whose CA is not in Node's default store, such as RDS's
   * `global-bundle.pem`. Default: Node's default store.
   */
  ca?: string | Buffer | (string | Buffer)[] | undefined;
}

/**
 * What {@link pgConnection} returns: the connection settings ORMs built on
 * pg take as one object.
 *
 * @example
 * ```ts
 * const { host, port, user, password, ssl }: PgConnectionConfig = pgConnection(provider, { ca: rdsCaBundle });
 * const pool = new pg.Pool({ host, port, user, password, ssl, database: 'orders' });
 * ```
 */
export interface PgConnectionConfig {
  /** The host the provider's tokens are made for. */
  host: string;
  /** Its port (5432 when the provider names none). */
  port: number;
  /** The database user the tokens log in as. */
  user: string;
  /** {@link pgPassword} for the provider. */
  password: () => Promise<string>;
  /** TLS that verifies the server's certificate (`rejectUnauthorized: true`), against `ca` when given. */
  ssl: ConnectionOptions;
}

/**
 * The connection settings of the provider's target as one object, for ORMs
 * and clients that take one (TypeORM, Drizzle, Prisma's `adapter-pg`, knex,
 * `pg.Pool`): `host`, `port` and `user` from the provider, `password` from
 * {@link pgPassword}, and `ssl` that verifies the server. Spread it and add
 * the database and your pool settings.
 *
 * The provider must name a host and a user (`awsRdsToken` does); otherwise
 * this is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { DataSource } from 'typeorm';
 * import { pgConnection } from 'dbtoken/pg';
 * const dataSource = new DataSource({ type: 'postgres', database: 'orders', ...pgConnection(provider, { ca: rdsCaBundle }) });
 * ```
 */
export function pgConnection(provider: TokenProvider, options?: PgConnectionOptions): PgConnectionConfig {
  requireProvider(provider, 'provider');
  const { host, port = 5432, user } = provider.target ?? {};
  if (host === undefined || user === undefined) {
    throw new ConfigError(
      'provider',
      `names no ${host === undefined ? 'host' : 'user'} in its target`,
      'give the provider its hostname and username (as awsRdsToken does), or use pgPassword() with a host and user of your own',
    );
  }
  return { host, port, user, password: pgPassword(provider), ssl: { rejectUnauthorized: true, ...(options?.ca !== undefined ? { ca: options.ca } : {}) } };
}

/**
 * What Sequelize hands its `beforeConnect` hook: the part of its connection
 * config that {@link sequelizeBeforeConnect} reads and sets.
 *
 * @example
 * ```ts
 * const hook: (config: SequelizeConnectConfig) => void = sequelizeBeforeConnect(provider);
 * sequelize.addHook('beforeConnect', hook);
 * ```
 */
export interface SequelizeConnectConfig {
  /** The host Sequelize connects to. */
  host?: string | undefined;
  /** Its port; Sequelize may keep it as a string. */
  port?: string | number | undefined;
  /** The database user; filled from the provider when unset. */
  username?: string | null | undefined;
  /** Must be unset: the hook supplies the password of every connection. */
  password?: string | null | undefined;
  /** Sequelize passes `dialectOptions.ssl` on to pg. */
  dialectOptions?:
    | {
        [option: string]: unknown;
        /** pg's `ssl`: the hook requires it to be set. */
        ssl?: unknown | undefined;
      }
    | undefined;
  /** pg-native, which takes no password function. */
  native?: boolean | undefined;
}

/**
 * A Sequelize `beforeConnect` hook that logs every new connection in with a
 * token from `provider` (Sequelize's `password` option takes only a string).
 * Before each connection it:
 *
 * - refuses, with {@link InsecureTransportError}, a config without
 *   `dialectOptions.ssl`, unless `allowInsecureTransport` is set;
 * - fills `username` from the provider, and checks the user and port
 *   against the provider's target ({@link ConfigError});
 * - sets the password to {@link pgPassword}, which pg calls for a token
 *   once per new connection (so a token is never stored in Sequelize's config).
 *
 * @example
 * ```ts
 * import { Sequelize } from 'sequelize';
 * import { sequelizeBeforeConnect } from 'dbtoken/pg';
 * const sequelize = new Sequelize({
 *   dialect: 'postgres', host: 'mydb.abc123.us-east-1.rds.amazonaws.com', database: 'orders',
 *   dialectOptions: { ssl: { ca: rdsCaBundle } },
 *   hooks: { beforeConnect: sequelizeBeforeConnect(provider) },
 * });
 * ```
 */
export function sequelizeBeforeConnect(provider: TokenProvider, options?: PgPasswordOptions): (config: SequelizeConnectConfig) => void {
  requireProvider(provider, 'provider');
  const allowInsecure = options?.allowInsecureTransport === true;
  const password = pgPassword(provider, options);
  return (config) => {
    if (config.native) throw new ConfigError('native', 'pg-native takes no password function', 'leave native unset');
    if (config.password != null && (config.password as unknown) !== password) {
      throw new ConfigError('password', `must not be set: ${PROVIDER_PASSWORD}`, 'remove password from the Sequelize options');
    }
    if (!allowInsecure && !config.dialectOptions?.ssl) {
      throw new InsecureTransportError(
        'Sequelize would send IAM tokens without TLS (dialectOptions.ssl is not set); set dialectOptions: { ssl: { ca } }, or allowInsecureTransport: true for local testing only',
      );
    }
    checkTarget(provider.target, { host: config.host, port: config.port, user: config.username ?? undefined }, 5432);
    config.username ??= provider.target?.user;
    // pg calls it per connection; Sequelize passes it through untouched.
    config.password = password as unknown as string;
  };
}

function sslModeFromConnectionString(cs: string): string | undefined {
  const q = cs.indexOf('?');
  if (q < 0) return undefined;
  const params = new URLSearchParams(cs.slice(q + 1));
  if (params.has('sslmode')) return params.get('sslmode') ?? undefined;
  const ssl = params.get('ssl');
  if (ssl === null) return undefined;
  return ssl === '0' || ssl === 'false' ? 'disable' : 'require';
}

/**
 * Would pg encrypt connections made with this config? Mirrors pg's own reading of `ssl`, `sslmode` and `PGSSLMODE`.
 *
 * @example
 * ```ts
 * pgUsesTls({ ssl: { ca: rdsCaBundle } });                                               // true
 * pgUsesTls({ connectionString: 'postgres://app@db.internal/orders?sslmode=require' }); // true
 * pgUsesTls({}, { PGSSLMODE: 'disable' });                                              // false
 * ```
 */
export function pgUsesTls(config: { ssl?: unknown; connectionString?: string | undefined }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (config.ssl !== undefined) return Boolean(config.ssl);
  const mode = (config.connectionString ? sslModeFromConnectionString(config.connectionString) : undefined) ?? env.PGSSLMODE;
  return mode !== undefined && mode !== 'disable' && mode !== 'allow';
}

/** What the provider replaces in pg's options, and why. */
const REFUSED_OPTIONS = {
  password: PROVIDER_PASSWORD,
  Client: 'the IAM pool uses its own Client subclass to retry refused logins (use pgPassword() with a pool of your own instead)',
};

/** The pg module {@link createPgPoolWith} needs: its `Pool` and `Client` classes. */
export type PgDriver = Pick<typeof pg, 'Pool' | 'Client'>;

/** `createPgPool` (see subpath/pg.ts) with the given pg module. */
export function createPgPoolWith(driver: PgDriver, options: PgIamPoolConfig): pg.Pool {
  const { provider, allowInsecureTransport, config: rawConfig } = checkPoolOptions(options, { driver: 'pg', refused: REFUSED_OPTIONS });
  const config = applyTarget(rawConfig, provider.target, 5432, rawConfig.connectionString !== undefined);
  if (!allowInsecureTransport && !pgUsesTls(config)) {
    throw new InsecureTransportError(
      'createPgPool would send IAM tokens without TLS (ssl is not set or is false); set ssl (for example ssl: { ca: rdsCaBundle }), or allowInsecureTransport: true for local testing only',
    );
  }
  const password = pgPassword(provider, { allowInsecureTransport });

  class IamClient extends driver.Client {
    override connect(callback?: any): any {
      const tag = (err: unknown): unknown => {
        const sent = (this as unknown as Tagged)[kToken];
        if (err && typeof err === 'object' && sent !== undefined) {
          Object.defineProperty(err, kToken, { value: sent, enumerable: false, configurable: true });
        }
        return err;
      };
      if (typeof callback === 'function') return super.connect((err: Error) => callback(tag(err) as Error));
      return super.connect().catch((err: unknown) => {
        throw tag(err);
      });
    }
  }

  class IamPool extends driver.Pool {
    override connect(callback?: any): any {
      const result = retryRefusedLogin(
        provider,
        () => super.connect(),
        (err) => (this.ending ? undefined : refusedToken(err)),
      );
      if (typeof callback !== 'function') return result;
      result.then(
        (client) => callback(undefined, client, client.release),
        (err: Error) => callback(err, undefined, () => {}),
      );
      return undefined;
    }
  }

  return new IamPool({ ...config, password, Client: IamClient as unknown as typeof pg.Client });
}
