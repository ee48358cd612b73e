import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIamPool, type TokenProvider } from 'dbtoken';
import { awsDsqlToken } from 'dbtoken/aws';
import { createPostgresJs } from 'dbtoken/postgres';
import type { VerifyingPostgres } from 'dbtoken/testing';
import { pgCanaryRun, pgLoginWith, tracked } from '../helpers/pg-logins.js';
import { DSQL_ARNS, REGION, otherKeys, startVerifyingDsql, staticKeys, temporaryKeys } from '../helpers/aws.js';

/**
 * Aurora DSQL tokens against a private PostgreSQL that checks them as a DSQL
 * cluster does: DbConnect for roles granted to the signer's IAM identity with
 * AWS IAM GRANT, DbConnectAdmin for admin only.
 */
const { app: APP_ARN, other: OTHER_ARN } = DSQL_ARNS;

let db: VerifyingPostgres;
let skew = 0;
const track = tracked();

beforeAll(async () => {
  db = await startVerifyingDsql(() => Date.now() + skew);
}, 120_000);

afterEach(() => {
  skew = 0;
});

afterAll(() => db?.close());

function dsql(over: Partial<Parameters<typeof awsDsqlToken>[0]> = {}, options?: Parameters<typeof awsDsqlToken>[1]): TokenProvider {
  const p = awsDsqlToken({ hostname: '127.0.0.1', username: 'app', region: REGION, credentials: staticKeys, ...over }, options);
  track.provider(p);
  return p;
}

const pgPool = (token: TokenProvider, extra?: Record<string, unknown>): Promise<pg.Pool> => track.pgPool(db, token, extra);

const loginWith = (user: string, password: string): Promise<string> => pgLoginWith(db, user, password);

const lastLogin = () => db.logins.at(-1);

