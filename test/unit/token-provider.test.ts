import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, DbTokenError, ProviderClosedError, TokenUnavailableError, tokenProvider, type TokenEvent } from 'dbtoken';
import { mockTokenSource, staticToken } from 'dbtoken/testing';

const MIN = 60_000;

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const clock = (): number => now;
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

const flush = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('single flight', () => {
  it('1,000 concurrent getToken() calls on a cold provider cause 1 source call', async () => {
    const source = mockTokenSource();
    source.delays(20);
    const p = tokenProvider(source);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => p.getToken()));
    expect(source.calls).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    p.close();
  });

  it('warm calls do not call the source again', async () => {
    const source = mockTokenSource();
    const p = tokenProvider(source);
    const first = await p.getToken();
    for (let i = 0; i < 100; i++) expect((await p.getToken()).token).toBe(first.token);
    expect(source.calls).toHaveLength(1);
    p.close();
  });

  it('forceRefresh fetches anew, and concurrent forced calls share one fetch', async () => {
    const source = mockTokenSource();
    const p = tokenProvider(source);
    await p.getToken();
    const forced = await Promise.all([p.getToken({ forceRefresh: true }), p.getToken({ forceRefresh: true })]);
    expect(source.calls).toHaveLength(2);
    expect(forced[0]!.token).toBe('mock-token-2');
    expect(forced[1]!.token).toBe('mock-token-2');
    p.close();
  });
});

describe('refresh ahead', () => {
  it('refreshes in the background once inside refreshBefore, while callers keep the current token', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const p = tokenProvider(source, { clock, random: () => 0 }); // no jitter: the refresh starts at the window's start
    expect((await p.getToken()).token).toBe('mock-token-1');
    clock.advance(11 * MIN); // default window: 225 s before expiry = 11.25 min
    expect((await p.getToken()).token).toBe('mock-token-1');
    expect(source.calls).toHaveLength(1);
    clock.advance(30_000); // inside the window
    const d = source.deferred();
    expect((await p.getToken()).token).toBe('mock-token-1'); // served at once
    await d.called;
    expect(source.calls).toHaveLength(2);
    expect((await p.getToken()).token).toBe('mock-token-1'); // refresh still in flight: no second fetch
    expect(source.calls).toHaveLength(2);
    d.resolve();
    await flush();
    expect((await p.getToken()).token).toBe('mock-token-2');
    expect(source.calls).toHaveLength(2);
    p.close();
  });

  it('an unref\'d timer refreshes a used token ahead of expiry (fake timers)', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const events: TokenEvent[] = [];
    const p = tokenProvider(source, { random: () => 0 });
    p.on('token', (e) => events.push(e));
    await p.getToken();
    await vi.advanceTimersByTimeAsync(11 * MIN + 15_000 + 1);
    expect(source.calls).toHaveLength(2);
    expect(events.map((e) => e.background)).toEqual([false, true]);
    // The second token is not used by anyone: an idle provider stops refreshing.
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(source.calls).toHaveLength(2);
    p.close();
  });

  it('honours an explicit refreshBefore', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 60 * MIN });
    const p = tokenProvider(source, { clock, refreshBefore: 5 * MIN, random: () => 0 });
    await p.getToken();
    clock.advance(54 * MIN);
    await p.getToken();
    expect(source.calls).toHaveLength(1);
    clock.advance(MIN + 1);
    await p.getToken();
    await flush();
    expect(source.calls).toHaveLength(2);
    p.close();
  });
});

