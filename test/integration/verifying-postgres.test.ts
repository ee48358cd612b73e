import { existsSync } from 'node:fs';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingPostgres, type VerifyingPostgres } from 'dbtoken/testing';
import { startPostgresWith } from '../../src/testing/postgres/server.js';
import { systemDeps, type SystemDeps } from '../../src/testing/system.js';
import { REGION, otherKeys, staticKeys } from '../helpers/aws.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';
import { pgLogin } from '../helpers/pg-logins.js';
import { processesLeft, processesMentioning } from '../helpers/processes.js';

const signed = async (port: number, username: string, over: Partial<Parameters<typeof awsRdsToken>[0]> = {}): Promise<string> => {
  const p = awsRdsToken({ hostname: '127.0.0.1', port, username, region: REGION, credentials: staticKeys, ...over }, { cacheKey: `verifying-pg-${Math.random()}` });
  try {
    return (await p.getToken()).token;
  } finally {
    p.close();
  }
};

const login = pgLogin;

/** Whether a server and its folder are gone: no folder, no process naming it, nothing listening. */
async function gone(db: VerifyingPostgres): Promise<{ dir: boolean; processes: number[]; listening: boolean }> {
  const listening = await new pg.Client({ host: db.host, port: db.port, user: 'app', connectionTimeoutMillis: 2_000 })
    .connect()
    .then(() => true)
    .catch((err: { code?: string }) => err.code !== 'ECONNREFUSED');
  return { dir: existsSync(db.tempDir), processes: processesMentioning(db.tempDir), listening };
}

