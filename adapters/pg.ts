/**
 * The node-postgres (`pg`) adapter.
 *
 * @example
 * ```ts
 * import { createPgPool, pgPassword } from 'dbtoken/pg';
 * ```
 * @module dbtoken/pg
 */
import pg from 'pg';
import { InsecureTransportError } from '../src/core/errors.js';
import type { TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { applyTarget, checkPoolOptions, isLoginRefused, requireProvider, retryRefusedLogin } from './preamble.js';

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
  allowInsecureTransport?: boolean;
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
  allowInsecureTransport?: boolean;
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

/**
 * A function for pg's `password` option: pg calls it once per new physical
 * connection, and it answers with a cached IAM token. It refuses (with
 * {@link InsecureTransportError}) to hand a token to a connection that is not
 * encrypted, unless `allowInsecureTransport` is set.
 *
 * It fits anything built on `pg.Pool` or `pg.Client`: knex, Prisma's
 * `@prisma/adapter-pg`, Drizzle, TypeORM. It does not retry a refused login;
 * {@link createPgPool} does.
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
    const encrypted = streamIsEncrypted(this) ?? Boolean(params?.ssl);
    if (!encrypted && !allowInsecure) {
      throw new InsecureTransportError(
        'refusing to send an IAM token over a PostgreSQL connection without TLS; set ssl (for example ssl: { ca }), or allowInsecureTransport: true for local testing only',
      );
    }
    const token = await provider.getToken();
    if (typeof this === 'object' && this !== null) (this as Tagged)[kToken] = token;
    return token.token;
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
  password: 'the token provider supplies the password of every connection',
  Client: 'the IAM pool uses its own Client subclass to retry refused logins (use pgPassword() with a pool of your own instead)',
};

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
  const { provider, allowInsecureTransport, config: rawConfig } = checkPoolOptions(options, { driver: 'pg', refused: REFUSED_OPTIONS });
  const config = applyTarget(rawConfig, provider.target, 5432, rawConfig.connectionString !== undefined);
  if (!allowInsecureTransport && !pgUsesTls(config)) {
    throw new InsecureTransportError(
      'createPgPool would send IAM tokens without TLS (ssl is not set or is false); set ssl (for example ssl: { ca: rdsCaBundle }), or allowInsecureTransport: true for local testing only',
    );
  }
  const password = pgPassword(provider, { allowInsecureTransport });

  class IamClient extends pg.Client {
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

  class IamPool extends pg.Pool {
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
