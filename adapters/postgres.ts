/**
 * The postgres.js adapter, given the driver. `dbtoken/postgres`
 * (subpath/postgres.ts) binds it to the installed `postgres`, and
 * createIamPool to the one it loaded. Only postgres.js's types are imported
 * here, so that a bundle without the driver builds.
 */
/** @ts-ignore optional peer: without postgres.js, its types are any */
import type postgres from 'postgres';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../src/core/errors.js';
import type { LoginRate, TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { LRUCache } from 'lru-cache';
import { describe } from '../src/core/validation.js';
import { LoginSocket, openTransport, postgresUsesTls, type PostgresSsl } from './postgres-login.js';
import { afterRefusal, loginPace, markAccepted } from './login-pace.js';
import { applyTarget, checkPoolOptions, checkTarget, connectionLifetimeSeconds, insecureTransport, passwordInUrlError, PROVIDER_PASSWORD, requireProvider } from './preamble.js';

/**
 * The `sql` function that {@link createPostgresJs} returns: postgres.js's own.
 *
 * @example
 * ```ts
 * const sql: PostgresJsSql = createPostgresJs({ token, database: 'orders', ssl: { ca: rdsCaBundle } });
 * const [row] = await sql`select session_user`;
 * await sql.end();
 * ```
 */
export type PostgresJsSql<T extends Record<string, postgres.PostgresType> = {}> = ReturnType<typeof postgres<T>>;

/**
 * Options of {@link createPostgresJs}: postgres.js's own options, less
 * `password` and `pass`, plus the token provider and an optional `url`.
 *
 * @example
 * ```ts
 * const options: PostgresJsIamOptions = {
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders', ssl: { ca: rdsCaBundle }, max: 10,
 * };
 * const sql = createPostgresJs(options);
 * ```
 */
export interface PostgresJsIamOptions<T extends Record<string, postgres.PostgresType> = {}> extends Omit<postgres.Options<T>, 'password' | 'pass'> {
  /** Supplies the password of every new connection. */
  token: TokenProvider;
  /**
   * Allow tokens over connections without TLS (`ssl` unset, `false`,
   * `'prefer'` or `'allow'`). Only for local testing. Default false.
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
  /** A connection URL, what postgres.js takes as its first argument; the options above win over it. */
  url?: string | undefined;
}

/**
 * Options of {@link postgresPassword}.
 *
 * @example
 * ```ts
 * const options: PostgresPasswordOptions = { onError: (err) => log.warn({ code: err.code }, 'no token for a login') };
 * const sql = postgres({ host, user: 'app', ssl: { ca }, password: postgresPassword(provider, options) });
 * ```
 */
export interface PostgresPasswordOptions {
  /** Allow sending the token over a connection without TLS. Default false. */
  allowInsecureTransport?: boolean | undefined;
  /**
   * Receives the error when no token can be given to a login (no TLS, a
   * port the token is not for, the provider failing). The login then sends
   * an empty password, which the server refuses. Default: `process.emitWarning`.
   */
  onError?: ((err: Error) => void) | undefined;
}

/** postgres.js's reading of its options: one array entry per host. */
interface ParsedOptions {
  host: string[];
  port: number[];
  path?: string | false | undefined;
  user: string;
  ssl: PostgresSsl;
  sslnegotiation?: string | null | undefined;
  /** A number or null from the options or the URL's query; postgres.js's own default is a function. */
  max_lifetime?: unknown;
}

/**
 * A function for postgres.js's `password` option. postgres.js calls it
 * (with its parsed options as `this`) each time a new connection is asked for
 * a password, and it answers with a cached IAM token.
 *
 * - It refuses to hand a token to a connection whose `ssl` lets postgres.js
 *   log in without TLS (`false`, `'prefer'`, `'allow'`), unless
 *   `allowInsecureTransport` is set.
 * - It refuses another user, or another port on the token's host, than the
 *   provider's target.
 * - postgres.js does not catch an error from a password function (it would
 *   be an unhandled rejection), so this one never throws: it gives the error
 *   to `onError` and answers with an empty password, which the server refuses.
 *   {@link createPostgresJs} has none of these limits: the error fails the
 *   query that opened the connection, and a refused token is retried once.
 *
 * @example
 * ```ts
 * import postgres from 'postgres';
 * import { postgresPassword } from 'dbtoken/postgres';
 * const sql = postgres({ host, user: 'app', database: 'orders', ssl: { ca }, password: postgresPassword(provider) });
 * ```
 */
export function postgresPassword(provider: TokenProvider, options?: PostgresPasswordOptions): () => Promise<string> {
  requireProvider(provider, 'provider');
  const allowInsecure = options?.allowInsecureTransport === true;
  const onError = options?.onError ?? ((err: Error) => process.emitWarning(err));
  return async function password(this: unknown): Promise<string> {
    try {
      const o = (typeof this === 'object' && this !== null ? this : {}) as Partial<ParsedOptions>;
      if (!allowInsecure && !postgresUsesTls(o.ssl)) {
        throw insecureTransport('refusing to send an IAM token over a PostgreSQL connection that may not use TLS', "set ssl (for example ssl: { ca } or 'verify-full')");
      }
      (o.host ?? []).forEach((host, i) => checkTarget(provider.target, { host: o.path ? undefined : host, port: o.port?.[i], user: o.user }, 5432, 'this connection'));
      return (await provider.getToken()).token;
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
      return '';
    }
  };
}

/**
 * What the adapter's password function answered, by text: the token, or the
 * error that stood in for one. A login's password frame then names its token.
 */
class Answers {
  readonly #byText = new LRUCache<string, DbToken | Error>({ max: 32 });
  #failures = 0;
  /** While a login socket hands postgres.js its frames: when that login is over. */
  #asking: AbortSignal | undefined;

  /** Runs `deliver`, in which postgres.js asks for the password of the login `gone` belongs to. */
  asking(gone: AbortSignal, deliver: () => void): void {
    const outer = this.#asking;
    this.#asking = gone;
    try {
      deliver();
    } finally {
      this.#asking = outer;
    }
  }

  /**
   * Never rejects (postgres.js would not catch it): a failure answers with a
   * marker the login socket recognises. Once the login's socket is ended or
   * closed (`sql.end()`, `connect_timeout`), the answer never settles:
   * postgres.js 3.4 would write it to a socket it has set to null, a
   * `TypeError` thrown in `setImmediate` that ends the process.
   */
  password(provider: TokenProvider): () => Promise<string> {
    return () => {
      const gone = this.#asking;
      return new Promise<string>((resolve) => {
        provider.getToken(gone === undefined ? undefined : { signal: gone }).then(
          (token) => {
            if (gone?.aborted) return;
            this.#byText.set(token.token, token);
            resolve(token.token);
          },
          (err: unknown) => {
            if (gone?.aborted) return;
            const marker = `dbtoken:no-token:${++this.#failures}`;
            this.#byText.set(marker, err instanceof Error ? err : new Error(String(err)));
            resolve(marker);
          },
        );
      });
    };
  }

  answered(text: string): DbToken | Error | undefined {
    const answer = this.#byText.peek(text);
    if (answer instanceof Error) this.#byText.delete(text);
    return answer;
  }
}

/** What the provider replaces in postgres.js's options. */
const REFUSED_OPTIONS = {
  password: PROVIDER_PASSWORD,
  pass: PROVIDER_PASSWORD,
};

function userInUrl(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).username) || undefined;
  } catch {
    return undefined;
  }
}

