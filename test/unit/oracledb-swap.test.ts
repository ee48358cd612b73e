import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDbTokenError, tokenProvider, TokenUnavailableError, type DbToken, type TokenProvider } from 'dbtoken';
import { mockTokenSource, type MockTokenSource } from 'dbtoken/testing';
import { createOracledbPoolWith, type OracledbDriver } from '../../adapters/oracledb.js';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

// The oracledb adapter hands a pool a fresh token when the one it holds is near expiry. No getConnection()
// waits on the provider for that while the held token is still valid: the swap runs in the background. Only
// an expired token is waited for. A fake driver with node-oracledb's token rule, on a fake clock.

const MIN = 60_000;
const HOUR = 60 * MIN;
const PEM = rsaKeyPairSync(1024).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A db-token shaped like OCI's: a JWT whose `exp` the driver reads. */
function jwt(n: number, expiresAt: number): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256' })}.${b64({ n, exp: Math.floor(expiresAt / 1000) })}.c2ln`;
}
const numberOf = (token: string): number => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).n;
const expOf = (token: string): number => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp * 1000;

/**
 * A pool like node-oracledb's thin pool (lib/thin/pool.js): it takes its first token through the
 * callback; a login with a token whose exp has passed first asks the callback again with `refresh` true,
 * and an error the callback throws becomes NJS-168 with only its stack copied (errors.throwWrapErr).
 * `idle` connections are served with no login at all; a login reads the token `loginAfterMs` after
 * it was asked for (the pool's background thread makes it).
 */
function fakeDriver(opts: { idle?: number; loginAfterMs?: number } = {}) {
  const events: string[] = [];
  let idle = opts.idle ?? 0;
  let token = '';
  let callback!: (refresh: boolean) => Promise<{ token: string }>;
  const wrap = (err: unknown): Error => Object.assign(new Error('NJS-168: access token function failed.'), { code: 'NJS-168', stack: (err as Error).stack });
  const driver = {
    async createPool(attrs: { accessToken: (refresh: boolean) => Promise<{ token: string }> }) {
      callback = attrs.accessToken;
      token = await callback(false).then(
        (t) => t.token,
        (err: unknown) => Promise.reject(wrap(err)),
      );
      events.push(`created with ${numberOf(token)}`);
      return {
        async getConnection() {
          if (idle > 0) {
            idle -= 1;
            events.push('idle');
            return { close: async () => void (idle += 1) };
          }
          if (opts.loginAfterMs !== undefined) await new Promise((r) => setTimeout(r, opts.loginAfterMs));
          if (Date.now() > expOf(token)) {
            try {
              token = (await callback(true)).token;
            } catch (err) {
              throw wrap(err);
            }
          }
          events.push(`login with ${numberOf(token)}`);
          return { close: async () => void (idle += 1) };
        },
        async setAccessToken(t: { token: string }) {
          token = t.token;
          events.push(`set ${numberOf(token)}`);
        },
        async close() {},
      };
    },
  };
  return { driver: driver as unknown as OracledbDriver, events };
}

/** One-hour db-tokens, numbered from 1; what comes after the first is up to the test (`source.hangs()`, ...). */
function tokens(): MockTokenSource & { next(): DbToken } {
  let n = 0;
  const source = mockTokenSource();
  const next = (): DbToken => {
    n += 1;
    const expiresAt = Date.now() + HOUR;
    return { token: jwt(n, expiresAt), expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000), privateKey: PEM };
  };
  return Object.assign(source, { next });
}

/** Counts the calls the adapter makes to the provider, and how many of them are still waiting. */
function counting(provider: TokenProvider) {
  const counts = { calls: 0, waiting: 0, mostWaiting: 0 };
  const wrapped: TokenProvider = {
    ...provider,
    getToken(opts) {
      counts.calls += 1;
      counts.waiting += 1;
      counts.mostWaiting = Math.max(counts.mostWaiting, counts.waiting);
      return provider.getToken(opts).finally(() => (counts.waiting -= 1));
    },
    invalidate: (t) => provider.invalidate(t),
    close: () => provider.close(),
    on: (e, l) => provider.on(e, l),
    status: () => provider.status(),
  };
  return { provider: wrapped, counts };
}

