// The bad moments, in figures: a failing IAM, a stuck IAM, and providers
// dropped without close().
import { tokenProvider } from 'dbtoken';
import { mockTokenSource } from 'dbtoken/testing';
import { median } from './stats.mjs';

const settle = async () => {
  for (let i = 0; i < 8; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
};

/** Each caller retrying on its own, as a hand-rolled cache does: `attempts` tries with backoff in between. */
async function perCallerRetry(source, attempts, baseMs) {
  for (let i = 0; i < attempts; i++) {
    try {
      return await source({ signal: new AbortController().signal });
    } catch {
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, baseMs * 2 ** i * (0.5 + Math.random() / 2)));
    }
  }
  throw new Error('no token');
}

export async function faultsBench() {
  const rows = [];
  const retry = { attempts: 3, baseMs: 20, maxMs: 60_000 };

  // 1. A failing IAM: 1,000 callers wait at once; the source fails in 2 ms.
  {
    const source = mockTokenSource().outage(new Error('IAM down'), { delayMs: 2 });
    const provider = tokenProvider(source, { retry });
    await Promise.all(Array.from({ length: 1000 }, () => provider.getToken().catch(() => {})));
    const naive = mockTokenSource().outage(new Error('IAM down'), { delayMs: 2 });
    await Promise.all(Array.from({ length: 1000 }, () => perCallerRetry(naive, retry.attempts, retry.baseMs).catch(() => {})));
    rows.push({
      measure: 'source calls while IAM fails, 1,000 waiting callers (retry.attempts 3)',
      dbtoken: source.calls.length,
      baseline: `${naive.calls.length} (each caller retrying on its own)`,
      ratio: (source.calls.length / naive.calls.length).toFixed(4),
      target: `<= ${retry.attempts} (retry.attempts)`,
    });
    provider.close();
  }

  // 2. A stuck IAM: how long until a waiting caller is released, against fetchTimeout.
  {
    const fetchTimeout = 500;
    const released = [];
    for (let i = 0; i < 7; i++) {
      const source = mockTokenSource().hangs();
      const provider = tokenProvider(source, { fetchTimeout, retry: { attempts: 1 } });
      const t0 = process.hrtime.bigint();
      await provider.getToken().catch(() => {});
      released.push(Number(process.hrtime.bigint() - t0) / 1e6);
      provider.close();
    }
    rows.push({
      measure: `a caller on a source that never answers is released (median of 7; fetchTimeout ${fetchTimeout} ms)`,
      dbtoken: `${median(released).toFixed(1)} ms`,
      baseline: `${fetchTimeout} ms (the deadline); never, without one`,
      ratio: (median(released) / fetchTimeout).toFixed(3),
      target: '<= 1.05',
    });
  }

  // 3. Providers dropped without close(): what is left of them after GC.
  {
    let n = 0;
    const source = async () => ({ token: `t-${++n}`, expiresAt: new Date(Date.now() + 15 * 60_000) });
    const live = tokenProvider(source, { cacheKey: 'bench|gc' });
    await live.getToken();
    const round = async (keep) => {
      for (let i = 0; i < 5000; i++) {
        const p = tokenProvider(source, { cacheKey: 'bench|gc', refreshBefore: 120_000 });
        p.on('token', () => {});
        await p.getToken();
        const own = tokenProvider(source);
        await own.getToken();
        keep?.push(p, own);
      }
    };
    await round(); // warm-up: compiled code and table high-water marks are not per provider
    await settle();
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 3; i++) {
      await round();
      await settle();
    }
    const dropped = (process.memoryUsage().heapUsed - h0) / 30_000;
    const kept = [];
    const h1 = process.memoryUsage().heapUsed;
    await round(kept);
    await settle();
    const alive = (process.memoryUsage().heapUsed - h1) / kept.length;
    for (const p of kept) p.close();
    live.close();
    rows.push({
      measure: 'heap retained per provider dropped without close(), after GC (30,000 providers)',
      dbtoken: `${Math.max(0, dropped).toFixed(0)} B`,
      baseline: `${alive.toFixed(0)} B (a provider still referenced)`,
      ratio: (Math.max(0, dropped) / alive).toFixed(3),
      target: 'none (0 B, within noise)',
    });
  }

  // 4. Many tenants: live identities, each used once a minute, 15-minute tokens, one simulated hour.
  for (const count of [1_000, 5_000, 20_000]) {
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    let calls = 0;
    const source = async () => {
      calls += 1;
      return { token: `t-${calls}`, expiresAt: new Date(now + 15 * 60_000) };
    };
    const providers = Array.from({ length: count }, (_, i) => tokenProvider(source, { cacheKey: `bench|tenant|${count}|${i}`, clock }));
    for (let minute = 0; minute < 60; minute++) {
      for (const p of providers) await p.getToken();
      now += 60_000;
    }
    for (const p of providers) p.close();
    const perHour = calls / count;
    const ideal = 60 / 11.25; // the default refresh-ahead starts a quarter of the lifetime before expiry
    rows.push({
      measure: `fetches per identity per hour, ${count.toLocaleString('en-US')} live identities each used once a minute (simulated clock)`,
      dbtoken: perHour.toFixed(2),
      baseline: `${ideal.toFixed(2)} (one per refresh interval, 11.25 min)`,
      ratio: (perHour / ideal).toFixed(3),
      target: '<= 1.2 at every count',
    });
  }

  // 5. Providers made and dropped for 25,000 identities, round after round: the heap stays flat.
  {
    let n = 0;
    const source = async () => ({ token: `t-${++n}`.padEnd(800, 'x'), expiresAt: new Date(Date.now() + 15 * 60_000) });
    const round = async () => {
      for (let i = 0; i < 25_000; i++) await tokenProvider(source, { cacheKey: `bench|peak|${i}` }).getToken();
      await settle();
      return process.memoryUsage().heapUsed;
    };
    await round(); // warm-up
    const heaps = [];
    for (let i = 0; i < 4; i++) heaps.push(await round());
    rows.push({
      measure: 'heap after each of 4 rounds of providers made and dropped for 25,000 identities',
      dbtoken: heaps.map((h) => `${(h / 1e6).toFixed(1)}`).join(' / ') + ' MB',
      baseline: `${(heaps[0] / 1e6).toFixed(1)} MB (after round 1)`,
      ratio: (heaps[3] / heaps[0]).toFixed(3),
      target: 'flat (~1.0)',
    });
  }
  return rows;
}
