import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamPool, InsecureTransportError, TokenUnavailableError, tokenProvider, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool, pgPassword } from 'dbtoken/pg';
import { mockTokenSource, staticToken } from 'dbtoken/testing';
import { REGION, otherKeys, staticKeys, temporaryKeys, tokenSignedAt, type RdsTarget } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

let db: IamPostgres;
const providers: TokenProvider[] = [];
const pools: pg.Pool[] = [];

beforeAll(async () => {
  db = await startIamPostgres();
});

afterAll(async () => {
  for (const p of pools) await p.end().catch(() => {});
  for (const p of providers) p.close();
  await db?.stop();
});

function rds(over: Partial<Parameters<typeof awsRdsToken>[0]> = {}, options?: Parameters<typeof awsRdsToken>[1]) {
  const p = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: staticKeys, ...over }, options);
  providers.push(p);
  return p;
}

async function iamPool(token: TokenProvider, extra: Record<string, unknown> = {}) {
  const pool = await createIamPool({ driver: 'pg', token, database: 'postgres', ssl: { ca: db.ca }, host: db.host, port: db.port, ...extra });
  pools.push(pool);
  return pool;
}

/** Opens one new physical connection, runs `sql`, and destroys the connection. */
async function freshConnection(pool: pg.Pool, sql = 'select session_user as u') {
  const client = await pool.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    client.release(true);
  }
}

const signedAt = (msAgo: number, over: Partial<RdsTarget> = {}) => tokenSignedAt(db.port, msAgo, over);