const providers: TokenProvider[] = [];
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});

/** A pool made at the start of a fake hour with the source's first token; then the source does as `then` says. */
async function pool(then: (s: ReturnType<typeof tokens>) => void, opts: { idle?: number; loginAfterMs?: number; fetchTimeout?: number } = {}) {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  const source = tokens();
  const first = source.next();
  source.returns({ token: first.token, expiresAt: first.expiresAt, privateKey: PEM });
  // A source on the fake clock: after the first token, the test's script.
  const real = tokenProvider(
    async (ctx) => {
      const t = await source(ctx);
      if (t.token.startsWith('mock-token')) return source.next();
      return t;
    },
    // Short rests after a failed round, so that a test sees the next try within the token's last 30 s.
    { fetchTimeout: opts.fetchTimeout ?? 5 * MIN, retry: { attempts: 1, maxMs: 1_000 } },
  );
  providers.push(real);
  const { provider, counts } = counting(real);
  const { driver, events } = fakeDriver({ idle: opts.idle ?? 0, ...(opts.loginAfterMs !== undefined ? { loginAfterMs: opts.loginAfterMs } : {}) });
  const p = await createOracledbPoolWith(driver, { token: provider, connectString: 'tcps://db.example.com:1522/svc' });
  then(source);
  return { pool: p, events, counts, source };
}

/** IAM stops answering: each call from now on hangs. */
const hangs = (s: MockTokenSource): void => {
  for (let i = 0; i < 100; i++) s.hangs();
};

/** Starts `n` connections and reports how many have settled once pending callbacks ran, with the clock standing still. */
async function settledAtOnce(p: { getConnection(): Promise<unknown> }, n: number) {
  let settled = 0;
  const all = Array.from({ length: n }, () => p.getConnection().finally(() => (settled += 1)));
  await vi.advanceTimersByTimeAsync(0);
  return { settled, all: Promise.allSettled(all) };
}

