import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_CACHED_TOKENS, tokenProvider, type TokenProvider } from 'dbtoken';
import { mockTokenSource } from 'dbtoken/testing';
import { closedAfterEach, settle } from '../helpers/providers.js';

const MIN = 60_000;
const provider = closedAfterEach();
let run = 0;
afterEach(() => {
  run += 1;
});

/** A cacheKey no other test uses. */
const key = (name: string): string => `store-identities|${run}|${name}`;


describe('callers that cancel', () => {
  it('a source that answers in 300 ms, three callers that give up at 50 ms: the next caller gets that fetch\'s token at once, and nothing is failing', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    source.delays(300);
    const p = provider(source, { cacheKey: key('cancel') });
    const callers = [1, 2, 3].map(() => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('the request was cancelled')), 50);
      return settle(p.getToken({ signal: ac.signal }));
    });
    await vi.advanceTimersByTimeAsync(50);
    expect((await Promise.all(callers)).map((r) => r.ok)).toEqual([false, false, false]);
    expect(p.status().failing).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    const r = await settle(p.getToken());
    expect(r).toMatchObject({ ok: true, value: { token: 'mock-token-1' } });
    expect(source.calls).toHaveLength(1);
    expect(p.status()).toMatchObject({ failing: false, lastErrorCode: undefined });
  });
});

describe('many identities', () => {
  it(`a live provider's token is never evicted: ${MAX_CACHED_TOKENS + 500} live identities each fetch once`, async () => {
    const count = MAX_CACHED_TOKENS + 500;
    const sources = Array.from({ length: count }, () => mockTokenSource({ lifetimeMs: 15 * MIN }));
    const ps = sources.map((s, i) => provider(s, { cacheKey: key(`tenant-${i}`) }));
    for (const p of ps) await p.getToken();
    for (const p of ps) await p.getToken(); // a second round: every token is still cached
    expect(sources.map((s) => s.calls.length).filter((n) => n !== 1)).toEqual([]);
  });

  it('a provider made again for the same identity (one per request) starts with the token its predecessor left', async () => {
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    for (let i = 0; i < 5; i++) {
      const p = tokenProvider(source, { cacheKey: key('per-request') });
      expect((await p.getToken()).token).toBe('mock-token-1');
      p.close();
    }
    expect(source.calls).toHaveLength(1);
  });

  it('a kept token is taken back only while the identity\'s own clock says it is not stale', async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = (): number => now;
    const source = mockTokenSource({ lifetimeMs: 15 * MIN, clock });
    const first = tokenProvider(source, { cacheKey: key('clock'), clock });
    await first.getToken();
    first.close();
    now += 14 * MIN + 45_000; // inside minValidity (30 s) of expiry by the injected clock, though no real time passed
    const again = provider(source, { cacheKey: key('clock'), clock });
    expect((await again.getToken()).token).toBe('mock-token-2');
    expect(source.calls).toHaveLength(2);
  });

  it(`identities no live provider holds keep their tokens up to MAX_CACHED_TOKENS (${MAX_CACHED_TOKENS}), least recently used dropped first`, async () => {
    const count = MAX_CACHED_TOKENS + 1;
    const sources = Array.from({ length: count }, () => mockTokenSource({ lifetimeMs: 15 * MIN }));
    for (const [i, s] of sources.entries()) {
      const p = tokenProvider(s, { cacheKey: key(`dropped-${i}`) });
      await p.getToken();
      p.close();
    }
    for (const i of [count - 1, 1, 0]) {
      const p = provider(sources[i]!, { cacheKey: key(`dropped-${i}`) });
      await p.getToken();
    }
    expect([sources[count - 1]!.calls.length, sources[1]!.calls.length, sources[0]!.calls.length]).toEqual([1, 1, 2]);
  });

  it('a provider without a cacheKey leaves nothing behind for others (no one could ask for its identity again)', async () => {
    const own = mockTokenSource({ lifetimeMs: 15 * MIN });
    const shared = mockTokenSource({ lifetimeMs: 15 * MIN });
    const kept = tokenProvider(shared, { cacheKey: key('kept') });
    await kept.getToken();
    kept.close();
    for (let i = 0; i < MAX_CACHED_TOKENS + 10; i++) {
      const p = tokenProvider(own);
      await p.getToken();
      p.close();
    }
    await provider(shared, { cacheKey: key('kept') }).getToken();
    expect(shared.calls).toHaveLength(1);
  });

  it('the failure memory of a dropped identity holds a provider made again during an outage to the same rest', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource().outage(new Error('IAM down'));
    const options = { cacheKey: key('outage'), retry: { attempts: 1, maxMs: 10_000 }, random: () => 0 };
    const first = tokenProvider(source, options);
    expect((await settle(first.getToken())).ok).toBe(false);
    first.close();
    const again = provider(source, options);
    const r = await settle(again.getToken());
    expect(r.ok).toBe(false);
    expect(source.calls).toHaveLength(1); // it rests with its predecessor, without calling the source
    expect(again.status()).toMatchObject({ failing: true, lastErrorCode: 'Error' });
  });
});
