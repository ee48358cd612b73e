/**
 * The core's edge cases, each asserting what the contract asks for (api.md,
 * the doc comments of src/core): fetches given up by their callers, refresh
 * windows, closing one of several providers, deadlines during backoff, clock
 * steps, and keys.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FetchTimeoutError, TokenUnavailableError, tokenProvider, type DbToken, type TokenProvider } from 'dbtoken';
import { mockTokenSource } from 'dbtoken/testing';
import { closedAfterEach, settle } from '../helpers/providers.js';
import { createProvider } from '../../src/core/provider.js';
import { refreshSchedule } from '../../src/core/policy.js';

const MIN = 60_000;
const providers: TokenProvider[] = [];

function track<T extends TokenProvider>(p: T): T {
  providers.push(p);
  return p;
}
function provider(...args: Parameters<typeof tokenProvider>): TokenProvider {
  return track(tokenProvider(...args));
}

afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});


/** A source that never answers; it rejects only when its signal aborts. Records the time of each call. */
function hangingSource(now: () => number = Date.now): ((ctx: { signal: AbortSignal }) => Promise<DbToken>) & { calls: { at: number; signal: AbortSignal }[] } {
  const calls: { at: number; signal: AbortSignal }[] = [];
  const source = (({ signal }: { signal: AbortSignal }) => {
    calls.push({ at: now(), signal });
    return new Promise<DbToken>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }) as ((ctx: { signal: AbortSignal }) => Promise<DbToken>) & { calls: { at: number; signal: AbortSignal }[] };
  source.calls = calls;
  return source;
}

