import { describe, expect, it } from 'vitest';
import { admitLogin, LOGIN_WINDOW_MS } from '../../../src/testing/login-rate.js';

describe('admitLogin', () => {
  it.each([
    ['the first login', [], 1_000, 2, true, [1_000]],
    ['below the limit', [900], 1_000, 2, true, [900, 1_000]],
    ['at the limit', [900, 950], 1_000, 2, false, [900, 950]],
    ['at the limit, all at the same instant', [1_000, 1_000], 1_000, 2, false, [1_000, 1_000]],
    ['a login exactly one window old no longer counts', [0, 950], 1_000, 2, true, [950, 1_000]],
    ['a login just inside the window still counts', [1, 950], 1_000, 2, false, [1, 950]],
    ['old logins drop out even when refused', [-5_000, 500, 600, 700], 1_000, 3, false, [500, 600, 700]],
    ['a clock set back counts the later logins as now', [5_000, 5_001], 1_000, 2, false, [1_000, 1_000]],
    ['a limit of one', [999], 1_000, 1, false, [999]],
  ] as const)('%s', (_name, admitted, now, max, ok, window) => {
    expect(admitLogin(admitted, now, max)).toEqual({ admitted: ok, window });
  });

  it('over a steady stream, admits exactly max per window and never more in any window', () => {
    let window: readonly number[] = [];
    const admittedAt: number[] = [];
    for (let t = 0; t < 5_000; t += 10) {
      const d = admitLogin(window, t, 7);
      window = d.window;
      if (d.admitted) admittedAt.push(t);
    }
    expect(admittedAt).toHaveLength(7 * 5);
    for (const t of admittedAt) expect(admittedAt.filter((u) => u > t - LOGIN_WINDOW_MS && u <= t).length).toBeLessThanOrEqual(7);
  });

  it('a clock set back an hour refuses for one window, not for the hour until it catches up', () => {
    let window: readonly number[] = [3_600_000, 3_600_001];
    const first = admitLogin(window, 1_000, 2);
    expect(first.admitted).toBe(false);
    window = first.window;
    expect(admitLogin(window, 1_999, 2).admitted).toBe(false);
    expect(admitLogin(window, 2_000, 2)).toEqual({ admitted: true, window: [2_000] });
  });

  it('does not change the window it is given', () => {
    const before = [1, 2];
    admitLogin(before, 3, 5);
    expect(before).toEqual([1, 2]);
  });
});