describe('pg pools against a real PostgreSQL that checks RDS tokens (ldap + verifier, TLS)', () => {
  it('a good token logs in over TLS, and the pool is pg\'s own Pool', async () => {
    const pool = await iamPool(rds());
    expect(pool).toBeInstanceOf(pg.Pool);
    const row = await freshConnection(pool, 'select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()');
    expect(row).toEqual({ u: 'iam_alice', ssl: true });
    expect(db.ldap.binds.at(-1)).toMatchObject({ user: 'iam_alice', ok: true });
  });

  it('takes user, host and port from the provider when the pool gives none', async () => {
    const pool = createPgPool({ token: rds({ username: 'iam_bob' }), database: 'postgres', ssl: { ca: db.ca } });
    pools.push(pool);
    expect((await pool.query('select session_user as u')).rows[0].u).toBe('iam_bob');
  });

  it('a token signed with temporary credentials (about 1,250+ characters) logs in', async () => {
    const provider = rds({ credentials: temporaryKeys });
    expect((await provider.getToken()).token.length).toBeGreaterThan(1_200);
    const pool = await iamPool(provider);
    expect((await freshConnection(pool)).u).toBe('iam_alice');
  });

  describe('the server itself refuses bad tokens with 28000', () => {
    const cases: [string, () => Promise<string>][] = [
      ['an expired token', () => signedAt(16 * 60_000)],
      ['a token signed with the wrong secret', () => signedAt(0, { credentials: { accessKeyId: staticKeys.accessKeyId, secretAccessKey: otherKeys.secretAccessKey } })],
      ['a token for another user', () => signedAt(0, { username: 'iam_bob' })],
      ['a token for another host', () => signedAt(0, { hostname: 'db.elsewhere.internal' })],
      ['a token for another port', () => signedAt(0, { port: db.port + 1 })],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const bad = await make();
      // Plain pg.Client: one login, the server's own answer.
      const client = new pg.Client({ host: db.host, port: db.port, user: 'iam_alice', database: 'postgres', password: bad, ssl: { ca: db.ca } });
      const err = await client.connect().catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('28000');
      await client.end().catch(() => {});
      // Through the IAM pool: refused, retried exactly once, then the server's error.
      const before = db.ldap.binds.length;
      const provider = staticToken(bad);
      providers.push(provider);
      const pool = await iamPool(provider, { user: 'iam_alice' });
      const err2 = await pool.query('select 1').catch((e: unknown) => e);
      expect((err2 as { code?: string }).code).toBe('28000');
      expect(db.ldap.binds.slice(before).map((b) => b.ok)).toEqual([false, false]);
    });
  });

  it('keeps opening new connections across several token lifetimes on a fake clock, each with a valid token', async () => {
    let now = Date.now();
    const clock = (): number => now;
    const provider = rds({}, { clock, random: () => 0 }); // no refresh jitter: the cadence below is exact
    const fetched: Date[] = [];
    provider.on('token', (e) => fetched.push(e.expiresAt));
    const pool = await iamPool(provider);
    const before = db.ldap.binds.length;
    for (let i = 0; i < 12; i++) {
      expect((await freshConnection(pool)).u).toBe('iam_alice');
      now += 4 * 60_000; // 48 minutes in all: more than three 15-minute lifetimes
    }
    const binds = db.ldap.binds.slice(before);
    expect(binds).toHaveLength(12);
    expect(binds.every((b) => b.ok)).toBe(true);
    // 15-min tokens refreshed 225 s ahead: a new token about every 11 minutes of clock.
    expect(fetched.length).toBeGreaterThanOrEqual(4);
    expect(fetched.length).toBeLessThanOrEqual(6);
  });

  it('a token revoked at the verifier after it was accepted: retried as a throttle (same token) 5 times, then once with a fresh token, which recovers', async () => {
    const provider = rds();
    const pool = await iamPool(provider);
    await freshConnection(pool);
    const revokedToken = (await provider.getToken()).token;
    db.revoked.add(revokedToken);
    // RDS tokens carry a one-second timestamp: a token signed again within the
    // same second would be the same string, and so revoked too.
    await new Promise((r) => setTimeout(r, 1_100));
    const before = db.ldap.binds.length;
    expect((await freshConnection(pool)).u).toBe('iam_alice');
    expect(db.ldap.binds.slice(before).map((b) => [b.ok, b.reason])).toEqual([
      ...Array.from({ length: 6 }, () => [false, 'revoked']),
      [true, undefined],
    ]);
    expect((await provider.getToken()).token).not.toBe(revokedToken);
    db.revoked.clear();
  });

  it('a user the server refuses causes exactly one retry per connection, never a storm', async () => {
    const provider = rds({ credentials: otherKeys }); // a key IAM does not know
    const pool = await iamPool(provider, { max: 5 });
    const before = db.ldap.binds.length;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => pool.query('select 1')));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === '28000')).toBe(true);
    expect(db.ldap.binds.length - before).toBe(10);
  });

  it('a provider error reaches pool.query() as the provider\'s own DbTokenError', async () => {
    const source = mockTokenSource();
    source.fails(new Error('STS is down'));
    const provider = tokenProvider(source, { retry: { attempts: 1 } });
    providers.push(provider);
    const pool = await iamPool(provider, { user: 'iam_alice' });
    const err = await pool.query('select 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as TokenUnavailableError).code).toBe('ERR_DBTOKEN_UNAVAILABLE');
    expect(((err as Error).cause as Error).message).toBe('STS is down');
  });

  describe('transport security', () => {
    it.each([
      ['ssl not set', { ssl: undefined }],
      ['ssl: false', { ssl: false }],
      ['sslmode=disable in the connection string', { ssl: undefined, host: undefined, port: undefined, connectionString: 'postgres://localhost:1/postgres?sslmode=disable' }],
    ])('refuses %s before connecting', async (_n, extra) => {
      const before = db.ldap.binds.length;
      const provider = rds();
      const err = await iamPool(provider, extra).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InsecureTransportError);
      expect((err as InsecureTransportError).code).toBe('ERR_DBTOKEN_INSECURE_TRANSPORT');
      expect(db.ldap.binds.length).toBe(before);
    });

    it('allowInsecureTransport: true sends the token over plain TCP when the caller opts in', async () => {
      const pool = await iamPool(rds({ username: 'iam_plain' }), { ssl: false, allowInsecureTransport: true });
      expect(await freshConnection(pool, 'select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()')).toEqual({ u: 'iam_plain', ssl: false });
    });

    it('pgPassword (for ORMs) refuses an unencrypted connection at login time', async () => {
      const before = db.ldap.binds.length;
      const client = new pg.Client({ host: db.host, port: db.port, user: 'iam_plain', database: 'postgres', ssl: false, password: pgPassword(rds({ username: 'iam_plain' })) });
      const err = await client.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InsecureTransportError);
      await client.end().catch(() => {});
      expect(db.ldap.binds.length).toBe(before);
    });

    it('pgPassword logs a plain pg.Client in over TLS', async () => {
      const client = new pg.Client({ host: db.host, port: db.port, user: 'iam_alice', database: 'postgres', ssl: { ca: db.ca }, password: pgPassword(rds()) });
      await client.connect();
      expect((await client.query('select session_user as u')).rows[0].u).toBe('iam_alice');
      await client.end();
    });
  });
});
