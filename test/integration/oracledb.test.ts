import { createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import oracledb from 'oracledb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, InsecureTransportError, isDbTokenError, tokenProvider, type TokenProvider } from 'dbtoken';
import { createOracledbPool, oracledbAccessToken } from 'dbtoken/oracledb';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

/** A db-token shaped like OCI's: a JWT whose `jwk` is the public half of `privateKey`. */
function dbTokenSource(lifetimeMs = 3_600_000) {
  let n = 0;
  const calls: number[] = [];
  const source = async () => {
    calls.push(Date.now());
    n += 1;
    const { publicKey, privateKey } = rsaKeyPairSync(1024);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor((Date.now() + lifetimeMs) / 1000);
    const token = `${b64({ alg: 'RS256' })}.${b64({ sub: 'ocid1.user.oc1..aaaaalice', exp, n, jwk: publicKey.export({ format: 'jwk' }) })}.c2ln`;
    return { token, expiresAt: new Date(exp * 1000), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  };
  return Object.assign(source, { calls });
}

function claims(token: string): { n: number; exp: number; jwk: object } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

function keyMatches(token: string, privateKeyPem: string): boolean {
  const fromToken = createPublicKey({ key: claims(token).jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  const fromKey = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return fromToken.equals(fromKey);
}

// A TCP port that accepts and drops connections: the driver fails fast after its token checks.
let dead: Server;
let deadPort = 0;
beforeAll(async () => {
  dead = createServer((s) => s.destroy());
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  deadPort = (dead.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => dead.close(() => r())));

const providers: TokenProvider[] = [];
const pools: oracledb.Pool[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const p of pools.splice(0)) await p.close(0).catch(() => {});
  for (const p of providers.splice(0)) p.close();
});

const tcps = () => `tcps://127.0.0.1:${deadPort}/adb_high.adb.oraclecloud.com`;

function provider(source: ReturnType<typeof dbTokenSource>, opts = {}) {
  const p = tokenProvider(source, opts);
  providers.push(p);
  return p;
}

describe('oracledb (thin mode) with the accessToken callback', () => {
  it('createPool calls the callback once with refresh=false, and the pool gets { token, privateKey }, with no network traffic', async () => {
    const source = dbTokenSource();
    const cb = oracledbAccessToken(provider(source));
    const seen: { refresh: boolean; token: string; privateKey: string }[] = [];
    let connections = 0;
    dead.on('connection', () => connections++);
    const pool = await oracledb.createPool({
      externalAuth: true,
      homogeneous: true,
      connectString: tcps(),
      poolMin: 0,
      accessToken: async (refresh: boolean) => {
        const r = await cb(refresh);
        seen.push({ refresh, ...r });
        return r;
      },
    } as never);
    pools.push(pool);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.refresh).toBe(false);
    expect(keyMatches(seen[0]!.token, seen[0]!.privateKey)).toBe(true);
    expect(source.calls).toHaveLength(1);
    expect(connections).toBe(0);
    expect(pool).toBeInstanceOf(oracledb.Pool);
  });

  it('when the token has expired on the clock, the next connection calls refresh=true and gets a new token from the provider', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const source = dbTokenSource();
    const cb = oracledbAccessToken(provider(source));
    const seen: { refresh: boolean; n: number }[] = [];
    const pool = await oracledb.createPool({
      externalAuth: true,
      homogeneous: true,
      connectString: tcps(),
      poolMin: 0,
      connectTimeout: 2,
      accessToken: async (refresh: boolean) => {
        const r = await cb(refresh);
        seen.push({ refresh, n: claims(r.token).n });
        return r;
      },
    } as never);
    pools.push(pool);
    vi.setSystemTime(Date.now() + 61 * 60_000); // the driver's token (1 h) has expired
    const err = await pool.getConnection().catch((e: unknown) => e);
    expect((err as Error).message).not.toMatch(/NJS-087/); // not refused as expired: the callback gave a fresh token
    expect(seen).toEqual([
      { refresh: false, n: 1 },
      { refresh: true, n: 2 },
    ]);
    expect(source.calls).toHaveLength(2);
  });

  it('parallel refreshes never pair a token with another token\'s key', async () => {
    const source = dbTokenSource();
    const p = provider(source, { minValidity: 0, refreshBefore: 1 });
    const cb = oracledbAccessToken(p);
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        if (i % 3 === 0) p.invalidate();
        return cb(i % 2 === 0);
      }),
    );
    expect(new Set(results.map((r) => r.token)).size).toBeGreaterThan(1);
    for (const r of results) expect(keyMatches(r.token, r.privateKey)).toBe(true);
  });

  it('never hands the driver a token it would reject as expired (NJS-087)', async () => {
    // The driver itself: an expired token is refused with NJS-087.
    const expired = await dbTokenSource(-60_000)();
    const naive = await oracledb
      .createPool({ externalAuth: true, homogeneous: true, connectString: tcps(), accessToken: async () => ({ token: expired.token, privateKey: expired.privateKey }) } as never)
      .catch((e: unknown) => e);
    expect((naive as Error).message).toMatch(/NJS-087/);
    // dbtoken: a token 10 s from expiry is replaced before the driver sees it.
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const source = dbTokenSource();
    const cb = oracledbAccessToken(provider(source));
    const first = await cb(false);
    vi.setSystemTime(claims(first.token).exp * 1000 - 10_000);
    const second = await cb(false);
    expect(claims(second.token).n).toBe(2);
    expect(claims(second.token).exp * 1000 - Date.now()).toBeGreaterThan(30_000);
  });

  it('a provider failure: createOracledbPool rejects with the provider\'s own error and its cause; the bare callback, through the driver\'s NJS-168', async () => {
    const p = tokenProvider(async () => {
      throw new Error('IAM unreachable');
    }, { retry: { attempts: 1 } });
    providers.push(p);
    const err = await createOracledbPool({ token: p, connectString: tcps() }).catch((e: unknown) => e);
    expect(isDbTokenError(err)).toBe(true);
    expect((err as Error).cause).toMatchObject({ message: 'IAM unreachable' });
    expect(JSON.stringify(err)).not.toMatch(/BEGIN PRIVATE KEY/);
    // Given to the driver directly, the callback's error is replaced by the driver's own.
    const bare = await oracledb
      .createPool({ externalAuth: true, homogeneous: true, connectString: tcps(), accessToken: oracledbAccessToken(p) } as never)
      .catch((e: unknown) => e);
    expect(bare).toMatchObject({ code: 'NJS-168' });
  });
});

