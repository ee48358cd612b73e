/**
 * What every adapter does before it builds the driver's pool: check the
 * options, apply the provider's target, and know how its server refuses a
 * login, so that a refused login is retried as `afterRefusal` says.
 */
import { ConfigError, InsecureTransportError } from '../src/core/errors.js';
import { awaitsUser, isTokenProvider, loginRetried, providerConnectionLifetime, type LoginRate, type TokenProvider, type TokenTarget } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { describe } from '../src/core/validation.js';
import { afterRefusal, checkLoginRate, type LoginPace, type Refusal } from './login-pace.js';
import { FIRST_LOGIN, type LoginAttempts } from './login-policy.js';

/** The connection settings an adapter shares with the provider's {@link TokenTarget}. */
export interface ConnectionTarget {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
}

/** Where providers come from, for the fix of a `token` that is not one. */
const PROVIDER_FIX = 'pass a TokenProvider from awsRdsToken(), ociDbToken(), heatwaveOciToken() or tokenProvider()';

/** `value` as a {@link TokenProvider}, or a {@link ConfigError} for `field`. */
export function requireProvider(value: unknown, field: string): TokenProvider {
  if (!isTokenProvider(value)) throw new ConfigError(field, `must be a TokenProvider, got ${describe(value)}`, PROVIDER_FIX);
  return value;
}

/** How one driver's pool options are checked by {@link checkPoolOptions}. */
export interface PoolOptionsRules {
  /** The driver as messages name it: `pg`, `mysql2`, `node-oracledb`. */
  readonly driver: string;
  /** Options the provider replaces, each with why it must not be set. */
  readonly refused: Readonly<Record<string, string>>;
}

/** The options of a `createXPool`, split into the provider, the TLS opt-out and the driver's own config. */
export interface CheckedPoolOptions<C> {
  readonly provider: TokenProvider;
  readonly allowInsecureTransport: boolean;
  /** The pool's `loginRate`, checked. */
  readonly loginRate: LoginRate | false | undefined;
  readonly config: C;
}

/**
 * The checks every `createXPool` makes before anything else: an options
 * object, a {@link TokenProvider} in `token`, a boolean
 * `allowInsecureTransport`, and none of the options the provider replaces
 * (`password` and its kin).
 */
export function checkPoolOptions<O extends { token: TokenProvider; allowInsecureTransport?: boolean; loginRate?: LoginRate | false }>(
  options: O,
  rules: PoolOptionsRules,
): CheckedPoolOptions<Omit<O, 'token' | 'allowInsecureTransport' | 'loginRate'>> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', `must be an object, got ${describe(options)}`, `pass ${rules.driver}'s pool options plus { token }`);
  }
  const { token, allowInsecureTransport, loginRate, ...config } = options;
  const provider = requireProvider(token, 'token');
  if (allowInsecureTransport !== undefined && typeof allowInsecureTransport !== 'boolean') {
    throw new ConfigError(
      'allowInsecureTransport',
      `must be true or false, got ${describe(allowInsecureTransport)}`,
      'leave it out to require TLS, or set true for local testing only',
    );
  }
  for (const [field, why] of Object.entries(rules.refused)) {
    if ((config as Record<string, unknown>)[field] !== undefined) {
      throw new ConfigError(field, `must not be set: ${why}`, `remove ${field} from the pool options`);
    }
  }
  return { provider, allowInsecureTransport: allowInsecureTransport === true, loginRate: checkLoginRate(loginRate), config };
}

/**
 * The connection lifetime, in seconds, a pool option (`field`: pg's
 * `maxLifetimeSeconds`, postgres.js's `max_lifetime`) should be given for
 * the provider's database: `undefined` to leave the option as it is (the
 * database sets no limit, or the value keeps to it), the database's recycle
 * age when the option is unset, and a {@link ConfigError} when the value
 * would keep a connection past the limit (0 and `null` mean "for ever").
 */
export function connectionLifetimeSeconds(provider: TokenProvider, field: string, value: unknown): number | undefined {
  const limit = providerConnectionLifetime(provider);
  if (limit === undefined) return undefined;
  const recycleS = limit.recycleMs / 1000;
  if (value === undefined) return recycleS;
  // postgres.js takes a function, called for each connection: its own choice.
  if (typeof value === 'function') return undefined;
  const maxS = limit.maxMs / 1000;
  // A connection string gives it as text.
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof seconds !== 'number' || !(seconds > 0) || seconds >= maxS) {
    throw new ConfigError(field, `is ${describe(value)}, but the token provider's database closes every connection after ${maxS} s`, `leave it out to recycle connections at ${recycleS} s, or pass a number of seconds below ${maxS}`);
  }
  return seconds === value ? undefined : seconds;
}

