import { describe, expect, it } from 'vitest';
import { afterFailure, backoffDelay, decide, NO_FAILURES, refreshDue, refreshSchedule, type EntryView, type FailureState } from '../../src/core/policy.js';

const MIN = 60_000;

describe('refreshSchedule', () => {
  it.each([
    // name, fetchedAt, lifetime, refreshBefore, minValidity, refreshAt, staleAt
    ['15 min RDS token, default window (225 s)', 0, 15 * MIN, undefined, 30_000, 675_000, 870_000],
    ['1 h OCI token, default window (15 min)', 0, 60 * MIN, undefined, 30_000, 45 * MIN, 60 * MIN - 30_000],
    ['2 min token: window floors at 60 s', 0, 2 * MIN, undefined, 30_000, 60_000, 90_000],
    ['40 s token: 60 s window clamped to half the usable span', 0, 40_000, undefined, 30_000, 5_000, 10_000],
    ['explicit 5 min window', 1_000, 15 * MIN, 5 * MIN, 30_000, 1_000 + 10 * MIN, 1_000 + 15 * MIN - 30_000],
    ['window longer than the lifetime is clamped', 0, 10 * MIN, 20 * MIN, 30_000, 285_000, 570_000],
    ['no safety margin', 0, 10 * MIN, undefined, 0, 450_000, 600_000],
    ['token already past its usable span', 0, 20_000, undefined, 30_000, -10_000, -10_000],
  ])('%s', (_name, fetchedAt, lifetime, refreshBefore, minValidity, refreshAt, staleAt) => {
    expect(refreshSchedule({ fetchedAt, expiresAt: fetchedAt + lifetime, refreshBefore, minValidity })).toEqual({ refreshAt, staleAt });
  });

  it.each([
    // name, lifetime, jitter, refreshAt: the window [675 s, 870 s] of a 15 min token, spread over its first half (97.5 s)
    ['jitter 0: the window opens', 15 * MIN, 0, 675_000],
    ['jitter 0.5: a quarter into the window', 15 * MIN, 0.5, 723_750],
    ['jitter just under 1: the middle of the window, in whole ms', 15 * MIN, 0.999_999, 772_499],
    // the 1 h OCI token's window [45 min, 59.5 min]: spread over 7.25 min
    ['1 h token, jitter 0.2', 60 * MIN, 0.2, 45 * MIN + 87_000],
    // a 40 s token's window [5 s, 10 s]
    ['40 s token, jitter 0.5', 40_000, 0.5, 6_250],
  ])('jitter spreads refreshAt over the first half of the window: %s', (_name, lifetime, jitter, refreshAt) => {
    const s = refreshSchedule({ fetchedAt: 0, expiresAt: lifetime, minValidity: 30_000, jitter });
    expect(s.refreshAt).toBe(refreshAt);
    expect(s.staleAt).toBe(lifetime - 30_000);
  });

  it('with any jitter, refreshAt stays in the first half of the window', () => {
    for (let lifetime = 31_000; lifetime < 4 * 60 * MIN; lifetime += 7_919) {
      const start = refreshSchedule({ fetchedAt: 0, expiresAt: lifetime, minValidity: 30_000 }).refreshAt;
      for (const jitter of [0, 0.25, 0.5, 0.75, 0.999_999]) {
        const s = refreshSchedule({ fetchedAt: 0, expiresAt: lifetime, minValidity: 30_000, jitter });
        expect(s.refreshAt).toBeGreaterThanOrEqual(start);
        expect(s.refreshAt).toBeLessThan(start + (s.staleAt - start) / 2 + 1e-6);
      }
    }
  });

  it('never refreshes after the token goes stale', () => {
    for (let lifetime = 31_000; lifetime < 4 * 60 * MIN; lifetime += 7_919) {
      const s = refreshSchedule({ fetchedAt: 0, expiresAt: lifetime, minValidity: 30_000 });
      expect(s.refreshAt).toBeLessThanOrEqual(s.staleAt);
      expect(s.refreshAt).toBeGreaterThan(0);
    }
  });
});