describe('startVerifyingPostgres: a PostgreSQL that checks RDS tokens', () => {
  let db: VerifyingPostgres;
  beforeAll(async () => {
    db = await startVerifyingPostgres({ users: ['app', 'reporting'], region: REGION, credentials: staticKeys, maxConnections: 2, insecureUsers: ['plain_app'] });
  });
  afterAll(() => db?.close());

  it('lets pg log in with an awsRdsToken over TLS, and the user works in the database it returns', async () => {
    const token = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: REGION, credentials: staticKeys });
    const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, max: 1 });
    try {
      const { rows } = await pool.query('select session_user as u, current_database() as d, ssl from pg_stat_ssl where pid = pg_backend_pid()');
      expect(rows[0]).toEqual({ u: 'app', d: 'app', ssl: true });
      await pool.query('create table orders (id int)');
      await pool.query('insert into orders values (1)');
      expect(await db.admin('select count(*)::int as n from orders')).toEqual([{ n: 1 }]);
    } finally {
      await pool.end();
      token.close();
    }
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: true });
    expect(db.logins.at(-1)!.at).toBeInstanceOf(Date);
  });

  it('takes a token signed for localhost as well as 127.0.0.1', async () => {
    const c = await login(db, 'reporting', await signed(db.port, 'reporting', { hostname: 'localhost' }), { host: 'localhost' });
    expect((await c.query('select session_user as u')).rows).toEqual([{ u: 'reporting' }]);
    await c.end();
  });

  it.each([
    ['signed with a key IAM does not know', { credentials: otherKeys }, 'unknown access key'],
    ['signed with the wrong secret', { credentials: { ...staticKeys, secretAccessKey: 'not-the-secret' } }, 'signature does not match'],
    ['for another user', { username: 'reporting' }, 'token is for another user'],
    ['for another port', { port: 1 }, 'token is for another host or port'],
    ['for another region', { region: 'eu-west-1' }, 'token is for another region'],
  ])('refuses a token %s (28000) and records why, without the token', async (_n, over, reason) => {
    const { username, ...rest } = over as { username?: string };
    const token = await signed(db.port, username ?? 'app', rest);
    const before = db.logins.length;
    await expect(login(db, 'app', token)).rejects.toMatchObject({ code: '28000' });
    expect(db.logins.slice(before)).toEqual([{ user: 'app', ok: false, reason, at: expect.any(Date) }]);
    expect(JSON.stringify(db.logins) + inspect(db, { depth: 5 })).not.toContain(token.slice(token.indexOf('X-Amz-Signature')));
  });

  it('lets token users in over TLS only, and insecureUsers without it', async () => {
    await expect(login(db, 'app', await signed(db.port, 'app'), { ssl: false })).rejects.toMatchObject({ code: '28000' });
    const plain = await login(db, 'plain_app', await signed(db.port, 'plain_app'), { ssl: false });
    expect((await plain.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows).toEqual([{ ssl: false }]);
    await plain.end();
  });

  it('lets a role granted rds_iam later log in with a token, as on RDS', async () => {
    await db.admin('create role late_user login');
    await expect(login(db, 'late_user', await signed(db.port, 'late_user'))).rejects.toMatchObject({ code: '28000' });
    await db.admin('grant rds_iam to late_user');
    const c = await login(db, 'late_user', await signed(db.port, 'late_user'));
    await c.end();
    expect(db.logins.at(-1)).toMatchObject({ user: 'late_user', ok: true });
  });

  it('holds the users to maxConnections (53300 past it) and keeps a connection for admin()', async () => {
    const open = [await login(db, 'app', await signed(db.port, 'app')), await login(db, 'reporting', await signed(db.port, 'reporting'))];
    try {
      await expect(login(db, 'app', await signed(db.port, 'app'))).rejects.toMatchObject({ code: '53300' });
      expect(await db.admin("select count(*)::int as n from pg_stat_activity where usename in ('app', 'reporting')")).toEqual([{ n: 2 }]);
    } finally {
      for (const c of open) await c.end();
    }
  });

  it('admin() takes placeholders and returns the rows of the last statement', async () => {
    expect(await db.admin('select $1::int + 1 as n', [41])).toEqual([{ n: 42 }]);
    expect(await db.admin('select 1 as a; select 2 as b')).toEqual([{ b: 2 }]);
    await expect(db.admin('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
  });
});

describe('startVerifyingPostgres: verify, the login rate and the clock', () => {
  let db: VerifyingPostgres;
  let clock = Date.parse('2030-01-01T00:00:00Z');
  beforeAll(async () => {
    db = await startVerifyingPostgres({
      users: ['app'],
      region: REGION,
      credentials: [staticKeys],
      maxLoginsPerSecond: 2,
      now: () => clock,
      verify: (token, user, checkRds) => (token === `open-sesame-${user}` ? true : token === 'throw' ? Promise.reject(new Error('boom')) : checkRds()),
    });
  });
  afterAll(() => db?.close());

  it('asks verify about each login, which may fall back on the RDS check (on the server clock)', async () => {
    clock += 10_000;
    const c = await login(db, 'app', 'open-sesame-app');
    await c.end();
    // A fresh token is expired on a server clock far ahead: the RDS check says so.
    await expect(login(db, 'app', await signed(db.port, 'app'))).rejects.toMatchObject({ code: '28000' });
    clock += 10_000;
    await expect(login(db, 'app', 'throw')).rejects.toMatchObject({ code: '28000' });
    expect(db.logins.slice(-3).map((l) => [l.ok, l.reason])).toEqual([
      [true, undefined],
      [false, 'token expired'],
      [false, 'verify threw'],
    ]);
    expect(db.logins.at(-1)!.at).toEqual(new Date(clock));
  });

  it('refuses logins past maxLoginsPerSecond as a bad token is refused, and records them as throttled', async () => {
    clock += 10_000;
    const before = db.logins.length;
    const burst = await Promise.allSettled(Array.from({ length: 6 }, () => login(db, 'app', 'open-sesame-app')));
    for (const r of burst) if (r.status === 'fulfilled') await r.value.end();
    const refused = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(burst.length - refused.length).toBe(2);
    expect(refused.map((r) => (r.reason as { code?: string }).code)).toEqual(['28000', '28000', '28000', '28000']);
    expect(db.logins.slice(before).filter((l) => !l.ok)).toEqual(
      Array.from({ length: 4 }, () => ({ user: 'app', ok: false, reason: 'throttled: over maxLoginsPerSecond', at: new Date(clock) })),
    );
    // A second later on the server clock, logins pass again.
    clock += 1_000;
    const c = await login(db, 'app', 'open-sesame-app');
    await c.end();
    expect(db.logins.at(-1)).toMatchObject({ ok: true });
  });
});

describe('startVerifyingPostgres: bad moments', () => {
  const base = { users: ['app'], region: REGION, credentials: staticKeys };

  it('close() stops the server and removes its folder, and is safe twice', async () => {
    const db = await startVerifyingPostgres(base);
    expect(processesMentioning(db.tempDir).length).toBeGreaterThan(0);
    await Promise.all([db.close(), db.close()]);
    await db.close();
    expect(await gone(db)).toEqual({ dir: false, processes: [], listening: false });
  });

  it('names the Debian package when the server programs are missing', async () => {
    const err = await startVerifyingPostgres({ ...base, binDir: '/nonexistent/bin' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'binDir' });
    expect((err as Error).message).toMatch(/Debian package postgresql\b/);
    const nothing: SystemDeps = { ...systemDeps, probe: { exists: () => false, list: () => [], setuidRoot: () => false } };
    const none = await startPostgresWith(base, nothing).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/found no PostgreSQL server programs .*install the Debian package postgresql/);
  });

  it('refuses bad options before starting anything', async () => {
    await expect(startVerifyingPostgres({ users: ['app'] } as never)).rejects.toMatchObject({ field: 'region' });
    await expect(startVerifyingPostgres({ ...base, users: ['bad name'] })).rejects.toMatchObject({ field: 'users[0]' });
    await expect(startVerifyingPostgres({ ...base, maxLoginsPerSecond: 0 })).rejects.toMatchObject({ field: 'maxLoginsPerSecond' });
    await expect(startVerifyingPostgres({ ...base, insecureUsers: ['app'] })).rejects.toMatchObject({ field: 'insecureUsers' });
  });

  it('an abort once the server runs, before its users exist, stops it and removes everything', async () => {
    const controller = new AbortController();
    let dataDir = '';
    const deps: SystemDeps = {
      ...systemDeps,
      run: async (command, args, opts) => {
        const result = await systemDeps.run(command, args, opts);
        if (command.endsWith('pg_ctl') && args.includes('start')) {
          dataDir = args[args.indexOf('-D') + 1]!;
          controller.abort(new Error('stop right there'));
        }
        return result;
      },
    };
    await expect(startPostgresWith({ ...base, signal: controller.signal }, deps)).rejects.toThrow('stop right there');
    expect(dataDir).not.toBe('');
    expect(existsSync(dataDir)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('an aborted signal starts nothing', async () => {
    await expect(startVerifyingPostgres({ ...base, signal: AbortSignal.abort(new Error('never mind')) })).rejects.toThrow('never mind');
  });
});

describe('startVerifyingPostgres in a process of its own (the built package)', () => {
  beforeAll(() => ensureBuilt());

  const child = (end: string): string => `
import pg from 'pg';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingPostgres } from 'dbtoken/testing';
const credentials = JSON.parse(process.env.DBTOKEN_CHILD);
const db = await startVerifyingPostgres({ users: ['app'], region: 'us-east-1', credentials });
console.log(db.tempDir);
const token = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: 'us-east-1', credentials });
const c = new pg.Client({ host: db.host, port: db.port, user: 'app', database: db.database, password: (await token.getToken()).token, ssl: { ca: db.ca } });
await c.connect();
console.log((await c.query('select session_user as u')).rows[0].u);
await c.end();
token.close();
${end}
`;

  it.each([
    ['exits by itself once it has closed the server', 'await db.close();'],
    ['leaves nothing behind when it exits without closing the server', 'process.exit(0);'],
  ])('%s', async (_n, end) => {
    const r = await runNode(['--input-type=module', '-e', child(end)], { env: { DBTOKEN_CHILD: JSON.stringify(staticKeys) }, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [dir, user] = r.stdout.trim().split('\n');
    expect(user).toBe('app');
    expect(dir).toMatch(/dbtoken-pg-/);
    expect({ dir: existsSync(dir!), processes: await processesLeft(dir!) }).toEqual({ dir: false, processes: [] });
  }, 180_000);
});
