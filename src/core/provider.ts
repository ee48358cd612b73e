import { LRUCache } from 'lru-cache';
import { ConfigError, ProviderClosedError, TokenUnavailableError } from './errors.js';
import { backoffDelay, DEFAULT_MIN_VALIDITY_MS, refreshSchedule } from './policy.js';
import { redactToken, type DbToken } from './token.js';
import { describe, optionalDuration, optionalFunction, requireObject } from './validation.js';

/**
 * Where tokens come from: a plain async function, called once per fetch.
 * `signal` aborts when the provider is closed.
 *
 * @example
 * ```ts
 * const source: TokenSource = async ({ signal }) => {
 *   const res = await fetch('https://vault.internal/db-token', { signal });
 *   const { token, expiresAt } = await res.json();
 *   return { token, expiresAt: new Date(expiresAt) };
 * };
 * ```
 */
export type TokenSource = (ctx: { signal: AbortSignal }) => Promise<DbToken>;

/**
 * Who the tokens are for. Adapters use it to fill in the pool's host, port
 * and user, and to refuse a pool that would log in as someone else.
 *
 * @example
 * ```ts
 * const target: TokenTarget = { host: 'mydb.abc123.us-east-1.rds.amazonaws.com', port: 5432, user: 'app' };
 * const provider = tokenProvider(source, { target }); // createIamPool takes host, port and user from it
 * ```
 */
export interface TokenTarget {
  /** The host name the token was made for. */
  readonly host?: string;
  /** The port the token was made for. */
  readonly port?: number;
  /** The database user the token logs in as. */
  readonly user?: string;
}

/**
 * What a `'token'` event carries: timing only, never the secret.
 *
 * @example
 * ```ts
 * provider.on('token', (e: TokenEvent) => {
 *   console.log(`new token until ${e.expiresAt.toISOString()}, refresh from ${e.refreshAt.toISOString()}`, e.background);
 * });
 * ```
 */
export interface TokenEvent {
  /** When the new token expires. */
  readonly expiresAt: Date;
  /** When the provider will start refreshing it in the background. */
  readonly refreshAt: Date;
  /** True when the fetch was a refresh ahead of expiry, false when a caller was waiting. */
  readonly background: boolean;
}

/**
 * A minimal logger; `console` fits. Messages never contain a token or key.
 *
 * @example
 * ```ts
 * const logger: TokenLogger = { warn: (message) => console.warn(message) }; // debug lines dropped
 * const token = awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }, { logger });
 * ```
 */
export interface TokenLogger {
  /** Routine lines: a token was fetched, invalidated. */
  debug?(message: string): void;
  /** Trouble: a refresh failed, no usable token is left. */
  warn?(message: string): void;
}

/**
 * Options of {@link tokenProvider}. All durations are in milliseconds.
 *
 * @example
 * ```ts
 * const options: TokenProviderOptions = {
 *   refreshBefore: 5 * 60_000, // refresh in the background 5 min before expiry
 *   minValidity: 60_000,       // never hand out a token with less than 1 min left
 *   retry: { attempts: 5, maxMs: 10_000 },
 * };
 * const token = awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }, options);
 * ```
 */
