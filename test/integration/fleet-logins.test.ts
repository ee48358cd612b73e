import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamPool, tokenProvider, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingMariaDb, startVerifyingPostgres, type RdsTokenVerdict, type VerifiedLogin, type VerifyingMariaDb, type VerifyingPostgres } from 'dbtoken/testing';
import { REGION, staticKeys } from '../helpers/aws.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';

const THROTTLED = 'throttled: over maxLoginsPerSecond';

/** Refuses the next login of a user once, as a throttled direct RDS instance does (the same refusal as a bad token). */
const refuseOnce = new Set<string>();
/** Tokens refused from now on, as if revoked. */
const revoked = new Set<string>();
/** Users whose logins are all refused from now on. */
const refuseAll = new Set<string>();
/** The token of each login the verifier was asked about, per user. */
const seen = new Map<string, string[]>();

function verify(token: string, user: string, checkRds: () => RdsTokenVerdict): RdsTokenVerdict | { ok: false; reason: string } {
  seen.set(user, [...(seen.get(user) ?? []), token]);
  if (user.startsWith('bad_') || refuseAll.has(user)) return { ok: false, reason: 'no such IAM user' };
  if (revoked.has(token)) return { ok: false, reason: 'revoked' };
  if (refuseOnce.delete(user)) return { ok: false, reason: 'throttled (simulated)' };
  return checkRds();
}

/** A provider of its own (no token shared with another test), counting the tokens it fetched. */
function provider(db: { host: string; port: number }, username: string): { token: TokenProvider; fetched: () => number } {
  let fetched = 0;
  const token = awsRdsToken({ hostname: db.host, port: db.port, username, region: REGION, credentials: staticKeys }, { cacheKey: `fleet-${username}-${Math.random()}` });
  token.on('token', () => fetched++);
  return { token, fetched: () => fetched };
}

let aliases = 0;
/**
 * A provider whose target is an endpoint of its own (as for a tunnel: the pool dials the server, and the
 * pace is the target's), so that a test's slow pace does not hold the other tests' logins.
 */
function aliased(db: { host: string; port: number }, username: string): TokenProvider {
  const inner = provider(db, username).token;
  const token = tokenProvider(({ signal }) => inner.getToken({ signal }), { target: { host: `alias-${++aliases}.test`, port: db.port, user: username } });
  token.on('error', () => {});
  const close = token.close.bind(token);
  return Object.assign(token, {
    close() {
      close();
      inner.close();
    },
  });
}

/** The logins of `user` recorded since `from`. */
const loginsOf = (logins: readonly VerifiedLogin[], user: string, from: number) => logins.slice(from).filter((l) => l.user === user);

/** Lets the server's one-second login window empty, so that tests do not share it. */
const quiet = () => delay(1_100);

