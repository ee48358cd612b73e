import { describe, expect, it } from 'vitest';
import { afterAccepted, afterThrottle, FIRST_LOGIN, FRESH_PACE, LOGIN_RETRY, MAX_SLOW, nextLoginStep, takeLogin, type PaceState } from '../../adapters/login-policy.js';

/** The start times of `n` logins asked for at `now`, one after the other, each starting as soon as its slot comes. */
function starts(n: number, now: number, rate: { perSecond: number; burst?: number }, state: PaceState = FRESH_PACE): number[] {
  const out: number[] = [];
  let s = state;
  let t = now;
  for (let i = 0; i < n; i++) {
    for (;;) {
      const r = takeLogin(s, t, rate);
      s = r.state;
      if (r.wait === 0) break;
      t += r.wait;
    }
    out.push(t);
  }
  return out;
}

describe('takeLogin', () => {
  it.each([
    // name, n, rate, start times (ms after now = 1000)
    ['25/s without burst: one every 40 ms', 4, { perSecond: 25 }, [1000, 1040, 1080, 1120]],
    ['burst 3: three at once, then the rate', 5, { perSecond: 10, burst: 3 }, [1000, 1000, 1000, 1100, 1200]],
    ['a fractional rate: one every 2 s', 3, { perSecond: 0.5 }, [1000, 3000, 5000]],
  ])('%s', (_name, n, rate, expected) => {
    expect(starts(n, 1000, rate)).toEqual(expected);
  });

  it('after a quiet spell the burst is available again, and not more', () => {
    const rate = { perSecond: 10, burst: 3 };
    const s = starts(5, 0, rate);
    expect(s.at(-1)).toBe(200);
    let state = FRESH_PACE;
    for (let i = 0; i < 5; i++) state = takeLogin(state, 200, rate).state;
    expect(starts(4, 10_000, rate, state)).toEqual([10_000, 10_000, 10_000, 10_100]);
  });

  it('a lower rate applies at once, and a slow rate leaves nothing behind once the rate is raised', () => {
    let state = takeLogin(FRESH_PACE, 0, { perSecond: 0.01 }).state; // the one slot spent: the next in 100 s at this rate
    expect(takeLogin(state, 10, { perSecond: 0.01 }).wait).toBe(99_990);
    state = takeLogin(state, 10, { perSecond: 0.01 }).state;
    expect(takeLogin(state, 20, { perSecond: 100 }).wait).toBe(0); // 20 ms at 100/s refills the bucket's one slot
  });

  it('a clock that steps back refills nothing and never turns negative', () => {
    const state = takeLogin(FRESH_PACE, 5_000, { perSecond: 10 }).state;
    const r = takeLogin(state, 1_000, { perSecond: 10 });
    expect(r.wait).toBe(100);
    expect(r.state.tokens).toBe(0);
  });

  it('keeps any one second at or under perSecond + burst, for logins asked for at random times', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const rate of [{ perSecond: 25, burst: 1 }, { perSecond: 100, burst: 10 }, { perSecond: 3, burst: 5 }]) {
      let s = FRESH_PACE;
      let now = 0;
      const at: number[] = [];
      for (let i = 0; i < 2000; i++) {
        now += random() * (2000 / rate.perSecond);
        for (;;) {
          const r = takeLogin(s, now, rate);
          s = r.state;
          if (r.wait === 0) break;
          now += r.wait;
        }
        at.push(now);
      }
      for (let i = 0, j = 0; i < at.length; i++) {
        while (at[i]! - at[j]! >= 1000) j++;
        expect(i - j + 1).toBeLessThanOrEqual(rate.perSecond + rate.burst);
      }
    }
  });
});

describe('afterThrottle and afterAccepted', () => {
  it('a throttle halves the pace and spends the burst; accepted logins ease it back', () => {
    const rate = { perSecond: 10, burst: 3 };
    const throttled = afterThrottle(FRESH_PACE, 0);
    expect(throttled.slow).toBe(2);
    expect(starts(3, 0, rate, throttled)).toEqual([200, 400, 600]); // one 200 ms interval apart, no burst
    let s = throttled;
    for (let i = 0; i < 10; i++) s = afterAccepted(s);
    expect(s.slow).toBeCloseTo(2 * 0.97 ** 10, 6);
    for (let i = 0; i < 100; i++) s = afterAccepted(s);
    expect(s.slow).toBe(1);
  });

  it('the refusals of one second halve the pace once; a refusal a second later halves it again', () => {
    let s = FRESH_PACE;
    for (let t = 0; t < 900; t += 100) s = afterThrottle(s, t);
    expect(s.slow).toBe(2);
    s = afterThrottle(s, 1_000);
    expect(s.slow).toBe(4);
  });

  it(`the pace never drops under 1/${MAX_SLOW} of the rate`, () => {
    let s = FRESH_PACE;
    for (let i = 0; i < 20; i++) s = afterThrottle(s, i * 2_000);
    expect(s.slow).toBe(MAX_SLOW);
  });

  it('an accepted login on an unslowed pace changes nothing', () => {
    expect(afterAccepted(FRESH_PACE)).toBe(FRESH_PACE);
  });
});

describe('nextLoginStep', () => {
  it.each([
    // name, attempts, throttled, random, step
    ['a throttle: same token after 50-100 ms', FIRST_LOGIN, true, 0, { action: 'same', delayMs: 50, next: { same: 1, fresh: 0 } }],
    ['the fifth throttle: 800-1600 ms', { same: 4, fresh: 0 }, true, 0.5, { action: 'same', delayMs: 1200, next: { same: 5, fresh: 0 } }],
    ['a sixth throttle: the token may have been revoked since, so one fresh token', { same: 5, fresh: 0 }, true, 0, { action: 'fresh', delayMs: 1600, next: { same: 5, fresh: 1 } }],
    ['a sixth throttle after the fresh retry: give up', { same: 5, fresh: 1 }, true, 0, { action: 'fail' }],
    ['a refusal of a never accepted token: one fresh retry', FIRST_LOGIN, false, 0.999, { action: 'fresh', delayMs: 99, next: { same: 0, fresh: 1 } }],
    ['a second such refusal: give up', { same: 0, fresh: 1 }, false, 0, { action: 'fail' }],
    ['throttles, then a bad token: its fresh retry still comes', { same: 3, fresh: 0 }, false, 0, { action: 'fresh', delayMs: 400, next: { same: 3, fresh: 1 } }],
    ['a fresh retry, then throttles: those still come', { same: 0, fresh: 1 }, true, 0, { action: 'same', delayMs: 100, next: { same: 1, fresh: 1 } }],
  ] as const)('%s', (_name, attempts, throttled, random, step) => {
    expect(nextLoginStep(attempts, throttled, random)).toEqual(step);
  });

  it('the whole wait of one login is bounded: under 6.4 s over at most 7 logins', () => {
    let attempts = FIRST_LOGIN;
    let waited = 0;
    let logins = 1;
    for (const throttled of [true, true, true, true, true, true, true, true, true]) {
      const step = nextLoginStep(attempts, throttled, 0.999_999);
      if (step.action === 'fail') break;
      waited += step.delayMs;
      attempts = step.next;
      logins++;
    }
    expect(logins).toBe(1 + LOGIN_RETRY.same + LOGIN_RETRY.fresh);
    expect(waited).toBeLessThan(6_400);
  });
});
