/**
 * Pure refresh-time maths. No clocks, no timers: every input is a number of
 * milliseconds, so a table test covers it.
 */

/** Default safety margin: never hand out a token with less than this left. */
export const DEFAULT_MIN_VALIDITY_MS = 30_000;
/** The floor of the default refresh-ahead window. */
export const MIN_DEFAULT_REFRESH_BEFORE_MS = 60_000;

export interface ScheduleInput {
  /** When the token was fetched (provider clock, ms). */
  fetchedAt: number;
  /** When the database stops accepting it (ms). */
  expiresAt: number;
  /** How long before expiry to refresh in the background; default max(lifetime / 4, 60 s). */
  refreshBefore?: number | undefined;
  /** Never hand out a token with less than this left. */
  minValidity: number;
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
 * `expiresAt - refreshBefore`, kept within `[fetchedAt + half the usable span, staleAt]`
 * so that a refresh window longer than the token's life (a 40 s token with
 * the 60 s default) cannot turn into a refresh loop, and a window shorter than
 * `minValidity` still refreshes before callers would have to wait.
 */
export function refreshSchedule(input: ScheduleInput): Schedule {
  const { fetchedAt, expiresAt, minValidity } = input;
  const lifetime = expiresAt - fetchedAt;
  const staleAt = expiresAt - minValidity;
  const refreshBefore = input.refreshBefore ?? Math.max(lifetime / 4, MIN_DEFAULT_REFRESH_BEFORE_MS);
  const usable = Math.max(0, staleAt - fetchedAt);
  const earliest = fetchedAt + usable / 2;
  const refreshAt = Math.min(staleAt, Math.max(earliest, expiresAt - refreshBefore));
  return { refreshAt, staleAt };
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