describe('while the pool token is valid, no getConnection() waits on the provider', () => {
  it('IAM hangs with the token 8 s from expiry: every connection goes ahead, and one swap runs in the background', async () => {
    const { pool: p, counts, events } = await pool(hangs, { idle: 2 });
    await vi.advanceTimersByTimeAsync(HOUR - 8_000);
    const { settled, all } = await settledAtOnce(p, 5);
    expect(settled).toBe(5);
    await all;
    // Idle connections and logins alike, with the token the pool holds; the swap is one call, still waiting.
    expect(events).toEqual(['created with 1', 'idle', 'idle', 'login with 1', 'login with 1', 'login with 1']);
    expect(counts.mostWaiting).toBe(1);
    expect(counts.waiting).toBe(1);
  });

  it('across the whole life of the token, second by second: none waits, and at most one swap is ever under way', async () => {
    const { pool: p, counts } = await pool(hangs, { fetchTimeout: 0 });
    let waited = 0;
    for (let left = HOUR; left > 1_000; left -= 1_000) {
      const { settled } = await settledAtOnce(p, 1);
      waited += 1 - settled;
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(waited).toBe(0);
    expect(counts.mostWaiting).toBe(1);
  });

  it('a fresh token at the provider: the next connection swaps it in without waiting, and later ones log in with it', async () => {
    const { pool: p, events, counts } = await pool(() => {});
    await vi.advanceTimersByTimeAsync(HOUR - 20_000); // the provider refreshed 15 min ahead: token 2 is cached
    const { settled, all } = await settledAtOnce(p, 1);
    expect(settled).toBe(1);
    await all;
    const conn = await p.getConnection();
    expect(conn).toBeDefined();
    expect(events.slice(1)).toContain('set 2');
    expect(events.at(-1)).toBe('login with 2');
    expect(counts.mostWaiting).toBe(1);
  });

  it('IAM fails: the connections go ahead with the held token; the swap is tried again by a later connection, one at a time', async () => {
    const { pool: p, counts, events, source } = await pool((s) => s.outage(new Error('IAM is down')));
    await vi.advanceTimersByTimeAsync(HOUR - 25_000);
    for (let i = 0; i < 3; i++) {
      const { settled, all } = await settledAtOnce(p, 2);
      expect(settled).toBe(2);
      await all;
    }
    expect(events.filter((e) => e.startsWith('login'))).toEqual(Array(6).fill('login with 1'));
    expect(counts.mostWaiting).toBe(1);
    source.restore();
    await vi.advanceTimersByTimeAsync(2_000); // past the provider's rest after a failed round; 23 s left
    await p.getConnection();
    await vi.advanceTimersByTimeAsync(0);
    await p.getConnection();
    expect(events.filter((e) => e.startsWith('set'))).toHaveLength(1);
    expect(events.at(-1)).toMatch(/^login with [2-9]$/);
  });
});

describe('closing the pool', () => {
  it('abandons a swap still waiting on a hanging IAM, and starts none after', async () => {
    const { pool: p, counts } = await pool(hangs, { fetchTimeout: 0 });
    await vi.advanceTimersByTimeAsync(HOUR - 8_000);
    expect((await settledAtOnce(p, 1)).settled).toBe(1);
    expect(counts.waiting).toBe(1);
    await p.close(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(counts.waiting).toBe(0);
    const calls = counts.calls;
    await p.getConnection().catch(() => {});
    expect(counts.calls).toBe(calls);
  });
});

describe('once the pool token has expired, a getConnection() waits for a fresh one', () => {
  it('IAM answers late: the connection waits for it, and the pool is handed it before the login', async () => {
    let late!: ReturnType<MockTokenSource['deferred']>;
    // The provider's refresh ahead of expiry, and every later call, wait for this one answer.
    const { pool: p, events } = await pool((s) => (late = s.deferred()), { fetchTimeout: 0 });
    await vi.advanceTimersByTimeAsync(HOUR + 1_000);
    const { settled, all } = await settledAtOnce(p, 2);
    expect(settled).toBe(0);
    late.resolve();
    await vi.advanceTimersByTimeAsync(0);
    const results = await all;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(events.slice(1)).toEqual(['set 2', 'login with 2', 'login with 2']);
  });

  it('a login that finds the token expired joins the swap under way: the driver\'s callback waits for it, with no call of its own', async () => {
    let late!: ReturnType<MockTokenSource['deferred']>;
    const { pool: p, events, counts } = await pool((s) => (late = s.deferred()), { fetchTimeout: 0, loginAfterMs: 2_000 });
    await vi.advanceTimersByTimeAsync(HOUR - 1_000); // valid for 1 s more: the connection does not wait
    let connected = false;
    const conn = p.getConnection().then(() => (connected = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(counts.waiting).toBe(1); // the swap
    await vi.advanceTimersByTimeAsync(2_000); // the login reads the token, expired by now: the callback is asked
    expect(counts.calls).toBe(2); // the first token, and the swap: the callback asked the provider nothing
    late.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(connected).toBe(true);
    await conn;
    expect(events.at(-1)).toBe('login with 2');
    expect(counts.calls).toBe(2);
  });

  it('IAM fails: a connection that needs a login rejects with the provider\'s own error, its cause kept, after one wait', async () => {
    const { pool: p, counts } = await pool((s) => s.outage(new Error('IAM is down')));
    await vi.advanceTimersByTimeAsync(HOUR + 1_000);
    const calls = counts.calls;
    const err = await p.getConnection().catch((e: unknown) => e);
    expect(isDbTokenError(err)).toBe(true);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).cause).toMatchObject({ message: 'IAM is down' });
    // The adapter's wait; the driver's callback then gave the same answer without asking again.
    expect(counts.calls - calls).toBe(1);
  });

  it('IAM fails: an idle connection is still served once the wait is over', async () => {
    const { pool: p, events } = await pool((s) => s.outage(new Error('IAM is down')), { idle: 1 });
    await vi.advanceTimersByTimeAsync(HOUR + 1_000);
    const conn = await p.getConnection();
    expect(conn).toBeDefined();
    expect(events.at(-1)).toBe('idle');
  });
});
