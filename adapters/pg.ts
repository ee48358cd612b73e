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
import type { LoginRate, TokenProvider, TokenTarget } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { describe } from '../src/core/validation.js';
import { onAbort } from '../src/core/abort.js';
import { awaitsUser, loginThrottled } from '../src/core/provider.js';
import { loginPace, markAccepted, type Refusal } from './login-pace.js';
import { applyTarget, checkPoolOptions, checkTarget, connectionLifetimeSeconds, userNotYetKnown, insecureTransport, loginRefusal, passwordInUrlError, PROVIDER_PASSWORD, requireProvider, retryRefusedLogin } from './preamble.js';

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
  /**
   * The pace of new logins to the token's endpoint, shared by every pool of
   * that endpoint in the process (the lowest rate asked for holds); waited
   * for before a connection opens, never for one already open. Default:
   * `{ perSecond: 25 }` for AWS RDS tokens (see docs/fleet.md), none for
   * others; `false` turns pacing off.
   */
  loginRate?: LoginRate | false | undefined;
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

/** The refused login's token, read from the error {@link createPgPool}'s client tagged, and whether the server named its rate. */
function refusalOf(err: unknown): Refusal | undefined {
  const kind = loginRefusal('postgres', err);
  const token = (err as Tagged | null)?.[kToken];
  return kind === undefined || token === undefined ? undefined : { token, named: kind === 'throttled' };
}

function streamIsEncrypted(client: PgClientView): boolean | undefined {
  const stream = client.connection?.stream;
  return stream === undefined ? undefined : stream.encrypted === true;
}

/** What pg's `Client` is as `this` of a password function: what it connects to, and its wire connection. */
interface PgClientView {
  host?: string | undefined;
  port?: number | string | undefined;
  user?: string | undefined;
  connection?: EventEmitter & { stream?: { encrypted?: boolean } } | undefined;
}

/** `self` as pg's `Client`, when a pg `Client` is what called the password function (it always has its wire `connection`). */
function pgClientOf(self: unknown): PgClientView | undefined {
  return typeof self === 'object' && self !== null && 'connection' in self ? (self as PgClientView) : undefined;
}

/**
 * Watches the login `token` was sent in: an accepted token is remembered
 * (a later refusal of it is a throttle). Unless a pool of dbtoken's decides
 * (`pooled`), a refused token is forgotten so the next connection fetches a
 * new one (no retry follows to tell a throttle from a revoked token), and a
 * refusal that names the login rate is counted, keeping the token.
 */
function watchLogin(provider: TokenProvider, client: PgClientView, token: DbToken, pooled: boolean): void {
  const con = client.connection;
  if (typeof con?.once !== 'function') return;
  const onError = (msg: unknown): void => {
    const kind = pooled ? undefined : loginRefusal('postgres', msg);
    if (kind === 'throttled') loginThrottled(provider);
    else if (kind === 'refused') provider.invalidate(token);
  };
  con.once('errorMessage', onError);
  con.once('authenticationOk', () => {
    con.off('errorMessage', onError);
    markAccepted(token);
  });
}

/**
 * What {@link pgPassword}'s function answers when no pg `Client` calls it:
 * MikroORM's and knex's `{ password }` shape, holding the function itself,
 * so that the token is still asked for by pg, once per login.
 */
interface DeferredPassword {
  readonly password: () => Promise<string>;
}

/**
 * A function for pg's `password` option: pg calls it once per new physical
 * connection, with its `Client` as `this`, and it answers with a cached IAM token.
 *
 * - It refuses (with {@link InsecureTransportError}) to hand a token to a
 *   connection that is not encrypted, unless `allowInsecureTransport` is set.
 * - It checks the connection against the provider's target: another user,
 *   or another port on the token's host, is a {@link ConfigError}, and the
 *   token never reaches the server.
 * - When the server refuses the token, it forgets it, so the next
 *   connection gets a fresh one. It does not retry that login;
 *   {@link createPgPool} does.
 * - Called by anything but a pg `Client` (MikroORM 6 calls a password
 *   function itself, once, and gives knex the answer), it gives no token: it
 *   answers `{ password: itself }`, the shape MikroORM and knex take from a
 *   password or connection function, so that pg calls it again for each
 *   login, where the connection can be seen. (A token answered there would
 *   be kept for every later connection, long after it expired.)
 *
 * It fits anything built on `pg.Pool` or `pg.Client`: knex, MikroORM,
 * Prisma's `@prisma/adapter-pg`, Drizzle, TypeORM. For Sequelize, see
 * {@link sequelizeBeforeConnect}; for a whole config object, {@link pgConnection}.
 *
 * @example
 * ```ts
 * import knex from 'knex';
 * import { pgPassword } from 'dbtoken/pg';
 * const db = knex({
 *   client: 'pg',
 *   connection: { host, port, user: 'app', database: 'orders', ssl: { ca }, password: pgPassword(provider) },
 * });
 * await db.raw('select 1');
 * ```
 */
