import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenProvider, type TokenProvider } from 'dbtoken';
import { oracledbAccessToken, type OracledbAccessToken } from 'dbtoken/oracledb';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

// How often an oracledb pool makes dbtoken call IAM. The driver's pool asks the accessToken callback again,
// with refresh true, only once the exp of the token it holds has passed (node-oracledb lib/thin/pool.js,
// _getConnAttrs); the provider refreshes ahead of expiry in the background. `npm run bench` measures the same
// with the real pool and real logins; here the pool's rule runs on a fake clock over many hours.

const MIN = 60_000;
const HOUR = 60 * MIN;
const { privateKey } = rsaKeyPairSync(1024);
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** One-hour db-tokens shaped like OCI's (a JWT with a whole-second exp), and when each was fetched. */
function oneHourTokens() {
  const fetchedAt: number[] = [];
  const source = async () => {
    fetchedAt.push(Date.now());
    const exp = Math.floor((Date.now() + HOUR) / 1000);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return { token: `${b64({ alg: 'RS256' })}.${b64({ exp, n: fetchedAt.length })}.c2ln`, expiresAt: new Date(exp * 1000), privateKey: PEM };
  };
  return Object.assign(source, { fetchedAt });
}

const expOf = (t: OracledbAccessToken): number => JSON.parse(Buffer.from(t.token.split('.')[1]!, 'base64url').toString()).exp * 1000;

/** The thin pool's token rule, for one new connection; records whether the callback had to wait for IAM. */
function poolTokenRule(callback: (refresh: boolean) => Promise<OracledbAccessToken>, source: ReturnType<typeof oneHourTokens>) {
  let held: OracledbAccessToken | undefined;
  const waitedForIam: number[] = [];
  return {
    waitedForIam,
    async newConnection(): Promise<void> {
      const before = source.fetchedAt.length;
      if (held === undefined) held = await callback(false);
      else if (Date.now() > expOf(held)) {
        held = await callback(true);
        if (source.fetchedAt.length > before) waitedForIam.push(Date.now());
      }
      if (Date.now() > expOf(held)) throw new Error('NJS-087: the token has expired');
    },
  };
}

const providers: TokenProvider[] = [];
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});

function setup() {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  const source = oneHourTokens();
  const provider = tokenProvider(source, { random: () => 0 }); // defaults: refresh 15 min ahead (a quarter of the hour); no jitter, so the cadence is exact
  providers.push(provider);
  return { source, pool: poolTokenRule(oracledbAccessToken(provider), source) };
}

describe('oracledbAccessToken with the pool asking only once its token has expired', () => {
  it('a busy pool: one IAM call per 45 minutes after the first token (60/45 per hour), and no connection waits for IAM at a rollover', async () => {
    const { source, pool } = setup();
    for (let t = 0; t < 10 * HOUR; t += MIN) {
      await pool.newConnection();
      await vi.advanceTimersByTimeAsync(MIN);
    }
    const gaps = source.fetchedAt.slice(1).map((t, i) => t - source.fetchedAt[i]!);
    expect(gaps).toEqual(gaps.map(() => 45 * MIN));
    expect(source.fetchedAt).toHaveLength(1 + Math.floor((10 * HOUR - 1) / (45 * MIN)));
    expect(pool.waitedForIam).toEqual([]);
  });

  it('a pool that stops opening connections: at most one more IAM call, not one every 45 minutes', async () => {
    const { source, pool } = setup();
    for (let t = 0; t < 2 * HOUR; t += MIN) {
      await pool.newConnection();
      await vi.advanceTimersByTimeAsync(MIN);
    }
    const busy = source.fetchedAt.length;
    await vi.advanceTimersByTimeAsync(5 * HOUR);
    expect(source.fetchedAt.length - busy).toBeLessThanOrEqual(1);
    // Back to work: the next connection gets a fresh token, waiting for it once.
    await pool.newConnection();
    expect(pool.waitedForIam).toHaveLength(1);
  });
});
