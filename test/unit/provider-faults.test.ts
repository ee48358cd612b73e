import { afterEach, describe, expect, it, vi } from 'vitest';
import { FetchTimeoutError, ProviderClosedError, TokenUnavailableError, tokenProvider, type TokenEvent, type TokenProvider } from 'dbtoken';
import { mockTokenSource } from 'dbtoken/testing';
import { closedAfterEach, settle } from '../helpers/providers.js';

const MIN = 60_000;
const provider = closedAfterEach();


describe('a token source that never answers', () => {
  it('each caller rejects at its own deadline with TokenUnavailableError naming the timeout; the fetch is aborted; the next call starts afresh', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource();
    source.hangs();
    const p = provider(source, { fetchTimeout: 5_000 });
    const first = settle(p.getToken());
    await vi.advanceTimersByTimeAsync(2_000);
    const second = settle(p.getToken()); // joins the stuck fetch, with its own deadline
    await vi.advanceTimersByTimeAsync(2_999);
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0]!.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const r1 = await first;
    expect(r1.ok).toBe(false);
    const e1 = (r1 as { error: unknown }).error;
    expect(e1).toBeInstanceOf(TokenUnavailableError);
    expect((e1 as Error).message).toMatch(/fetchTimeout \(5000 ms\)/);
    expect((e1 as Error).cause).toBeInstanceOf(FetchTimeoutError);
    expect(((e1 as Error).cause as FetchTimeoutError).timeoutMs).toBe(5_000);
    // The fetch's own deadline passed too: its signal aborted with the timeout as reason.
    expect(source.calls[0]!.signal.aborted).toBe(true);
    expect(source.calls[0]!.signal.reason).toBeInstanceOf(FetchTimeoutError);
    // The second caller's wait goes on: after a short backoff a new fetch starts and answers.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(source.calls).toHaveLength(2);
    const r2 = await second;
    expect(r2).toMatchObject({ ok: true, value: { token: 'mock-token-1' } });
  });

  it('forceRefresh, invalidate() + getToken() and a second provider of the same identity are all released by the deadline', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource();
    const a = provider(source, { cacheKey: 'faults|stuck', fetchTimeout: 1_000, retry: { attempts: 1 } });
    const b = provider(mockTokenSource({ prefix: 'b' }), { cacheKey: 'faults|stuck', fetchTimeout: 1_000, retry: { attempts: 1 } });
    await a.getToken();
    source.hangs();
    const forced = settle(a.getToken({ forceRefresh: true }));
    await vi.advanceTimersByTimeAsync(0);
    a.invalidate();
    const afterInvalidate = settle(a.getToken());
    const other = settle(b.getToken());
    await vi.advanceTimersByTimeAsync(1_000);
    for (const r of [await forced, await afterInvalidate, await other]) {
      expect(r.ok).toBe(false);
      expect((r as { error: unknown }).error).toBeInstanceOf(TokenUnavailableError);
    }
    expect(source.calls).toHaveLength(2); // one fetch shared by all three, not one each
  });

  it('callers that give up end only their own wait: the fetch runs on, its token is cached, and the source is not failing', async () => {
    const source = mockTokenSource();
    const d = source.deferred();
    const p = provider(source);
    const a = new AbortController();
    const b = new AbortController();
    const ra = settle(p.getToken({ signal: a.signal }));
    const rb = settle(p.getToken({ signal: b.signal }));
    await vi.waitFor(() => expect(source.calls).toHaveLength(1));
    a.abort(new Error('a gave up'));
    b.abort(new Error('b gave up'));
    expect(await ra).toMatchObject({ ok: false, error: { message: 'a gave up' } });
    expect(await rb).toMatchObject({ ok: false, error: { message: 'b gave up' } });
    expect(source.calls[0]!.signal.aborted).toBe(false); // the fetch has its own deadline (fetchTimeout)
    expect(p.status()).toMatchObject({ failing: false, refreshing: true, lastErrorCode: undefined });
    const next = p.getToken(); // joins the same fetch
    d.resolve({ token: 'late-but-good' });
    expect((await next).token).toBe('late-but-good');
    expect(source.calls).toHaveLength(1);
  });

  it('with fetchTimeout 0 (no deadline), a fetch no caller waits for is let go, not counted as a failure; the next call starts afresh at once', async () => {
    const source = mockTokenSource();
    source.hangs();
    const p = provider(source, { fetchTimeout: 0 });
    const a = new AbortController();
    const ra = settle(p.getToken({ signal: a.signal }));
    await vi.waitFor(() => expect(source.calls).toHaveLength(1));
    a.abort(new Error('a gave up'));
    expect(await ra).toMatchObject({ ok: false });
    expect(source.calls[0]!.signal.aborted).toBe(true); // a hung source cannot hold every later caller
    expect(p.status()).toMatchObject({ failing: false, refreshing: false });
    expect((await p.getToken()).token).toMatch(/^mock-token-/);
    expect(source.calls).toHaveLength(2);
  });

  it('fetchTimeout 0 turns the deadline off', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource();
    const d = source.deferred();
    const p = provider(source, { fetchTimeout: 0 });
    const r = settle(p.getToken());
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(source.calls[0]!.signal.aborted).toBe(false);
    d.resolve({ token: 'late' });
    expect(await r).toMatchObject({ ok: true, value: { token: 'late' } });
  });

  it('closing the provider releases a caller stuck on a fetch with ProviderClosedError', async () => {
    const source = mockTokenSource();
    source.hangs();
    const p = provider(source);
    const r = settle(p.getToken());
    await vi.waitFor(() => expect(source.calls).toHaveLength(1));
    p.close();
    expect((await r as { error: unknown }).error).toBeInstanceOf(ProviderClosedError);
    expect(source.calls[0]!.signal.aborted).toBe(true);
  });

  it('more than ten waiters sharing one AbortSignal add one listener, and no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const source = mockTokenSource();
      const d = source.deferred();
      const p = provider(source);
      const ac = new AbortController();
      const all = Promise.all(Array.from({ length: 50 }, () => p.getToken({ signal: ac.signal })));
      await d.called;
      d.resolve();
      expect((await all).length).toBe(50);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a failing source: shared retries, no storm', () => {
  it.each([100, 1_000, 10_000])('%i waiting callers on a source failing in 2 ms make at most retry.attempts calls', async (n) => {
    const source = mockTokenSource();
    source.outage(new Error('IAM down'), { delayMs: 2 });
    const p = provider(source); // the default retry: 3 attempts from 250 ms
    const results = await Promise.all(Array.from({ length: n }, () => settle(p.getToken())));
    expect(results.every((r) => !r.ok && r.error instanceof TokenUnavailableError)).toBe(true);
    expect(source.calls).toHaveLength(3);
  });

  it('callers arriving every ms for 10 s over many providers of one identity: at most retry.attempts calls in any maxMs window', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const retry = { attempts: 3, baseMs: 50, maxMs: 1_000 };
    const sources = Array.from({ length: 5 }, (_, i) => mockTokenSource({ prefix: `s${i}` }).outage(new Error('IAM down'), { delayMs: 2 }));
    const ps = sources.map((s) => provider(s, { cacheKey: 'faults|storm', retry }));
    const pending: Promise<unknown>[] = [];
    for (let ms = 0; ms < 10_000; ms++) {
      pending.push(settle(ps[ms % ps.length]!.getToken()));
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(pending);
    const times = sources.flatMap((s) => s.calls.map((c) => c.at)).sort((x, y) => x - y);
    for (const t of times) {
      expect(times.filter((u) => u >= t && u < t + retry.maxMs).length).toBeLessThanOrEqual(retry.attempts);
    }
    // It keeps trying, round after round, rather than giving up for good.
    expect(times.length).toBeGreaterThanOrEqual(3 * 8);
    // With the defaults (maxMs 30 s), the same 10 s see one round only.
    const quiet = mockTokenSource().outage(new Error('IAM down'), { delayMs: 2 });
    const q = provider(quiet);
    const waits: Promise<unknown>[] = [];
    for (let ms = 0; ms < 10_000; ms++) {
      waits.push(settle(q.getToken()));
      await vi.advanceTimersByTimeAsync(1);
    }
    await Promise.all(waits);
    expect(quiet.calls).toHaveLength(3);
  });

  it('the source recovers: the first fetch after the rest succeeds and every provider is served', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource().outage(new Error('IAM down'));
    const a = provider(source, { cacheKey: 'faults|recover', retry: { attempts: 2, baseMs: 10, maxMs: 500 }, random: () => 0 });
    const b = provider(mockTokenSource(), { cacheKey: 'faults|recover' });
    const r = settle(a.getToken());
    await vi.advanceTimersByTimeAsync(10);
    expect(await r).toMatchObject({ ok: false });
    expect(a.status()).toMatchObject({ failing: true, lastErrorCode: 'Error', expiresAt: undefined, refreshing: false });
    source.restore();
    expect(await settle(b.getToken())).toMatchObject({ ok: false }); // resting: fails at once
    await vi.advanceTimersByTimeAsync(500);
    expect((await b.getToken()).token).toMatch(/^mock-token-/);
    expect((await a.getToken()).token).toBe((await b.getToken()).token);
    expect(a.status()).toMatchObject({ failing: false, lastErrorCode: undefined, refreshing: false });
  });
});