export function pgPassword(provider: TokenProvider, options?: PgPasswordOptions): () => Promise<string> {
  return passwordFor(requireProvider(provider, 'provider'), options?.allowInsecureTransport === true, false);
}

/** {@link pgPassword}; `pooled` when {@link createPgPool}'s pool decides what a refusal means. */
function passwordFor(provider: TokenProvider, allowInsecure: boolean, pooled: boolean): () => Promise<string> {
  const password = async function password(this: unknown, params?: { ssl?: unknown }): Promise<string> {
    const client = pgClientOf(this);
    if (client === undefined) return deferred as unknown as string;
    const encrypted = streamIsEncrypted(client) ?? Boolean(params?.ssl);
    if (!encrypted && !allowInsecure) {
      throw insecureTransport('refusing to send an IAM token over a PostgreSQL connection without TLS', 'set ssl (for example ssl: { ca })');
    }
    checkTarget(provider.target, { host: client.host, port: client.port, user: client.user }, 5432, 'this connection');
    const token = await provider.getToken();
    watchLogin(provider, client, token, pooled);
    (client as Tagged)[kToken] = token;
    return token.token;
  };
  const deferred: DeferredPassword = Object.freeze({ password });
  return password;
}

/**
 * Options of {@link pgConnection}.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { pgConnection, type PgConnectionOptions } from 'dbtoken/pg';
 * const options: PgConnectionOptions = {
 *   ca: readFileSync('global-bundle.pem', 'utf8'), // the RDS CA bundle
 *   connectionString: process.env.DATABASE_URL,   // postgresql://app@host:5432/orders?sslmode=verify-full
 * };
 * const connection = pgConnection(provider, options);
 * ```
 */
export interface PgConnectionOptions {
  /**
   * The certificate authorities that signed the server's certificate (PEM),
   * for servers whose CA is not in Node's default store, such as RDS's
   * `global-bundle.pem`. Default: Node's default store. An `sslrootcert`
   * in `connectionString` takes its place.
   */
  ca?: string | Buffer | (string | Buffer)[] | undefined;
  /**
   * A connection URL (`DATABASE_URL`), read as pg reads it
   * (pg-connection-string): host, port, user, database, `sslmode`,
   * `sslrootcert` and pg's other parameters. It must hold no password. Its
   * user, when it names one, must be the provider's; its host and port
   * replace the provider's.
   */
  connectionString?: string | undefined;
  /**
   * Allow a `connectionString` whose `sslmode` sends the token without TLS
   * (`disable`), or may (`allow`, `prefer`). Only for local testing. Default false.
   */
  allowInsecureTransport?: boolean | undefined;
}

/**
 * The TLS settings {@link pgConnection} gives: a type that pg, knex and
 * MikroORM (`tls.ConnectionOptions`) and TypeORM (`tls.TlsOptions`) all take.
 *
 * @example
 * ```ts
 * import { pgConnection, type PgConnectionSsl } from 'dbtoken/pg';
 * const ssl: PgConnectionSsl | false = pgConnection(provider, { ca: rdsCaBundle }).ssl; // { rejectUnauthorized: true, ca }
 * ```
 */
export interface PgConnectionSsl {
  /** Check the server's certificate; true unless the connection string says `sslmode=no-verify` (or `require` with `uselibpqcompat`). */
  rejectUnauthorized?: boolean;
  /** The certificate authorities to check the server against (`ca`, or `sslrootcert`). */
  ca?: string | Buffer | (string | Buffer)[];
  /** A client certificate (`sslcert`). */
  cert?: string | Buffer | (string | Buffer)[];
  /** The client certificate's key (`sslkey`). */
  key?: string | Buffer | (string | Buffer)[];
}

