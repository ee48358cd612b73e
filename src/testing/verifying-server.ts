import { ConfigError } from '../core/errors.js';
import { describe } from '../core/validation.js';
import { admitLogin } from './login-rate.js';
import { verifyRdsToken, type RdsTokenVerdict, type RdsVerifierCredentials } from './verify-rds-token.js';

/**
 * What a `verify` function answers about one login: a boolean, or a verdict with a reason that
 * {@link VerifyingServer.logins} records (an {@link RdsTokenVerdict} fits).
 *
 * @example
 * ```ts
 * const refused: LoginVerdict = { ok: false, reason: 'token revoked' };
 * ```
 */
export interface LoginVerdict {
  /**
   * Accept the login.
   * @example `true`
   */
  ok: boolean;
  /**
   * Why it was refused.
   * @example `'token revoked'`
   */
  reason?: string | undefined;
}

/**
 * One login the server asked the verifier about. It never holds the token.
 *
 * @example
 * ```ts
 * expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: false, reason: 'token expired' });
 * ```
 */
export interface VerifiedLogin {
  /**
   * The database user logging in.
   * @example `'app'`
   */
  readonly user: string;
  /**
   * Whether the verifier accepted the token.
   * @example `true`
   */
  readonly ok: boolean;
  /**
   * Why it was refused: the RDS check's reason (`'token expired'`, `'signature does not match'`, ...),
   * `verify`'s, or `'throttled: over maxLoginsPerSecond'`.
   * @example `'throttled: over maxLoginsPerSecond'`
   */
  readonly reason?: string | undefined;
  /**
   * When the verifier was asked, on the server's clock (`now`).
   * @example `new Date('2030-01-01T00:00:00Z')`
   */
  readonly at: Date;
}

/**
 * The options {@link startVerifyingPostgres} and {@link startVerifyingMariaDb} share.
 *
 * @example
 * ```ts
 * const options: VerifyingServerOptions = {
 *   users: ['app'],
 *   region: 'us-east-1',
 *   credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' },
 *   maxLoginsPerSecond: 200,
 * };
 * const db = await startVerifyingPostgres(options);
 * ```
 */
export interface VerifyingServerOptions {
  /**
   * The database users that log in with tokens, over TLS only. Each gets what it needs to connect to
   * and work in {@link VerifyingServerOptions.database}. Names are letters, digits and `_`, starting
   * with a letter or `_`, up to 63 characters.
   * @example `['app', 'reporting']`
   */
  users: readonly string[];
  /**
   * The region RDS tokens must be signed for. Required unless `verify` is given.
   * @example `'us-east-1'`
   */
  region?: string | undefined;
  /**
   * The AWS keys the server trusts, as IAM would: tokens signed with one of them (and, for temporary
   * keys, carrying its `sessionToken`) are accepted. Required unless `verify` is given.
   * @example `{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' }`
   */
  credentials?: RdsVerifierCredentials | readonly RdsVerifierCredentials[] | undefined;
  /**
   * Decides each login in place of the RDS check, for other kinds of tokens (Azure's, Google's) or to
   * add your own rules. `checkRds()` gives the RDS check's verdict for this login (it needs `region`
   * and `credentials`). A throw refuses the login.
   * @example
   * ```ts
   * verify: (token, user, checkRds) => (revoked.has(token) ? { ok: false, reason: 'revoked' } : checkRds())
   * ```
   */
  verify?: ((token: string, user: string, checkRds: () => RdsTokenVerdict) => boolean | LoginVerdict | Promise<boolean | LoginVerdict>) | undefined;
  /**
   * Past this many logins in any one second, a login is refused before its token is looked at, as a
   * direct RDS instance refuses IAM logins over its rate: the same refusal as a bad token, recorded
   * with the reason `'throttled: over maxLoginsPerSecond'`. Default: no limit.
   * @example `200`
   */
  maxLoginsPerSecond?: number | undefined;
  /**
   * How many connections the users may hold at once: the server's `max_connections`. One more is kept
   * for `admin()`. Default: the server's own default (100 for PostgreSQL, 151 for MariaDB). MariaDB
   * takes no fewer than 10.
   * @example `10`
   */
  maxConnections?: number | undefined;
  /**
   * The database to create for the users. Default `'app'`.
   * @example `'orders'`
   */
  database?: string | undefined;
  /**
   * Users that log in with tokens with or without TLS, to test what a client does on a plain
   * connection (dbtoken refuses one unless `allowInsecureTransport` is set). Default none.
   * @example `['plain_app']`
   */
  insecureUsers?: readonly string[] | undefined;
  /**
   * The verifier's clock in ms, for token expiry and the login rate. Default `Date.now`.
   * @example `() => Date.now() + 20 * 60_000 // every token looks expired`
   */
  now?: (() => number) | undefined;
  /**
   * Aborts a start under way: everything started so far is stopped and removed, and the promise
   * rejects with the signal's reason.
   * @example `AbortSignal.timeout(60_000)`
   */
  signal?: AbortSignal | undefined;
}

