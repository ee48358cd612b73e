/**
 * Internal: the login-rate window of the verifying servers, as a pure function. A direct RDS instance
 * refuses IAM logins past its rate; the verifying servers do the same past `maxLoginsPerSecond`. Not
 * exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */

/** How long a login counts against the rate, in ms. */
export const LOGIN_WINDOW_MS = 1_000;

/** What {@link admitLogin} decided, and the window to keep for the next login. */
export interface LoginAdmission {
  /** Whether this login may be checked (`false`: refused as over the rate). */
  readonly admitted: boolean;
  /** The times (ms) of the logins admitted in the last {@link LOGIN_WINDOW_MS}, this one included when admitted. */
  readonly window: readonly number[];
}

/**
 * Decides one login at `now` (ms) against the times of the logins admitted before it: it is admitted
 * when fewer than `maxPerSecond` were admitted in the window `(now - 1000, now]`. Refused logins do not
 * count, so a client that keeps within the rate is never refused. Times after `now` (a clock set back)
 * count as `now`: a clock that jumps back cannot open room for a burst, and its logins age out one
 * window later instead of when the clock catches up.
 *
 * @internal
 */
export function admitLogin(admitted: readonly number[], now: number, maxPerSecond: number): LoginAdmission {
  const window = admitted.map((t) => Math.min(t, now)).filter((t) => t > now - LOGIN_WINDOW_MS);
  if (window.length >= maxPerSecond) return { admitted: false, window };
  return { admitted: true, window: [...window, now] };
}