describe('providers of one identity share the token, not the settings', () => {
  it('each applies its own minValidity: a strict provider never gets a token the lax one still uses', async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = (): number => now;
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const lax = provider(source, { clock, cacheKey: 'faults|validity' });
    const strict = provider(source, { clock, cacheKey: 'faults|validity', minValidity: 5 * MIN, refreshBefore: 6 * MIN });
    const t1 = await lax.getToken();
    now += 11 * MIN; // 240 s left: fine for the lax provider, stale for the strict one
    expect((await lax.getToken()).token).toBe(t1.token);
    const t2 = await strict.getToken();
    expect(t2.token).not.toBe(t1.token);
    expect(t2.expiresAt.getTime() - now).toBeGreaterThan(5 * MIN);
    // The fresh token is shared: the lax provider now gets it too.
    expect((await lax.getToken()).token).toBe(t2.token);
    expect(source.calls).toHaveLength(2);
  });

  it('every provider gets the events and keeps its own refresh schedule', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const early = provider(source, { cacheKey: 'faults|events', refreshBefore: 6 * MIN, random: () => 0 });
    const late = provider(mockTokenSource(), { cacheKey: 'faults|events', refreshBefore: 2 * MIN, random: () => 0 });
    const seen: Record<string, TokenEvent[]> = { early: [], late: [] };
    early.on('token', (e: TokenEvent) => seen.early!.push(e));
    late.on('token', (e: TokenEvent) => seen.late!.push(e));
    const errors: string[] = [];
    late.on('error', (e: Error) => errors.push(e.message));
    const t0 = Date.now();
    await late.getToken(); // fetched through the late provider's source? No: through whichever asked first
    expect(seen.early).toHaveLength(1);
    expect(seen.late).toHaveLength(1);
    expect(seen.early[0]!.refreshAt.getTime() - t0).toBe(9 * MIN);
    expect(seen.late[0]!.refreshAt.getTime() - t0).toBe(13 * MIN);
    // Only the late provider handed the token out: only its schedule runs.
    await vi.advanceTimersByTimeAsync(12 * MIN);
    expect(seen.late).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 * MIN);
    expect(seen.late).toHaveLength(2);
    expect(seen.late[1]!.background).toBe(true);
    expect(seen.early).toHaveLength(2);
    // Now the early provider uses the new token: its own, earlier schedule drives the next refresh.
    await early.getToken();
    const t1 = Date.now();
    await vi.advanceTimersByTimeAsync(9 * MIN);
    expect(seen.early).toHaveLength(3);
    expect(seen.early[2]!.background).toBe(true);
    expect(Date.now() - t1).toBe(9 * MIN);
    // A failure reaches every provider's 'error' listeners.
    source.outage(new Error('IAM down'));
    const forced = early.getToken({ forceRefresh: true }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60_000); // through the round of retries
    expect(await forced).toBeInstanceOf(TokenUnavailableError);
    expect(errors).toContain('IAM down');
  });

  it('status() reports the shared token without its secret', async () => {
    const source = mockTokenSource();
    source.returns({ token: 'SECRET-STATUS-TOKEN' });
    const p = provider(source);
    expect(p.status()).toEqual({ expiresAt: undefined, lastFetchAt: undefined, lastErrorCode: undefined, refreshing: false, failing: false, throttledLogins: 0 });
    const t = await p.getToken();
    const s = p.status();
    expect(s.expiresAt?.getTime()).toBe(t.expiresAt.getTime());
    expect(s.lastFetchAt).toBeInstanceOf(Date);
    expect(JSON.stringify(s)).not.toContain('SECRET');
    p.invalidate();
    expect(p.status().expiresAt).toBeUndefined();
  });
});
