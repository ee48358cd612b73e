/**
 * The mysql2 adapter, given the driver. `dbtoken/mysql2` (subpath/mysql2.ts)
 * binds it to the installed `mysql2/promise`, and createIamPool to the one
 * it loaded. Only mysql2's types are imported here, so that a bundle without
 * the driver builds.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { EventEmitter } from 'node:events';
/** @ts-ignore optional peer: without mysql2, its types are any */
import type { Pool as PromisePool, PoolOptions } from 'mysql2/promise';
import { ConfigError, InsecureTransportError, isDbTokenError, type DbTokenError } from '../src/core/errors.js';
import type { LoginRate, TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { onAbort } from '../src/core/abort.js';
import { loginThrottled } from '../src/core/provider.js';
import { loginPace, markAccepted, type LoginPace, type Refusal } from './login-pace.js';
import { applyTarget, checkPoolOptions, insecureTransport, loginRefusal, requireProvider, retryRefusedLogin } from './preamble.js';

/**
 * The `mysql2/promise` pool that {@link createMysql2Pool} returns: mysql2's own class.
 *
 * @example
 * ```ts
 * const pool: Mysql2Pool = createMysql2Pool({ token, database: 'orders', ssl: { ca: rdsCaBundle } });
 * const [rows] = await pool.query('select current_user()');
 * await pool.end();
 * ```
 */
export type Mysql2Pool = PromisePool;

/**
 * Options of {@link mysql2AuthPlugins}.
 *
 * @example
 * ```ts
 * const options: Mysql2AuthPluginsOptions = { allowInsecureTransport: true }; // local test server only
 * const authPlugins = mysql2AuthPlugins(staticToken('test-token'), options);
 * ```
 */
export interface Mysql2AuthPluginsOptions {
  /** Allow sending tokens over a connection without TLS. Only for local testing. Default false. */
  allowInsecureTransport?: boolean | undefined;
}

/**
 * Options of {@link createMysql2Pool}: mysql2's own pool options, less `password` and `authPlugins`, plus the provider.
 *
 * @example
 * ```ts
 * const config: Mysql2IamPoolConfig = {
 *   token: heatwaveOciToken({ profile: 'heatwave' }),
 *   host: '10.0.1.12', user: 'app', database: 'orders',
 *   ssl: { ca: heatwaveCa }, connectionLimit: 10,
 * };
 * const pool = createMysql2Pool(config);
 * ```
 */
export interface Mysql2IamPoolConfig extends Omit<PoolOptions, 'password' | 'authPlugins'> {
  /** Supplies the login of every new physical connection. */
  token: TokenProvider;
  /** Allow tokens over connections without TLS. Only for local testing. Default false. */
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
 * A mysql2 auth plugin factory, as `authPlugins` takes it.
 *
 * @example
 * ```ts
 * const plugin: Mysql2AuthPlugin = mysql2AuthPlugins(provider).mysql_clear_password;
 * const conn = await mysql.createConnection({ host, user: 'app', ssl: { ca }, authPlugins: { mysql_clear_password: plugin } });
 * ```
 */
export type Mysql2AuthPlugin = (ctx: { connection: unknown; command?: unknown }) => (data: Buffer) => Promise<Buffer>;

/**
 * The map {@link mysql2AuthPlugins} returns.
 *
 * @example
 * ```ts
 * const { mysql_clear_password, authentication_oci_client }: Mysql2AuthPlugins = mysql2AuthPlugins(provider);
 * // AWS RDS needs only the first; HeatWave OCI IAM only the second
 * const conn = await mysql.createConnection({ host, user: 'app', ssl: { ca }, authPlugins: { mysql_clear_password } });
 * ```
 */
export interface Mysql2AuthPlugins {
  /** Any other plugin name: so the map fits mysql2's `authPlugins` option as it is. */
  [plugin: string]: Mysql2AuthPlugin;
  /** AWS RDS / Aurora MySQL and any cleartext token: the token and a NUL byte. */
  mysql_clear_password: Mysql2AuthPlugin;
  /** MySQL HeatWave OCI IAM: the JSON `{fingerprint, signature, token}` over the server's nonce. */
  authentication_oci_client: Mysql2AuthPlugin;
}

/**
 * mysql2 overwrites `code` on whatever an auth plugin throws. The plugins
 * therefore throw this carrier, whose `cause` is the untouched error (a
 * {@link DbTokenError}, or the pool's own "Pool is closed."); the pool hands
 * the cause itself to the caller.
 */
class PluginFailure extends Error {
  constructor(readonly original: DbTokenError | Error) {
    super(`dbtoken: ${original.message}`, { cause: original });
    this.name = 'DbTokenPluginFailure';
  }
}

function unwrap(err: unknown): unknown {
  return err instanceof PluginFailure ? err.original : err;
}

function isEncrypted(connection: unknown): boolean {
  return (connection as { stream?: { encrypted?: boolean } } | null)?.stream?.encrypted === true;
}

const keyObjects = new WeakMap<DbToken, KeyObject>();

function keyOf(t: DbToken): KeyObject {
  let k = keyObjects.get(t);
  if (k === undefined) keyObjects.set(t, (k = createPrivateKey(t.privateKey!)));
  return k;
}

/**
 * The `authentication_oci_client` reply for one nonce: RSA PKCS#1 v1.5 with
 * SHA-256 over the nonce bytes exactly as received, in standard base64,
 * inside raw JSON `{"fingerprint","signature","token"}` with no NUL after it.
 * An empty nonce gets an empty reply (the server sends the nonce next).
 * `t` needs `privateKey` and `fingerprint`, as {@link DbToken}s from
 * `heatwaveOciToken()` have.
 *
 * @example
 * ```ts
 * const reply = heatwaveAuthResponse(nonce, await heatwaveOciToken().getToken());
 * JSON.parse(reply.toString()); // { fingerprint, signature, token }
 * ```
 */
export function heatwaveAuthResponse(nonce: Buffer, t: DbToken): Buffer {
  if (nonce.length === 0) return Buffer.alloc(0);
  const signature = sign('sha256', nonce, keyOf(t)).toString('base64');
  return Buffer.from(JSON.stringify({ fingerprint: t.fingerprint, signature, token: t.token }), 'utf8');
}

/** The errors the plugins fail a login with once its pool was ended. */
const cutShort = new WeakSet<Error>();

/** What mysql2 tells a caller whose connection the pool's `end()` cut short. */
function poolClosed(): Error {
  const err = new Error('Pool is closed.');
  cutShort.add(err);
  return err;
}

/**
 * How a pool's plugins are tied to it: `onSent` learns which token each
 * login used; `ended` aborts on `end()`; `answering` holds each token fetch
 * in flight until it settles.
 */
interface PoolHooks {
  onSent(connection: unknown, t: DbToken): void;
  readonly ended: AbortSignal;
  readonly answering: Set<Promise<unknown>>;
}

/** Calls `failed` with the error that ends `connection`'s login, if one does, or else `loggedIn`. */
function whenLoginFails(connection: unknown, failed: (err: unknown) => void, loggedIn: () => void): void {
  const conn = connection as Partial<Pick<EventEmitter, 'once' | 'removeListener'>> | null;
  if (typeof conn?.once !== 'function' || typeof conn.removeListener !== 'function') return;
  const onError = (err: unknown): void => {
    conn.removeListener!('connect', onConnect);
    failed(err);
  };
  // Logged in: later errors of this connection are no refusal of its token.
  const onConnect = (): void => {
    conn.removeListener!('error', onError);
    loggedIn();
  };
  conn.once('error', onError);
  conn.once('connect', onConnect);
}

/** Builds the plugins. */
function buildPlugins(provider: TokenProvider, allowInsecure: boolean, pool?: PoolHooks): Mysql2AuthPlugins {
  const guard = (connection: unknown, what: string): void => {
    if (!allowInsecure && !isEncrypted(connection)) {
      throw new PluginFailure(insecureTransport(`refusing to send ${what} over a MySQL connection without TLS`, 'set ssl (for example ssl: { ca })'));
    }
  };
  const fetch = (connection: unknown): Promise<DbToken> => {
    const answer = (async () => {
      try {
        if (pool?.ended.aborted) throw poolClosed();
        const t = await provider.getToken(pool === undefined ? undefined : { signal: pool.ended });
        if (pool !== undefined) pool.onSent(connection, t);
        // Used without a pool of dbtoken's (knex, TypeORM, Sequelize): a refused token is forgotten, so the next connection
        // fetches anew (no retry follows to tell a throttle from a revoked token), unless the refusal names the login rate.
        else
          whenLoginFails(
            connection,
            (err) => {
              const kind = loginRefusal('mysql', err);
              if (kind === 'throttled') loginThrottled(provider);
              else if (kind === 'refused') provider.invalidate(t);
            },
            () => markAccepted(t),
          );
        return t;
      } catch (err) {
        // The pool was ended while this login waited: no token, so no login.
        if (pool?.ended.aborted) throw new PluginFailure(poolClosed());
        // Any copy of dbtoken (the other build too): its code must reach the caller.
        if (isDbTokenError(err)) throw new PluginFailure(err);
        throw err;
      }
    })();
    if (pool !== undefined) {
      pool.answering.add(answer);
      const done = (): void => void pool.answering.delete(answer);
      answer.then(done, done);
    }
    return answer;
  };
  return {
    mysql_clear_password:
      ({ connection }) =>
      async () => {
        guard(connection, 'an IAM token');
        const t = await fetch(connection);
        return Buffer.from(`${t.token}\0`, 'utf8');
      },
    authentication_oci_client: ({ connection }) => {
      let material: Promise<DbToken> | undefined;
      return async (nonce: Buffer) => {
        guard(connection, 'an OCI IAM login');
        // One token per connection, even when the server sends the nonce in a second packet.
        const t = await (material ??= fetch(connection));
        if (t.privateKey === undefined || t.fingerprint === undefined) {
          throw new PluginFailure(
            new ConfigError(
              'token',
              'authentication_oci_client needs a provider whose tokens carry privateKey and fingerprint',
              'use heatwaveOciToken(), or a tokenProvider() whose source returns both',
            ),
          );
        }
        return heatwaveAuthResponse(nonce, t);
      };
    },
  };
}

/**
 * An `authPlugins` map for mysql2 that logs in with tokens from `provider`,
 * fetched once per physical connection:
 *
 * - `mysql_clear_password`: the token followed by a NUL byte (AWS RDS and
 *   Aurora MySQL, MariaDB PAM, any cleartext token);
 * - `authentication_oci_client`: MySQL HeatWave's OCI IAM login, signing the
 *   server's nonce with the provider's `privateKey`.
 *
 * Both refuse, with {@link InsecureTransportError}, a connection without TLS
 * unless `allowInsecureTransport` is set. mysql2 overwrites `code` on
 * anything a plugin throws (`AUTH_SWITCH_PLUGIN_ERROR`): used directly, the
 * provider's {@link DbTokenError} is that error's `cause`. Through
 * {@link createMysql2Pool} the caller gets the `DbTokenError` itself.
 *
 * A token the server refuses (1045) is forgotten, so the next connection
 * logs in with a fresh one; used directly, the refused login itself is not
 * retried (your ORM's pool decides that), while {@link createMysql2Pool}
 * retries it once.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import { mysql2AuthPlugins } from 'dbtoken/mysql2';
 * const conn = await mysql.createConnection({ host, user: 'app', ssl: { ca }, authPlugins: mysql2AuthPlugins(provider) });
 * ```
 */
export function mysql2AuthPlugins(provider: TokenProvider, options?: Mysql2AuthPluginsOptions): Mysql2AuthPlugins {
  return buildPlugins(requireProvider(provider, 'provider'), options?.allowInsecureTransport === true);
}

/** What the provider replaces in mysql2's options. */
const REFUSED_OPTIONS = Object.fromEntries(
  ['password', 'password1', 'password2', 'password3', 'authPlugins', 'authSwitchHandler'].map((f) => [f, 'the token provider supplies the login of every connection']),
);

/**
 * The token each connection's login sent, so that a refusal names exactly
 * that token. mysql2 reports a refused login as the connection's `'error'`
 * event, in the same tick as it fails the pool call, so the error is tied to
 * its token before any caller's promise reaction runs.
 */
class LoginTracker {
  readonly #byConnection = new WeakMap<object, DbToken>();
  readonly #byError = new WeakMap<object, DbToken>();

  constructor(readonly pace: LoginPace | undefined) {}

  sent(connection: unknown, token: DbToken): void {
    if (typeof connection !== 'object' || connection === null) return;
    const watched = this.#byConnection.has(connection);
    this.#byConnection.set(connection, token);
    if (watched) return;
    whenLoginFails(
      connection,
      (err) => {
        const t = this.#byConnection.get(connection);
        if (typeof err === 'object' && err !== null && t !== undefined) this.#byError.set(err, t);
      },
      () => {
        markAccepted(this.#byConnection.get(connection)!);
        this.pace?.accepted();
      },
    );
  }

  /** The refused login's token, and whether the server named its rate. */
  refused(err: unknown): Refusal | undefined {
    const kind = loginRefusal('mysql', err);
    const token = kind !== undefined && typeof err === 'object' && err !== null ? this.#byError.get(err) : undefined;
    return token === undefined ? undefined : { token, named: kind === 'throttled' };
  }
}

/** What {@link createMysql2PoolWith} reads of mysql2's callback pool, to tell whether a call opens a connection. */
interface CorePool {
  on?(event: 'release', listener: () => void): void;
  _freeConnections?: { length: number };
  _allConnections?: { length: number };
  config?: { connectionLimit?: number };
}

/** The part of `mysql2/promise` {@link createMysql2PoolWith} needs. */
export interface Mysql2Driver {
  createPool(options: PoolOptions): PromisePool;
}

/** `createMysql2Pool` (see subpath/mysql2.ts) with the given `mysql2/promise` module. */
export function createMysql2PoolWith(driver: Mysql2Driver, options: Mysql2IamPoolConfig): PromisePool {
  const checked = checkPoolOptions(options, { driver: 'mysql2', refused: REFUSED_OPTIONS });
  const { provider, allowInsecureTransport, loginRate } = checked;
  if (checked.config.uri !== undefined) {
    throw new ConfigError('uri', 'is not supported with IAM logins', 'pass host, port, user and ssl as options');
  }
  const config = applyTarget(checked.config, provider, 3306, checked.config.socketPath !== undefined);
  const ssl = config.ssl as unknown;
  if (!allowInsecureTransport && (ssl === undefined || ssl === null || ssl === false || ssl === '')) {
    throw insecureTransport('createMysql2Pool would send IAM tokens without TLS (ssl is not set)', 'set ssl (for example ssl: { ca: rdsCaBundle })');
  }
  const logins = new LoginTracker(config.socketPath === undefined ? loginPace(provider, loginRate, config, 3306) : undefined);
  const ending = new AbortController();
  const answering = new Set<Promise<unknown>>();
  const authPlugins = buildPlugins(provider, allowInsecureTransport, { onSent: (connection, t) => logins.sent(connection, t), ended: ending.signal, answering });
  const pool = driver.createPool({ ...config, authPlugins } as unknown as PoolOptions);
  const { pace } = logins;
  const core = (pool as unknown as { pool?: CorePool }).pool;
  const limit = core?.config?.connectionLimit ?? 10;
  /** Calls waiting for a login slot, oldest first: a connection released meanwhile serves the oldest instead. */
  const waiting: AbortController[] = [];
  /** Calls held while the calls waiting for a slot would fill the pool: they decide again once one has entered mysql2. */
  let held: (() => void)[] = [];
  const wake = (): void => {
    const h = held;
    held = [];
    for (const go of h) go();
  };
  const ThePromise = ((pool as { Promise?: PromiseConstructor }).Promise ?? Promise) as PromiseConstructor;
  // mysql2 frees a connection only after the query's answer (and its reset) is done: a call that started
  // waiting for a slot meanwhile needs no login after all.
  core?.on?.('release', () => {
    waiting.shift()?.abort();
    wake();
  });
  /**
   * A call opens a connection, and so waits for a login slot first, when no
   * connection is free and the pool has room; a call mysql2 would serve or
   * queue goes through at once. mysql2 creates the connection synchronously
   * in the call, so its count is right the moment a paced call enters it.
   */
  const paced = (call: () => Promise<unknown>): Promise<unknown> => {
    const free = core?._freeConnections?.length;
    const all = core?._allConnections?.length;
    if (pace === undefined || free === undefined || all === undefined || free > 0 || (limit > 0 && all >= limit)) return call();
    return new ThePromise<unknown>((resolve, reject) => {
      const retry = (): void => void (ending.signal.aborted ? reject(poolClosed()) : paced(call).then(resolve, reject));
      if (limit > 0 && all + waiting.length >= limit) {
        held.push(retry);
        return;
      }
      const mine = new AbortController();
      waiting.push(mine);
      const offEnding = onAbort(ending.signal, () => mine.abort());
      const done = (): void => {
        offEnding();
        const i = waiting.indexOf(mine);
        if (i >= 0) waiting.splice(i, 1);
      };
      pace.wait(mine.signal).then(
        () => {
          done();
          call().then(resolve, reject);
          wake();
        },
        () => {
          // The pool ended, or a released connection serves this call: decide again.
          done();
          retry();
          wake();
        },
      );
    });
  };
  // Every way into the promise pool: each may open a connection whose login is refused.
  for (const name of ['getConnection', 'query', 'execute'] as const) {
    const call = (pool[name] as (...args: unknown[]) => Promise<unknown>).bind(pool);
    wrap(pool, name, (...args: unknown[]) =>
      // Between end() and mysql2's own end below, as mysql2 answers once it has ended.
      ending.signal.aborted
        ? Promise.reject(poolClosed())
        : retryRefusedLogin(provider, () => paced(() => call(...args)), (err) => logins.refused(err), pace, ending.signal).then(undefined, (err: unknown) => {
            throw unwrap(err);
          }),
    );
  }
  // mysql2's end() queues QUIT behind a login still running, lets an async
  // plugin finish and log in first, and fails end() with whatever that login
  // fails with. So the logins waiting for a token fail first, with no token
  // sent, and leave the pool; then mysql2 ends the connections left.
  const end = pool.end.bind(pool);
  let ended: Promise<void> | undefined;
  wrap(pool, 'end', () =>
    (ended ??= (async () => {
      ending.abort();
      pace?.leave();
      await Promise.allSettled([...answering]);
      // mysql2 fails the login in a promise reaction to the plugin's answer.
      await new Promise((resolve) => setImmediate(resolve));
      await end().catch((err: unknown) => {
        // A login that reached its plugin only after end(): mysql2 reports it as end()'s error.
        if (!(err instanceof PluginFailure && cutShort.has(err.original))) throw err;
      });
    })()),
  );
  return pool;
}

function wrap(target: object, name: string, value: (...args: unknown[]) => Promise<unknown>): void {
  Object.defineProperty(target, name, { configurable: true, writable: true, value });
}