/**
 * What {@link startVerifyingPostgres} and {@link startVerifyingMariaDb} resolve to.
 *
 * @example
 * ```ts
 * const db: VerifyingServer = await startVerifyingPostgres({ users: ['app'], region, credentials });
 * const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca } });
 * await db.close();
 * ```
 */
export interface VerifyingServer {
  /**
   * Where it listens: `127.0.0.1`. Tokens may be signed for `127.0.0.1` or `localhost`.
   * @example `'127.0.0.1'`
   */
  readonly host: string;
  /**
   * Its port, picked free at start.
   * @example `41234`
   */
  readonly port: number;
  /**
   * The database made for the users.
   * @example `'app'`
   */
  readonly database: string;
  /**
   * The PEM of the CA that signed the server's certificate (for `localhost` and `127.0.0.1`): give it
   * to the client as `ssl: { ca }`.
   * @example `'-----BEGIN CERTIFICATE-----\n...'`
   */
  readonly ca: string;
  /**
   * Every login the verifier was asked about, in order, without tokens.
   * @example `[{ user: 'app', ok: true, at: new Date() }]`
   */
  readonly logins: readonly VerifiedLogin[];
  /**
   * The temporary folder holding the server's data, socket, certificate and log; {@link VerifyingServer.close} removes it.
   * @example `'/tmp/dbtoken-pg-AbC123'`
   */
  readonly tempDir: string;
  /**
   * Runs SQL as the superuser, in {@link VerifyingServer.database}, over the server's local socket,
   * and resolves to the rows of its (last) statement. `values` fill `$1`/`?` placeholders.
   * @example
   * ```ts
   * await db.admin('CREATE TABLE orders (id int)');
   * ```
   */
  admin(sql: string, values?: readonly unknown[]): Promise<Record<string, any>[]>;
  /**
   * Stops the server and its verifier and removes {@link VerifyingServer.tempDir}. Safe to call twice.
   * @example
   * ```ts
   * afterAll(() => db.close());
   * ```
   */
  close(): Promise<void>;
}

