/**
 * The base class of every error dbtoken throws. Each subclass carries a stable
 * `code`, so callers can branch on `err.code` or on `instanceof`.
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
}

/**
 * Bad configuration, reported before any network call. `field` names the
 * option at fault (for example `port` or `credentials.accessKeyId`).
 *
 * @example
 * ```ts
 * import { ConfigError } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * try { awsRdsToken({ hostname: 'db.example.com', username: 'app' }); }
 * catch (err) { if (err instanceof ConfigError) console.error(err.field); } // 'region'
 * ```
 */
export class ConfigError extends DbTokenError {
  /** The option at fault, as a dotted path. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('ERR_DBTOKEN_CONFIG', `${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * No usable token could be had: the source failed and no cached token with
 * enough validity is left. `cause` is the last error from the source.
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
    super('ERR_DBTOKEN_UNAVAILABLE', message, options);
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
    super('ERR_DBTOKEN_INSECURE_TRANSPORT', message);
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
    super('ERR_DBTOKEN_CLOSED', 'the token provider was closed; create a new one to get tokens');
  }
}