/**
 * Refuses a connection that could never log in with the provider's tokens:
 * another user than the token's, or another port on the token's own host (a
 * token is signed for one host and port; a tunnel or CNAME on another host is
 * fine). `what` names the connection in the message: "the pool", "this connection".
 */
export function checkTarget(
  target: TokenTarget | undefined,
  conn: { host?: string | undefined; port?: number | string | undefined; user?: string | undefined },
  defaultPort: number,
  what = 'the pool',
): void {
  if (target === undefined) return;
  if (target.user !== undefined && conn.user !== undefined && conn.user !== target.user) {
    const fix = what === 'the pool' ? 'drop user or make them match' : `set user to "${target.user}"`;
    throw new ConfigError('user', `is "${conn.user}" but the token provider makes tokens for "${target.user}"`, fix);
  }
  const port = conn.port === undefined || conn.port === '' ? defaultPort : Number(conn.port);
  if (
    target.port !== undefined &&
    target.host !== undefined &&
    conn.host !== undefined &&
    conn.host.toLowerCase() === target.host.toLowerCase() &&
    port !== target.port
  ) {
    throw new ConfigError('port', `${what} connects to ${conn.host}:${port} but the token is made for port ${target.port}`, `give the provider and ${what} the same port`);
  }
}

/**
 * Fills `user`, and `host`/`port` when the pool names no host, from the
 * provider's target, and then applies {@link checkTarget}. `hasOwnEndpoint` is true when
 * the pool sets its endpoint some other way (a connection string, a socket path).
 */
export function applyTarget<C extends ConnectionTarget>(config: C, provider: TokenProvider, defaultPort: number, hasOwnEndpoint = false): C {
  const target = provider.target;
  if (target?.user === undefined && config.user === undefined && awaitsUser(provider)) throw userNotYetKnown();
  if (target === undefined) return config;
  const out = { ...config };
  if (out.host === undefined && !hasOwnEndpoint && target.host !== undefined) {
    out.host = target.host;
    if (out.port === undefined && target.port !== undefined) out.port = target.port;
  }
  checkTarget(target, out, defaultPort);
  if (target.user !== undefined) out.user = target.user;
  return out;
}

/**
 * The ConfigError of a pool made at once (`createPgPool`, `pgConnection`, ...) for a provider that
 * learns its user from its first token (Azure's `upn`), when the pool names no user.
 */
export function userNotYetKnown(field = 'user', fix = 'use createIamPool(), which waits for that token, or give the provider its username'): ConfigError {
  return new ConfigError(field, 'is needed: the token provider reads the database user from its first token, and none has been fetched yet', fix);
}

/**
 * How each server says "this login is refused". A refusal is what makes an
 * adapter retry a login (see `afterRefusal`).
 */
export const LOGIN_REFUSED = {
  /** SQLSTATE (`err.code`): 28000 for LDAP, PAM and RDS IAM; 28P01 for a wrong password. */
  postgres: ['28000', '28P01'],
  /** `err.errno`: ER_ACCESS_DENIED_ERROR, from RDS, MariaDB PAM and HeatWave alike. */
  mysql: [1045],
  /** `err.errorNum`: ORA-01017 (invalid credential), ORA-25707 and ORA-25708 (a token refused). */
  oracle: [1017, 25707, 25708],
} as const;