describe('backoffDelay', () => {
  const opts = { baseMs: 250, maxMs: 30_000 };
  it.each([
    [0, 0, 125],
    [0, 0.999, 249],
    [1, 0, 250],
    [1, 0.5, 375],
    [3, 0, 1_000],
    [7, 0, 15_000],
    [8, 0, 15_000], // 64 s capped to 30 s
    [8, 0.999, 29_985],
    [60, 0.5, 22_500], // huge attempt counts stay capped
  ])('attempt %i, random %f -> %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, opts, random)).toBe(expected);
  });
});

describe('afterFailure: rounds of attempts, then a rest', () => {
  const retry = { attempts: 3, baseMs: 100, maxMs: 1_000 };
  const at = (failures: number, inRound: number, over: Partial<FailureState> = {}): FailureState => ({ failures, inRound, failedAt: 0, retryAt: 0, resting: false, ...over });
  it.each([
    // name, before, now, retryable, random, after
    ['first failure of a round: backoff(0)', at(0, 0), 0, true, 0, { failures: 1, inRound: 1, failedAt: 0, retryAt: 50, resting: false }],
    ['second failure: backoff(1)', at(1, 1), 0, true, 0, { failures: 2, inRound: 2, failedAt: 0, retryAt: 100, resting: false }],
    ['third failure ends the round: rest of maxMs', at(2, 2), 0, true, 0, { failures: 3, inRound: 0, failedAt: 0, retryAt: 1_000, resting: true }],
    ['rest jitter: up to a quarter of maxMs more', at(2, 2), 0, true, 0.999, { failures: 3, inRound: 0, failedAt: 0, retryAt: 1_249, resting: true }],
    ['after the rest, a new round starts small again', at(3, 0, { retryAt: 1_000, resting: true }), 1_000, true, 0, { failures: 4, inRound: 1, failedAt: 1_000, retryAt: 1_050, resting: false }],
    ['a failure during the rest does not end it', at(3, 0, { retryAt: 1_000, resting: true }), 500, true, 0, { failures: 4, inRound: 0, failedAt: 0, retryAt: 1_000, resting: true }],
    ['a permanent error ends the round at once', at(0, 0), 0, false, 0, { failures: 1, inRound: 0, failedAt: 0, retryAt: 1_000, resting: true }],
    ['a permanent error mid-round', at(4, 1), 0, false, 0, { failures: 5, inRound: 0, failedAt: 0, retryAt: 1_000, resting: true }],
    ['a clock stepped back behind the rest ends it', at(3, 0, { failedAt: 5_000, retryAt: 6_000, resting: true }), 100, true, 0, { failures: 4, inRound: 1, failedAt: 100, retryAt: 150, resting: false }],
  ] as const)('%s', (_name, before, now, retryable, random, after) => {
    expect(afterFailure(before, now, retryable, retry, random)).toEqual(after);
  });

  it('providers of one identity with different attempts: a round ends at the first count that reaches one of theirs', () => {
    let state = NO_FAILURES;
    state = afterFailure(state, 0, true, { ...retry, attempts: 3 }, 0);
    state = afterFailure(state, 100, true, { ...retry, attempts: 2 }, 0);
    expect(state.resting).toBe(true);
  });

  it('never more than attempts fetches in any maxMs window, whatever the jitter', () => {
    for (const random of [0, 0.25, 0.5, 0.999]) {
      let state = NO_FAILURES;
      let now = 0;
      const starts: number[] = [];
      for (let i = 0; i < 40; i++) {
        now = Math.max(now, state.retryAt);
        starts.push(now);
        now += 2; // the fetch fails 2 ms later
        state = afterFailure(state, now, true, retry, random);
      }
      for (const t of starts) expect(starts.filter((u) => u >= t && u < t + retry.maxMs).length).toBeLessThanOrEqual(retry.attempts);
    }
  });
});

