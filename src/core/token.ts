const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * A short-lived credential the database accepts in place of a password.
 *
 * Tokens handed out by dbtoken print as redacted: `util.inspect`,
 * `JSON.stringify`, `String()` and template strings never show the token or
 * the key.
 *
 * @example
 * ```ts
 * const t = await provider.getToken();
 * console.log(`${t}`);           // [DbToken redacted, expires 2026-11-23T10:15:00.000Z]
 * client.password = t.token;      // the secret itself is only reachable by name
 * ```
 */
export interface DbToken {
  /** The secret the database accepts in place of a password. */
  readonly token: string;
  /** When the database stops accepting it. */
  readonly expiresAt: Date;
  /** PKCS#8 PEM proof-of-possession key (OCI db-token, HeatWave). */
  readonly privateKey?: string | undefined;
  /** HeatWave: the API signing key's fingerprint. */
  readonly fingerprint?: string | undefined;
}

/**
 * The redacting implementation of {@link DbToken}. The secret fields live in
 * private slots and are exposed by getters on the prototype, so spreading,
 * `Object.keys`, snapshots and loggers that walk own properties see nothing.
 */
class RedactedToken implements DbToken {
  readonly #token: string;
  readonly #privateKey: string | undefined;
  readonly expiresAt: Date;
  readonly fingerprint?: string | undefined;

  constructor(t: DbToken) {
    this.#token = t.token;
    this.#privateKey = t.privateKey;
    this.expiresAt = new Date(t.expiresAt.getTime());
    if (t.fingerprint !== undefined) this.fingerprint = t.fingerprint;
    Object.freeze(this);
  }

  get token(): string {
    return this.#token;
  }

  get privateKey(): string | undefined {
    return this.#privateKey;
  }

  toString(): string {
    return `[DbToken redacted, expires ${isNaN(this.expiresAt.getTime()) ? 'never' : this.expiresAt.toISOString()}]`;
  }

  toJSON(): Record<string, unknown> {
    return {
      token: '[redacted]',
      expiresAt: this.expiresAt,
      ...(this.#privateKey !== undefined ? { privateKey: '[redacted]' } : {}),
      ...(this.fingerprint !== undefined ? { fingerprint: this.fingerprint } : {}),
    };
  }

  [Symbol.toPrimitive](): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return `DbToken ${JSON.stringify(this.toJSON())}`;
  }
}

/** True when `value` is a token that already redacts itself. */
export function isRedacted(value: unknown): value is DbToken {
  return value instanceof RedactedToken;
}

/**
 * Checks what a source returned and wraps it so that it redacts itself.
 * Throws a `TypeError` (never containing the token) when the shape is wrong.
 */
export function redactToken(value: unknown): DbToken {
  if (value instanceof RedactedToken) return value;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`the token source must resolve to { token, expiresAt }, got ${value === null ? 'null' : typeof value}`);
  }
  const v = value as Partial<DbToken>;
  // An empty token is valid only next to a proof-of-possession key (a HeatWave API-key login).
  const problem =
    typeof v.token !== 'string' || (v.token.length === 0 && typeof v.privateKey !== 'string')
      ? 'token is not a non-empty string'
      : !(v.expiresAt instanceof Date) || isNaN(v.expiresAt.getTime())
        ? 'expiresAt is not a valid Date'
        : v.privateKey !== undefined && typeof v.privateKey !== 'string'
          ? 'privateKey is not a string'
          : v.fingerprint !== undefined && typeof v.fingerprint !== 'string'
            ? 'fingerprint is not a string'
            : undefined;
  if (problem !== undefined) throw new TypeError(`the token source resolved to an object whose ${problem}`);
  return new RedactedToken(v as DbToken);
}
