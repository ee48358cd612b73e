import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loginThrottled, tokenMetrics, tokenProvider, TOKEN_METRICS, type TokenEvent, type TokenProvider } from 'dbtoken';
import { mockTokenSource } from 'dbtoken/testing';

const MIN = 60_000;

function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return Object.assign((): number => now, {
    advance(ms: number) {
      now += ms;
    },
  });
}

const flush = () => new Promise((r) => setImmediate(r));

const providers: TokenProvider[] = [];
function track<P extends TokenProvider>(p: P): P {
  providers.push(p);
  return p;
}
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});

describe("refresh: 'on-demand'", () => {
  it('creates no timer: with the clock past the window and no caller, nothing is fetched', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const p = track(tokenProvider(source, { refresh: 'on-demand', random: () => 0 }));
    await p.getToken();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(14 * MIN);
    expect(source.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the same provider in the background mode arms a timer and refreshes on its own (the control)', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const p = track(tokenProvider(source, { refresh: 'background', random: () => 0 }));
    await p.getToken();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(14 * MIN);
    expect(source.calls).toHaveLength(2);
  });

  it('a call inside the window is served the valid token at once and starts the refresh; the next call gets the new one', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const p = track(tokenProvider(source, { clock, refresh: 'on-demand', random: () => 0 }));
    expect((await p.getToken()).token).toBe('mock-token-1');
    clock.advance(11 * MIN + 30_000); // inside the 225 s window
    const d = source.deferred();
    expect((await p.getToken()).token).toBe('mock-token-1');
    await d.called;
    expect(source.calls).toHaveLength(2);
    d.resolve();
    await flush();
    expect((await p.getToken()).token).toBe('mock-token-2');
  });

  it('a call after the token went stale (a long freeze) waits for a new token, never the stale one', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const p = track(tokenProvider(source, { clock, refresh: 'on-demand' }));
    await p.getToken();
    clock.advance(14 * MIN + 45_000); // 15 s left: under minValidity
    expect((await p.getToken()).token).toBe('mock-token-2');
  });

  it('rejects another value with a ConfigError naming the field, before any fetch', () => {
    const source = mockTokenSource();
    expect(() => tokenProvider(source, { refresh: 'lazy' as never })).toThrow(ConfigError);
    expect(() => tokenProvider(source, { refresh: 'lazy' as never })).toThrow(/refresh/);
    expect(source.calls).toHaveLength(0);
  });
});

describe('a fetch frozen in flight', () => {
  it('a caller that arrives after the fetch deadline passed by the clock starts a new fetch instead of joining it', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const p = track(tokenProvider(source, { clock, fetchTimeout: 10_000, refresh: 'on-demand', random: () => 0 }));
    await p.getToken();
    clock.advance(12 * MIN); // inside the window: this call starts a refresh, which then hangs
    const hung = source.deferred();
    await p.getToken();
    await hung.called;
    expect(p.status().refreshing).toBe(true);
    // The process froze; it thaws 5 minutes later. The fetch's own deadline timer has not fired yet.
    clock.advance(5 * MIN);
    expect(p.status().refreshing).toBe(false);
    expect(source.calls[1]!.signal.aborted).toBe(true);
    const fresh = source.deferred();
    const waiting = p.getToken(); // 15 s left at most: must wait, and not for the frozen fetch
    await fresh.called;
    expect(source.calls).toHaveLength(3);
    fresh.resolve();
    const thawed = (await waiting).token;
    expect(thawed).not.toBe('mock-token-1');
    // The frozen fetch was let go, not counted as a failure of the source.
    expect(p.status().failing).toBe(false);
    hung.resolve(); // too late: its token is not taken
    await flush();
    expect((await p.getToken()).token).toBe(thawed);
    expect(source.calls).toHaveLength(3);
  });

  it('a caller inside the deadline still joins the fetch in flight (single flight holds)', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const p = track(tokenProvider(source, { clock, fetchTimeout: 10_000 }));
    const d = source.deferred();
    const first = p.getToken();
    await d.called;
    clock.advance(9_999);
    const second = p.getToken();
    d.resolve();
    expect((await first).token).toBe((await second).token);
    expect(source.calls).toHaveLength(1);
  });
});

describe('refresh jitter', () => {
  it("each provider refreshes at its own point of the window's first half, drawn from its random", async () => {
    const clock = manualClock();
    const at: Record<string, number> = {};
    for (const r of [0, 0.5, 0.999]) {
      const p = track(tokenProvider(mockTokenSource({ clock, lifetimeMs: 15 * MIN }), { clock, random: () => r }));
      p.on('token', (e: TokenEvent) => (at[String(r)] = e.refreshAt.getTime() - clock()));
      await p.getToken();
    }
    expect(at).toEqual({ '0': 675_000, '0.5': 723_750, '0.999': Math.trunc(675_000 + 97_500 * 0.999) });
  });

  it('a fleet of 100 started in the same second, on the default Math.random, refreshes over more than a minute', async () => {
    const clock = manualClock();
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const p = track(tokenProvider(mockTokenSource({ clock, lifetimeMs: 15 * MIN }), { clock }));
      p.on('token', (e: TokenEvent) => times.push(e.refreshAt.getTime()));
      await p.getToken();
    }
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(60_000);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(20);
    for (const t of times) expect(t - Date.UTC(2026, 0, 1)).toBeLessThan(772_500);
  });
});

describe('throttled logins', () => {
  it('loginThrottled counts in status() and in tokenMetrics, per identity', async () => {
    const added: [string, number, unknown][] = [];
    const meter = {
      createCounter: (name: string) => ({ add: (n: number, attrs?: unknown) => added.push([name, n, attrs]) }),
      createHistogram: () => ({ record: () => {} }),
      createObservableGauge: () => ({ addCallback: () => {}, removeCallback: () => {} }),
    };
    const recording = tokenMetrics({ meter });
    try {
      const p = track(tokenProvider(mockTokenSource(), { target: { host: 'db.example', port: 5432, user: 'app' } }));
      const other = track(tokenProvider(mockTokenSource(), { target: { host: 'db.example', port: 5432, user: 'reader' } }));
      expect(p.status().throttledLogins).toBe(0);
      loginThrottled(p);
      loginThrottled(p);
      expect(p.status().throttledLogins).toBe(2);
      expect(other.status().throttledLogins).toBe(0);
      const throttled = added.filter(([name]) => name === TOKEN_METRICS.throttled);
      expect(throttled).toEqual([
        [TOKEN_METRICS.throttled, 1, { 'dbtoken.identity': 'db.example:5432/app' }],
        [TOKEN_METRICS.throttled, 1, { 'dbtoken.identity': 'db.example:5432/app' }],
      ]);
      expect(added.filter(([name]) => name === TOKEN_METRICS.retries)).toEqual([]);
    } finally {
      recording.close();
    }
  });

  it('loginThrottled ignores what is not a provider of dbtoken', () => {
    expect(() => loginThrottled({ getToken: async () => ({ token: 'x', expiresAt: new Date() }), invalidate: () => {} } as never)).not.toThrow();
  });
});