/** Whether the URL carries a password (user info or a `password` parameter); postgres.js would ignore it for the token, silently. */
function passwordInUrl(url: string): boolean {
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url)?.[1];
  if (userInfo?.includes(':')) return true;
  const q = url.indexOf('?');
  return q >= 0 && new URLSearchParams(url.slice(q + 1).split('#')[0]).has('password');
}

type SocketFactory = (options: unknown) => Duplex | Promise<Duplex>;

function connect(driver: PostgresDriver, url: string | undefined, options: object): ReturnType<typeof postgres> {
  return url === undefined ? driver(options) : driver(url, options);
}

/** postgres.js's default export, which {@link createPostgresJsWith} calls. */
export type PostgresDriver = typeof postgres;

/** `createPostgresJs` (see subpath/postgres.ts) with the given postgres.js. */
export function createPostgresJsWith<T extends Record<string, postgres.PostgresType> = {}>(driver: PostgresDriver, options: PostgresJsIamOptions<T>): PostgresJsSql<T> {
  const { provider, allowInsecureTransport, loginRate, config } = checkPoolOptions(options, { driver: 'postgres.js', refused: REFUSED_OPTIONS });
  const { url, hostname, username, socket: ownSocket, ...rest } = config as typeof config & { socket?: SocketFactory };
  if (url !== undefined && typeof url !== 'string') {
    throw new ConfigError('url', `must be a string, got ${describe(url)}`, "pass a connection URL such as 'postgres://db.internal:5432/orders'");
  }
  if (url !== undefined && passwordInUrl(url)) {
    throw passwordInUrlError('url', 'postgres://user@host:5432/database');
  }
  if (ownSocket !== undefined && typeof ownSocket !== 'function') {
    throw new ConfigError('socket', `must be a function, got ${describe(ownSocket)}`, 'pass a function that returns a connected socket, or leave it out');
  }
  const own = { ...rest, host: rest.host ?? hostname, user: rest.user ?? username ?? (url === undefined ? undefined : userInUrl(url)) };
  const withTarget = applyTarget(own, provider, 5432, url !== undefined || rest.path !== undefined);
  // postgres.js's own reading of url, options and PG* variables; it opens nothing.
  const parsed = connect(driver, url, withTarget).options as unknown as ParsedOptions;
  const [host, ...others] = parsed.host;
  const port = parsed.port[0] ?? 5432;
  if (host === undefined || others.length > 0) {
    throw new ConfigError('host', `names ${parsed.host.length} hosts, but a token is made for one endpoint`, 'create one sql per host, each with its own token provider');
  }
  checkTarget(provider.target, { host: parsed.path ? undefined : host, port, user: parsed.user }, 5432);
  if (!allowInsecureTransport && !postgresUsesTls(parsed.ssl)) {
    throw insecureTransport(
      "createPostgresJs would send IAM tokens without TLS (ssl is not set, or is false, 'prefer' or 'allow')",
      "set ssl (for example ssl: { ca: rdsCaBundle } or 'verify-full')",
    );
  }
  // The option, else the URL's ?max_lifetime= (postgres.js's own default, a function, counts as unset).
  const ownLifetime = (rest as { max_lifetime?: unknown }).max_lifetime;
  const lifetime = connectionLifetimeSeconds(provider, 'max_lifetime', ownLifetime !== undefined ? ownLifetime : typeof parsed.max_lifetime === 'function' ? undefined : parsed.max_lifetime);
  const answers = new Answers();
  const pace = parsed.path ? undefined : loginPace(provider, loginRate, { host, port }, 5432);
  const transport = { host, port, path: parsed.path || undefined, ssl: parsed.ssl, sslnegotiation: parsed.sslnegotiation };
  /** Sockets still opening (waiting for a login slot, or a retry's backoff): abandoned once `sql.end()` is done. */
  const opening = new Set<LoginSocket>();
  const socket = (opts: unknown): LoginSocket => {
    const s = new LoginSocket(
      {
        // The login's slot before its socket opens (again for a retry); postgres.js's connect_timeout or end() gives it up.
        open: (signal) => (pace === undefined ? Promise.resolve() : pace.wait(signal)).then(() => openTransport({ ...transport, socket: ownSocket && (() => ownSocket(opts)) }, signal)),
        answered: (text) => answers.answered(text),
        refused: (refusal, attempts, gone) => afterRefusal(provider, attempts, refusal, pace, gone),
        accepted: (token) => {
          markAccepted(token);
          pace?.accepted();
        },
        asking: (gone, deliver) => answers.asking(gone, deliver),
      },
      host,
      port,
    );
    if (pace !== undefined) {
      opening.add(s);
      s.once('close', () => opening.delete(s));
    }
    return s;
  };
  // Recycled between 90% and 100% of the age, as postgres.js spreads its own default, so a pool's connections do not all log in again at once.
  const recycle = lifetime === undefined ? {} : { max_lifetime: () => lifetime * (0.9 + 0.1 * Math.random()) };
  const sql = connect(driver, url, { ...withTarget, ...recycle, ssl: false, password: answers.password(provider), socket }) as PostgresJsSql<T>;
  if (pace !== undefined) {
    const end = sql.end.bind(sql);
    sql.end = (opts) =>
      end(opts).finally(() => {
        pace.leave();
        // postgres.js ends only open sockets: one still waiting for its slot would log in after the end.
        for (const s of opening) if (s.readyState === 'opening') s.destroy();
      });
  }
  return sql;
}
