/**
 * The pure half of fleet-safe logins: when the next IAM login to an
 * endpoint may start, how throttled refusals slow that pace, and what
 * follows a refused login. No clocks, no timers: table tests cover it.
 */
import { backoffDelay } from '../src/core/policy.js';
import type { LoginRate } from '../src/core/provider.js';

/** One endpoint's pace: a GCRA ("virtual scheduling") slot clock, and how much throttled refusals have slowed it. */
export interface PaceState {
  /** When the next login is theoretically due (monotonic ms). */
  readonly due: number;
  /** The interval multiplier (1 to {@link MAX_SLOW}): doubled by a throttled refusal, eased back by accepted logins. */
  readonly slow: number;
}

/** A pace that has seen no login. */
export const FRESH_PACE: PaceState = { due: -Infinity, slow: 1 };

/** The most a run of throttled refusals slows an endpoint's pace. */
export const MAX_SLOW = 8;

const interval = (rate: LoginRate, slow: number): number => (1000 / rate.perSecond) * slow;

/**
 * Reserves the next login slot at `now`: it may start at `at` (now, or
 * later). Logins start at most `burst` at once and `perSecond` on average,
 * so that any one second holds at most `perSecond + burst` of them.
 */
export function reserveLogin(state: PaceState, now: number, rate: LoginRate): { readonly at: number; readonly state: PaceState } {
  const step = interval(rate, state.slow);
  const due = Math.max(state.due, now);
  return { at: Math.max(now, due - ((rate.burst ?? 1) - 1) * step), state: { due: due + step, slow: state.slow } };
}

/** The server refused a login for its rate: no burst until the pace catches up, and half the pace (down to 1/{@link MAX_SLOW}). */
export function afterThrottle(state: PaceState, now: number, rate: LoginRate): PaceState {
  const slow = Math.min(MAX_SLOW, state.slow * 2);
  const step = interval(rate, slow);
  return { due: Math.max(state.due, now + ((rate.burst ?? 1) - 1) * step) + step, slow };
}

/** A login went through: the pace recovers by 3% of the way per login. */
export function afterAccepted(state: PaceState): PaceState {
  return state.slow === 1 ? state : { due: state.due, slow: Math.max(1, state.slow * 0.97) };
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
 * token), each after a backoff from 50-100 ms doubling to 1.6-3.2 s. A
 * throttled login gives up after about 6 s; a bad token fails after two
 * logins and one pause of at most 100 ms.
 */
export const LOGIN_RETRY = Object.freeze({ same: 5, fresh: 1, baseMs: 100, maxMs: 3_200 });

/** What follows a refused login. */
export type LoginStep =
  | { readonly action: 'same' | 'fresh'; readonly delayMs: number; readonly next: LoginAttempts }
  | { readonly action: 'fail' };

/**
 * What follows a refused login. `throttled` is true when the server named
 * its rate, or when the token was accepted for another connection already
 * (a token the server took cannot be bad a moment later): that login is
 * retried with the same token. Any other refusal may be a bad token: one
 * retry with a fresh token. Every retry waits a jittered backoff first
 * (`random` in `[0, 1)`), so that a crowd of refused logins spreads out.
 */
export function nextLoginStep(attempts: LoginAttempts, throttled: boolean, random: number): LoginStep {
  const delayMs = backoffDelay(attempts.same + attempts.fresh, LOGIN_RETRY, random);
  if (throttled) return attempts.same < LOGIN_RETRY.same ? { action: 'same', delayMs, next: { same: attempts.same + 1, fresh: attempts.fresh } } : { action: 'fail' };
  return attempts.fresh < LOGIN_RETRY.fresh ? { action: 'fresh', delayMs, next: { same: attempts.same, fresh: attempts.fresh + 1 } } : { action: 'fail' };
}
