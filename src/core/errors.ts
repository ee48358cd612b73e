/**
 * Marks dbtoken's errors across copies of the package: the ESM and the CJS
 * build (or two installed versions) each define their own classes, and
 * `instanceof` must still hold for an error thrown by the other copy.
 */
const BRAND: unique symbol = Symbol.for('dbtoken.error.v1');

/** The code each of dbtoken's own classes recognises; `null` for the base class (any code). */
const RECOGNISES = new WeakMap<object, string | null>();

/** The codes of the errors below, each written once. */
const CONFIG = 'ERR_DBTOKEN_CONFIG';
const UNAVAILABLE = 'ERR_DBTOKEN_UNAVAILABLE';
const FETCH_TIMEOUT = 'ERR_DBTOKEN_FETCH_TIMEOUT';
const INSECURE_TRANSPORT = 'ERR_DBTOKEN_INSECURE_TRANSPORT';
const CLOSED = 'ERR_DBTOKEN_CLOSED';

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * The base class of every error dbtoken throws. Each subclass carries a stable
 * `code`, so callers can branch on `err.code` or on `instanceof`.
 *
 * `instanceof` also recognises errors from another copy of dbtoken in the
 * same process (its ESM and CJS builds, for example), by their `code`.
 *
 * Messages never contain a token or a private key.
 *
 * @example
 * ```ts
 * import { DbTokenError } from 'dbtoken';
 * try { await pool.query('select 1'); }
 * catch (err) { if (err instanceof DbTokenError) console.error(err.code, err.message); }
 * ```
 */
export class DbTokenError extends Error {
  /** A stable, machine-readable code such as `ERR_DBTOKEN_CONFIG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** @internal */
  get [BRAND](): string {
    return this.code;
  }

  /** @internal Recognises dbtoken errors from any copy of the package by their brand and code. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (ordinaryHasInstance.call(this, value)) return true;
    if (!RECOGNISES.has(this) || typeof value !== 'object' || value === null) return false;
    const brand = (value as { [BRAND]?: unknown })[BRAND];
    if (typeof brand !== 'string') return false;
    const code = RECOGNISES.get(this);
    return code === null || code === brand;
  }
}

/**
 * Bad configuration, reported before any network call. The error carries
 * its parts as data, so that a caller (the `dbtoken` CLI, a config UI) can
 * render them in its own words:
 *
 * - `field`: the option at fault, as a dotted path (`port`, `credentials.accessKeyId`);
 * - `problem`: what is wrong with it;
 * - `fix`: how to put it right.
 *
 * `message` is `"<field>: <problem>; <fix>"`.
 *
 * @example
 * ```ts
 * import { ConfigError } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * try { awsRdsToken({ hostname: 'db.example.com', username: 'app' }); }
 * catch (err) {
 *   if (err instanceof ConfigError) console.error(err.field, err.problem, err.fix); // 'region', 'cannot be inferred ...', 'pass region, ...'
 * }
 * ```
 */
export class ConfigError extends DbTokenError {
  /** The option at fault, as a dotted path. */
  readonly field: string;
  /** What is wrong with it, without the field name. */
  readonly problem: string;
  /** How to put it right; empty when the problem says it all. */
  readonly fix: string;

  constructor(field: string, problem: string, fix?: string, options?: { cause?: unknown }) {
    super(CONFIG, fix ? `${field}: ${problem}; ${fix}` : `${field}: ${problem}`, options);
    this.field = field;
    this.problem = problem;
    this.fix = fix ?? '';
  }
}

/**
 * No usable token could be had: the source failed (or did not answer within
 * `fetchTimeout`) and no cached token with enough validity is left. `cause`
 * is the last error from the source, or a {@link FetchTimeoutError}.
 *
 * @example
 * ```ts
 * import { TokenUnavailableError } from 'dbtoken';
 * try { await provider.getToken(); }
 * catch (err) { if (err instanceof TokenUnavailableError) console.error('IAM is down:', err.cause); }
 * ```
 */
export class TokenUnavailableError extends DbTokenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(UNAVAILABLE, message, options);
  }
}

/**
 * A token fetch passed its deadline (`fetchTimeout`). It is the `cause` of
 * the {@link TokenUnavailableError} a waiting caller gets, and the `reason`
 * of the fetch's aborted `signal`.
 *
 * @example
 * ```ts
 * import { FetchTimeoutError, TokenUnavailableError } from 'dbtoken';
 * const err = await provider.getToken().catch((e) => e);
 * if (err instanceof TokenUnavailableError && err.cause instanceof FetchTimeoutError) {
 *   console.error(`IAM did not answer within ${err.cause.timeoutMs} ms`);
 * }
 * ```
 */
export class FetchTimeoutError extends DbTokenError {
  /** The deadline that passed, in ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, what = 'the token source did not answer', options?: { cause?: unknown }) {
    super(FETCH_TIMEOUT, `${what} within fetchTimeout (${timeoutMs} ms)`, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A token would have been sent over a connection that is not encrypted.
 * Configure TLS, or set `allowInsecureTransport: true` for local testing.
 *
 * @example
 * ```ts
 * import { InsecureTransportError } from 'dbtoken';
 * import { createPgPool } from 'dbtoken/pg';
 * try { createPgPool({ token, host: 'db', ssl: false }); }
 * catch (err) { if (err instanceof InsecureTransportError) console.error(err.message); }
 * ```
 */
export class InsecureTransportError extends DbTokenError {
  constructor(message: string) {
    super(INSECURE_TRANSPORT, message);
  }
}

/**
 * The provider was closed; it hands out no more tokens.
 *
 * @example
 * ```ts
 * import { ProviderClosedError } from 'dbtoken';
 * provider.close();
 * await provider.getToken().catch((err) => err instanceof ProviderClosedError); // true
 * ```
 */
export class ProviderClosedError extends DbTokenError {
  constructor() {
    super(CLOSED, 'the token provider was closed; create a new one to get tokens');
  }
}

RECOGNISES.set(DbTokenError, null);
RECOGNISES.set(ConfigError, CONFIG);
RECOGNISES.set(TokenUnavailableError, UNAVAILABLE);
RECOGNISES.set(FetchTimeoutError, FETCH_TIMEOUT);
RECOGNISES.set(InsecureTransportError, INSECURE_TRANSPORT);
RECOGNISES.set(ProviderClosedError, CLOSED);

/**
 * True for an error thrown by any copy of dbtoken (ESM or CJS build).
 *
 * @example
 * ```ts
 * if (isDbTokenError(err)) console.error(err.code);
 * ```
 */
export function isDbTokenError(value: unknown): value is DbTokenError {
  return value instanceof DbTokenError;
}