describe('createOracledbPool / createIamPool({ driver: "oracledb" })', () => {
  it('returns the driver\'s own pool, with externalAuth and homogeneous set', async () => {
    const source = dbTokenSource();
    const pool = await createIamPool({ driver: 'oracledb', token: provider(source), connectString: tcps(), poolMin: 0, poolMax: 4 });
    pools.push(pool);
    expect(pool).toBeInstanceOf(oracledb.Pool);
    expect(pool.poolMax).toBe(4);
    expect(source.calls).toHaveLength(1);
  });

  it.each([
    ['Easy Connect without tcps://', 'db.example.com:1521/orclpdb'],
    ['tcp://', 'tcp://db.example.com:1521/orclpdb'],
    ['a descriptor with PROTOCOL=TCP', '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=h)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=s)))'],
    ['an alias no tnsnames.ora resolves', 'mydb_high'],
  ])('refuses %s before connecting', async (_n, connectString) => {
    const source = dbTokenSource();
    const err = await createOracledbPool({ token: provider(source), connectString }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsecureTransportError);
    expect(source.calls).toHaveLength(0);
  });

  it('allowInsecureTransport: true accepts a TCP connect string', async () => {
    const pool = await createOracledbPool({ token: provider(dbTokenSource()), connectString: `127.0.0.1:${deadPort}/svc`, allowInsecureTransport: true, poolMin: 0 });
    pools.push(pool);
    expect(pool).toBeInstanceOf(oracledb.Pool);
  });

  it.each([
    ['user', { user: 'admin' }],
    ['password', { password: 'x' }],
    ['externalAuth', { externalAuth: false }],
    ['homogeneous', { homogeneous: false }],
    ['accessToken', { accessToken: 'x' }],
    ['connectString', { connectString: '' }],
  ])('refuses %s with a ConfigError', async (field, extra) => {
    const err = await createOracledbPool({ token: provider(dbTokenSource()), connectString: tcps(), ...extra } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });
});
