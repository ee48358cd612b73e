/**
 * The pure half of the token cache: when a token may be handed out, when to
 * refresh it, how long to back off after failures, and what a caller should
 * do next. No clocks, no timers, no I/O: every input is a number of
 * milliseconds or a plain record, so table tests cover it.
 */

/** Default safety margin: never hand out a token with less than this left. */
export const DEFAULT_MIN_VALIDITY_MS = 30_000;
/** The floor of the default refresh-ahead window. */
export const MIN_DEFAULT_REFRESH_BEFORE_MS = 60_000;
/** Default deadline of one fetch. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** Default retry settings. */
export const DEFAULT_RETRY: Readonly<RetrySettings> = { attempts: 3, baseMs: 250, maxMs: 30_000 };

export interface ScheduleInput {
  /** When the token was fetched (provider clock, ms). */
  fetchedAt: number;
  /** When the database stops accepting it (ms). */
  expiresAt: number;
  /** How long before expiry to refresh in the background; default max(lifetime / 4, 60 s). */
  refreshBefore?: number | undefined;
  /** Never hand out a token with less than this left. */
  minValidity: number;
  /** A number in `[0, 1)` that spreads `refreshAt` over the first half of the refresh window; default 0. */
  jitter?: number | undefined;
}

export interface Schedule {
  /** From here on, a background refresh is due. */
  refreshAt: number;
  /** From here on, the token must not be handed out. */
  staleAt: number;
}

/**
 * When to refresh a token and when to stop handing it out.
 *
 * `staleAt` is `expiresAt - minValidity`. `refreshAt` is
 * `expiresAt - refreshBefore` (by default the largest of a quarter of the
 * lifetime, 60 s, and `minValidity` plus an eighth of the lifetime), kept within `[fetchedAt + half the usable span, staleAt]`
 * so that a refresh window longer than the token's life (a 40 s token with
 * the 60 s default) cannot turn into a refresh loop, and a window shorter than
 * `minValidity` still refreshes before callers would have to wait.
 *
 * `jitter` then moves `refreshAt` into the first half of the window
 * `[refreshAt, staleAt]`, by that fraction of its half: a fleet of processes
 * started together (each with its own random `jitter`) does not refresh in
 * the same second, and each keeps half its window for retries.
 */
export function refreshSchedule(input: ScheduleInput): Schedule {
  const { fetchedAt, expiresAt, minValidity } = input;
  const lifetime = expiresAt - fetchedAt;
  const staleAt = expiresAt - minValidity;
  // The default window also stays an eighth of the lifetime clear of minValidity, so that a
  // provider asking for a large margin still refreshes in the background rather than making
  // every caller wait.
  const refreshBefore = input.refreshBefore ?? Math.max(lifetime / 4, MIN_DEFAULT_REFRESH_BEFORE_MS, minValidity + lifetime / 8);
  const usable = Math.max(0, staleAt - fetchedAt);
  const earliest = fetchedAt + usable / 2;
  const start = Math.min(staleAt, Math.max(earliest, expiresAt - refreshBefore));
  // Whole milliseconds: a timer per distinct fractional delay would cost Node's timer lists memory that stays.
  return { refreshAt: start + Math.floor(((staleAt - start) / 2) * (input.jitter ?? 0)), staleAt };
}

export interface BackoffOptions {
  /** Delay before the first retry (ms). */
  baseMs: number;
  /** The cap on any one delay (ms). */
  maxMs: number;
}

/**
 * Capped exponential backoff with jitter ("equal jitter"): with
 * `ceiling = min(maxMs, baseMs * 2^attempt)`, a delay uniformly spread over
 * `[ceiling / 2, ceiling)`. Half the delay is fixed so that a crowd of
 * retrying processes cannot collapse to zero wait; the other half spreads them.
 * `attempt` counts from 0; `random` is a number in `[0, 1)`, injected so
 * that tests are exact.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: number): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + (ceiling / 2) * random);
}

/** How a failing source is retried. */
export interface RetrySettings extends BackoffOptions {
  /** Fetches in one round: a caller waits through at most this many failures. */
  attempts: number;
}

/**
 * The pause after a failed round: at least `maxMs`, plus up to a quarter of
 * it as jitter so that a fleet of processes does not retry in step. A whole
 * round therefore never shares a `maxMs` window with the next one.
 */
export function restDelay(retry: BackoffOptions, random: number): number {
  return retry.maxMs + Math.floor((retry.maxMs / 4) * random);
}

/** The failure state of one identity, shared by every caller and provider. */
export interface FailureState {
  /** Failed fetches in a row (for `status()`). */
  readonly failures: number;
  /** Failed fetches in the current round. */
  readonly inRound: number;
  /** When the last failure was recorded (clock ms). */
  readonly failedAt: number;
  /** No fetch starts before this (clock ms). */
  readonly retryAt: number;
  /** The last round failed: until `retryAt`, callers without a usable token fail at once. */
  readonly resting: boolean;
}

/** No failures. */
export const NO_FAILURES: FailureState = { failures: 0, inRound: 0, failedAt: 0, retryAt: 0, resting: false };