/**
 * What {@link pgConnection} returns: the connection settings that pg, knex,
 * MikroORM (`driverOptions.connection`) and TypeORM (`type: 'postgres'`) take
 * as one object. `user` is pg's, knex's and MikroORM's name for the user,
 * `username` TypeORM's.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { pgConnection, type PgConnectionConfig } from 'dbtoken/pg';
 * const connection: PgConnectionConfig = pgConnection(provider, { ca: rdsCaBundle });
 * const pool = new pg.Pool({ ...connection, database: 'orders' });
 * await pool.query('select 1');
 * await pool.end();
 * ```
 */
export interface PgConnectionConfig {
  /** The host: the connection string's, or else the one the provider's tokens are made for. */
  host: string;
  /** Its port: the connection string's, or else the provider's (5432 when neither names one). */
  port: number;
  /** The database user the tokens log in as. */
  user: string;
  /** The same user, under the name TypeORM reads. */
  username: string;
  /** The database the connection string names; absent when it names none (give your own then). */
  database?: string;
  /** {@link pgPassword} for the provider. */
  password: () => Promise<string>;
  /**
   * TLS that verifies the server's certificate (`rejectUnauthorized: true`),
   * against `ca` when given; what the connection string's `sslmode` and
   * `sslrootcert` say, when it has them. `false` only with
   * `allowInsecureTransport` and `sslmode=disable`.
   */
  ssl: PgConnectionSsl | false;
}

/**
 * What pg-connection-string's `parse` gives (pg's own reading of a
 * connection string): the fields dbtoken reads, and pg's other parameters.
 */
export interface ParsedConnectionString {
  [parameter: string]: unknown;
  user?: string | null | undefined;
  password?: string | null | undefined;
  host?: string | null | undefined;
  port?: string | number | null | undefined;
  database?: string | null | undefined;
  ssl?: unknown;
  sslmode?: string | undefined;
}

/** pg-connection-string's `parse`, the parser pg itself uses; dbtoken/pg and createIamPool pass it in. */
export type ConnectionStringParser = (connectionString: string) => ParsedConnectionString;

/** libpq's `sslmode`s that send the password without TLS (`disable`) or may (`allow` and `prefer` fall back to plain text, as libpq, postgres.js and pg 9 read them). */
const CLEARTEXT_SSLMODES: ReadonlySet<string> = new Set(['disable', 'allow', 'prefer']);

/** Parameters that only say how to build `ssl` (the parser has read the files they name): pg would ignore them, and so do ORMs. */
const SSL_PARAMETERS: ReadonlySet<string> = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat']);

const URL_FIX = "write it as postgresql://user@host:5432/database?sslmode=verify-full, with special characters percent-encoded";

/** pg's reading of `connectionString`, refusing a password in it. Messages never quote the string: it may hold a password. */
function parseConnectionString(parse: ConnectionStringParser, connectionString: unknown): ParsedConnectionString {
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw new ConfigError('connectionString', `must be a non-empty string, got ${describe(connectionString)}`, URL_FIX);
  }
  let url: ParsedConnectionString;
  try {
    url = parse(connectionString);
  } catch (err) {
    const { code, path } = (err ?? {}) as { code?: unknown; path?: unknown };
    if (typeof code === 'string' && typeof path === 'string') {
      throw new ConfigError('connectionString', `names a file that cannot be read (${code}: ${path})`, 'fix sslrootcert, sslcert or sslkey; a relative path is read from the working directory', {
        cause: err,
      });
    }
    const detail = err instanceof Error && !err.message.includes(connectionString) && !err.message.includes('://') ? ` (${err.message})` : '';
    throw new ConfigError('connectionString', `is not a connection string pg can read${detail}`, URL_FIX);
  }
  if (typeof url.password === 'string' && url.password !== '') {
    throw passwordInUrlError('connectionString', 'postgresql://user@host:5432/database');
  }
  return url;
}

/** `ssl` from the connection string over the options' `ssl`: the URL's wins, as in pg, but a CA given in code is kept under an `sslmode` that names none. */
function mergeSsl(own: unknown, fromUrl: unknown): unknown {
  const url = fromUrl === 'no-verify' ? { rejectUnauthorized: false } : typeof fromUrl === 'string' ? {} : fromUrl;
  const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;
  if (url === true && isObject(own)) return own;
  if (isObject(url) && isObject(own)) return { ...own, ...url };
  return url;
}