export interface TokenProviderOptions {
  /**
   * Start a background refresh once the token has less than this left.
   * Default: a quarter of the token's lifetime, and at least 60 s. Must be
   * longer than `minValidity`, and shorter than `lifetime` when that is given.
   */
  refreshBefore?: number;
  /**
   * Never hand out a token with less than this left; wait for a fresh one
   * instead. Default 30 s.
   */
  minValidity?: number;
  /**
   * The lifetime tokens from this source are known to have (15 min for AWS
   * RDS). Only used to reject a `refreshBefore` that could never work, before
   * any fetch.
   */
  lifetime?: number;
  /**
   * The provider's clock, in ms since the epoch. Default `Date.now()`, read
   * on every call (so fake timers drive it). Checked on every `getToken`,
   * because timers do not fire while a Lambda or Functions container is frozen.
   */
  clock?: () => number;
  /**
   * Retries. `attempts` (default 3) is how often a caller with no usable
   * token tries the source before `getToken` rejects. Background refreshes
   * retry until the cached token stops being usable. Delays grow from
   * `baseMs` (default 250) to at most `maxMs` (default 30 s), with jitter.
   */
  retry?: {
    /** Tries per caller with no usable token. Default 3. */
    attempts?: number;
    /** The first delay (ms). Default 250. */
    baseMs?: number;
    /** The longest delay (ms). Default 30,000. */
    maxMs?: number;
  };
  /**
   * Providers with the same `cacheKey` (and the same `clock`) share one
   * cached token and one in-flight fetch. Built-in providers derive it from
   * the identity the token stands for (host, port, user, region,
   * credentials). Default: not shared.
   */
  cacheKey?: string;
  /** Who the tokens are for; adapters read it. */
  target?: TokenTarget;
  /** Receives debug and warning lines. Never given a secret. */
  logger?: TokenLogger;
  /** Random numbers in `[0, 1)` for jitter. Default `Math.random`. */
  random?: () => number;
}

/**
 * A cache in front of a {@link TokenSource}: single flight, refresh ahead,
 * never stale, retries with backoff. Every built-in provider is one.
 *
 * @example
 * ```ts
 * const { token } = await provider.getToken();
 * provider.on('error', (err) => console.warn('token refresh failed', err));
 * provider.close();
 * ```
 */