describe('never stale', () => {
  it('waits for a fresh token instead of handing out one with less than minValidity left', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const p = tokenProvider(source, { clock, minValidity: 60_000 });
    await p.getToken();
    clock.advance(14 * MIN + 1); // 59.999 s left, under minValidity
    const t = await p.getToken();
    expect(t.token).toBe('mock-token-2');
    expect(t.expiresAt.getTime() - clock()).toBeGreaterThan(60_000);
    p.close();
  });

  it('checks the wall clock on every call: a container thawed after the token expired gets a new one', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['Date'] }); // timers are "frozen": none fire
    const source = mockTokenSource({ lifetimeMs: 15 * MIN });
    const p = tokenProvider(source);
    expect((await p.getToken()).token).toBe('mock-token-1');
    vi.setSystemTime(Date.UTC(2026, 0, 1) + 3 * 60 * MIN); // frozen for 3 hours
    const t = await p.getToken();
    expect(t.token).toBe('mock-token-2');
    expect(t.expiresAt.getTime()).toBeGreaterThan(Date.now());
    p.close();
  });

  it('rejects a source that returns a token already too close to expiry', async () => {
    const source = mockTokenSource();
    source.returns({ expiresInMs: 10_000 }).returns({ expiresInMs: 10_000 }).returns({ expiresInMs: 10_000 });
    const p = tokenProvider(source, { retry: { baseMs: 1 } });
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(source.calls).toHaveLength(3);
    p.close();
  });
});

describe('failure', () => {
  it('keeps serving the cached token while refreshes fail, retrying with backoff', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock, lifetimeMs: 15 * MIN });
    const errors: unknown[] = [];
    const p = tokenProvider(source, { clock, random: () => 0, retry: { baseMs: 1_000, maxMs: 8_000 } });
    p.on('error', (e) => errors.push(e));
    await p.getToken();
    clock.advance(12 * MIN);
    source.fails(new Error('IAM down 1')).fails(new Error('IAM down 2')).fails(new Error('IAM down 3'));
    expect((await p.getToken()).token).toBe('mock-token-1');
    await flush();
    expect(source.calls).toHaveLength(2);
    // Within the backoff (500 ms after failure 1), no new attempt.
    clock.advance(400);
    expect((await p.getToken()).token).toBe('mock-token-1');
    await flush();
    expect(source.calls).toHaveLength(2);
    clock.advance(200);
    expect((await p.getToken()).token).toBe('mock-token-1');
    await flush();
    expect(source.calls).toHaveLength(3);
    // Second backoff is 1,000 ms.
    clock.advance(900);
    await p.getToken();
    await flush();
    expect(source.calls).toHaveLength(3);
    clock.advance(200);
    await p.getToken();
    await flush();
    expect(source.calls).toHaveLength(4);
    expect(errors.map((e) => (e as Error).message)).toEqual(['IAM down 1', 'IAM down 2', 'IAM down 3']);
    // Three failures end the round: the identity rests for maxMs (8 s) before the next one.
    clock.advance(7_999);
    expect((await p.getToken()).token).toBe('mock-token-1');
    await flush();
    expect(source.calls).toHaveLength(4);
    clock.advance(1);
    expect((await p.getToken()).token).toBe('mock-token-1'); // starts the successful refresh
    await flush();
    expect((await p.getToken()).token).toBe('mock-token-2');
    p.close();
  });

  it('rejects with TokenUnavailableError carrying the last source error once no usable token is left', async () => {
    const clock = manualClock();
    const source = mockTokenSource({ clock });
    const last = new Error('last failure');
    source.fails(new Error('first')).fails(new Error('second')).fails(last);
    const p = tokenProvider(source, { clock, random: () => 0, retry: { attempts: 3, baseMs: 1, maxMs: 1_000 } });
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(err).toBeInstanceOf(DbTokenError);
    expect((err as TokenUnavailableError).code).toBe('ERR_DBTOKEN_UNAVAILABLE');
    expect((err as TokenUnavailableError).cause).toBe(last);
    expect(source.calls).toHaveLength(3);
    // During the rest after the failed round, callers fail at once without calling the source.
    const resting = await p.getToken().catch((e: unknown) => e);
    expect(resting).toBeInstanceOf(TokenUnavailableError);
    expect((resting as Error).message).toMatch(/tries again in 1 s/);
    expect(source.calls).toHaveLength(3);
    // The provider recovers once the rest is over and the source works.
    clock.advance(1_000);
    expect((await p.getToken()).token).toMatch(/^mock-token-/);
    p.close();
  });

  it('does not retry a ConfigError from the source', async () => {
    const source = mockTokenSource();
    source.fails(new ConfigError('key_file', 'cannot be read'));
    const p = tokenProvider(source, { retry: { attempts: 5, baseMs: 1 } });
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).cause).toBeInstanceOf(ConfigError);
    expect(source.calls).toHaveLength(1);
    p.close();
  });

  it('retries a foreground fetch on the backoff schedule, driven by fake timers', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const source = mockTokenSource();
    source.fails(new Error('a')).fails(new Error('b'));
    const p = tokenProvider(source, { random: () => 0, retry: { attempts: 3, baseMs: 1_000 } });
    const pending = p.getToken();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(source.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(source.calls).toHaveLength(3);
    expect((await pending).token).toBe('mock-token-1');
    p.close();
  });

  it('a source returning a malformed token is a failure, not a crash', async () => {
    const p = tokenProvider(async () => ({ token: '', expiresAt: new Date('nope') }) as never, { retry: { attempts: 1 } });
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(((err as Error).cause as Error).message).toMatch(/token is not a non-empty string/);
    p.close();
  });
});