/** Options read from a connection string: pg's options with the URL's fields merged in, and the URL's `sslmode`. */
interface FromConnectionString<C> {
  readonly config: C;
  readonly sslmode: string | undefined;
}

/**
 * `config` with its `connectionString` read into plain options, as pg would
 * merge them (the URL's fields win), except that:
 *
 * - a password in the URL is a {@link ConfigError};
 * - a user in the URL and another in `config.user` or the provider's target is a {@link ConfigError};
 * - what the URL leaves out (user, host, port, database) keeps the value `config`
 *   gives, where pg would fall back to its defaults;
 * - `ssl` from the URL keeps a CA given in `config.ssl`.
 *
 * pg is then given no `connectionString`: it would merge the URL over the
 * provider's user and password again.
 */
function readConnectionString<C extends { connectionString?: string | undefined; user?: string | undefined; ssl?: unknown }>(
  parse: ConnectionStringParser,
  config: C,
  target: TokenTarget | undefined,
): FromConnectionString<Omit<C, 'connectionString'>> {
  const { connectionString, ...rest } = config;
  if (connectionString === undefined) return { config: rest, sslmode: undefined };
  const url = parseConnectionString(parse, connectionString);
  const out: Record<string, unknown> = { ...rest };
  let sslmode: string | undefined;
  let user: string | undefined;
  for (const [key, value] of Object.entries(url)) {
    if (key === 'password' || value === undefined || value === null || value === '') continue;
    if (key === 'sslmode') sslmode = String(value);
    if (SSL_PARAMETERS.has(key)) continue;
    if (key === 'ssl') {
      out.ssl = mergeSsl(rest.ssl, value);
    } else if (key === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError('connectionString', `names port "${String(value)}", which is not a port number`, URL_FIX);
      out.port = port;
    } else {
      if (key === 'user') user = String(value);
      out[key] = value;
    }
  }
  if (user !== undefined) {
    if (rest.user !== undefined && rest.user !== user) {
      throw new ConfigError('user', `is "${rest.user}" but the connection string logs in as "${user}"`, 'give the user in one place');
    }
    if (target?.user !== undefined && target.user !== user) {
      throw new ConfigError('connectionString', `logs in as "${user}" but the token provider makes tokens for "${target.user}"`, 'make them match, or leave the user out of the URL');
    }
  }
  return { config: out as Omit<C, 'connectionString'>, sslmode };
}

/** pg's reading of `PGSSLMODE` when the options set no `ssl`: which modes make it use TLS (`no-verify` without checking the certificate). */
const PGSSLMODE_TLS: ReadonlySet<string> = new Set(['require', 'verify-ca', 'verify-full', 'no-verify']);

/**
 * Whether pg sends the password over TLS with these options (read from any
 * connection string already): never under a cleartext `sslmode`; otherwise
 * as `ssl` says, or, without `ssl`, as `PGSSLMODE` does.
 */
function sendsOverTls(config: { ssl?: unknown }, sslmode: string | undefined, env: NodeJS.ProcessEnv): boolean {
  if (sslmode !== undefined && CLEARTEXT_SSLMODES.has(sslmode)) return false;
  if (config.ssl !== undefined) return Boolean(config.ssl);
  return env.PGSSLMODE !== undefined && PGSSLMODE_TLS.has(env.PGSSLMODE);
}

