import { abortable, onAbort, sleep } from './abort.js';
import { ConfigError, FetchTimeoutError, ProviderClosedError, TokenUnavailableError } from './errors.js';
import {
  decide,
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MIN_VALIDITY_MS,
  DEFAULT_RETRY,
  isUsable,
  refreshDue,
  NO_FAILURES,
  refreshSchedule,
  type Decision,
  type ReadPolicy,
  type RetrySettings,
  type Schedule,
} from './policy.js';
import { tokenStore, type FetchPlan, type Identity, type Reader, type StoredToken } from './store.js';
import type { DbToken } from './token.js';
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
  readonly host?: string | undefined;
  /** The port the token was made for. */
  readonly port?: number | undefined;
  /** The database user the token logs in as. */
  readonly user?: string | undefined;
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
  refreshBefore?: number | undefined;
  /**
   * Never hand out a token with less than this left; wait for a fresh one
   * instead. Default 30 s.
   */
  minValidity?: number | undefined;
  /**
   * The lifetime tokens from this source are known to have (15 min for AWS
   * RDS). Only used to reject a `refreshBefore` that could never work, before
   * any fetch.
   */
  lifetime?: number | undefined;
  /**
   * The provider's clock, in ms since the epoch. Default `Date.now()`, read
   * on every call (so fake timers drive it). Checked on every `getToken`,
   * because timers do not fire while a Lambda or Functions container is frozen.
   */
  clock?: (() => number) | undefined;
  /**
   * The deadline of one fetch, in ms. Default 30,000; `0` turns it off.
   *
   * - When it passes, the fetch's `signal` aborts (its `reason` is a
   *   {@link FetchTimeoutError}) and the fetch counts as failed.
   * - Each waiting caller also has its own deadline, `fetchTimeout` after it
   *   called `getToken`: it then rejects with {@link TokenUnavailableError},
   *   whose `cause` is a `FetchTimeoutError`.
   * - A caller that gives up (its own `signal` or deadline) ends only its
   *   own wait; the fetch runs on to its deadline and its token is cached.
   *   With `0`, a fetch that no caller waits for any more is let go instead,
   *   so that a hung source cannot hold every later caller. Neither counts
   *   as a failure of the source.
   */
  fetchTimeout?: number | undefined;
  /**
   * How a failing source is retried. Every caller and every provider of the
   * same identity share one retry schedule, as they share one fetch:
   *
   * - fetches come in rounds of `attempts` (default 3), spaced by a backoff
   *   that grows from `baseMs` (default 250) with jitter, capped at `maxMs`;
   * - a caller with no usable token waits through the rest of the current
   *   round and rejects with {@link TokenUnavailableError} when it fails;
   * - after a failed round the identity rests for `maxMs` (default 30 s,
   *   plus up to a quarter of it as jitter): callers without a usable token
   *   fail at once, and no fetch starts. So the source never gets more than
   *   `attempts` calls in any `maxMs` window, however many callers wait.
   *
   * A still-usable cached token keeps being served while refreshes fail,
   * and background refreshes follow the same schedule. An error that
   * retrying cannot fix (a {@link ConfigError}, or one with
   * `retryable: false`) ends the round at once.
   */
  retry?: {
    /** Fetches per round. Default 3. */
    attempts?: number | undefined;
    /** The first backoff delay (ms). Default 250. */
    baseMs?: number | undefined;
    /** The longest backoff delay, and the rest after a failed round (ms). Default 30,000. */
    maxMs?: number | undefined;
  };
  /**
   * Providers with the same `cacheKey` (and the same `clock`) share one
   * cached token, one in-flight fetch and one retry schedule; each applies
   * its own `minValidity`, `refreshBefore` and timers when it reads, and
   * each gets the `'token'` and `'error'` events. A fetch follows the
   * `fetchTimeout` and `retry` of the provider that started it, so give the
   * providers of one identity the same ones. Built-in providers derive the
   * key from the identity the token stands for (host, port, user, region,
   * credentials). Default: not shared.
   */
  cacheKey?: string | undefined;
  /** Who the tokens are for; adapters read it. */
  target?: TokenTarget | undefined;
  /** Receives debug and warning lines. Never given a secret. */
  logger?: TokenLogger | undefined;
  /**
   * Random numbers in `[0, 1)` for jitter: of the retry backoff, and of this
   * provider's place in the refresh window. Default `Math.random`.
   */
  random?: (() => number) | undefined;
  /**
   * When a token is refreshed ahead of its expiry:
   *
   * - `'background'` (the default): a timer (unref'd) starts the refresh
   *   once the token enters its refresh window;
   * - `'on-demand'`: no timer at all, for Lambda, Cloud Run and OCI
   *   Functions, whose CPU is frozen or throttled between requests. The
   *   first `getToken()` inside the window is served the valid token and
   *   starts the refresh; one after the token went stale waits for a new one.
   *
   * Either way, each provider refreshes at its own random point of the first
   * half of the window, so that a fleet started together does not refresh together.
   */
  refresh?: 'background' | 'on-demand' | undefined;
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
  /**
   * Subscribe to `'token'` ({@link TokenEvent}): a fetch succeeded. Returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const off = provider.on('token', (e) => console.log('token until', e.expiresAt.toISOString(), e.background));
   * off();
   * ```
   */
  on(event: 'token', listener: (event: TokenEvent) => void): () => void;
  /**
   * Subscribe to `'error'`: a fetch failed, with the source's error (which may be anything a source rejects with).
   *
   * @example
   * ```ts
   * provider.on('error', (err) => console.warn('token refresh failed', err instanceof Error ? err.message : err));
   * ```
   */
  on(event: 'error', listener: (error: unknown) => void): () => void;
  /** Either event, for code that picks the event at run time. */
  on(event: 'token' | 'error', listener: (arg: any) => void): () => void;
  /** A snapshot for readiness probes and dashboards; never contains a secret. */
  status(): TokenStatus;
  /** Who the tokens are for, when the provider knows. */
  readonly target?: TokenTarget | undefined;
}