describe('invalidate', () => {
  it('forgets the cached token so that the next call fetches', async () => {
    const source = mockTokenSource();
    const p = tokenProvider(source);
    const t1 = await p.getToken();
    p.invalidate();
    const t2 = await p.getToken();
    expect(t2.token).not.toBe(t1.token);
    expect(source.calls).toHaveLength(2);
    p.close();
  });

  it('with a token, only forgets that token: a newer one stays', async () => {
    const source = mockTokenSource();
    const p = tokenProvider(source);
    const t1 = await p.getToken();
    p.invalidate(t1);
    const t2 = await p.getToken();
    p.invalidate(t1); // a late refusal of the old token
    expect((await p.getToken()).token).toBe(t2.token);
    expect(source.calls).toHaveLength(2);
    p.close();
  });
});

describe('lifecycle', () => {
  it('after close(), getToken rejects with ProviderClosedError; close is idempotent', async () => {
    const p = tokenProvider(mockTokenSource());
    await p.getToken();
    p.close();
    p.close();
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderClosedError);
    expect((err as ProviderClosedError).code).toBe('ERR_DBTOKEN_CLOSED');
  });

  it('close() rejects waiting callers and aborts the fetch in flight', async () => {
    const source = mockTokenSource();
    const d = source.deferred();
    const p = tokenProvider(source);
    const waiting = p.getToken();
    await d.called;
    p.close();
    await expect(waiting).rejects.toBeInstanceOf(ProviderClosedError);
    expect(source.calls[0]!.signal.aborted).toBe(true);
  });

  it('a caller\'s signal stops its own wait, not the shared fetch', async () => {
    const source = mockTokenSource();
    const d = source.deferred();
    const p = tokenProvider(source);
    const ac = new AbortController();
    const a = p.getToken({ signal: ac.signal });
    const b = p.getToken();
    await d.called;
    ac.abort(new Error('caller gave up'));
    await expect(a).rejects.toThrow('caller gave up');
    d.resolve({ token: 'shared' });
    expect((await b).token).toBe('shared');
    expect(source.calls[0]!.signal.aborted).toBe(false);
    p.close();
  });

  it('timers are unref\'d', async () => {
    const clock = manualClock();
    const p = tokenProvider(mockTokenSource({ clock }), { clock });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await p.getToken();
    // The refresh timer exists but does not hold the loop open: hasRef() is false.
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    const refTimers = handles.filter((h) => (h as { hasRef?: () => boolean }).hasRef?.() === true && h?.constructor?.name === 'Timeout');
    expect(refTimers).toHaveLength(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeGreaterThanOrEqual(before);
    p.close();
  });

  it('events: token and error, with unsubscribe; a throwing listener does not break delivery', async () => {
    const source = mockTokenSource();
    source.fails(new Error('boom'));
    const p = tokenProvider(source, { retry: { baseMs: 1 } });
    const seen: string[] = [];
    p.on('token', () => {
      throw new Error('listener bug');
    });
    const off = p.on('token', (e: TokenEvent) => seen.push(`token ${e.expiresAt instanceof Date}`));
    p.on('error', (e: Error) => seen.push(`error ${e.message}`));
    await p.getToken();
    off();
    await p.getToken({ forceRefresh: true });
    expect(seen).toEqual(['error boom', 'token true']);
    p.close();
  });
});

