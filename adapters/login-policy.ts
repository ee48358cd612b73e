/**
 * The pure half of fleet-safe logins: when the next IAM login to an
 * endpoint may start, how throttled refusals slow that pace, and what
 * follows a refused login. No clocks, no timers: table tests cover it.
 */
import { backoffDelay } from '../src/core/policy.js';
import type { LoginRate } from '../src/core/provider.js';

/**
 * One endpoint's pace: a token bucket of logins, and how much throttled
 * refusals have slowed it. Its level counts logins, not time, so that a
 * change of rate (a pool with a lower one joins or leaves) applies at once.
 */
export interface PaceState {
  /** Logins that may start at once, as of `at` (at most the burst). */
  readonly tokens: number;
  /** When `tokens` was counted (monotonic ms). */
  readonly at: number;
  /** The interval multiplier (1 to {@link MAX_SLOW}): doubled by a throttled refusal, eased back by accepted logins. */
  readonly slow: number;
  /** When a throttle last doubled `slow`: a run of refusals within a second counts once. */
  readonly slowedAt: number;
}

/** A pace that has seen no login: a full bucket. */
export const FRESH_PACE: PaceState = { tokens: 0, at: -Infinity, slow: 1, slowedAt: -Infinity };

/** The most a run of throttled refusals slows an endpoint's pace. */
export const MAX_SLOW = 8;

/**
 * Takes one login slot at `now`: `wait` is 0 when the login may start now
 * (the slot is spent), else how long until one will be there. Logins start
 * at most `burst` at once and `perSecond` on average, so that any one
 * second holds at most `perSecond + burst` of them.
 */
export function takeLogin(state: PaceState, now: number, rate: LoginRate): { readonly wait: number; readonly state: PaceState } {
  const perMs = rate.perSecond / 1000 / state.slow;
  const tokens = Math.min(rate.burst ?? 1, state.tokens + Math.max(0, now - state.at) * perMs);
  if (tokens >= 1) return { wait: 0, state: { ...state, tokens: tokens - 1, at: now } };
  return { wait: Math.ceil((1 - tokens) / perMs), state: { ...state, tokens, at: now } };
}

/**
 * The server refused a login for its rate: the burst is spent, and the pace
 * halves (down to 1/{@link MAX_SLOW}), once for the refusals of one second.
 */
export function afterThrottle(state: PaceState, now: number): PaceState {
  const again = now - state.slowedAt < 1000 && now >= state.slowedAt;
  return { tokens: 0, at: Math.max(state.at, now), slow: again ? state.slow : Math.min(MAX_SLOW, state.slow * 2), slowedAt: again ? state.slowedAt : now };
}

/** A login went through: the pace recovers by 3% of the way per login. */
export function afterAccepted(state: PaceState): PaceState {
  return state.slow === 1 ? state : { ...state, slow: Math.max(1, state.slow * 0.97) };
}

/** How many retries a refused login has had: with the same token, and with a fresh one. */
export interface LoginAttempts {
  readonly same: number;
  readonly fresh: number;
}

/** A login not yet refused. */
export const FIRST_LOGIN: LoginAttempts = { same: 0, fresh: 0 };

/**
 * The bound on retries of one refused login: at most 5 with the same token
 * (a throttle), and 1 with a fresh token (a refusal that may be a bad
 * token, or a throttle that outlasted the same-token retries: a token
 * accepted before may have been revoked with its credentials), each after a
 * backoff from 50-100 ms doubling to 1.6-3.2 s. A login gives up after at
 * most 7 tries and 6.4 s of backoff; a bad token fails after two logins and
 * one pause of at most 100 ms.
 */
export const LOGIN_RETRY = Object.freeze({ same: 5, fresh: 1, baseMs: 100, maxMs: 3_200 });

/** What follows a refused login. */
export type LoginStep =
  | { readonly action: 'same' | 'fresh'; readonly delayMs: number; readonly next: LoginAttempts }
  | { readonly action: 'fail' };

/**
 * What follows a refused login. `throttled` is true when the server named
 * its rate, or when the token was accepted for another connection already
 * (a direct RDS instance refuses a throttled login as it refuses a bad
 * token): that login is retried with the same token, up to 5 times. Any
 * other refusal may be a bad token, and so may a throttle that outlasts
 * those retries: one retry with a fresh token. Every retry waits a jittered backoff first
 * (`random` in `[0, 1)`), so that a crowd of refused logins spreads out.
 */
export function nextLoginStep(attempts: LoginAttempts, throttled: boolean, random: number): LoginStep {
  const delayMs = backoffDelay(attempts.same + attempts.fresh, LOGIN_RETRY, random);
  if (throttled && attempts.same < LOGIN_RETRY.same) return { action: 'same', delayMs, next: { same: attempts.same + 1, fresh: attempts.fresh } };
  return attempts.fresh < LOGIN_RETRY.fresh ? { action: 'fresh', delayMs, next: { same: attempts.same, fresh: attempts.fresh + 1 } } : { action: 'fail' };
}