describe('decide', () => {
  const token = (over: Partial<{ fetchedAt: number; expiresAt: number; invalid: boolean }> = {}) => ({ fetchedAt: 0, expiresAt: 15 * MIN, invalid: false, ...over });
  const entry = (over: Partial<EntryView> = {}): EntryView => ({ token: token(), fetching: false, ...NO_FAILURES, ...over });
  const policy = { minValidity: 30_000, refreshBefore: undefined };
  it.each([
    ['fresh token: serve', entry(), 1 * MIN, policy, { action: 'serve' }],
    ['inside the refresh window: serve and refresh', entry(), 12 * MIN, policy, { action: 'serve-and-refresh' }],
    ['inside the window, a fetch in flight: serve', entry({ fetching: true }), 12 * MIN, policy, { action: 'serve' }],
    ['inside the window, backing off: serve', entry({ failures: 1, inRound: 1, retryAt: 13 * MIN }), 12 * MIN, policy, { action: 'serve' }],
    ['a clock stepped back behind a backoff: the backoff holds nothing back', entry({ token: undefined, failures: 1, inRound: 1, failedAt: 20 * MIN, retryAt: 21 * MIN }), 1 * MIN, policy, { action: 'wait', startAt: 1 * MIN }],
    ['stale for this provider: start a fetch now', entry(), 14.5 * MIN + 1, policy, { action: 'wait', startAt: 14.5 * MIN + 1 }],
    ['a stricter provider finds the same token stale', entry(), 11 * MIN, { minValidity: 5 * MIN, refreshBefore: 6 * MIN }, { action: 'wait', startAt: 11 * MIN }],
    ['no token, a fetch in flight: join it', entry({ token: undefined, fetching: true }), 0, policy, { action: 'wait', startAt: 0 }],
    ['no token, backing off within a round: wait for the next try', entry({ token: undefined, failures: 1, inRound: 1, retryAt: 300 }), 100, policy, { action: 'wait', startAt: 300 }],
    ['no token, resting after a failed round: fail', entry({ token: undefined, failures: 3, retryAt: 30_000, resting: true }), 100, policy, { action: 'fail', retryAt: 30_000 }],
    ['the rest is over: start a fetch', entry({ token: undefined, failures: 3, retryAt: 30_000, resting: true }), 30_000, policy, { action: 'wait', startAt: 30_000 }],
    ['invalidated token: fetch', entry({ token: token({ invalid: true }) }), 1 * MIN, policy, { action: 'wait', startAt: 1 * MIN }],
    ['forceRefresh skips a fresh token', entry(), 1 * MIN, { ...policy, force: true }, { action: 'wait', startAt: 1 * MIN }],
    ['forceRefresh while resting: fail', entry({ failures: 3, retryAt: 2 * MIN, resting: true }), 1 * MIN, { ...policy, force: true }, { action: 'fail', retryAt: 2 * MIN }],
    ['a usable token is served while resting', entry({ failures: 3, retryAt: 13 * MIN, resting: true }), 12 * MIN, policy, { action: 'serve' }],
  ] as const)('%s', (_name, e, now, p, want) => {
    expect(decide(e, now, p)).toEqual(want);
  });
});

describe('refreshDue', () => {
  const e = (over: Partial<EntryView> = {}): EntryView => ({ token: { fetchedAt: 0, expiresAt: 15 * MIN, invalid: false }, fetching: false, ...NO_FAILURES, ...over });
  it.each([
    ['its own refreshAt', e(), 0, { minValidity: 30_000 }, 675_000],
    ['a longer window refreshes earlier', e(), 0, { minValidity: 30_000, refreshBefore: 6 * MIN }, 9 * MIN],
    ['a large minValidity still leaves a background window', e(), 0, { minValidity: 5 * MIN }, 487_500],
    ['past refreshAt: now', e(), 700_000, { minValidity: 30_000 }, 700_000],
    ['not before the backoff allows', e({ failures: 1, inRound: 1, retryAt: 800_000 }), 0, { minValidity: 30_000 }, 800_000],
    ['none once the backoff runs past staleness', e({ failures: 3, retryAt: 880_000, resting: true }), 0, { minValidity: 30_000 }, undefined],
    ['none for an invalidated token', e({ token: { fetchedAt: 0, expiresAt: 15 * MIN, invalid: true } }), 0, { minValidity: 30_000 }, undefined],
    ['none without a token', e({ token: undefined }), 0, { minValidity: 30_000 }, undefined],
  ] as const)('%s', (_name, entry, now, policy, want) => {
    expect(refreshDue(entry, now, policy)).toBe(want);
  });
});