describe('fleet-safe logins with pg against a PostgreSQL that refuses logins past 50 a second', () => {
  let db: VerifyingPostgres;
  beforeAll(async () => {
    db = await startVerifyingPostgres({
      users: ['burst_default', 'burst_fast', 'throttled_once', 'bad_user', 'revoked_user', 'reuse', 'pgjs_fast'],
      region: REGION,
      credentials: staticKeys,
      maxLoginsPerSecond: 50,
      maxConnections: 340,
      verify,
    });
  }, 120_000);
  afterAll(() => db?.close());

  /** Opens `n` connections at once and holds them all; returns what the application saw. */
  async function openAtOnce(pool: pg.Pool, n: number): Promise<{ connected: number; refused: unknown[] }> {
    const settled = await Promise.allSettled(Array.from({ length: n }, () => pool.connect()));
    const clients = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const c of clients) c.release();
    return { connected: clients.length, refused: settled.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])) };
  }

  it('a pool of 300 connections opened at once, with the default pace for RDS tokens: no refusal at all', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'burst_default');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 300 });
    try {
      const seenByApp = await openAtOnce(pool, 300);
      expect(seenByApp.refused).toEqual([]);
      expect(seenByApp.connected).toBe(300);
      const logins = loginsOf(db.logins, 'burst_default', from);
      expect(logins.filter((l) => !l.ok)).toEqual([]);
      expect(logins).toHaveLength(300);
      expect(fetched()).toBe(1);
      expect(token.status().throttledLogins).toBe(0);
    } finally {
      await pool.end();
      token.close();
    }
  }, 120_000);

  it('a pool of 300 paced above the server’s rate (a neighbour shares it): the server refuses some, the application none, and one token serves them all', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'burst_fast');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 300, loginRate: { perSecond: 60, burst: 10 } });
    try {
      const seenByApp = await openAtOnce(pool, 300);
      expect(seenByApp.refused).toEqual([]);
      expect(seenByApp.connected).toBe(300);
      const logins = loginsOf(db.logins, 'burst_fast', from);
      const throttled = logins.filter((l) => !l.ok);
      expect(throttled.length).toBeGreaterThan(0);
      expect(new Set(throttled.map((l) => l.reason))).toEqual(new Set([THROTTLED]));
      expect(logins.filter((l) => l.ok)).toHaveLength(300);
      expect(token.status().throttledLogins).toBe(throttled.length);
      expect(fetched()).toBe(1);
      expect(new Set(seen.get('burst_fast'))).toHaveProperty('size', 1);
    } finally {
      await pool.end();
      token.close();
    }
  }, 120_000);

  it('a refusal of a token the server accepted before is retried after a backoff with that same token, without a fetch', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'throttled_once');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 2 });
    try {
      const first = await pool.connect();
      refuseOnce.add('throttled_once');
      const second = await pool.connect(); // refused once, then let in
      expect((await second.query('select session_user as u')).rows).toEqual([{ u: 'throttled_once' }]);
      first.release();
      second.release();
      expect(loginsOf(db.logins, 'throttled_once', from).map((l) => [l.ok, l.reason])).toEqual([
        [true, undefined],
        [false, 'throttled (simulated)'],
        [true, undefined],
      ]);
      const tokens = seen.get('throttled_once')!;
      expect(tokens).toHaveLength(3);
      expect(new Set(tokens).size).toBe(1);
      expect(fetched()).toBe(1);
      expect(token.status().throttledLogins).toBe(1);
    } finally {
      await pool.end();
      token.close();
    }
  }, 60_000);

  it('a bad token still fails after its bounded retry: two logins, a fresh token for the second', async () => {
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'bad_user');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 1 });
    try {
      await expect(pool.connect()).rejects.toMatchObject({ code: '28000' });
      expect(loginsOf(db.logins, 'bad_user', from).map((l) => l.ok)).toEqual([false, false]);
      expect(fetched()).toBe(2);
      expect(token.status().throttledLogins).toBe(0);
    } finally {
      await pool.end();
      token.close();
    }
  }, 60_000);

  it('a token refused after it was accepted (revoked) is retried as a throttle 5 times, then once with a fresh token, which gets in', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'revoked_user');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 2 });
    try {
      const first = await pool.connect();
      const old = (await token.getToken()).token;
      revoked.add(old);
      const second = await pool.connect();
      first.release();
      second.release();
      expect(loginsOf(db.logins, 'revoked_user', from).map((l) => [l.ok, l.reason])).toEqual([
        [true, undefined],
        ...Array.from({ length: 6 }, () => [false, 'revoked']),
        [true, undefined],
      ]);
      expect(fetched()).toBe(2);
      expect(token.status().throttledLogins).toBe(5);
      expect((await token.getToken()).token).not.toBe(old);
    } finally {
      await pool.end();
      token.close();
    }
  }, 60_000);

  it('a server that refuses every login, even of a token it accepted: the application gets the refusal after at most 7 logins', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'revoked_user');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 2 });
    try {
      const first = await pool.connect();
      refuseAll.add('revoked_user');
      await expect(pool.connect()).rejects.toMatchObject({ code: '28000' });
      first.release();
      expect(loginsOf(db.logins, 'revoked_user', from).map((l) => l.ok)).toEqual([true, false, false, false, false, false, false, false]);
      expect(fetched()).toBe(2);
      expect(token.status().throttledLogins).toBe(5);
    } finally {
      refuseAll.delete('revoked_user');
      await pool.end();
      token.close();
    }
  }, 60_000);

  it('pacing never delays a connection that is already open: with one login per 100 s, an idle connection is reused at once while a new one waits', async () => {
    await quiet(); // a login the server refuses for its rate would wait its next slot, 100 s away
    const from = db.logins.length;
    const token = aliased(db, 'reuse');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 2, loginRate: { perSecond: 0.01 } });
    const first = await pool.connect();
    first.release();
    for (let i = 0; i < 20; i++) expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    const held = await pool.connect();
    const third = pool.connect(); // a new login: it waits for its slot, 100 s away
    third.catch(() => {});
    expect(await Promise.race([third.then(() => 'connected'), delay(500).then(() => 'waiting')])).toBe('waiting');
    expect(loginsOf(db.logins, 'reuse', from)).toHaveLength(1);
    held.release();
    // Ending the pool gives up the wait; nothing hangs.
    await pool.end();
    await expect(third).rejects.toBeInstanceOf(Error);
    token.close();
  }, 60_000);

  it("pg's connectionTimeoutMillis ends a wait for a login slot: the caller gets pg's timeout", async () => {
    await quiet(); // a login the server refuses for its rate would wait its next slot, 100 s away
    const token = aliased(db, 'reuse');
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 3, connectionTimeoutMillis: 300, loginRate: { perSecond: 0.01 } });
    try {
      const first = await pool.connect();
      const err = await pool.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/timeout/i);
      first.release();
    } finally {
      await pool.end();
      token.close();
    }
  }, 60_000);

  it("postgres.js's connect_timeout ends a wait for a login slot", async () => {
    await quiet(); // a login the server refuses for its rate would wait its next slot, 100 s away
    const token = aliased(db, 'reuse');
    const sql = await createIamPool({ driver: 'postgres', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 2, connect_timeout: 1, loginRate: { perSecond: 0.01 } });
    try {
      (await sql.reserve()).release();
      const held = await sql.reserve();
      const err = await sql`select 1`.catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('CONNECT_TIMEOUT');
      held.release();
    } finally {
      await sql.end();
      token.close();
    }
  }, 60_000);

  it('postgres.js: sql.end({ timeout: 0 }) stops the logins still waiting for their slot, and nothing holds the process after it', async () => {
    await quiet(); // a login the server refuses for its rate would wait its next slot, 100 s away
    ensureBuilt();
    // A process of its own: its queries wait for slots 2 s apart, it ends the pool, and must then exit by
    // itself, long before postgres.js's connect_timeout (30 s) would have ended a socket still opening.
    const script = `
      const { tokenProvider, createIamPool } = await import('dbtoken');
      const { awsRdsToken } = await import('dbtoken/aws');
      const o = JSON.parse(process.env.FLEET_DB);
      const inner = awsRdsToken({ hostname: o.host, port: o.port, username: 'reuse', region: o.region, credentials: o.credentials });
      const token = tokenProvider(({ signal }) => inner.getToken({ signal }), { target: { host: 'alias-child.test', port: o.port, user: 'reuse' } });
      const sql = await createIamPool({ driver: 'postgres', token, host: o.host, port: o.port, database: o.database, ssl: { ca: o.ca }, max: 3, loginRate: { perSecond: 0.5 } });
      const queries = Array.from({ length: 3 }, () => sql\`select 1\`.execute());
      for (const q of queries) q.catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      await sql.end({ timeout: 0 });
      const settled = await Promise.allSettled(queries);
      token.close();
      inner.close();
      console.log(settled.map((r) => r.status).join(','));
    `;
    const from = db.logins.length;
    const env = { FLEET_DB: JSON.stringify({ host: db.host, port: db.port, database: db.database, ca: db.ca, region: REGION, credentials: staticKeys }) };
    const r = await runNode(['--input-type=module', '-e', script], { env, timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('fulfilled,rejected,rejected');
    await delay(4_500); // the second and third slots (2 s and 4 s in) have passed: nobody logs in at them
    expect(loginsOf(db.logins, 'reuse', from)).toHaveLength(1);
  }, 60_000);

  it('postgres.js: 60 queries at once on 60 connections, paced above the server’s rate: every query runs, one token', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'pgjs_fast');
    const sql = await createIamPool({ driver: 'postgres', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 60, loginRate: { perSecond: 60, burst: 20 } });
    try {
      const results = await Promise.allSettled(Array.from({ length: 60 }, () => sql`select pg_sleep(0.5), session_user as u`));
      expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([]);
      const logins = loginsOf(db.logins, 'pgjs_fast', from);
      expect(logins.filter((l) => l.ok)).toHaveLength(60);
      expect(token.status().throttledLogins).toBe(logins.filter((l) => !l.ok).length);
      expect(fetched()).toBe(1);
    } finally {
      await sql.end();
      token.close();
    }
  }, 120_000);
});

