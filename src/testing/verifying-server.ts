import { ConfigError } from '../core/errors.js';
import { describe } from '../core/validation.js';
import { admitLogin } from './login-rate.js';
import { verifyDsqlToken } from './verify-dsql-token.js';
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
   * and work in {@link VerifyingServerOptions.database}. Names are letters, digits and `_ . @ # -`,
   * starting with a letter or `_`, up to 63 characters: the clouds' names fit (Cloud SQL's
   * `orders-api@my-project.iam`, an Entra UPN, a guest's `#EXT#`).
   * @example `['app', 'orders-api@my-project.iam']`
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
   * Checks Aurora DSQL tokens in place of RDS tokens (PostgreSQL only), as a DSQL cluster does:
   * `DbConnectAdmin` tokens log in as the built-in `admin` role (made for you) and only as it,
   * `DbConnect` tokens as any other role with `LOGIN`, and only when that role was granted to the IAM
   * identity of the signing keys (each key's `arn`) with `AWS IAM GRANT`, which `admin()` runs (with
   * `AWS IAM REVOKE`) as DSQL does. Tokens are signed for `127.0.0.1` or `localhost` without a port.
   * The database defaults to `postgres`, as on DSQL. Default `false`.
   * @example
   * ```ts
   * const db = await startVerifyingPostgres({ dsql: true, users: ['app'], region: 'us-east-1', credentials: [{ ...keys, arn: 'arn:aws:iam::111122223333:role/app' }] });
   * await db.admin("AWS IAM GRANT app TO 'arn:aws:iam::111122223333:role/app'");
   * ```
   */
  dsql?: boolean | undefined;
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
  /** Checking DSQL tokens: the roles granted to each IAM identity, which `admin()` changes. */
  readonly dsql: DsqlGrants | undefined;
  readonly users: readonly string[];
  readonly insecureUsers: readonly string[];
  readonly database: string;
  readonly maxConnections: number | undefined;
  readonly now: () => number;
  readonly check: (token: string, user: string, port: number) => Promise<LoginVerdict>;
  readonly logins: VerifiedLogin[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** User names as the clouds make them: Cloud SQL's `orders-api@my-project.iam`, an Entra UPN, a guest's `#EXT#`. */
const USER = /^[A-Za-z_][A-Za-z0-9_.@#-]{0,62}$/;

function names(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new ConfigError(field, `must be an array of user names, got ${describe(value)}`);
  value.forEach((n, i) => {
    if (typeof n !== 'string' || !USER.test(n)) {
      throw new ConfigError(`${field}[${i}]`, `must be a user name of letters, digits and _ . @ # -, starting with a letter or _, up to 63 characters (got ${typeof n === 'string' ? JSON.stringify(n) : describe(n)})`);
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

/** The host part of a token (`<host>:<port>/?...`, DSQL's `<host>/?...`): tokens for `localhost` are checked as such, others as `127.0.0.1`. */
function signedHost(token: string): string {
  return /^localhost[:/]/i.test(token) ? 'localhost' : '127.0.0.1';
}

/** DSQL's built-in role, which logs in with `DbConnectAdmin` tokens only. */
export const DSQL_ADMIN = 'admin';

/**
 * The IAM identities each DSQL role is granted to (`AWS IAM GRANT`), and the statements that change
 * them. @internal
 */
export class DsqlGrants {
  readonly #granted = new Map<string, Set<string>>();

  /**
   * Whether `role` may log in for the identity `arn`: granted to it, or, for an STS session of an
   * assumed role (`arn:<p>:sts::<account>:assumed-role/<name>/<session>`), granted to that role,
   * whatever its path.
   */
  allows(role: string, arn: string | undefined): boolean {
    const granted = arn === undefined ? undefined : this.#granted.get(role);
    if (granted === undefined || arn === undefined) return false;
    if (granted.has(arn)) return true;
    const session = STS_SESSION_ARN.exec(arn);
    if (session === null) return false;
    const [, partition, account, name] = session;
    return [...granted].some((g) => g.startsWith(`arn:${partition}:iam::${account}:role/`) && g.slice(g.lastIndexOf('/') + 1) === name);
  }

  grant(role: string, arn: string): void {
    let arns = this.#granted.get(role);
    if (arns === undefined) this.#granted.set(role, (arns = new Set()));
    arns.add(arn);
  }

  /** Whether there was such a grant. */
  revoke(role: string, arn: string): boolean {
    return this.#granted.get(role)?.delete(arn) ?? false;
  }

  /** Every grant, as DSQL's `sys.iam_pg_role_mappings` lists them. */
  list(): { pg_role_name: string; arn: string }[] {
    return [...this.#granted].flatMap(([role, arns]) => [...arns].map((arn) => ({ pg_role_name: role, arn })));
  }
}

/** An `AWS IAM GRANT` or `AWS IAM REVOKE` statement, parsed. */
export type DsqlIamStatement = { readonly kind: 'grant' | 'revoke'; readonly role: string; readonly arn: string };

const IAM_STATEMENT = /^\s*AWS\s+IAM\s+(GRANT|REVOKE)\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s+(TO|FROM)\s+'((?:[^']|'')+)'\s*;?\s*$/i;
const IAM_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(?:role|user)\/[A-Za-z0-9+=,.@_/-]+$/;
/** An STS session of an assumed role: what temporary keys belong to. */
const STS_SESSION_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Parses DSQL's `AWS IAM GRANT <role> TO '<arn>'` and `AWS IAM REVOKE <role> FROM '<arn>'`:
 * `undefined` for any other SQL, an `Error` for one of these two that is malformed. A role name
 * is folded to lower case unless quoted, as PostgreSQL folds it. @internal
 */
export function parseDsqlIamStatement(sql: string): DsqlIamStatement | Error | undefined {
  if (!/^\s*AWS\s+IAM\b/i.test(sql)) return undefined;
  const m = IAM_STATEMENT.exec(sql);
  if (m === null) return new Error("syntax error: expected AWS IAM GRANT <role> TO '<arn>' or AWS IAM REVOKE <role> FROM '<arn>'");
  const kind = m[1]!.toLowerCase() as 'grant' | 'revoke';
  if ((kind === 'grant') !== (m[3]!.toUpperCase() === 'TO')) return new Error(`syntax error: AWS IAM ${kind.toUpperCase()} takes ${kind === 'grant' ? 'TO' : 'FROM'}`);
  const raw = m[2]!;
  const role = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.toLowerCase();
  const arn = m[4]!.replaceAll("''", "'");
  if (/^arn:aws[a-z-]*:sts::/.test(arn)) return new Error('invalid IAM ARN: an STS session cannot be granted; grant its role (arn:<partition>:iam::<account>:role/<name>)');
  if (!IAM_ARN.test(arn)) return new Error(`invalid IAM ARN: ${arn.length <= 200 ? arn : `${arn.slice(0, 200)}...`}`);
  return { kind, role, arn };
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

  if (options.dsql !== undefined && typeof options.dsql !== 'boolean') throw new ConfigError('dsql', `must be true or false, got ${describe(options.dsql)}`);
  const dsql = options.dsql === true ? new DsqlGrants() : undefined;
  let rds: { region: string; credentials: RdsVerifierCredentials[] } | undefined;
  if (options.region !== undefined || options.credentials !== undefined || verify === undefined) {
    if (typeof options.region !== 'string' || !options.region) {
      throw new ConfigError('region', `is required: the region RDS tokens are signed for (got ${describe(options.region)})`, 'pass region, or verify to check other tokens');
    }
    if (options.credentials === undefined) throw new ConfigError('credentials', 'is required: the AWS keys that sign the tokens the server accepts', 'pass credentials, or verify to check other tokens');
    rds = { region: options.region, credentials: credentialList(options.credentials) };
    if (dsql) {
      rds.credentials.forEach((c, i) => {
        if (typeof c.arn !== 'string' || !(IAM_ARN.test(c.arn) || STS_SESSION_ARN.test(c.arn))) {
          throw new ConfigError(Array.isArray(options.credentials) ? `credentials[${i}].arn` : 'credentials.arn', `must be the IAM ARN the keys belong to, got ${describe(c.arn)}`, "pass arn, such as 'arn:aws:iam::111122223333:role/app', or an STS session's 'arn:aws:sts::111122223333:assumed-role/app/session': AWS IAM GRANT maps roles to it");
        }
      });
    }
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
      const checkRds = (): RdsTokenVerdict => {
        if (rds === undefined) return { ok: false, reason: 'no region and credentials to check RDS tokens against' };
        if (dsql === undefined) return verifyRdsToken(token, { hostname: signedHost(token), port, username: user, region: rds.region, credentials: rds.credentials, now: at });
        const v = verifyDsqlToken(token, { hostname: signedHost(token), region: rds.region, credentials: rds.credentials, admin: user === DSQL_ADMIN, now: at });
        if (!v.ok) return v;
        const arn = rds.credentials.find((c) => c.accessKeyId === v.accessKeyId)?.arn;
        if (user !== DSQL_ADMIN && !dsql.allows(user, arn)) return { ok: false, reason: `role ${user} is not granted to ${arn} (AWS IAM GRANT)` };
        return { ok: true, user, accessKeyId: v.accessKeyId, expiresAt: v.expiresAt };
      };
      try {
        verdict = normalise(verify ? await verify(token, user, checkRds) : checkRds());
      } catch {
        verdict = { ok: false, reason: 'verify threw' };
      }
    }
    logins.push(Object.freeze({ user, ok: verdict.ok, ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}), at: new Date(at) }));
    return verdict;
  };
  return { dsql, users: dsql && !users.includes(DSQL_ADMIN) ? [DSQL_ADMIN, ...users] : users, insecureUsers, database: options.database === undefined && dsql ? 'postgres' : database, maxConnections, now, check, logins };
}
