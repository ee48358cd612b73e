/**
 * The node-oracledb adapter, given the driver. `dbtoken/oracledb`
 * (subpath/oracledb.ts) binds it to the installed `oracledb`, and
 * createIamPool to the one it loaded. Only the driver's types are imported
 * here, so that a bundle without the driver builds.
 */
/** @ts-ignore optional peer: without @types/oracledb, its types are any */
import type oracledb from 'oracledb';
import { ConfigError, InsecureTransportError } from '../src/core/errors.js';
import type { TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { connectTransport, loadOracleNet, loadTnsNames, type OracleNetReader } from './oracle-connect.js';
import { checkPoolOptions, forgetRefused, isLoginRefused, requireProvider } from './preamble.js';

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
  return tokenCallback(provider, () => {});
}

/** {@link oracledbAccessToken}, telling `given` which token the driver now holds. */
function tokenCallback(provider: TokenProvider, given: (t: DbToken) => void): (refresh: boolean) => Promise<OracledbAccessToken> {
  let last: DbToken | undefined;
  return async (refresh: boolean): Promise<OracledbAccessToken> => {
    let t = await provider.getToken();
    if (refresh === true && last !== undefined && t.token === last.token) t = await provider.getToken({ forceRefresh: true });
    last = t;
    given(t);
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
      throw new InsecureTransportError(
        `createOracledbPool would send IAM db-tokens without TLS (${transport.why}); use TCPS (tcps://host:port/service, or PROTOCOL=TCPS in every ADDRESS), or allowInsecureTransport: true for testing only`,
      );
    }
    if (transport.kind === 'unknown') {
      throw new InsecureTransportError(
        `cannot tell whether ${transport.alias !== undefined ? `"${transport.alias}"` : 'the connect string'} uses TCPS: ${transport.why}; give configDir, or the tcps:// string or descriptor itself, or allowInsecureTransport: true for testing only`,
      );
    }
  }
  let held: HeldToken | undefined;
  const pool = await driver.createPool({
    ...attrs,
    externalAuth: true,
    homogeneous: true,
    accessToken: tokenCallback(provider, (t) => (held = { token: t, byDriver: true, at: Date.now() })),
  } as unknown as oracledb.PoolAttributes);
  retryRefusedLogins(pool, provider, () => held, (t) => (held = { token: t, byDriver: false, at: Date.now() }));
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

/**
 * Two things the pool does not do by itself, done around `getConnection`:
 *
 * - The pool keeps its token until the token's `exp`, so a login begun in
 *   its last moment reaches the database expired. A new connection whose
 *   pool token is that close to expiry first hands the pool the provider's
 *   current token (`pool.setAccessToken`), which the provider keeps fresh
 *   ahead of time: no IAM call is made for it, and an idle pool makes none.
 *   If the provider has no token for it (IAM failing), the connection goes
 *   ahead with the token the pool holds.
 * - A login the database refuses (ORA-01017, ORA-25707, ORA-25708) forgets
 *   the token that login sent, hands the pool a fresh one and tries that
 *   connection once more; never twice.
 *
 * Through public APIs only: `getConnection` is wrapped on the pool object,
 * which stays the driver's own.
 */
function retryRefusedLogins(pool: oracledb.Pool, provider: TokenProvider, held: () => HeldToken | undefined, given: (t: DbToken) => void): void {
  const getConnection = pool.getConnection.bind(pool) as (...args: unknown[]) => Promise<oracledb.Connection>;
  /** Hands the pool the provider's token in place of `expected`, unless another connection did so meanwhile. */
  const replace = async (expected: HeldToken): Promise<void> => {
    const fresh = await provider.getToken();
    if (fresh.token === expected.token.token || held() !== expected) return;
    await setPoolToken(pool, fresh);
    given(fresh);
  };
  const acquire = async (args: unknown[]): Promise<oracledb.Connection> => {
    const current = held();
    const left = current === undefined ? Infinity : current.token.expiresAt.getTime() - Date.now();
    if (current !== undefined && left < swapMargin(current)) {
      // Best effort, and no longer than the held token lasts: with IAM failing or slow, the pool logs
      // in with the token it holds, as it would without the swap (the driver's own callback then
      // refreshes an expired one). A fetch still under way is not abandoned: it may land later.
      await Promise.race([replace(current).catch(() => {}), new Promise((r) => setTimeout(r, left).unref())]);
    }
    const before = held();
    try {
      return await getConnection(...args);
    } catch (err) {
      // The login sent the token held before, unless the driver refreshed it meanwhile: it does so
      // just before the login that needs it. A token another retry handed over came too late for it.
      const now = held();
      const sent = now !== before && now?.byDriver === true ? now : before;
      if (!isLoginRefused('oracle', err) || sent === undefined) throw err;
      forgetRefused(provider, sent.token);
      // Another refused connection may have swapped the token meanwhile: then use that one.
      if (held() === sent) await replace(sent);
      return getConnection(...args);
    }
  };
  (pool as { getConnection: unknown }).getConnection = function getConnectionWithRetry(...args: unknown[]): unknown {
    const cb = typeof args.at(-1) === 'function' ? (args.pop() as (err: unknown, conn?: oracledb.Connection) => void) : undefined;
    const p = acquire(args);
    if (cb === undefined) return p;
    p.then(
      (conn) => cb(null, conn),
      (err: unknown) => cb(err),
    );
    return undefined;
  };
}
