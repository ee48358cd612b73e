import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, tokenProvider, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { staticToken } from 'dbtoken/testing';
import { checkLoginRate, loginPace, type LoginPace } from '../../adapters/login-pace.js';

const providers: TokenProvider[] = [];
const paces: LoginPace[] = [];
afterEach(() => {
  for (const p of paces.splice(0)) p.leave();
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});

let endpoint = 0;
/** A provider whose tokens are signed for an endpoint no other test uses. */
function signedFor(host = `db${++endpoint}.example`, port = 5432): TokenProvider {
  const p = tokenProvider(async () => ({ token: 't', expiresAt: new Date(Date.now() + 900_000) }), { target: { host, port, user: 'app' } });
  providers.push(p);
  return p;
}

function pace(...args: Parameters<typeof loginPace>): LoginPace {
  const p = loginPace(...args);
  if (p === undefined) throw new Error('no pace');
  paces.push(p);
  return p;
}

/** Which of `waits` have resolved, after the fake clock moves `ms`. */
async function settledAfter(ms: number, waits: Promise<void>[]): Promise<boolean[]> {
  const done = waits.map(() => false);
  waits.forEach((w, i) => w.then(() => (done[i] = true), () => {}));
  await vi.advanceTimersByTimeAsync(ms);
  return done;
}

describe('loginPace: one pace per signed endpoint, in the process', () => {
  it('a pool dialing a tunnel and one dialing the endpoint share the pace of the endpoint the tokens are signed for', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const provider = signedFor();
    const tunnel = pace(provider, { perSecond: 1 }, { host: 'localhost', port: 15432 }, 5432);
    const direct = pace(provider, { perSecond: 1 }, { host: provider.target!.host, port: 5432 }, 5432);
    const waits = [tunnel.wait(), direct.wait(), tunnel.wait()];
    expect(await settledAfter(0, waits)).toEqual([true, false, false]);
    expect(await settledAfter(1_000, waits)).toEqual([true, true, false]);
    expect(await settledAfter(1_000, waits)).toEqual([true, true, true]);
  });

  it('endpoints are told apart by host (case-insensitively) and port', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const host = `db${++endpoint}.example`;
    const a = pace(signedFor(host, 5432), { perSecond: 1 }, {}, 5432);
    const b = pace(signedFor(host.toUpperCase(), 5432), { perSecond: 1 }, {}, 5432);
    const c = pace(signedFor(host, 5433), { perSecond: 1 }, {}, 5432);
    expect(await settledAfter(0, [a.wait(), b.wait(), c.wait()])).toEqual([true, false, true]);
  });

  it('the lowest rate asked for holds, until the pool that asked for it leaves', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const provider = signedFor();
    const fast = pace(provider, { perSecond: 10 }, {}, 5432);
    const slow = pace(provider, { perSecond: 1 }, {}, 5432);
    await fast.wait();
    expect(await settledAfter(500, [fast.wait()])).toEqual([false]);
    await vi.advanceTimersByTimeAsync(500);
    slow.leave();
    const next = [fast.wait(), fast.wait()];
    expect(await settledAfter(100, next)).toEqual([true, false]);
    expect(await settledAfter(100, next)).toEqual([true, true]);
  });

  it('the pace outlives its pools: a pool made and ended in a loop keeps to it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const provider = signedFor();
    const first = loginPace(provider, { perSecond: 1 }, {}, 5432)!;
    await first.wait();
    first.leave();
    const again = pace(provider, { perSecond: 1 }, {}, 5432);
    const w = again.wait();
    expect(await settledAfter(900, [w])).toEqual([false]);
    expect(await settledAfter(100, [w])).toEqual([true]);
  });

  it('a wait given up (its signal aborted) leaves the queue: the next login takes its slot', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const p = pace(signedFor(), { perSecond: 1 }, {}, 5432);
    await p.wait();
    const gone = new AbortController();
    const abandoned = p.wait(gone.signal);
    const next = p.wait();
    gone.abort(new Error('connection timeout'));
    await expect(abandoned).rejects.toThrow('connection timeout');
    expect(await settledAfter(1_000, [next])).toEqual([true]);
  });

  it('a throttle slows the endpoint for every pool of it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const provider = signedFor();
    const a = pace(provider, { perSecond: 10 }, {}, 5432);
    const b = pace(provider, { perSecond: 10 }, {}, 5432);
    await a.wait();
    a.throttled();
    const w = b.wait();
    expect(await settledAfter(150, [w])).toEqual([false]); // 200 ms apart now, not 100
    expect(await settledAfter(50, [w])).toEqual([true]);
  });

  it('no timer is left once nobody waits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const p = pace(signedFor(), { perSecond: 1 }, {}, 5432);
    await p.wait();
    const gone = new AbortController();
    const w = p.wait(gone.signal);
    expect(vi.getTimerCount()).toBe(1);
    gone.abort();
    await w.catch(() => {});
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('which logins are paced', () => {
  it('RDS tokens at 25 a second by default; other providers not at all, unless the pool asks; false turns it off', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const rds = awsRdsToken({ hostname: `db${++endpoint}.abc123.us-east-1.rds.amazonaws.com`, username: 'app', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    providers.push(rds);
    const p = pace(rds, undefined, {}, 5432);
    const waits = [p.wait(), p.wait(), p.wait()];
    expect(await settledAfter(0, waits)).toEqual([true, false, false]);
    expect(await settledAfter(40, waits)).toEqual([true, true, false]);
    expect(loginPace(rds, false, {}, 5432)).toBeUndefined();
    const plain = staticToken('x');
    providers.push(plain);
    expect(loginPace(plain, undefined, { host: 'db', port: 5432 }, 5432)).toBeUndefined();
    expect(loginPace(plain, { perSecond: 5 }, { host: 'db', port: 5432 }, 5432)).toBeDefined();
  });
});

describe('loginRate on the pools', () => {
  it.each(['pg', 'postgres', 'mysql2'] as const)('createIamPool({ driver: %s }) refuses a bad loginRate with a ConfigError, before any connection', async (driver) => {
    const token = staticToken('x');
    providers.push(token);
    const err = await createIamPool({ driver, token, host: 'db.invalid', ssl: {}, loginRate: { perSecond: 0 } } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'loginRate' });
  });
});

describe('checkLoginRate', () => {
  it.each([
    [undefined, undefined],
    [false, false],
    [{ perSecond: 25 }, { perSecond: 25, burst: 1 }],
    [{ perSecond: 0.5, burst: 3 }, { perSecond: 0.5, burst: 3 }],
  ])('%j -> %j', (value, expected) => {
    expect(checkLoginRate(value)).toEqual(expected);
  });

  it.each([true, 25, null, 'fast', {}, { perSecond: 0 }, { perSecond: -1 }, { perSecond: Infinity }, { perSecond: Number.NaN }, { perSecond: '25' }, { perSecond: 5, burst: 0 }, { perSecond: 5, burst: 1.5 }])(
    'refuses %j with a ConfigError naming loginRate and how to fix it',
    (value) => {
      let err: unknown;
      try {
        checkLoginRate(value);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ field: 'loginRate' });
      expect((err as Error).message).toMatch(/perSecond/);
    },
  );
});