/** The most calls that fall in any half-open window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (const t of sorted) best = Math.max(best, sorted.filter((u) => u >= t && u < t + windowMs).length);
  return best;
}

describe('a fetch given up by its last waiter (deadline or signal) counts as a failed attempt', () => {
  it('the fetch deadline makes the fetch fail: signal reason FetchTimeoutError, status failing, an error event', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = hangingSource();
    const p = provider(source, { fetchTimeout: 1_000 });
    const errors: unknown[] = [];
    p.on('error', (e) => errors.push(e));
    const r = settle(p.getToken());
    await vi.advanceTimersByTimeAsync(1_000);
    const res = await r;
    expect(res.ok).toBe(false);
    expect((res as { error: unknown }).error).toBeInstanceOf(TokenUnavailableError);
    // fetchTimeout's doc: "When it passes, the fetch's signal aborts (its reason is a FetchTimeoutError) and the fetch counts as failed."
    expect(source.calls[0]!.signal.aborted).toBe(true);
    expect.soft(source.calls[0]!.signal.reason).toBeInstanceOf(FetchTimeoutError);
    // A readiness probe built on status() (the TokenStatus example) must see the hung IAM.
    expect.soft(p.status()).toMatchObject({ failing: true, lastErrorCode: 'ERR_DBTOKEN_FETCH_TIMEOUT' });
    expect.soft(errors).toHaveLength(1);
  });

  it('one caller at a time against a hung IAM: at most retry.attempts source calls in any maxMs window', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = hangingSource();
    const retry = { attempts: 3, baseMs: 50, maxMs: 10_000 };
    const p = provider(source, { fetchTimeout: 1_000, retry });
    // A worker that retries as soon as getToken rejects (a pool's connect loop, a job runner).
    const start = Date.now();
    while (Date.now() - start < 30_000) {
      const r = settle(p.getToken());
      await vi.advanceTimersByTimeAsync(1_000);
      await r;
    }
    expect(maxInWindow(source.calls.map((c) => c.at), retry.maxMs)).toBeLessThanOrEqual(retry.attempts);
  });

  it('callers that give up through their own signal before a slow-failing source answers: no retry storm', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource().outage(new Error('connect ETIMEDOUT'), { delayMs: 500 });
    const retry = { attempts: 3, baseMs: 50, maxMs: 10_000 };
    const p = provider(source, { retry });
    const start = Date.now();
    while (Date.now() - start < 10_000) {
      const ac = new AbortController();
      const r = settle(p.getToken({ signal: ac.signal }));
      await vi.advanceTimersByTimeAsync(100);
      ac.abort(new Error('request timed out')); // e.g. an HTTP handler's 100 ms budget
      await r;
    }
    expect(maxInWindow(source.calls.map((c) => c.at), retry.maxMs)).toBeLessThanOrEqual(retry.attempts);
  });
});

describe('a minValidity at or above the default refresh window', () => {
  it('policy: a 15 min token with minValidity 5 min is refreshed before it goes stale', () => {
    const s = refreshSchedule({ fetchedAt: 0, expiresAt: 15 * MIN, minValidity: 5 * MIN });
    expect(s.refreshAt).toBeLessThan(s.staleAt);
  });

  it('provider: with minValidity 5 min callers never wait for a refresh while IAM is healthy', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const p = provider(source, { minValidity: 5 * MIN });
    const foreground: boolean[] = [];
    p.on('token', (e: { background: boolean }) => foreground.push(!e.background));
    await p.getToken(); // the cold start is a foreground fetch
    for (let t = 0; t < 30 * MIN; t += 10_000) {
      await p.getToken(); // a busy pool asks every 10 s
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(source.calls.length).toBeGreaterThanOrEqual(3);
    expect(foreground.slice(1)).toEqual(foreground.slice(1).map(() => false));
  });
});

describe('closing one provider mid-fetch', () => {
  it('a built-in provider whose release rejects its in-flight call (the OCI worker does) leaves the others unharmed', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    // Like ociDbToken: a per-provider client whose close() rejects its pending calls.
    const makeClient = (name: string) => {
      const pending = new Set<(e: Error) => void>();
      let n = 0;
      return {
        source: ({ signal }: { signal: AbortSignal }) =>
          new Promise<DbToken>((resolve, reject) => {
            pending.add(reject);
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            setTimeout(() => resolve({ token: `${name}-${++n}`, expiresAt: new Date(Date.now() + 60 * MIN) }), 200);
          }),
        close: () => {
          for (const r of pending) r(new Error('the OCI SDK worker was closed'));
        },
      };
    };
    const ca = makeClient('a');
    const cb = makeClient('b');
    const retry = { attempts: 1, baseMs: 50, maxMs: 30_000 };
    const a = track(createProvider(ca.source, { cacheKey: 'review|close-mid-fetch', retry }, { onRelease: ca.close }));
    const b = track(createProvider(cb.source, { cacheKey: 'review|close-mid-fetch', retry }, { onRelease: cb.close }));
    const bErrors: unknown[] = [];
    b.on('error', (e) => bErrors.push(e));
    const ra = settle(a.getToken()); // a starts the shared fetch with its own client
    const rb = settle(b.getToken()); // b joins it
    await vi.advanceTimersByTimeAsync(50);
    a.close(); // one pool shuts down (or an old pool is closed after its replacement was created)
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await ra).ok).toBe(false);
    // b did nothing wrong: it should get a token (from its own source), not a failure and a 30 s rest.
    expect(await rb).toMatchObject({ ok: true });
    expect(bErrors).toEqual([]);
    expect(b.status().failing).toBe(false);
  });
});

describe('a caller whose deadline passes during the backoff between two attempts', () => {
  const setup = () => {
    const denied = Object.assign(new Error('AccessDenied: not authorized to perform rds-db:connect'), { code: 'AccessDenied' });
    const source = mockTokenSource().outage(denied);
    const p = provider(source, { fetchTimeout: 1_000, retry: { attempts: 3, baseMs: 4_000, maxMs: 30_000 } });
    return { denied, source, p };
  };

  it('rejects with TokenUnavailableError', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const { source, p } = setup();
    const r = settle(p.getToken());
    await vi.advanceTimersByTimeAsync(1_000);
    const res = await r;
    expect(source.calls).toHaveLength(1); // the source answered at once, with an error; the caller then sleeps 2-4 s
    expect((res as { error: unknown }).error).toBeInstanceOf(TokenUnavailableError);
  });

  it('its cause names the timeout and carries the last error from the source', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const { denied, p } = setup();
    const r = settle(p.getToken());
    await vi.advanceTimersByTimeAsync(1_000);
    const err = ((await r) as { error: Error }).error;
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(err.message).toContain(denied.message);
    expect(err.cause).toBeInstanceOf(FetchTimeoutError);
    expect((err.cause as Error).cause).toBe(denied);
  });
});

describe('fetchTimeout above 2^31-1 ms', () => {
  it('a caller is not rejected after 1 ms (Node clamps an overflowing setTimeout to 1 ms)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const source = mockTokenSource().delays(50);
      const p = provider(source, { fetchTimeout: 2 ** 31 }); // ~24.9 days: "effectively no deadline"
      const r = await settle(p.getToken());
      expect(r).toMatchObject({ ok: true, value: { token: 'mock-token-1' } });
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('mixed retry.attempts among providers of one identity', () => {
  it('a round never holds more calls than the largest attempts among them', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource().outage(new Error('IAM down'));
    const a = provider(source, { cacheKey: 'review|mixed-attempts', retry: { attempts: 2, baseMs: 20, maxMs: 10_000 }, random: () => 0 });
    const b = provider(source, { cacheKey: 'review|mixed-attempts', retry: { attempts: 3, baseMs: 20, maxMs: 10_000 }, random: () => 0 });
    // Callers of either provider, one after another (each gives up once its fetch has failed).
    for (let i = 0; i < 8; i++) {
      const ac = new AbortController();
      const r = settle((i % 2 === 0 ? a : b).getToken({ signal: ac.signal }));
      await vi.advanceTimersByTimeAsync(1);
      ac.abort(new Error('caller budget'));
      await r;
      await vi.advanceTimersByTimeAsync(100); // past any backoff within a round
    }
    // Neither provider allows more than 3 calls per round.
    expect(maxInWindow(source.calls.map((c) => c.at), 10_000)).toBeLessThanOrEqual(3);
  });
});

describe('forceRefresh after a failed attempt', () => {
  it('a transient failure: the forced caller waits through the round like any caller without a usable token', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource();
    const p = provider(source, { retry: { attempts: 3, baseMs: 100, maxMs: 10_000 } });
    const t1 = await p.getToken();
    source.fails(new Error('Throttling: rate exceeded')); // one failure, then healthy again
    const r = settle(p.getToken({ forceRefresh: true })); // e.g. oracledbAccessToken(refresh = true) after NJS-087
    await vi.advanceTimersByTimeAsync(1_000);
    const res = await r;
    expect(res.ok).toBe(true);
    expect((res as { value: DbToken }).value.token).not.toBe(t1.token);
    expect(source.calls).toHaveLength(3);
  });
});

describe('a backward clock step (VM snapshot restore, NTP step) during the rest', () => {
  it('does not block the identity for the size of the step', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12) });
    const source = mockTokenSource().outage(new Error('IAM down'));
    const p = provider(source, { retry: { attempts: 1, baseMs: 50, maxMs: 1_000 }, random: () => 0 });
    expect((await settle(p.getToken())).ok).toBe(false); // one failed round: rest for 1 s
    source.restore();
    vi.setSystemTime(Date.now() - 60 * MIN); // the wall clock steps back an hour
    await vi.advanceTimersByTimeAsync(2_000); // twice maxMs of real time later
    expect(await settle(p.getToken())).toMatchObject({ ok: true });
  });
});

describe('with fetchTimeout 0, a hung background refresh', () => {
  it('the next caller after the waiters gave up starts a fresh fetch (as it does for a foreground fetch)', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const p = provider(source, { fetchTimeout: 0, random: () => 0 }); // deadlines off; callers bound their wait with their own signal
    await p.getToken();
    source.hangs(); // the background refresh never answers
    await vi.advanceTimersByTimeAsync(12 * MIN); // refresh-ahead starts at 11.25 min
    expect(source.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(3 * MIN); // the token is now stale: callers must wait
    const r1 = settle(p.getToken({ signal: AbortSignal.timeout(1_000) }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await r1).ok).toBe(false); // it gave up; no one waits for the fetch any more
    const r2 = settle(p.getToken({ signal: AbortSignal.timeout(1_000) }));
    await vi.advanceTimersByTimeAsync(1_000);
    // fetchTimeout's doc: "The fetch's signal also aborts as soon as the last caller waiting for it has given up
    // (its own signal or deadline), and the next call starts a fresh fetch."
    expect(source.calls[1]!.signal.aborted).toBe(true);
    expect(source.calls.length).toBeGreaterThanOrEqual(3);
    expect(await r2).toMatchObject({ ok: true });
  });
});

describe('a provider closed in the same tick as a call', () => {
  it('getToken() then close() in the same tick: the source is never called', async () => {
    const source = mockTokenSource();
    const p = tokenProvider(source);
    const r = settle(p.getToken());
    p.close();
    await r;
    await new Promise((res) => setImmediate(res));
    expect(source.calls).toHaveLength(0);
  });
});

describe('a private provider\'s key', () => {
  it('cannot be named by a user cacheKey of the form private:<n>', async () => {
    const secret = mockTokenSource({ prefix: 'tenant-a' });
    const a = provider(secret); // "Default: not shared"
    await a.getToken();
    let leaked: string | undefined;
    for (let i = 0; i < 20_000 && leaked === undefined; i++) {
      const q = tokenProvider(mockTokenSource({ prefix: 'tenant-b' }), { cacheKey: `private:${i}` });
      if (q.status().expiresAt !== undefined) leaked = (await q.getToken()).token;
      q.close();
    }
    expect(leaked).toBeUndefined();
  });
});

describe('a source that rejects with undefined or null', () => {
  it('status() reports failing with an error code, as it does for any other failure', async () => {
    const p = provider(async () => Promise.reject(undefined), { retry: { attempts: 1 } });
    expect((await settle(p.getToken())).ok).toBe(false);
    expect(p.status()).toMatchObject({ failing: true, lastErrorCode: expect.any(String) });
  });
});