describe('fleet-safe logins with mysql2 against a MariaDB that refuses logins past 20 a second', () => {
  let db: VerifyingMariaDb;
  beforeAll(async () => {
    db = await startVerifyingMariaDb({ users: ['my_fast', 'my_reuse', 'bad_my'], region: REGION, credentials: staticKeys, maxLoginsPerSecond: 20, maxConnections: 120, verify });
    for (const user of ['my_fast', 'my_reuse']) await db.admin(`GRANT ALL ON *.* TO '${user}'@'%'`);
  }, 120_000);
  afterAll(() => db?.close());

  it('60 connections at once, paced above the server’s rate: the application sees no refusal, one token serves them all', async () => {
    await quiet();
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'my_fast');
    const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, ssl: { ca: db.ca }, connectionLimit: 60, loginRate: { perSecond: 30, burst: 5 } });
    try {
      const settled = await Promise.allSettled(Array.from({ length: 60 }, () => pool.getConnection()));
      for (const r of settled) if (r.status === 'fulfilled') r.value.release();
      expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
      const logins = loginsOf(db.logins, 'my_fast', from);
      expect(logins.filter((l) => !l.ok).length).toBeGreaterThan(0);
      expect(logins.filter((l) => l.ok)).toHaveLength(60);
      expect(token.status().throttledLogins).toBe(logins.filter((l) => !l.ok).length);
      expect(fetched()).toBe(1);
    } finally {
      await pool.end();
      token.close();
    }
  }, 120_000);

  it('a bad token fails after two logins', async () => {
    const from = db.logins.length;
    const { token, fetched } = provider(db, 'bad_my');
    const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, ssl: { ca: db.ca }, connectionLimit: 1 });
    try {
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({ errno: 1045 });
      expect(loginsOf(db.logins, 'bad_my', from).map((l) => l.ok)).toEqual([false, false]);
      expect(fetched()).toBe(2);
    } finally {
      await pool.end();
      token.close();
    }
  }, 60_000);

  it('more calls at once than connectionLimit: none opens a connection without its slot, and a released connection serves the calls waiting for one', async () => {
    await quiet(); // a login the server refuses for its rate would wait its next slot, 100 s away
    const from = db.logins.length;
    const token = aliased(db, 'my_reuse');
    const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, ssl: { ca: db.ca }, connectionLimit: 5, loginRate: { perSecond: 0.01 } });
    // The first call logs in at once; the next logins would be 100 s apart. Every call is served by the first
    // connection as it is released: those that waited for a slot stop waiting, the rest never start.
    const served = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.query<any[]>('SELECT ? AS i', [i]).then(([rows]) => rows[0].i as number)));
    expect(served).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(loginsOf(db.logins, 'my_reuse', from)).toHaveLength(1);
    await pool.end();
    token.close();
  }, 60_000);

  it('pacing never delays a connection that is already open: queries reuse the free connection while a new one waits its slot', async () => {
    await quiet(); // a login the server refuses for its rate would wait its next slot, 100 s away
    const from = db.logins.length;
    const token = aliased(db, 'my_reuse');
    const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, ssl: { ca: db.ca }, connectionLimit: 2, loginRate: { perSecond: 0.01 } });
    for (let i = 0; i < 20; i++) expect((await pool.query<any[]>('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
    const held = await pool.getConnection();
    const second = pool.getConnection();
    second.catch(() => {});
    expect(await Promise.race([second.then(() => 'connected'), delay(500).then(() => 'waiting')])).toBe('waiting');
    expect(loginsOf(db.logins, 'my_reuse', from)).toHaveLength(1);
    held.release();
    await pool.end();
    await expect(second).rejects.toBeInstanceOf(Error);
    token.close();
  }, 60_000);
});
