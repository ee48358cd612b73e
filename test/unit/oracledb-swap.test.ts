import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenProvider, type TokenProvider } from 'dbtoken';
import { createOracledbPoolWith, type OracledbDriver } from '../../adapters/oracledb.js';

// The oracledb adapter hands a pool a fresh token when the one it holds is near expiry. With IAM failing
// or hanging at that moment, the connection must go ahead with the token the pool holds, as it would
// without the swap. A fake driver (node-oracledb's pool API) on a fake clock.

const MIN = 60_000;
const HOUR = 60 * MIN;
const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A pool like node-oracledb's: it takes its first token through the callback, and records setAccessToken. */
function fakeDriver() {
  const handed: string[] = [];
  let connections = 0;
  const driver = {
    async createPool(attrs: { accessToken: (refresh: boolean) => Promise<{ token: string }> }) {
      handed.push((await attrs.accessToken(false)).token);
      return {
        getConnection: async () => ({ n: ++connections, close: async () => {} }),
        setAccessToken: async (t: { token: string }) => void handed.push(t.token),
        close: async () => {},
      };
    },
  };
  return { driver: driver as unknown as OracledbDriver, handed };
}

/** One-hour tokens; after the first, the source answers as `then` says. */
function source(then: 'ok' | 'fail' | 'hang') {
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls > 1 && then === 'fail') throw new Error('IAM is down');
    if (calls > 1 && then === 'hang') return new Promise<never>(() => {});
    return { token: `token-${calls}`, expiresAt: new Date(Date.now() + HOUR), privateKey: PEM };
  };
}

const providers: TokenProvider[] = [];
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});

async function poolNearExpiry(then: 'ok' | 'fail' | 'hang') {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  const provider = tokenProvider(source(then), { fetchTimeout: 5 * MIN });
  providers.push(provider);
  const { driver, handed } = fakeDriver();
  const pool = await createOracledbPoolWith(driver, { token: provider, connectString: 'tcps://db.example.com:1522/svc' });
  // 20 s before the pool token's expiry: inside the adapter's swap margin (30 s for a one-hour token).
  await vi.advanceTimersByTimeAsync(HOUR - 20_000);
  return { pool, handed };
}

describe('a pool token near expiry, and the provider at that moment', () => {
  it('has a fresh token: the pool is handed it before the connection', async () => {
    const { pool, handed } = await poolNearExpiry('ok');
    const conn = await pool.getConnection();
    expect(conn).toBeDefined();
    expect(handed).toEqual(['token-1', 'token-2']);
  });

  it.each(['fail', 'hang'] as const)('cannot get one (IAM %s): the connection goes ahead with the token the pool holds', async (then) => {
    const { pool, handed } = await poolNearExpiry(then);
    const conn = pool.getConnection();
    // At most the 20 s the held token has left; the fetch, if hanging, is left to its own deadline.
    await vi.advanceTimersByTimeAsync(20_000);
    await expect(conn).resolves.toBeDefined();
    expect(handed).toEqual(['token-1']);
  });
});
