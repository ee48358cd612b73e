/**
 * The node-oracledb adapter, given the driver. `dbtoken/oracledb`
 * (subpath/oracledb.ts) binds it to the installed `oracledb`, and
 * createIamPool to the one it loaded. Only the driver's types are imported
 * here, so that a bundle without the driver builds.
 */
/** @ts-ignore optional peer: without @types/oracledb, its types are any */
import type oracledb from 'oracledb';
import { ConfigError } from '../src/core/errors.js';
import type { TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { connectTransport, loadOracleNet, loadTnsNames, type OracleNetReader } from './oracle-connect.js';
import { checkPoolOptions, forgetRefused, insecureTransport, isLoginRefused, requireProvider } from './preamble.js';

/**
 * The `oracledb.Pool` that {@link createOracledbPool} returns: the driver's own.
 *
 * @example
 * ```ts
 * const pool: OracledbPool = await createOracledbPool({ token, connectString });
 * const conn = await pool.getConnection();
 * try { await conn.execute('select 1 from dual'); } finally { await conn.close(); }
 * await pool.close(10);
 * ```
 */
export type OracledbPool = oracledb.Pool;

/**
 * What the `accessToken` callback gives the driver: a db-token and its PKCS#8 key.
 *
 * @example
 * ```ts
 * const accessToken = oracledbAccessToken(ociDbToken({ scope: ociScope.all() }));
 * const { token, privateKey }: OracledbAccessToken = await accessToken(false);
 * // token: the db-token (a JWT); privateKey: '-----BEGIN PRIVATE KEY-----\n...'
 * ```
 */
export interface OracledbAccessToken {
  /** The db-token (a JWT). */
  token: string;
  /** The PKCS#8 PEM key the token was issued for. */
  privateKey: string;
}

/**
 * Options of {@link createOracledbPool}: node-oracledb's pool attributes plus the provider.
 *
 * @example
 * ```ts
 * const attributes: OracledbIamPoolAttributes = {
 *   token: ociDbToken({ scope: ociScope.all(), auth: { type: 'instance_principal' } }),
 *   connectString: 'mydb_high', configDir: '/opt/oracle/wallet', // a TCPS alias in tnsnames.ora
 *   poolMax: 8,
 * };
 * const pool = await createOracledbPool(attributes);
 * ```
 */
export interface OracledbIamPoolAttributes
  extends Omit<oracledb.PoolAttributes, 'user' | 'password' | 'accessToken' | 'accessTokenConfig' | 'externalAuth' | 'homogeneous'> {
  /** Supplies the db-token of every new connection. */
  token: TokenProvider;
  /** Allow a connect string that is not TCPS. Only for testing: the token would travel in the clear. Default false. */
  allowInsecureTransport?: boolean | undefined;
}

/**
 * The `accessToken` callback for node-oracledb: `(refresh) => { token,
 * privateKey }` from `provider`. The driver calls it once when a pool is
 * created (`refresh` false) and again, with `refresh` true, when the token it
 * holds has expired. The provider never hands out a token with less than its
 * `minValidity` left, so the driver never gets one it would refuse as expired
 * (NJS-087); with `refresh` true and the same token still cached, it forces a
 * new one. Each answer is a fresh object pairing a token with its own key.
 *
 * The driver replaces an error this callback throws with its own NJS-168,
 * keeping only the stack; {@link createOracledbPool} gives the caller the
 * provider's error instead.
 *
 * @example
 * ```ts
 * import oracledb from 'oracledb';
 * import { oracledbAccessToken } from 'dbtoken/oracledb';
 * const pool = await oracledb.createPool({
 *   externalAuth: true, homogeneous: true, connectString,
 *   accessToken: oracledbAccessToken(ociDbToken({ scope: ociScope.all() })),
 * });
 * ```
 */
export function oracledbAccessToken(provider: TokenProvider): (refresh: boolean) => Promise<OracledbAccessToken> {
  requireProvider(provider, 'provider');
  let last: DbToken | undefined;
  return async (refresh: boolean): Promise<OracledbAccessToken> => {
    let t = await provider.getToken();
    if (refresh === true && last !== undefined && t.token === last.token) t = await provider.getToken({ forceRefresh: true });
    last = t;
    return plain(t);
  };
}

/** A PKCS#8 PEM key without its armour and line breaks, as the driver keeps keys. */
function bareKey(pem: string): string {
  return pem.replace('-----BEGIN PRIVATE KEY-----', '').replace('-----END PRIVATE KEY-----', '').replace(/\s+/g, '');
}

/** The driver rewrites `privateKey` in place: it gets a plain copy, never the provider's token. */
function plain(t: DbToken): OracledbAccessToken {
  if (t.privateKey === undefined) {
    throw new ConfigError(
      'token',
      'oracledb needs a provider whose tokens carry a privateKey (an OCI IAM db-token)',
      'use ociDbToken(), or a tokenProvider() whose source returns privateKey',
    );
  }
  return { token: t.token, privateKey: t.privateKey };
}

/** What the provider replaces in node-oracledb's pool attributes. */
const REFUSED_OPTIONS = Object.fromEntries(
  ['user', 'username', 'password', 'accessToken', 'accessTokenConfig'].map((f) => [f, 'the token provider supplies the login (IAM db-tokens carry the identity)']),
);

/** The part of `oracledb` {@link createOracledbPoolWith} needs. */
export type OracledbDriver = Pick<typeof oracledb, 'createPool'>;

/**
 * `createOracledbPool` (see subpath/oracledb.ts) with the given `oracledb`
 * module, and the connect-string readers of that same release (by default
 * those of the `oracledb` package dbtoken resolves, as `driver` is).
 */
export async function createOracledbPoolWith(
  driver: OracledbDriver,
  options: OracledbIamPoolAttributes,
  readers: () => Promise<OracleNetReader | undefined> = loadOracleNet,
): Promise<oracledb.Pool> {
  const { provider, allowInsecureTransport, config: attrs } = checkPoolOptions(options, { driver: 'node-oracledb', refused: REFUSED_OPTIONS });
  const raw = attrs as Record<string, unknown>;
  for (const field of ['externalAuth', 'homogeneous']) {
    if (raw[field] !== undefined && raw[field] !== true) throw new ConfigError(field, 'must be true for token logins', `leave ${field} out`);
  }
  const connectString = (attrs.connectString ?? attrs.connectionString) as unknown;
  if (typeof connectString !== 'string' || connectString.trim() === '') {
    throw new ConfigError('connectString', 'is required', 'pass a tcps:// Easy Connect string, a descriptor with PROTOCOL=TCPS, or a tnsnames.ora alias');
  }
  if (!allowInsecureTransport) {
    const net = await readers();
    const transport = connectTransport(connectString, net, () => loadTnsNames(attrs.configDir, net!));
    if (transport.kind === 'tcp') {
      throw insecureTransport(
        `createOracledbPool would send IAM db-tokens without TLS (${transport.why})`,
        'use TCPS (tcps://host:port/service, or PROTOCOL=TCPS in every ADDRESS)',
      );
    }
    if (transport.kind === 'unknown') {
      throw insecureTransport(
        `cannot tell whether ${transport.alias !== undefined ? `"${transport.alias}"` : 'the connect string'} uses TCPS: ${transport.why}`,
        'give configDir, or the tcps:// string or descriptor itself',
      );
    }
  }
  // node-oracledb replaces an error the callback throws with NJS-168 and keeps only its stack: the first
  // token is fetched here, so that a provider that cannot give one rejects with its own error.
  const first = await provider.getToken();
  plain(first);
  const kept = keepPoolToken(provider, first);
  let pool: oracledb.Pool;
  try {
    pool = await driver.createPool({
      ...attrs,
      externalAuth: true,
      homogeneous: true,
      accessToken: kept.callback,
    } as unknown as oracledb.PoolAttributes);
  } catch (err) {
    throw kept.unwrap(err);
  }
  kept.attach(pool);
  return pool;
}

/** The token a pool holds: taken by the driver through the callback, or handed over by the adapter; and when. */
interface HeldToken {
  readonly token: DbToken;
  readonly byDriver: boolean;
  readonly at: number;
}

/** Hands `pool` a token (`pool.setAccessToken`, public since node-oracledb 6.x, not yet in @types/oracledb). */
async function setPoolToken(pool: oracledb.Pool, t: DbToken): Promise<void> {
  // Unlike createPool, setAccessToken stores the key as given, and the driver adds the PEM armour back
  // at login: hand it the bare base64 body.
  const { token, privateKey } = plain(t);
  await (pool as unknown as { setAccessToken(t: OracledbAccessToken): Promise<void> }).setAccessToken({ token, privateKey: bareKey(privateKey) });
}

/** How close to its expiry a pool's token may come before a new connection swaps it: 30 s, or a quarter of a short token's life. */
function swapMargin(h: HeldToken): number {
  return Math.min(30_000, Math.max(0, h.token.expiresAt.getTime() - h.at) / 4);
}

/** How many of the callback's errors are kept to recognise in NJS-168: the driver keeps one pending error per pool. */
const THROWN_KEPT = 4;

/**
 * What the pool does not do by itself, done around the driver's pool with
 * public APIs only (the `accessToken` callback, `setAccessToken`, and
 * `getConnection` and `close` wrapped on the pool object, which stays the
 * driver's own):
 *
 * - **Swap ahead of expiry.** The pool keeps its token until the token's
 *   `exp`, so a login begun in its last moment would reach the database
 *   expired. A new connection whose pool token is that close to expiry
 *   starts handing the pool the provider's current token
 *   (`pool.setAccessToken`), which the provider keeps fresh ahead of time, and
 *   goes ahead with the token the pool holds without waiting: the adapter
 *   cannot tell whether the driver will serve it from an idle connection, and
 *   IAM may be slow. One swap at a time per pool.
 * - **Wait only for an expired token.** Once the pool's token has expired, a
 *   new connection waits for the swap (within the provider's `fetchTimeout`).
 *   If that fails it still goes ahead, for an idle connection may serve it; a
 *   login then fails with that same error, without a second wait.
 * - **The provider's error, not NJS-168.** The driver replaces what the
 *   callback throws with NJS-168 and copies only the stack; the error with
 *   that stack is given back in its place.
 * - **One retry on refusal.** A login the database refuses (ORA-01017,
 *   ORA-25707, ORA-25708) forgets the token that login sent, hands the pool a
 *   fresh one and tries that connection once more; never twice.
 */
function keepPoolToken(provider: TokenProvider, first: DbToken) {
  let pool!: oracledb.Pool;
  let held: HeldToken | undefined;
  let unused: DbToken | undefined = first;
  let closed = false;
  /** The one fetch under way of a token for the pool; `stop` ends it when the pool closes. */
  let swapping: { readonly done: Promise<DbToken>; readonly stop: AbortController } | undefined;
  /** Connections going ahead after their wait for a token in place of `for` failed with `error`. */
  const fallbacks = new Set<{ readonly for: HeldToken; readonly error: unknown }>();
  /** What the callback threw lately. */
  const thrown: Error[] = [];

  const hold = (token: DbToken, byDriver: boolean): void => {
    held = { token, byDriver, at: Date.now() };
  };

  const callback = async (refresh: boolean): Promise<OracledbAccessToken> => {
    // The token the driver holds as it asks: a swap may hand the pool another meanwhile.
    const had = held?.token;
    try {
      let given = unused;
      unused = undefined;
      if (refresh === true) {
        for (const f of fallbacks) if (f.for === held) throw f.error;
        // The driver asks again once its token has expired: the pool's fetch under way answers it.
        if (swapping !== undefined) given = await swapping.done;
      }
      let t = given ?? (await provider.getToken());
      if (refresh === true && had !== undefined && t.token === had.token) t = await provider.getToken({ forceRefresh: true });
      const a = plain(t);
      hold(t, true);
      return a;
    } catch (err) {
      if (err instanceof Error) thrown.push(err);
      if (thrown.length > THROWN_KEPT) thrown.shift();
      throw err;
    }
  };

  /** The callback's own error for the driver's NJS-168 that stands for it (same stack), else `err`. */
  const unwrap = (err: unknown): unknown => {
    const { code, stack } = (err ?? {}) as { code?: unknown; stack?: unknown };
    if (code !== 'NJS-168' || typeof stack !== 'string') return err;
    return thrown.findLast((e) => e.stack === stack) ?? err;
  };

  /** Hands the pool the provider's token in place of `expected`, unless another connection did so meanwhile. */
  const replace = async (expected: HeldToken | undefined, fresh: DbToken): Promise<void> => {
    if (fresh.token === expected?.token.token || held !== expected || closed) return;
    await setPoolToken(pool, fresh);
    hold(fresh, false);
  };

  /** Fetches a token for the pool and hands it over; joins the fetch already under way. */
  const swap = (): Promise<DbToken> => {
    if (swapping !== undefined) return swapping.done;
    const expected = held;
    const stop = new AbortController();
    const done = (async () => {
      try {
        const fresh = await provider.getToken({ signal: stop.signal });
        await replace(expected, fresh);
        return fresh;
      } finally {
        swapping = undefined;
      }
    })();
    done.catch(() => {}); // a swap in the background has no one to tell; the provider reports it ('error')
    swapping = { done, stop };
    return done;
  };

  const attach = (p: oracledb.Pool): void => {
    pool = p;
    const getConnection = p.getConnection.bind(p) as (...args: unknown[]) => Promise<oracledb.Connection>;
    const connect = (args: unknown[]): Promise<oracledb.Connection> =>
      getConnection(...args).catch((err: unknown) => {
        throw unwrap(err);
      });
    const acquire = async (args: unknown[]): Promise<oracledb.Connection> => {
      const current = held;
      let fallback: { for: HeldToken; error: unknown } | undefined;
      if (current !== undefined && !closed) {
        const left = current.token.expiresAt.getTime() - Date.now();
        if (left <= 0) {
          try {
            await swap();
          } catch (error) {
            fallback = { for: current, error };
            fallbacks.add(fallback);
          }
        } else if (left < swapMargin(current)) {
          void swap();
        }
      }
      try {
        const before = held;
        try {
          return await connect(args);
        } catch (err) {
          // The login sent the token held before, unless the driver refreshed it meanwhile: it does so
          // just before the login that needs it. A token the adapter handed over meanwhile may have come
          // too late for it: that one is kept.
          const now = held;
          const sent = now !== before && now?.byDriver === true ? now : before;
          if (!isLoginRefused('oracle', err) || sent === undefined) throw err;
          forgetRefused(provider, sent.token);
          // Another refused connection may have swapped the token meanwhile: then use that one. Otherwise
          // swap: one fetch for the pool at a time, and closing the pool abandons it.
          if (held === sent) await swap();
          return await connect(args);
        }
      } finally {
        if (fallback !== undefined) fallbacks.delete(fallback);
      }
    };
    (p as { getConnection: unknown }).getConnection = function getConnectionWithRetry(...args: unknown[]): unknown {
      const cb = typeof args.at(-1) === 'function' ? (args.pop() as (err: unknown, conn?: oracledb.Connection) => void) : undefined;
      const c = acquire(args);
      if (cb === undefined) return c;
      c.then(
        (conn) => cb(null, conn),
        (err: unknown) => cb(err),
      );
      return undefined;
    };
    const close = p.close.bind(p) as (...args: unknown[]) => unknown;
    (p as { close: unknown }).close = function closeAndStopSwaps(...args: unknown[]): unknown {
      // A swap still waiting on IAM would hold the process open after the pool is gone.
      closed = true;
      swapping?.stop.abort();
      return close(...args);
    };
  };

  return { callback, unwrap, attach };
}
