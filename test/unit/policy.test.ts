import { describe, expect, it } from 'vitest';
import { backoffDelay, refreshSchedule } from '../../src/core/policy.js';

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