/** What {@link loginSettings} made of the options. @internal */
export interface LoginSettings {
  readonly users: readonly string[];
  readonly insecureUsers: readonly string[];
  readonly database: string;
  readonly maxConnections: number | undefined;
  readonly now: () => number;
  readonly check: (token: string, user: string, port: number) => Promise<LoginVerdict>;
  readonly logins: VerifiedLogin[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function names(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new ConfigError(field, `must be an array of user names, got ${describe(value)}`);
  value.forEach((n, i) => {
    if (typeof n !== 'string' || !NAME.test(n)) {
      throw new ConfigError(`${field}[${i}]`, `must be a user name of letters, digits and _, starting with a letter or _, up to 63 characters (got ${typeof n === 'string' ? JSON.stringify(n) : describe(n)})`);
    }
  });
  return [...new Set(value as string[])];
}

function integerIn(field: string, value: unknown, min: number, max: number, why = ''): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer from ${min} to ${max}${why}, got ${describe(value)}`);
  }
  return value;
}

function credentialList(value: unknown): RdsVerifierCredentials[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new ConfigError('credentials', 'is an empty array', 'give the AWS keys that sign the tokens the server should accept');
  list.forEach((c, i) => {
    const field = Array.isArray(value) ? `credentials[${i}]` : 'credentials';
    if (typeof c !== 'object' || c === null) throw new ConfigError(field, `must be { accessKeyId, secretAccessKey, sessionToken? }, got ${describe(c)}`);
    for (const k of ['accessKeyId', 'secretAccessKey'] as const) {
      if (typeof (c as Record<string, unknown>)[k] !== 'string' || !(c as Record<string, string>)[k]) throw new ConfigError(`${field}.${k}`, 'must be a non-empty string');
    }
  });
  return list as RdsVerifierCredentials[];
}

/** The host part of an RDS token (`<host>:<port>/?...`): tokens for `localhost` are checked as such, others as `127.0.0.1`. */
function signedHost(token: string): string {
  return /^localhost:/i.test(token) ? 'localhost' : '127.0.0.1';
}

function normalise(v: boolean | LoginVerdict | undefined): LoginVerdict {
  if (typeof v === 'boolean') return { ok: v };
  return { ok: v?.ok === true, ...(v?.ok !== true && typeof v?.reason === 'string' ? { reason: v.reason } : {}) };
}

/**
 * Checks the options both launchers share, and builds the login check: the rate first, then `verify`
 * or the RDS check, each login recorded in `logins` without its token.
 *
 * @internal
 */
export function loginSettings(options: VerifyingServerOptions, connections: { min: number; max: number; server: string }): LoginSettings {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', `must be an object, got ${describe(options)}`);
  const users = names('users', options.users);
  const insecureUsers = options.insecureUsers === undefined ? [] : names('insecureUsers', options.insecureUsers);
  const both = users.find((u) => insecureUsers.includes(u));
  if (both !== undefined) throw new ConfigError('insecureUsers', `names ${both}, which users names too`, 'list each user once: users log in over TLS only, insecureUsers with or without it');
  const database = options.database ?? 'app';
  if (typeof database !== 'string' || !NAME.test(database)) {
    throw new ConfigError('database', `must be a name of letters, digits and _, starting with a letter or _ (got ${typeof database === 'string' ? JSON.stringify(database) : describe(database)})`);
  }
  const maxLogins = integerIn('maxLoginsPerSecond', options.maxLoginsPerSecond, 1, 1_000_000);
  const maxConnections = integerIn('maxConnections', options.maxConnections, connections.min, connections.max, ` (${connections.server}'s max_connections)`);
  if (options.now !== undefined && typeof options.now !== 'function') throw new ConfigError('now', `must be a function returning ms, got ${describe(options.now)}`);
  const now = options.now ?? Date.now;
  const verify = options.verify;
  if (verify !== undefined && typeof verify !== 'function') throw new ConfigError('verify', `must be a function (token, user) => boolean | { ok, reason }, got ${describe(verify)}`);

  let rds: { region: string; credentials: RdsVerifierCredentials[] } | undefined;
  if (options.region !== undefined || options.credentials !== undefined || verify === undefined) {
    if (typeof options.region !== 'string' || !options.region) {
      throw new ConfigError('region', `is required: the region RDS tokens are signed for (got ${describe(options.region)})`, 'pass region, or verify to check other tokens');
    }
    if (options.credentials === undefined) throw new ConfigError('credentials', 'is required: the AWS keys that sign the tokens the server accepts', 'pass credentials, or verify to check other tokens');
    rds = { region: options.region, credentials: credentialList(options.credentials) };
  }

  const logins: VerifiedLogin[] = [];
  let admitted: readonly number[] = [];
  const check = async (token: string, user: string, port: number): Promise<LoginVerdict> => {
    const at = now();
    let verdict: LoginVerdict;
    const decision = maxLogins === undefined ? undefined : admitLogin(admitted, at, maxLogins);
    if (decision) admitted = decision.window;
    if (decision && !decision.admitted) {
      verdict = { ok: false, reason: 'throttled: over maxLoginsPerSecond' };
    } else {
      const checkRds = (): RdsTokenVerdict =>
        rds === undefined
          ? { ok: false, reason: 'no region and credentials to check RDS tokens against' }
          : verifyRdsToken(token, { hostname: signedHost(token), port, username: user, region: rds.region, credentials: rds.credentials, now: at });
      try {
        verdict = normalise(verify ? await verify(token, user, checkRds) : checkRds());
      } catch {
        verdict = { ok: false, reason: 'verify threw' };
      }
    }
    logins.push(Object.freeze({ user, ok: verdict.ok, ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}), at: new Date(at) }));
    return verdict;
  };
  return { users, insecureUsers, database, maxConnections, now, check, logins };
}