/** {@link pgUsesTls} (see subpath/pg.ts) with the given connection string parser. */
export function pgUsesTlsWith(
  parse: ConnectionStringParser,
  config: { ssl?: unknown; connectionString?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const { config: read, sslmode } = readConnectionString(parse, config, undefined);
  return sendsOverTls(read, sslmode, env);
}

const TLS_FIX = 'set ssl (for example ssl: { ca: rdsCaBundle }) or sslmode=verify-full in the connection string';

/** {@link pgConnection} (see subpath/pg.ts) with the given connection string parser. */
export function pgConnectionWith(parse: ConnectionStringParser, provider: TokenProvider, options?: PgConnectionOptions): PgConnectionConfig {
  requireProvider(provider, 'provider');
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConfigError('options', `must be an object, got ${describe(options)}`, 'pass { ca?, connectionString? }');
  }
  const { ca, connectionString, allowInsecureTransport } = options ?? {};
  const target = provider.target ?? {};
  const { config: url, sslmode } = readConnectionString<{ connectionString?: string; ssl?: unknown; [k: string]: unknown }>(parse, { connectionString }, target);
  const { host: urlHost, port: urlPort, user: urlUser, database, ssl: urlSsl, ...parameters } = url as ParsedConnectionString & { port?: number };
  const host = typeof urlHost === 'string' ? urlHost : target.host;
  const user = typeof urlUser === 'string' ? urlUser : target.user;
  if (user === undefined && awaitsUser(provider)) {
    throw userNotYetKnown('provider', 'await provider.getToken() once before pgConnection(provider) (the user is then known), or give the provider its username');
  }
  if (host === undefined || user === undefined) {
    throw new ConfigError(
      'provider',
      `names no ${host === undefined ? 'host' : 'user'} in its target${connectionString === undefined ? '' : ', and the connection string names none either'}`,
      'give the provider its hostname and username (as awsRdsToken does), or use pgPassword() with a host and user of your own',
    );
  }
  const port = urlPort ?? (host.toLowerCase() === target.host?.toLowerCase() ? target.port : undefined) ?? 5432;
  checkTarget(provider.target, { host, port, user }, 5432, 'the connection');
  const verifying = { rejectUnauthorized: true, ...(ca !== undefined ? { ca } : {}) };
  const ssl = urlSsl === undefined ? verifying : (mergeSsl(verifying, urlSsl) as PgConnectionSsl | false);
  if (allowInsecureTransport !== true && !sendsOverTls({ ssl }, sslmode, {})) {
    throw insecureTransport(`pgConnection would send IAM tokens without TLS (sslmode=${sslmode ?? 'disable'} in the connection string)`, TLS_FIX);
  }
  return {
    ...parameters,
    host,
    port,
    user,
    username: user,
    ...(typeof database === 'string' ? { database } : {}),
    password: pgPassword(provider, { allowInsecureTransport: allowInsecureTransport === true }),
    ssl,
  };
}

/**
 * What Sequelize hands its `beforeConnect` hook: the part of its connection
 * config that {@link sequelizeBeforeConnect} reads and sets.
 *
 * @example
 * ```ts
 * import { Sequelize } from 'sequelize';
 * import { sequelizeBeforeConnect, type SequelizeConnectConfig } from 'dbtoken/pg';
 * const hook: (config: SequelizeConnectConfig) => void | Promise<void> = sequelizeBeforeConnect(provider);
 * const sequelize = new Sequelize({ dialect: 'postgres', host, port, database: 'orders', dialectOptions: { ssl: { ca } } });
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
        ssl?: unknown;
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
 *   against the provider's target ({@link ConfigError}); for a provider
 *   that reads the user from its first token (`azureEntraToken` or
 *   `gcpCloudSqlToken` without `username`), it returns a promise, which
 *   Sequelize awaits, that fetches that token first;
 * - sets the password to {@link pgPassword}, which pg calls for a token
 *   once per new connection (so a token is never stored in Sequelize's config).
 *
 * @example
 * ```ts
 * import { Sequelize } from 'sequelize';
 * import { sequelizeBeforeConnect } from 'dbtoken/pg';
 * const sequelize = new Sequelize({
 *   dialect: 'postgres', host, port, database: 'orders', // host and port: the database's endpoint
 *   dialectOptions: { ssl: { ca: rdsCaBundle } },
 *   hooks: { beforeConnect: sequelizeBeforeConnect(provider) },
 * });
 * ```
 */
export function sequelizeBeforeConnect(provider: TokenProvider, options?: PgPasswordOptions): (config: SequelizeConnectConfig) => void | Promise<void> {
  requireProvider(provider, 'provider');
  const allowInsecure = options?.allowInsecureTransport === true;
  const password = pgPassword(provider, options);
  const apply = (config: SequelizeConnectConfig): void => {
    checkTarget(provider.target, { host: config.host, port: config.port, user: config.username ?? undefined }, 5432);
    config.username ??= provider.target?.user;
    // pg calls it per connection; Sequelize passes it through untouched.
    config.password = password as unknown as string;
  };
  return (config) => {
    if (config.native) throw new ConfigError('native', 'pg-native takes no password function', 'leave native unset');
    if (config.password != null && (config.password as unknown) !== password) {
      throw new ConfigError('password', `must not be set: ${PROVIDER_PASSWORD}`, 'remove password from the Sequelize options');
    }
    if (!allowInsecure && !config.dialectOptions?.ssl) {
      throw insecureTransport('Sequelize would send IAM tokens without TLS (dialectOptions.ssl is not set)', 'set dialectOptions: { ssl: { ca } }');
    }
    // Sequelize keeps '' for a username given nowhere: unset, as pg would take it.
    if (config.username === '') config.username = undefined;
    // A provider that reads the user from its first token (Azure, Google without username): Sequelize awaits its hooks.
    if (config.username == null && awaitsUser(provider)) return provider.getToken().then(() => apply(config));
    apply(config);
  };
}