/**
 * What {@link TokenProvider.status} reports.
 *
 * @example
 * ```ts
 * // a readiness probe: ready while a token is cached or the source is healthy
 * app.get('/ready', (_req, res) => {
 *   const s: TokenStatus = provider.status();
 *   const ready = (s.expiresAt !== undefined && s.expiresAt.getTime() > Date.now()) || !s.failing;
 *   res.status(ready ? 200 : 503).json(s);
 * });
 * ```
 */
export interface TokenStatus {
  /** When the cached token expires; `undefined` when none is cached (or it was invalidated). */
  readonly expiresAt: Date | undefined;
  /** When the cached token was fetched. */
  readonly lastFetchAt: Date | undefined;
  /** The `code` (or else the `name`) of the last failure, until a fetch succeeds. */
  readonly lastErrorCode: string | undefined;
  /** A fetch is in flight. */
  readonly refreshing: boolean;
  /** The last fetch failed. */
  readonly failing: boolean;
  /**
   * Logins the database refused for its login rate (or refused with a token
   * it had accepted before), which adapters retried with the same token
   * after a backoff; counted for this identity while any provider of it
   * lives in the process.
   */
  readonly throttledLogins: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default clock, read on every call so that fake timers drive it. */
const wallClock = (): number => Date.now();

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string {
  if (err === undefined || err === null || typeof err !== 'object') return 'Error';
  const { code, name } = err as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

interface ValidOptions extends TokenProviderOptions {
  readonly minValidity: number;
  readonly fetchTimeout: number;
  readonly retrySettings: RetrySettings;
}

function validateOptions(source: unknown, options: unknown): ValidOptions {
  if (typeof source !== 'function') {
    throw new ConfigError('source', `must be a function ({ signal }) => Promise<{ token, expiresAt }>, got ${describe(source)}`, 'pass an async function that fetches the token');
  }
  const o = requireObject('options', options ?? {}, 'TokenProviderOptions') as TokenProviderOptions;
  const minValidity = optionalDuration('minValidity', o.minValidity) ?? DEFAULT_MIN_VALIDITY_MS;
  const refreshBefore = optionalDuration('refreshBefore', o.refreshBefore, { min: 1 });
  const lifetime = optionalDuration('lifetime', o.lifetime, { min: 1 });
  const fetchTimeout = optionalDuration('fetchTimeout', o.fetchTimeout) ?? DEFAULT_FETCH_TIMEOUT_MS;
  if (refreshBefore !== undefined && refreshBefore <= minValidity) {
    throw new ConfigError(
      'refreshBefore',
      `(${refreshBefore} ms) must be longer than minValidity (${minValidity} ms), or callers would wait for every refresh`,
      'raise refreshBefore or lower minValidity',
    );
  }
  if (lifetime !== undefined && refreshBefore !== undefined && refreshBefore >= lifetime) {
    throw new ConfigError(
      'refreshBefore',
      `(${refreshBefore} ms) must be shorter than the token lifetime (${lifetime} ms)`,
      'leave it unset for the default of a quarter of the lifetime',
    );
  }
  if (lifetime !== undefined && minValidity >= lifetime) {
    throw new ConfigError('minValidity', `(${minValidity} ms) must be shorter than the token lifetime (${lifetime} ms)`, 'lower minValidity; the default is 30 s');
  }
  optionalFunction('clock', o.clock, '() => milliseconds since the epoch');
  optionalFunction('random', o.random, '() => a number in [0, 1)');
  if (o.refresh !== undefined && o.refresh !== 'background' && o.refresh !== 'on-demand') {
    throw new ConfigError('refresh', `must be 'background' or 'on-demand', got ${describe(o.refresh)}`, "use 'on-demand' where the CPU is frozen between requests (Lambda, Cloud Run, OCI Functions)");
  }
  const retrySettings = { ...DEFAULT_RETRY };
  if (o.retry !== undefined) {
    const r = requireObject('retry', o.retry, '{ attempts?, baseMs?, maxMs? }') as NonNullable<TokenProviderOptions['retry']>;
    if (r.attempts !== undefined && (!Number.isInteger(r.attempts) || r.attempts < 1)) {
      throw new ConfigError('retry.attempts', `must be an integer >= 1, got ${describe(r.attempts)}`, 'pass a small whole number such as 3');
    }
    retrySettings.attempts = r.attempts ?? retrySettings.attempts;
    retrySettings.baseMs = optionalDuration('retry.baseMs', r.baseMs, { min: 1 }) ?? retrySettings.baseMs;
    retrySettings.maxMs = optionalDuration('retry.maxMs', r.maxMs, { min: 1 }) ?? retrySettings.maxMs;
  }
  if (o.cacheKey !== undefined && (typeof o.cacheKey !== 'string' || o.cacheKey.length === 0)) {
    throw new ConfigError('cacheKey', `must be a non-empty string, got ${describe(o.cacheKey)}`, 'leave it unset for a provider of its own');
  }
  if (o.logger !== undefined) requireObject('logger', o.logger, 'an object with debug() and warn(), such as console');
  if (o.target !== undefined) requireObject('target', o.target, '{ host?, port?, user? }');
  return { ...o, minValidity, fetchTimeout, retrySettings };
}

/** What a built-in provider adds to {@link tokenProvider}. */
export interface ProviderInternals {
  /** The identity as metrics name it (host:port/user, a scope): never a secret. Default: from `target`. */
  label?: string | undefined;
  /** Closes what the provider holds outside the store (a worker, a file watcher). Must not reference the provider. */
  onRelease?: (() => void) | undefined;
  /**
   * Runs at the start of each `getToken()`, before the cache is read: what a
   * source must learn first (a region from a profile file, a token file that
   * changed). A promise it returns is awaited as a fetch is (the caller's
   * `signal`, `fetchTimeout` and `close()` end the wait), and its rejection is
   * the call's; `undefined` costs the call nothing.
   */
  beforeGetToken?: ((signal: AbortSignal | undefined) => Promise<void> | undefined) | undefined;
  /** The pace adapters keep for this source's logins when the pool sets no `loginRate` (AWS RDS: its IAM login limit). Default: none. */
  loginRate?: LoginRate | undefined;
  /**
   * How long the database lets one connection live (Aurora DSQL: one hour):
   * pools made with this provider recycle each connection before that, and
   * refuse a pool option that would keep one longer. Default: no limit.
   */
  connectionLifetime?: ConnectionLifetime | undefined;
  /**
   * The database user a token logs in as, read from the token (Azure's
   * `upn`), for a provider whose `target.user` was not given: called on each
   * token until it answers, and its throw (a {@link ConfigError} saying why
   * the token names no user) is the `getToken()` call's. The answer becomes
   * `target.user`, and `createIamPool` waits for it.
   */
  userFromToken?: ((token: DbToken) => string) | undefined;
}

/**
 * What a database allows one connection: the hard limit, and the age at
 * which pools made with its provider recycle a connection by default.
 *
 * @example
 * ```ts
 * import { DSQL_CONNECTION_LIFETIME } from 'dbtoken/aws';
 * const lifetime: ConnectionLifetime = DSQL_CONNECTION_LIFETIME; // { maxMs: 3600000, recycleMs: 3300000 }
 * ```
 */
export interface ConnectionLifetime {
  /** The server closes a connection this old (ms). */
  readonly maxMs: number;
  /** Pools recycle a connection at this age (ms) unless told otherwise: below `maxMs`, so no query is cut off. */
  readonly recycleMs: number;
}

/** A provider's connection lifetime, under a key both builds share. */
const CONNECTION_LIFETIME = Symbol.for('dbtoken.connectionLifetime');

/** Whether a provider still reads its user from its next token, under a key both builds share. */
const AWAITS_USER = Symbol.for('dbtoken.awaitsUser');

/**
 * Whether `provider.target.user` is still to be read from a token
 * ({@link ProviderInternals.userFromToken}): a pool that gives no user must
 * wait for `getToken()` first, as `createIamPool` does.
 */
export function awaitsUser(provider: TokenProvider): boolean {
  return (provider as { [AWAITS_USER]?: boolean })[AWAITS_USER] === true;
}

/** The connection lifetime a provider's database allows ({@link ProviderInternals.connectionLifetime}), if limited. */
export function providerConnectionLifetime(provider: TokenProvider): ConnectionLifetime | undefined {
  return (provider as { [CONNECTION_LIFETIME]?: ConnectionLifetime })[CONNECTION_LIFETIME];
}

/**
 * How fast new logins with a provider's tokens may start, per database
 * endpoint and process: `perSecond` on average, and up to `burst` at once
 * after a quiet spell (default 1).
 *
 * @example
 * ```ts
 * const loginRate: LoginRate = { perSecond: 10, burst: 5 }; // a db.t3.micro shared by a fleet of ten
 * const pool = await createIamPool({ driver: 'pg', token, ssl: { ca }, loginRate });
 * ```
 */
export interface LoginRate {
  /** Logins per second, on average. */
  readonly perSecond: number;
  /** Logins that may start at once after a quiet spell. Default 1. */
  readonly burst?: number | undefined;
}

/** A provider's own pace for logins, under a key both builds share. */
const LOGIN_RATE = Symbol.for('dbtoken.loginRate');

/** The pace a provider's source asks for its logins ({@link ProviderInternals.loginRate}), if any. */
export function providerLoginRate(provider: TokenProvider): LoginRate | undefined {
  return (provider as { [LOGIN_RATE]?: LoginRate })[LOGIN_RATE];
}

/**
 * Puts a cache in front of a token source. The provider shares one fetch
 * among concurrent callers, refreshes in the background before expiry, never
 * hands out a token with less than `minValidity` left (checked against the
 * clock on every call), keeps serving a still-usable token while refreshes
 * fail, gives every fetch a deadline (`fetchTimeout`), and retries a failing
 * source in rounds shared by every caller. Its timers are unref'd, and a
 * provider dropped without `close()` is garbage-collected.
 *
 * Providers with the same `cacheKey` share the raw token, the fetch in
 * flight and the retry schedule, in this process, whichever build (ESM or
 * CJS) of dbtoken created them; each keeps its own options, timers and
 * listeners.
 *
 * @example
 * ```ts
 * import { tokenProvider } from 'dbtoken';
 * const provider = tokenProvider(async ({ signal }) => {
 *   const { token, expiresAt } = await myVault.dbToken({ signal });
 *   return { token, expiresAt: new Date(expiresAt) };
 * }, { refreshBefore: 5 * 60_000, fetchTimeout: 10_000 });
 * const { token } = await provider.getToken();
 * ```
 */
export function tokenProvider(source: TokenSource, options?: TokenProviderOptions): TokenProvider {
  return createProvider(source, options, {});
}

/** A provider's identity, under a key both builds share (the store, and so its identities, is shared too). */
const IDENTITY = Symbol.for('dbtoken.identity');

const identityOf = (provider: TokenProvider): Identity | undefined => (provider as { [IDENTITY]?: Identity } | null)?.[IDENTITY];

/**
 * A built-in source tells its provider what it saw outside a fetch:
 * `'changed'`, new evidence (end any rest, forget the cached token), or a
 * problem (shown by `status()`; a still-valid token is kept).
 */
export function sourceEvidence(provider: TokenProvider, evidence: { readonly changed: true } | { readonly problem: unknown }): void {
  const identity = identityOf(provider);
  if (identity === undefined) return;
  if ('changed' in evidence) identity.renew();
  else identity.report(evidence.problem);
}

/**
 * A cloud source's `options`, checked to be an object, and the provider's
 * clock as its source reads it: the caller's `clock`, else `Date.now`, read
 * at each call. For the sources built on {@link createProvider}.
 */
export function providerOptions(options: unknown): { opts: TokenProviderOptions; clock: () => number } {
  const opts = (options === undefined ? {} : requireObject('options', options, 'TokenProviderOptions')) as TokenProviderOptions;
  const userClock = opts.clock;
  return { opts, clock: () => (typeof userClock === 'function' ? userClock() : Date.now()) };
}

/** {@link tokenProvider}, with what built-in providers need besides. */
export function createProvider(source: TokenSource, options: TokenProviderOptions | undefined, internals: ProviderInternals): TokenProvider {
  const o = validateOptions(source, options);
  const store = tokenStore();
  const clock = o.clock ?? wallClock;
  const random = o.random ?? Math.random;
  const policy: ReadPolicy = { minValidity: o.minValidity, refreshBefore: o.refreshBefore, jitter: random() };
  const onDemand = o.refresh === 'on-demand';
  const logger = o.logger;
  const plan: FetchPlan = { source, fetchTimeout: o.fetchTimeout, minValidity: o.minValidity, retry: o.retrySettings, random };
  const listeners = { token: new Set<(arg: any) => void>(), error: new Set<(arg: any) => void>() };
  /** Callers waiting on this provider: closing it rejects them. */
  const waiting = new Set<AbortController>();
  let closed = false;

  const emit = (event: 'token' | 'error', arg: unknown): void => {
    for (const l of listeners[event]) {
      try {
        // A throwing (or rejecting) listener must not break token delivery.
        const r: unknown = l(arg);
        if (r instanceof Promise) r.catch(() => {});
      } catch {
        // as above
      }
    }
  };

  /** This provider's schedule for a token: computed once per token. */
  const scheduleOf = (stored: StoredToken): Schedule =>
    refreshSchedule({ fetchedAt: stored.fetchedAt, expiresAt: stored.expiresAt, ...policy });

  /** The token this provider last handed out, and until when it may hand it out again without deciding anew. */
  let handed: { stored: StoredToken; until: number } | undefined;

  // The identity holds this weakly; the provider's methods hold it strongly.
  const reader: Reader = {
    plan,
    wakeAt(entry, now) {
      return !onDemand && handed !== undefined && handed.stored === entry.token ? refreshDue(entry, now, policy) : undefined;
    },
    notify(e) {
      if (e.type === 'token') {
        const { refreshAt } = scheduleOf(e.stored);
        logger?.debug?.(`dbtoken: fetched a token in ${e.elapsedMs} ms; expires ${e.stored.token.expiresAt.toISOString()}, refresh from ${new Date(refreshAt).toISOString()}`);
        emit('token', { expiresAt: e.stored.token.expiresAt, refreshAt: new Date(refreshAt), background: e.background } satisfies TokenEvent);
        return;
      }
      if (isUsable(identity.read(), clock(), policy)) {
        logger?.warn?.(`dbtoken: background token refresh failed (${message(e.error)}); still serving the cached token`);
      }
      emit('error', e.error);
    },
  };
  // A user's key and a provider's own identity live apart: no cacheKey can name another provider's private one.
  const own = o.cacheKey === undefined;
  const key = JSON.stringify([own ? store.newKey() : ['key', o.cacheKey], o.clock === undefined ? 'wall' : `clock:${store.idOf(o.clock)}`]);
  const label = internals.label ?? labelOf(o.target);
  const identity = store.identity(key, label, clock, { private: own });
  const leave = identity.join(reader, internals.onRelease);

  const hand = (stored: StoredToken): DbToken => {
    if (handed?.stored !== stored) {
      handed = { stored, until: scheduleOf(stored).refreshAt };
      identity.served();
    }
    return stored.token;
  };

  const unavailable = (d: Extract<Decision, { action: 'fail' }>): TokenUnavailableError => {
    const last = identity.read().lastError;
    const wait = Math.max(0, Math.ceil((d.retryAt - clock()) / 1000));
    logger?.warn?.(`dbtoken: no usable token: the token source failed (${message(last)}); next try in ${wait} s`);
    return new TokenUnavailableError(`no usable token: the token source failed (${message(last)}); dbtoken tries again in ${wait} s`, { cause: last });
  };

  /** The caller gave up: closed, its own signal, or its deadline (then the cause names the timeout, and carries the source's last error). */
  const gaveUp = (reason: unknown, lastError: unknown): unknown => {
    if (closed || reason instanceof ProviderClosedError) return new ProviderClosedError();
    if (reason instanceof FetchTimeoutError) {
      const why = lastError === undefined ? 'the token source did not answer in time' : `the token source failed (${message(lastError)})`;
      return new TokenUnavailableError(`no token within fetchTimeout (${reason.timeoutMs} ms): ${why}`, {
        cause: lastError === undefined ? reason : new FetchTimeoutError(reason.timeoutMs, 'no token arrived', { cause: lastError }),
      });
    }
    return reason;
  };

  /** Serves the cached token when this provider's rules allow it, starting a background refresh when one is due. */
  const serve = (d: Decision): DbToken | undefined => {
    if (d.action !== 'serve' && d.action !== 'serve-and-refresh') return undefined;
    if (d.action === 'serve-and-refresh') identity.fetch(reader, true);
    return hand(identity.peek()!);
  };

  /** Waits for a token, after `before` (the source's own preparation, such as reading the region) when given. */
  const wait = async (signal: AbortSignal | undefined, force: boolean, before?: Promise<void>): Promise<DbToken> => {
    const giveUp = new AbortController();
    waiting.add(giveUp);
    const offSignal = signal !== undefined ? onAbort(signal, () => giveUp.abort(signal.reason)) : undefined;
    if (signal?.aborted) giveUp.abort(signal.reason);
    // Referenced: a caller is waiting, and must get an answer rather than an exiting process.
    // With no deadline, a timer far in the future holds the process for the caller instead.
    const deadline = setTimeout(
      () => giveUp.abort(new FetchTimeoutError(o.fetchTimeout, 'no token arrived')),
      o.fetchTimeout > 0 ? Math.min(o.fetchTimeout, MAX_TIMER_MS) : MAX_TIMER_MS,
    );
    /** The last failure this caller saw, for the message if its deadline passes. */
    let seen: unknown;
    try {
      // Bound like a fetch: the caller's signal, fetchTimeout and close() end it.
      if (before !== undefined) await abortable(before, giveUp.signal);
      for (;;) {
        if (giveUp.signal.aborted) throw giveUp.signal.reason;
        const now = clock();
        const entry = identity.read();
        const d = decide(entry, now, { ...policy, force });
        const served = serve(d);
        if (served !== undefined) return served;
        if (d.action === 'fail') throw unavailable(d);
        if (d.action === 'wait' && d.startAt > now) {
          await sleep(d.startAt - now, giveUp.signal);
          const after = identity.read();
          // Someone else tried meanwhile: decide again. Otherwise start, even if the clock (a test's) did not move.
          if (after.failures !== entry.failures || after.fetching) continue;
        }
        try {
          const stored = await identity.wait(identity.fetch(reader, false), giveUp.signal);
          if (isUsable({ token: stored, fetching: false, ...NO_FAILURES }, clock(), policy)) return hand(stored);
          force = false; // a new token arrived, just not usable to this provider: read it like any other
        } catch {
          if (giveUp.signal.aborted) throw giveUp.signal.reason;
          // The identity recorded the failure; decide() reads the new state. A forced refresh stays forced.
          const after = identity.read();
          if (after.failures > 0) seen = after.lastError;
        }
      }
    } catch (err) {
      if (giveUp.signal.aborted && err === giveUp.signal.reason) throw gaveUp(err, seen);
      throw err;
    } finally {
      clearTimeout(deadline);
      offSignal?.();
      waiting.delete(giveUp);
    }
  };

  const get = async (opts: Parameters<TokenProvider['getToken']>[0]): Promise<DbToken> => {
    if (closed) throw new ProviderClosedError();
    const before = internals.beforeGetToken?.(opts?.signal);
    const force = opts?.forceRefresh === true;
    if (!force && before === undefined) {
      // The hot path: the token handed out last is still the cached one, valid, and not yet due for a refresh.
      if (handed !== undefined && clock() < handed.until && identity.peek() === handed.stored) return handed.stored.token;
      const served = serve(decide(identity.read(), clock(), policy));
      if (served !== undefined) return served;
    }
    return wait(opts?.signal, force, before);
  };

  /** The user read from a token, while the target names none: then `target` is read anew. */
  let userFromToken = o.target?.user === undefined ? internals.userFromToken : undefined;
  let target = o.target !== undefined ? Object.freeze({ ...o.target }) : undefined;
  const withUser = (token: DbToken): DbToken => {
    if (userFromToken === undefined) return token;
    const user = userFromToken(token);
    target = Object.freeze({ ...target, user });
    userFromToken = undefined;
    return token;
  };

  const provider: TokenProvider = {
    getToken(opts) {
      // No extra promise on the hot path once the user is known (or never read from tokens).
      return userFromToken === undefined ? get(opts) : get(opts).then(withUser);
    },
    invalidate(token) {
      if (identity.invalidate(token?.token)) logger?.debug?.('dbtoken: cached token invalidated');
    },
    close() {
      if (closed) return;
      closed = true;
      for (const c of waiting) c.abort(new ProviderClosedError());
      waiting.clear();
      listeners.token.clear();
      listeners.error.clear();
      leave();
      internals.onRelease?.();
    },
    on(event: 'token' | 'error', listener: (arg: any) => void) {
      if (event !== 'token' && event !== 'error') {
        throw new ConfigError('event', `must be 'token' or 'error', got ${describe(event)}`, "subscribe to 'token' or 'error'");
      }
      if (typeof listener !== 'function') throw new ConfigError('listener', `must be a function, got ${describe(listener)}`, 'pass a function');
      listeners[event].add(listener);
      return () => {
        listeners[event].delete(listener);
      };
    },
    status() {
      const e = identity.read();
      const t = e.token !== undefined && !e.token.invalid ? e.token : undefined;
      return {
        expiresAt: t !== undefined ? new Date(t.expiresAt) : undefined,
        lastFetchAt: e.token !== undefined ? new Date(e.token.fetchedAt) : undefined,
        lastErrorCode: e.failures > 0 ? errorCode(e.lastError) : undefined,
        refreshing: e.fetching,
        failing: e.failures > 0,
        throttledLogins: identity.throttled || 0,
      };
    },
  };
  // A getter only while the user is still to be read from a token; otherwise a plain value, as a connection reads it.
  if (userFromToken !== undefined) Object.defineProperty(provider, 'target', { get: () => target, enumerable: true });
  else if (target !== undefined) Object.defineProperty(provider, 'target', { value: target, enumerable: true });
  if (userFromToken !== undefined) Object.defineProperty(provider, AWAITS_USER, { get: () => userFromToken !== undefined });
  Object.defineProperty(provider, IDENTITY, { value: identity });
  if (internals.loginRate !== undefined) Object.defineProperty(provider, LOGIN_RATE, { value: internals.loginRate });
  if (internals.connectionLifetime !== undefined) Object.defineProperty(provider, CONNECTION_LIFETIME, { value: internals.connectionLifetime });
  return provider;
}

/** `host:port/user` from a target, as metrics label an identity. */
function labelOf(target: TokenTarget | undefined): string {
  if (target === undefined || (target.host === undefined && target.user === undefined)) return 'token-provider';
  return `${target.host ?? ''}${target.port !== undefined ? `:${target.port}` : ''}/${target.user ?? ''}`;
}

/**
 * Reports that an adapter retried a login the database refused, for
 * {@link tokenMetrics}. Adapters call it; so may your own retry logic.
 *
 * @example
 * ```ts
 * provider.invalidate(sentToken);
 * loginRetried(provider);
 * const conn = await connectAgain();
 * ```
 */
export function loginRetried(provider: TokenProvider): void {
  const identity = identityOf(provider);
  if (identity !== undefined) tokenStore().emit({ type: 'login-retried', label: identity.label });
}

/**
 * Reports that the database refused a login for its login rate, and that
 * the login is being retried with the same token after a backoff: counted
 * in `status().throttledLogins` and by {@link tokenMetrics}. Adapters call
 * it; so may your own retry logic.
 *
 * @example
 * ```ts
 * if (/too many competing requests/.test(err.message)) {
 *   loginThrottled(provider);
 *   await setTimeout(200 + Math.random() * 200);
 *   conn = await connectAgain(); // the same token: it is valid, only the rate was over
 * }
 * ```
 */
export function loginThrottled(provider: TokenProvider): void {
  const identity = identityOf(provider);
  if (identity === undefined) return;
  // `|| 0`: an identity made by an older copy of dbtoken in this process has no count yet.
  identity.throttled = (identity.throttled || 0) + 1;
  tokenStore().emit({ type: 'login-throttled', label: identity.label });
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