describe('shared cache', () => {
  it('providers with the same cacheKey share one token and one fetch', async () => {
    const a = mockTokenSource({ prefix: 'a' });
    const b = mockTokenSource({ prefix: 'b' });
    const pa = tokenProvider(a, { cacheKey: 'test|same-identity' });
    const pb = tokenProvider(b, { cacheKey: 'test|same-identity' });
    const [ta, tb] = await Promise.all([pa.getToken(), pb.getToken()]);
    expect(ta.token).toBe(tb.token);
    expect(a.calls.length + b.calls.length).toBe(1);
    // Closing one keeps the token for the other.
    pa.close();
    expect((await pb.getToken()).token).toBe(ta.token);
    pb.close();
  });

  it('providers without a cacheKey never share', async () => {
    const a = mockTokenSource({ prefix: 'a' });
    const b = mockTokenSource({ prefix: 'b' });
    const pa = tokenProvider(a);
    const pb = tokenProvider(b);
    expect((await pa.getToken()).token).toBe('a-1');
    expect((await pb.getToken()).token).toBe('b-1');
    pa.close();
    pb.close();
  });
});

describe('redaction', () => {
  it('a DbToken prints as redacted everywhere', async () => {
    const secret = 'SECRET-TOKEN-TEXT-0123456789';
    const key = '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----';
    const source = mockTokenSource();
    source.returns({ token: secret, privateKey: key, fingerprint: 'aa:bb' });
    const p = tokenProvider(source);
    const t = await p.getToken();
    expect(t.token).toBe(secret);
    expect(t.privateKey).toBe(key);
    const renderings = [
      inspect(t),
      inspect(t, { showHidden: true, depth: 10 }),
      inspect({ nested: [t] }),
      JSON.stringify(t),
      JSON.stringify({ t }),
      String(t),
      `${t}`,
      t + '',
      Object.keys(t).join(','),
      JSON.stringify({ ...t }),
    ];
    for (const r of renderings) {
      expect(r).not.toContain('SECRET');
    }
    expect(JSON.parse(JSON.stringify(t))).toMatchObject({ token: '[redacted]', privateKey: '[redacted]', fingerprint: 'aa:bb' });
    expect(String(t)).toMatch(/^\[DbToken redacted, expires \d{4}-/);
    p.close();
  });

  it('staticToken redacts too', async () => {
    const p = staticToken('TOPSECRET');
    const t = await p.getToken();
    expect(t.token).toBe('TOPSECRET');
    expect(inspect(t)).not.toContain('TOPSECRET');
    expect(t.expiresAt.getTime() - Date.now()).toBeGreaterThan(59 * MIN);
    p.close();
  });
});

describe('staticToken with a target', () => {
  it('user, host and port become the target; with target too, or a bad port, a ConfigError names the field', async () => {
    const p = staticToken('secret', { user: 'app', host: 'db.internal', port: 6432 });
    expect(p.target).toEqual({ user: 'app', host: 'db.internal', port: 6432 });
    expect((await p.getToken()).token).toBe('secret');
    p.close();
    expect(() => staticToken('secret', { user: 'app', target: { user: 'x' } })).toThrow(expect.objectContaining({ field: 'target' }));
    expect(() => staticToken('secret', { port: 70_000 })).toThrow(expect.objectContaining({ field: 'port' }));
    expect(() => staticToken('secret', { user: '' })).toThrow(expect.objectContaining({ field: 'user' }));
  });
});