/** What the provider replaces in pg's options, and why. */
const REFUSED_OPTIONS = {
  password: PROVIDER_PASSWORD,
  Client: 'the IAM pool uses its own Client subclass to retry refused logins (use pgPassword() with a pool of your own instead)',
};

/** The pg module {@link createPgPoolWith} needs: its `Pool` and `Client` classes. */
export type PgDriver = Pick<typeof pg, 'Pool' | 'Client'>;

/** `createPgPool` (see subpath/pg.ts) with the given pg module and its connection string parser. */
export function createPgPoolWith(driver: PgDriver, options: PgIamPoolConfig, parse: ConnectionStringParser): pg.Pool {
  const { provider, allowInsecureTransport, loginRate, config: rawConfig } = checkPoolOptions(options, { driver: 'pg', refused: REFUSED_OPTIONS });
  const { config: fromUrl, sslmode } = readConnectionString(parse, rawConfig, provider.target);
  const config = applyTarget(fromUrl, provider, 5432);
  if (!allowInsecureTransport && !sendsOverTls(config, sslmode, process.env)) {
    throw insecureTransport(
      `createPgPool would send IAM tokens without TLS (${sslmode !== undefined && CLEARTEXT_SSLMODES.has(sslmode) ? `sslmode=${sslmode} in the connection string` : 'ssl is not set or is false'})`,
      TLS_FIX,
    );
  }
  const password = passwordFor(provider, allowInsecureTransport, true);
  const lifetime = connectionLifetimeSeconds(provider, 'maxLifetimeSeconds', config.maxLifetimeSeconds);
  const pace = loginPace(provider, loginRate, config, 5432);
  const ending = new AbortController();

  class IamClient extends driver.Client {
    override connect(callback?: any): any {
      const tag = (err: unknown): never => {
        const sent = (this as unknown as Tagged)[kToken];
        if (err && typeof err === 'object' && sent !== undefined) {
          Object.defineProperty(err, kToken, { value: sent, enumerable: false, configurable: true });
        }
        throw err;
      };
      // The login's slot, before its socket opens; the pool's connectionTimeoutMillis (which destroys the stream) or end() gives it up.
      const result = (pace === undefined ? super.connect() : slot(this as unknown as PgClientView).then(() => super.connect()))
        .then((client: unknown) => {
          pace?.accepted();
          return client;
        }, tag);
      if (typeof callback !== 'function') return result;
      result.then(() => callback(), callback);
      return undefined;
    }
  }

  const slot = (client: PgClientView): Promise<void> => {
    const gone = new AbortController();
    const stream = client.connection?.stream as (EventEmitter & { destroyed?: boolean }) | undefined;
    const onClose = (): void => gone.abort(new Error('Connection terminated before it opened'));
    stream?.once('close', onClose);
    const offEnding = onAbort(ending.signal, () => gone.abort(ending.signal.reason));
    return pace!.wait(gone.signal).finally(() => {
      stream?.off('close', onClose);
      offEnding();
    });
  };

  class IamPool extends driver.Pool {
    override connect(callback?: any): any {
      const result = retryRefusedLogin(provider, () => super.connect(), (err) => (this.ending ? undefined : refusalOf(err)), pace, ending.signal);
      if (typeof callback !== 'function') return result;
      result.then(
        (client) => callback(undefined, client, client.release),
        (err: Error) => callback(err, undefined, () => {}),
      );
      return undefined;
    }
  }

  const pool = new IamPool({ ...config, ...(lifetime !== undefined ? { maxLifetimeSeconds: lifetime } : {}), password, Client: IamClient as unknown as typeof pg.Client });
  const end = pool.end.bind(pool) as (cb?: unknown) => unknown;
  (pool as { end: unknown }).end = (cb?: unknown): unknown => {
    ending.abort(new Error('Cannot use a pool after calling end on the pool'));
    pace?.leave();
    return end(cb);
  };
  return pool;
}