export interface TokenProvider {
  /**
   * A token with at least `minValidity` left. Concurrent callers share one
   * fetch. `forceRefresh` skips the cached token (sharing a fetch already in
   * flight); `signal` stops this caller's wait, not the fetch.
   */
  getToken(opts?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<DbToken>;
  /**
   * Forget the cached token because the server refused it. When `token` is
   * given, only that token is forgotten: a newer one fetched meanwhile stays.
   */
  invalidate(token?: DbToken): void;
  /** Stop background work and reject further calls. Idempotent. */
  close(): void;
  /** Subscribe to `'token'` ({@link TokenEvent}) or `'error'` (the source's error). Returns the unsubscribe function. */
  on(event: 'token' | 'error', listener: (arg: any) => void): () => void;
  /** Who the tokens are for, when the provider knows. */
  readonly target?: TokenTarget;
}

/** One cached token and its schedule, shared by providers with the same key. */
interface Entry {
  readonly token: DbToken;
  readonly refreshAt: number;
  readonly staleAt: number;
  invalid: boolean;
  /** Set once a caller was handed this token: only used tokens are refreshed by timer. */
  used: boolean;
  /** Background refresh failures in a row, and when the next try may start. */
  failures: number;
  retryAt: number;
}

type Fetcher = (signal: AbortSignal, stale: Entry | undefined) => Promise<Entry>;

/**
 * At most this many distinct identities hold a token in one process; the
 * least recently used is dropped first (and simply fetched again if needed).
 *
 * @example
 * ```ts
 * import { MAX_CACHED_TOKENS } from 'dbtoken';
 * // one provider per tenant database: beyond 1000 identities, the least recently used token is fetched again
 * if (tenantDatabases.length > MAX_CACHED_TOKENS) console.warn('more identities than dbtoken caches tokens for');
 * ```
 */
export const MAX_CACHED_TOKENS = 1000;

const cache = new LRUCache<string, Entry, Fetcher>({
  max: MAX_CACHED_TOKENS,
  fetchMethod: (_key, stale, { signal, context }) => context(signal, stale),
  // A failed fetch restores the previous entry; callers decide if it is usable.
  noDeleteOnFetchRejection: true,
});
const refCounts = new Map<string, number>();
const clockIds = new WeakMap<() => number, number>();
let nextId = 0;
const GET_OPTS = { allowStale: true } as const;

const defaultClock = (): number => Date.now();

function clockId(clock: () => number): number {
  let id = clockIds.get(clock);
  if (id === undefined) clockIds.set(clock, (id = nextId++));
  return id;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A ConfigError, or an error a source marked `retryable: false`, will not get better by retrying. */
function isRetryable(err: unknown): boolean {
  return !(err instanceof ConfigError) && (err as { retryable?: unknown } | null)?.retryable !== false;
}

/**
 * Waits `ms` between a waiting caller's attempts; rejects early when `signal`
 * aborts or `closed` rejects. This timer is not unref'd: a caller is waiting
 * for a token, and the process must not exit under it.
 */
function sleep(ms: number, signal: AbortSignal | undefined, closed: Promise<never>): Promise<void> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<void>((resolve) => {
    t = setTimeout(resolve, ms);
  });
  return race(timer, signal, closed).finally(() => clearTimeout(t));
}

/** Settles like `p`, unless `signal` aborts or `closed` rejects first. One listener per caller signal, none otherwise. */
function race<T>(p: Promise<T>, signal: AbortSignal | undefined, closed: Promise<never>): Promise<T> {
  if (signal === undefined) return Promise.race([p, closed]);
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, closed, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

function validateOptions(source: unknown, options: unknown): TokenProviderOptions {
  if (typeof source !== 'function') {
    throw new ConfigError('source', `must be a function ({ signal }) => Promise<{ token, expiresAt }>, got ${describe(source)}`);
  }
  const o = requireObject('options', options ?? {}, 'TokenProviderOptions') as TokenProviderOptions;
  const minValidity = optionalDuration('minValidity', o.minValidity) ?? DEFAULT_MIN_VALIDITY_MS;
  const refreshBefore = optionalDuration('refreshBefore', o.refreshBefore, { min: 1 });
  const lifetime = optionalDuration('lifetime', o.lifetime, { min: 1 });
  if (refreshBefore !== undefined && refreshBefore <= minValidity) {
    throw new ConfigError(
      'refreshBefore',
      `(${refreshBefore} ms) must be longer than minValidity (${minValidity} ms), or callers would wait for every refresh`,
    );
  }
  if (lifetime !== undefined && refreshBefore !== undefined && refreshBefore >= lifetime) {
    throw new ConfigError(
      'refreshBefore',
      `(${refreshBefore} ms) must be shorter than the token lifetime (${lifetime} ms); leave it unset for the default of a quarter of the lifetime`,
    );
  }
  if (lifetime !== undefined && minValidity >= lifetime) {
    throw new ConfigError('minValidity', `(${minValidity} ms) must be shorter than the token lifetime (${lifetime} ms)`);
  }
  optionalFunction('clock', o.clock, '() => milliseconds since the epoch');
  optionalFunction('random', o.random, '() => a number in [0, 1)');
  if (o.retry !== undefined) {
    const r = requireObject('retry', o.retry, '{ attempts?, baseMs?, maxMs? }') as NonNullable<TokenProviderOptions['retry']>;
    if (r.attempts !== undefined && (!Number.isInteger(r.attempts) || r.attempts < 1)) {
      throw new ConfigError('retry.attempts', `must be an integer >= 1, got ${describe(r.attempts)}`);
    }
    optionalDuration('retry.baseMs', r.baseMs, { min: 1 });
    optionalDuration('retry.maxMs', r.maxMs, { min: 1 });
  }
  if (o.cacheKey !== undefined && (typeof o.cacheKey !== 'string' || o.cacheKey.length === 0)) {
    throw new ConfigError('cacheKey', `must be a non-empty string, got ${describe(o.cacheKey)}`);
  }
  if (o.logger !== undefined) requireObject('logger', o.logger, 'an object with debug() and warn(), such as console');
  if (o.target !== undefined) requireObject('target', o.target, '{ host?, port?, user? }');
  return o;
}

/**
 * Puts a cache in front of a token source. The provider shares one fetch
 * among concurrent callers, refreshes in the background before expiry, never
 * hands out a token with less than `minValidity` left (checked against the
 * clock on every call), keeps serving a still-usable token while refreshes
 * fail, and retries with capped exponential backoff and jitter. Its timers
 * are unref'd: it never keeps a process alive.
 *
 * @example
 * ```ts
 * import { tokenProvider } from 'dbtoken';
 * const provider = tokenProvider(async () => {
 *   const { token, expiresAt } = await myVault.dbToken();
 *   return { token, expiresAt: new Date(expiresAt) };
 * }, { refreshBefore: 5 * 60_000 });
 * const { token } = await provider.getToken();
 * ```
 */
export function tokenProvider(source: TokenSource, options?: TokenProviderOptions): TokenProvider {
  const o = validateOptions(source, options);
  const clock = o.clock ?? defaultClock;
  const minValidity = o.minValidity ?? DEFAULT_MIN_VALIDITY_MS;
  const attempts = o.retry?.attempts ?? 3;
  const backoff = { baseMs: o.retry?.baseMs ?? 250, maxMs: o.retry?.maxMs ?? 30_000 };
  const random = o.random ?? Math.random;
  const logger = o.logger;
  const key = `${o.cacheKey ?? `private:${nextId++}`}#${clockId(clock)}`;
  refCounts.set(key, (refCounts.get(key) ?? 0) + 1);

  const listeners = { token: new Set<(arg: any) => void>(), error: new Set<(arg: any) => void>() };
  let closed = false;
  let markClosed!: (err: ProviderClosedError) => void;
  const closedPromise = new Promise<never>((_, reject) => (markClosed = reject));
  closedPromise.catch(() => {}); // observed by race(); never an unhandled rejection
  let timer: ReturnType<typeof setTimeout> | undefined;
  let background = false;

  const emit = (event: 'token' | 'error', arg: unknown): void => {
    for (const l of listeners[event]) {
      try {
        l(arg);
      } catch {
        // A throwing listener must not break token delivery.
      }
    }
  };

  const usable = (e: Entry | undefined, now: number): e is Entry => e !== undefined && !e.invalid && now < e.staleAt;

  const schedule = (at: number): void => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(onTimer, Math.max(0, Math.min(at - clock(), 2 ** 31 - 1)));
    timer.unref?.();
  };

  const fetcher: Fetcher = async (signal, stale) => {
    const startedAt = clock();
    const isBackground = background;
    try {
      const raw = await source({ signal });
      const token = redactToken(raw);
      const fetchedAt = clock();
      const expiresAt = token.expiresAt.getTime();
      if (expiresAt - fetchedAt <= minValidity) {
        throw new TokenUnavailableError(
          `the token source returned a token valid for ${Math.round((expiresAt - fetchedAt) / 1000)} s, ` +
            `which is not more than minValidity (${minValidity / 1000} s); check the source and the clock`,
        );
      }
      const { refreshAt, staleAt } = refreshSchedule({ fetchedAt, expiresAt, refreshBefore: o.refreshBefore, minValidity });
      const entry: Entry = { token, refreshAt, staleAt, invalid: false, used: false, failures: 0, retryAt: 0 };
      logger?.debug?.(`dbtoken: fetched a token in ${fetchedAt - startedAt} ms; expires ${token.expiresAt.toISOString()}, refresh from ${new Date(refreshAt).toISOString()}`);
      emit('token', { expiresAt: token.expiresAt, refreshAt: new Date(refreshAt), background: isBackground } satisfies TokenEvent);
      schedule(refreshAt);
      return entry;
    } catch (err) {
      emit('error', err);
      if (stale !== undefined && !closed) {
        const delay = backoffDelay(stale.failures, backoff, random());
        stale.failures += 1;
        stale.retryAt = clock() + delay;
        if (isBackground && usable(stale, clock())) {
          logger?.warn?.(`dbtoken: background token refresh failed (${message(err)}); still serving the cached token, retrying in ${delay} ms`);
          schedule(stale.retryAt);
        }
      }
      throw err;
    }
  };

  const current = (): Entry | undefined => cache.get(key, GET_OPTS);

  const startBackground = (): void => {
    background = true;
    try {
      // With allowStale, lru-cache serves the current entry and refreshes
      // behind it; a fetch already in flight is joined, not repeated.
      void cache.fetch(key, { forceRefresh: true, allowStale: true, context: fetcher }).catch(() => {});
    } finally {
      background = false;
    }
  };

  function onTimer(): void {
    timer = undefined;
    if (closed) return;
    const e = current();
    if (!usable(e, clock()) || !e.used) return; // idle or expired: the next caller fetches
    const now = clock();
    const due = Math.max(e.refreshAt, e.retryAt);
    if (now < due) schedule(due);
    else startBackground();
  }

  const foreground = async (signal: AbortSignal | undefined, force: boolean): Promise<DbToken> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0 || !force) {
        const e = current();
        if (usable(e, clock())) {
          e.used = true;
          return e.token;
        }
      }
      try {
        const p = cache.fetch(key, { forceRefresh: true, allowStale: false, context: fetcher });
        const e = await race(p, signal, closedPromise);
        if (closed) throw new ProviderClosedError();
        if (usable(e, clock())) {
          e.used = true;
          return e.token;
        }
        lastError = new TokenUnavailableError('the fetched token was already too close to expiry when it arrived');
      } catch (err) {
        if (closed) throw new ProviderClosedError();
        if (signal?.aborted) throw signal.reason;
        lastError = err;
        if (!isRetryable(err)) break;
      }
      if (attempt + 1 < attempts) await sleep(backoffDelay(attempt, backoff, random()), signal, closedPromise);
    }
    if (closed) throw new ProviderClosedError();
    logger?.warn?.(`dbtoken: no usable token after ${attempts} attempt(s): ${message(lastError)}`);
    throw new TokenUnavailableError(`no usable token: the token source failed (${message(lastError)})`, { cause: lastError });
  };

  const provider: TokenProvider = {
    async getToken(opts) {
      if (closed) throw new ProviderClosedError();
      const now = clock();
      const e = current();
      if (opts?.forceRefresh !== true && usable(e, now)) {
        e.used = true;
        if (now >= e.refreshAt && now >= e.retryAt) startBackground();
        return e.token;
      }
      return foreground(opts?.signal, opts?.forceRefresh === true);
    },
    invalidate(token) {
      const e = current();
      if (e === undefined) return;
      if (token !== undefined && e.token.token !== token.token) return;
      e.invalid = true;
      logger?.debug?.('dbtoken: cached token invalidated');
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      markClosed(new ProviderClosedError());
      listeners.token.clear();
      listeners.error.clear();
      const refs = (refCounts.get(key) ?? 1) - 1;
      if (refs > 0) refCounts.set(key, refs);
      else {
        refCounts.delete(key);
        cache.delete(key); // also aborts a fetch in flight
      }
    },
    on(event, listener) {
      if (event !== 'token' && event !== 'error') {
        throw new ConfigError('event', `must be 'token' or 'error', got ${describe(event)}`);
      }
      if (typeof listener !== 'function') throw new ConfigError('listener', `must be a function, got ${describe(listener)}`);
      listeners[event].add(listener);
      return () => {
        listeners[event].delete(listener);
      };
    },
    ...(o.target !== undefined ? { target: Object.freeze({ ...o.target }) } : {}),
  };
  return provider;
}

/** True when `value` looks like a {@link TokenProvider}. */
export function isTokenProvider(value: unknown): value is TokenProvider {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TokenProvider).getToken === 'function' &&
    typeof (value as TokenProvider).invalidate === 'function'
  );
}