/**
 * How RDS Proxy names a refusal for the IAM login rate: PostgreSQL's
 * "The IAM authentication failed because of too many competing requests.",
 * and MySQL's error 1040 "IAM authentication rate limit exceeded".
 */
const THROTTLED = /too many competing requests|IAM authentication rate limit/i;

/**
 * `server`'s refusal of a login: `'throttled'` when the server names its
 * login rate as the reason, `'refused'` for any other refusal (see
 * {@link LOGIN_REFUSED}), `undefined` when `err` is no refusal.
 */
export function loginRefusal(server: 'postgres' | 'mysql', err: unknown): 'throttled' | 'refused' | undefined {
  const e = err as { message?: unknown; errno?: unknown } | null;
  if (typeof e?.message === 'string' && THROTTLED.test(e.message) && (server === 'postgres' || e.errno === 1040)) return 'throttled';
  return isLoginRefused(server, err) ? 'refused' : undefined;
}

/** Whether `err` is `server`'s refusal of a login (see {@link LOGIN_REFUSED}). */
export function isLoginRefused(server: keyof typeof LOGIN_REFUSED, err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; errno?: unknown; errorNum?: unknown };
  switch (server) {
    case 'postgres':
      return (LOGIN_REFUSED.postgres as readonly unknown[]).includes(e.code);
    case 'mysql':
      return (LOGIN_REFUSED.mysql as readonly unknown[]).includes(e.errno) || e.code === 'ER_ACCESS_DENIED_ERROR';
    case 'oracle':
      return (
        (LOGIN_REFUSED.oracle as readonly unknown[]).includes(e.errorNum) ||
        LOGIN_REFUSED.oracle.some((n) => e.code === `ORA-${String(n).padStart(5, '0')}`)
      );
  }
}

/** Why a pool option for the password is refused: every adapter says it the same way. */
export const PROVIDER_PASSWORD = 'the token provider supplies the password of every connection';

/** A connection URL with a password in it: `field` names the option, `example` shows the URL without one. Never quotes the URL. */
export function passwordInUrlError(field: string, example: string): ConfigError {
  return new ConfigError(field, `has a password in it: a static password defeats IAM, and ${PROVIDER_PASSWORD}`, `remove the password from the URL (${example})`);
}

/** The server refused `token`: the provider forgets it, and the retry that follows is counted (tokenMetrics). */
export function forgetRefused(provider: TokenProvider, token: DbToken): void {
  provider.invalidate(token);
  loginRetried(provider);
}

/**
 * Runs `attempt` (a login, or a call that starts with one). When it fails
 * because the server refused the token that login sent, runs it again as
 * `afterRefusal` says: after a jittered backoff, with the same token for a
 * throttle and a fresh one otherwise, within `LOGIN_RETRY`'s bound, so that
 * a refused user cannot set off a retry storm.
 *
 * `refusal(err)` is the refused login's token (and whether the server named
 * its rate), or `undefined` when `err` is anything else, including a
 * refusal before any token was sent (the token is not at fault then).
 * `signal` (the pool ending) ends the backoff: the refusal is the answer.
 */
export function retryRefusedLogin<T>(
  provider: TokenProvider,
  attempt: () => Promise<T>,
  refusal: (err: unknown) => Refusal | undefined,
  pace?: LoginPace,
  signal?: AbortSignal,
  attempts: LoginAttempts = FIRST_LOGIN,
): Promise<T> {
  // `then`, not async/await: the driver's own promise type (mysql2's `Promise` option) is kept.
  return attempt().then(undefined, (err: unknown) => {
    const r = refusal(err);
    if (r === undefined) throw err;
    return afterRefusal(provider, attempts, r, pace, signal).then((next) => {
      if (next === undefined) throw err;
      return retryRefusedLogin(provider, attempt, refusal, pace, signal, next);
    });
  });
}

/**
 * The error for a token that would travel without TLS: `problem` says what
 * and why, `fix` how to set TLS up; the message ends with the opt-out for
 * local tests.
 */
export function insecureTransport(problem: string, fix: string): InsecureTransportError {
  return new InsecureTransportError(`${problem}; ${fix}, or allowInsecureTransport: true for local testing only`);
}