/**
 * The failure state after one more failed fetch at `now`. Fetches come in
 * rounds of `attempts`, spaced by {@link backoffDelay}; a failed round is
 * followed by a {@link restDelay}, during which callers without a usable
 * token fail at once. An error that retrying cannot fix (`retryable` false)
 * ends the round at once. `retry` is the settings of the provider whose
 * fetch failed; providers of one identity with different `attempts` end a
 * round at the first count that reaches one of theirs.
 */
export function afterFailure(prev: FailureState, now: number, retryable: boolean, retry: RetrySettings, random: number): FailureState {
  // A fetch that was already under way when the rest began does not end the rest.
  if (isResting(prev, now)) return { ...prev, failures: prev.failures + 1 };
  const inRound = retryable ? prev.inRound + 1 : retry.attempts;
  const resting = inRound >= retry.attempts;
  const delay = resting ? restDelay(retry, random) : backoffDelay(inRound - 1, retry, random);
  return { failures: prev.failures + 1, inRound: resting ? 0 : inRound, failedAt: now, retryAt: now + delay, resting };
}

/**
 * True while a failure holds fetches back (`now` before `retryAt`). A clock
 * that stepped back behind the failure holds nothing back: the delay was
 * meant in time that has passed, not in the clock's own numbers.
 */
function isBackingOff(state: Pick<FailureState, 'failedAt' | 'retryAt'>, now: number): boolean {
  return now < state.retryAt && now >= state.failedAt;
}

/** True while the identity rests after a failed round. */
export function isResting(state: FailureState, now: number): boolean {
  return state.resting && isBackingOff(state, now);
}

/** When the next fetch may start: now, or when the backoff ends. */
export function nextFetchAt(state: FailureState, now: number): number {
  return isBackingOff(state, now) ? state.retryAt : now;
}

/** What {@link decide} reads about one identity. */
export interface EntryView extends FailureState {
  /** The cached token, if any. */
  readonly token?: { readonly fetchedAt: number; readonly expiresAt: number; readonly invalid: boolean } | undefined;
  /** A fetch is in flight. */
  readonly fetching: boolean;
}

/** One provider's reading rules. */
export interface ReadPolicy {
  readonly minValidity: number;
  readonly refreshBefore?: number | undefined;
  /** This reader's place in the refresh window (see {@link refreshSchedule}). */
  readonly jitter?: number | undefined;
  /** The caller asked for a new token (`forceRefresh`). */
  readonly force?: boolean | undefined;
}

/**
 * What a caller does next, in priority order:
 *
 * - `serve`: hand out the cached token;
 * - `serve-and-refresh`: hand it out and start a background refresh;
 * - `wait`: no usable token; join the fetch in flight, or start one at
 *   `startAt` (now, or after a backoff within the round);
 * - `fail`: no usable token and the identity rests after a failed round,
 *   until `retryAt`.
 */
export type Decision =
  | { readonly action: 'serve' }
  | { readonly action: 'serve-and-refresh' }
  | { readonly action: 'wait'; readonly startAt: number }
  | { readonly action: 'fail'; readonly retryAt: number };

/** True when `entry`'s token may be handed out at `now` under `policy`. */
export function isUsable(entry: EntryView, now: number, policy: Pick<ReadPolicy, 'minValidity'>): boolean {
  const t = entry.token;
  return t !== undefined && !t.invalid && now < t.expiresAt - policy.minValidity;
}

/**
 * The caller's next step. Like the AWS SDK's memoized credential chain, it
 * tells a caller who can be served (and may trigger a background refresh)
 * from one who must wait for a fetch; unlike it, a failing source is retried
 * in shared rounds, so the number of callers never multiplies the calls.
 */
export function decide(entry: EntryView, now: number, policy: ReadPolicy): Decision {
  if (policy.force !== true && isUsable(entry, now, policy)) {
    const t = entry.token!;
    const { refreshAt } = refreshSchedule({ fetchedAt: t.fetchedAt, expiresAt: t.expiresAt, ...policy });
    const due = now >= refreshAt && !entry.fetching && nextFetchAt(entry, now) === now;
    return { action: due ? 'serve-and-refresh' : 'serve' };
  }
  if (entry.fetching) return { action: 'wait', startAt: now };
  if (isResting(entry, now)) return { action: 'fail', retryAt: entry.retryAt };
  return { action: 'wait', startAt: nextFetchAt(entry, now) };
}

/**
 * When a provider that handed out the current token wants its background
 * refresh: its own `refreshAt`, but not before the shared backoff allows a
 * fetch. `undefined` once the token is no longer usable to it (the next
 * caller fetches in the foreground instead).
 */
export function refreshDue(entry: EntryView, now: number, policy: ReadPolicy): number | undefined {
  const t = entry.token;
  if (t === undefined || t.invalid) return undefined;
  const { refreshAt, staleAt } = refreshSchedule({ fetchedAt: t.fetchedAt, expiresAt: t.expiresAt, ...policy });
  const at = Math.max(refreshAt, nextFetchAt(entry, now));
  return at < staleAt ? at : undefined;
}