describe('Aurora DSQL tokens against a PostgreSQL that checks them as DSQL does', () => {
  it('pg: a role granted to the signing identity logs in with DbConnect tokens, in the postgres database, over TLS; its pool recycles connections at 55 minutes', async () => {
    const pool = await pgPool(dsql());
    const row = (await pool.query('select session_user as u, current_database() as d, ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0];
    expect(row).toEqual({ u: 'app', d: 'postgres', ssl: true });
    expect(lastLogin()).toMatchObject({ user: 'app', ok: true });
    expect((pool as unknown as { options: { maxLifetimeSeconds: number } }).options.maxLifetimeSeconds).toBe(3300);
  });

  it('postgres.js: the same role logs in, and a second query reuses the token', async () => {
    const token = dsql();
    const sql = createPostgresJs({ token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca } });
    track.closeLater(() => sql.end());
    expect((await sql`select session_user as u`)[0]).toEqual({ u: 'app' });
    expect(token.status().lastFetchAt).toBeInstanceOf(Date);
  });

  it('admin logs in with DbConnectAdmin tokens (admin: true), through createIamPool with postgres.js', async () => {
    const sql = await createIamPool({ driver: 'postgres', token: dsql({ username: undefined, admin: true }), host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca } });
    track.closeLater(() => sql.end());
    expect((await sql`select session_user as u`)[0]).toEqual({ u: 'admin' });
  });

  it('temporary credentials (a Lambda role, its session token in the token) log in as the role granted to the assumed role', async () => {
    const pool = await pgPool(dsql({ credentials: temporaryKeys }));
    expect((await pool.query('select session_user as u')).rows[0].u).toBe('app');
  });

  describe('the server refuses with 28000, and says why', () => {
    it('an admin token for a role, and a role token for admin', async () => {
      const adminToken = (await dsql({ username: undefined, admin: true }).getToken()).token;
      expect(await loginWith('app', adminToken)).toMatch(/^refused 28000: /);
      expect(lastLogin()?.reason).toMatch(/Action is not DbConnect/);
      const appToken = (await dsql().getToken()).token;
      expect(await loginWith('admin', appToken)).toMatch(/^refused 28000: /);
      expect(lastLogin()?.reason).toMatch(/Action is not DbConnectAdmin/);
    });

    it('a valid token for a role not granted to the signing identity, until AWS IAM GRANT, and again after AWS IAM REVOKE', async () => {
      const token = (await dsql({ credentials: otherKeys }).getToken()).token;
      expect(await loginWith('app', token)).toMatch(/^refused 28000: /);
      expect(lastLogin()?.reason).toBe(`role app is not granted to ${OTHER_ARN} (AWS IAM GRANT)`);
      expect(await loginWith('reporting', (await dsql({ username: 'reporting' }).getToken()).token)).toMatch(/^refused 28000: /);
      await db.admin(`AWS IAM GRANT app TO '${OTHER_ARN}'`);
      try {
        expect(await loginWith('app', token)).toBe('app');
        expect(await db.admin('SELECT * FROM sys.iam_pg_role_mappings')).toContainEqual({ pg_role_name: 'app', arn: OTHER_ARN });
      } finally {
        await db.admin(`AWS IAM REVOKE app FROM '${OTHER_ARN}'`);
      }
      expect(await loginWith('app', token)).toMatch(/^refused 28000: /);
    });

    it('an expired token, a forged one, one for another host and one for another region', async () => {
      const good = (await dsql({ expiresIn: 60 }).getToken()).token;
      skew = 61_000;
      expect(await loginWith('app', good)).toMatch(/^refused 28000: /);
      expect(lastLogin()?.reason).toBe('token expired');
      skew = 0;
      const forged = (await dsql({ credentials: { accessKeyId: staticKeys.accessKeyId, secretAccessKey: otherKeys.secretAccessKey } }).getToken()).token;
      expect(await loginWith('app', forged)).toMatch(/^refused 28000: /);
      expect(lastLogin()?.reason).toBe('signature does not match');
      const elsewhere = (await dsql({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws' }).getToken()).token;
      expect(await loginWith('app', elsewhere)).toMatch(/^refused 28000: /);
      const otherRegion = (await dsql({ region: 'eu-west-1' }).getToken()).token;
      expect(await loginWith('app', otherRegion)).toMatch(/^refused 28000: /);
      expect(lastLogin()?.reason).toMatch(/region/);
    });

    it('AWS IAM GRANT checks the role and the ARN as DSQL does', async () => {
      await expect(db.admin(`AWS IAM GRANT nobody TO '${APP_ARN}'`)).rejects.toThrow(/does not exist/);
      await expect(db.admin(`AWS IAM GRANT app TO 'not-an-arn'`)).rejects.toThrow(/invalid IAM ARN/);
      await expect(db.admin(`AWS IAM GRANT app TO '${DSQL_ARNS.temporary}'`)).rejects.toThrow(/an STS session cannot be granted/);
      await expect(db.admin(`AWS IAM GRANT app FROM '${APP_ARN}'`)).rejects.toThrow(/syntax error/);
      await expect(db.admin(`AWS IAM REVOKE reporting FROM '${APP_ARN}'`)).rejects.toThrow(/is not granted/);
    });
  });

  it('a refused token (the grant revoked meanwhile) is retried once with a fresh token, then the refusal reaches the caller', async () => {
    await db.admin(`AWS IAM GRANT reporting TO '${APP_ARN}'`);
    track.closeLater(() => db.admin(`AWS IAM REVOKE reporting FROM '${APP_ARN}'`)); // should the test stop before its own revoke
    const token = dsql({ username: 'reporting', expiresIn: 901 }); // an identity of its own: no token cached by the tests above
    let fetched = 0;
    token.on('token', () => fetched++);
    const pool = await pgPool(token);
    expect((await pool.query('select session_user as u')).rows[0].u).toBe('reporting');
    await db.admin(`AWS IAM REVOKE reporting FROM '${APP_ARN}'`);
    const before = db.logins.length;
    const c = await pool.connect();
    c.release(true); // the idle connection logged in before the revoke: sessions outlive grants and tokens
    const err = await Promise.all([pool.connect(), pool.connect()]).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('28000');
    const attempts = db.logins.slice(before);
    expect(attempts.every((l) => !l.ok && /not granted/.test(l.reason ?? ''))).toBe(true);
    expect(fetched).toBeGreaterThanOrEqual(2);
  });

  it('keeps logging in across several token lifetimes on a fast clock, a new token about every 11 minutes', async () => {
    let now = Date.now();
    const provider = dsql({}, { clock: () => now, random: () => 0 });
    const expiries: Date[] = [];
    provider.on('token', (e) => expiries.push(e.expiresAt));
    const pool = await pgPool(provider);
    const before = db.logins.length;
    for (let i = 0; i < 12; i++) {
      const c = await pool.connect();
      expect((await c.query('select session_user as u')).rows[0].u).toBe('app');
      c.release(true);
      now += 4 * 60_000; // 48 minutes in all: over three 15-minute lifetimes
    }
    expect(db.logins.slice(before).map((l) => l.ok)).toEqual(Array(12).fill(true));
    expect(expiries.length).toBeGreaterThanOrEqual(4);
    expect(expiries.length).toBeLessThanOrEqual(6);
  });

  it('freeze and thaw: a process frozen past the token lifetime signs a fresh token before its next login (on-demand, no timer)', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] }); // the wall clock is ours to move; timers stay real
    const provider = dsql({}, { refresh: 'on-demand' });
    const pool = await pgPool(provider, { idleTimeoutMillis: 1_000 });
    const first = await provider.getToken();
    expect((await pool.query('select session_user as u')).rows[0].u).toBe('app');
    // Frozen for 40 minutes: the server (which shares the moved clock) would refuse the old token as expired.
    vi.setSystemTime(Date.now() + 40 * 60_000);
    await db.admin(`select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app'`);
    // The pool drops the idle connection when the server's termination reaches it.
    await vi.waitFor(() => expect(pool.idleCount).toBe(0), { timeout: 10_000 });
    const before = db.logins.length;
    expect((await pool.query('select session_user as u')).rows[0].u).toBe('app');
    expect(db.logins.slice(before).map((l) => l.ok)).toEqual([true]);
    expect((await provider.getToken()).token).not.toBe(first.token);
  });

  it('canary: no token or secret key in errors, events, logs or util.inspect across good and refused logins', async () => {
    const { text, seen, tokens } = await pgCanaryRun(
      (logger) => ({
        good: dsql({ credentials: temporaryKeys }, { logger }),
        refused: dsql({ credentials: otherKeys }, { logger }),
      }),
      pgPool,
    );
    expect(seen).toBeGreaterThan(3);
    for (const t of tokens) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(t.split('X-Amz-Signature=')[1]);
    }
    for (const secret of [temporaryKeys.secretAccessKey, temporaryKeys.sessionToken, otherKeys.secretAccessKey]) expect(text).not.toContain(secret);
  });
});
