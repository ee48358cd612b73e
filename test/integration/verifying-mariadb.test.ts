import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingMariaDb, type VerifyingMariaDb } from 'dbtoken/testing';
import { startMariadbWith } from '../../src/testing/mariadb/server.js';
import { systemDeps, type SystemDeps } from '../../src/testing/system.js';
import { REGION, otherKeys, staticKeys, temporaryKeys } from '../helpers/aws.js';
import { processesLeft, processesMentioning } from '../helpers/processes.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';

const signed = async (port: number, username: string, over: Partial<Parameters<typeof awsRdsToken>[0]> = {}): Promise<string> => {
  const p = awsRdsToken({ hostname: '127.0.0.1', port, username, region: REGION, credentials: staticKeys, ...over }, { cacheKey: `verifying-mariadb-${Math.random()}` });
  try {
    return (await p.getToken()).token;
  } finally {
    p.close();
  }
};

/** A login as `user` sending `token` as mysql_clear_password (as RDS asks for it), over TLS unless `tls` is false. */
async function login(db: VerifyingMariaDb, user: string, token: string, { tls = true, host = db.host, database = db.database as string | undefined } = {}): Promise<mysql.Connection> {
  return mysql.createConnection({
    host,
    port: db.port,
    user,
    ...(database ? { database } : {}),
    ...(tls ? { ssl: { ca: db.ca } } : {}),
    authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
  });
}

describe('startVerifyingMariaDb: a MariaDB that checks RDS tokens', () => {
  let db: VerifyingMariaDb;
  beforeAll(async () => {
    db = await startVerifyingMariaDb({ users: ['app', 'reporting'], region: REGION, credentials: [staticKeys, temporaryKeys], maxConnections: 10, insecureUsers: ['plain_app'] });
  });
  afterAll(() => db?.close());

  it('lets mysql2 log in with an awsRdsToken over TLS (mysql_clear_password), and the user works in the database it returns', async () => {
    const token = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: REGION, credentials: temporaryKeys });
    const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, connectionLimit: 1 });
    try {
      const [rows] = await pool.query<any[]>("SELECT CURRENT_USER() AS u, DATABASE() AS d, (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER') AS cipher");
      expect(rows[0]).toMatchObject({ u: 'app@%', d: 'app' });
      expect(rows[0].cipher).toMatch(/\w/);
      await pool.query('CREATE TABLE orders (id INT)');
      await pool.query('INSERT INTO orders VALUES (1)');
      expect(await db.admin('SELECT COUNT(*) AS n FROM orders')).toEqual([{ n: 1 }]);
      // The token, signed with temporary keys, is long: PAM passes it whole.
      expect((await token.getToken()).token.length).toBeGreaterThan(1_200);
    } finally {
      await pool.end();
      token.close();
    }
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: true });
  });

  it('takes a token signed for localhost as well as 127.0.0.1', async () => {
    const c = await login(db, 'reporting', await signed(db.port, 'reporting', { hostname: 'localhost' }), { host: 'localhost' });
    const [rows] = await c.query<any[]>('SELECT CURRENT_USER() AS u');
    expect(rows).toEqual([{ u: 'reporting@%' }]);
    await c.end();
  });

  it.each([
    ['signed with a key IAM does not know', { credentials: otherKeys }, 'unknown access key'],
    ['signed with the wrong secret', { credentials: { ...staticKeys, secretAccessKey: 'not-the-secret' } }, 'signature does not match'],
    ['for another user', { username: 'reporting' }, 'token is for another user'],
    ['for another port', { port: 1 }, 'token is for another host or port'],
  ])('refuses a token %s (1045) and records why, without the token', async (_n, over, reason) => {
    const { username, ...rest } = over as { username?: string };
    const token = await signed(db.port, username ?? 'app', rest);
    const before = db.logins.length;
    await expect(login(db, 'app', token)).rejects.toMatchObject({ errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' });
    expect(db.logins.slice(before)).toEqual([{ user: 'app', ok: false, reason, at: expect.any(Date) }]);
    expect(JSON.stringify(db.logins) + inspect(db, { depth: 5 })).not.toContain(token.slice(token.indexOf('X-Amz-Signature')));
  });

  it('lets token users in over TLS only, and insecureUsers without it', async () => {
    await expect(login(db, 'app', await signed(db.port, 'app'), { tls: false })).rejects.toMatchObject({ errno: 1045 });
    const plain = await login(db, 'plain_app', await signed(db.port, 'plain_app'), { tls: false });
    const [rows] = await plain.query<any[]>("SHOW STATUS LIKE 'Ssl_cipher'");
    expect(rows[0]?.Value ?? '').toBe('');
    await plain.end();
  });

  it('lets a user created later through pamService log in with a token', async () => {
    await db.admin(`CREATE USER 'late_user'@'%' IDENTIFIED VIA pam USING '${db.pamService}' REQUIRE SSL`);
    const c = await login(db, 'late_user', await signed(db.port, 'late_user'), { database: '' });
    await c.end();
    expect(db.logins.at(-1)).toMatchObject({ user: 'late_user', ok: true });
  });

  it('holds the users to maxConnections (1040 past it) and keeps a connection for admin()', async () => {
    const token = await signed(db.port, 'app');
    // The earlier tests' connections (refused ones too) hold their slots until MariaDB has let them go.
    for (let i = 0; i < 250; i++) {
      const [{ n }] = await db.admin("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER <> 'root' AND COMMAND <> 'Daemon'");
      if (Number(n) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const open: mysql.Connection[] = [];
    for (let i = 0; i < 10; i++) open.push(await login(db, 'app', token));
    try {
      await expect(login(db, 'app', token)).rejects.toMatchObject({ errno: 1040, code: 'ER_CON_COUNT_ERROR' });
      const rows = await db.admin("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'app'");
      expect(rows).toEqual([{ n: 10 }]);
    } finally {
      for (const c of open) await c.end();
    }
  });

  it('admin() takes placeholders and rejects with the server error', async () => {
    expect(await db.admin('SELECT ? + 1 AS n', [41])).toEqual([{ n: 42 }]);
    await expect(db.admin('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' });
  });
});

describe('startVerifyingMariaDb: verify, the login rate and the clock', () => {
  let db: VerifyingMariaDb;
  let clock = Date.parse('2030-01-01T00:00:00Z');
  beforeAll(async () => {
    db = await startVerifyingMariaDb({
      users: ['app'],
      maxLoginsPerSecond: 3,
      now: () => clock,
      verify: (token, user, checkRds) => (token === `open-sesame-${user}` ? { ok: true } : checkRds()),
    });
  });
  afterAll(() => db?.close());

  it('asks verify about each login; without region and credentials, the RDS check refuses', async () => {
    clock += 10_000;
    const c = await login(db, 'app', 'open-sesame-app');
    await c.end();
    await expect(login(db, 'app', await signed(db.port, 'app'))).rejects.toMatchObject({ errno: 1045 });
    expect(db.logins.slice(-2).map((l) => [l.ok, l.reason])).toEqual([
      [true, undefined],
      [false, 'no region and credentials to check RDS tokens against'],
    ]);
  });

  it('refuses logins past maxLoginsPerSecond as a bad token is refused (1045), and records them as throttled', async () => {
    clock += 10_000;
    const before = db.logins.length;
    const burst = await Promise.allSettled(Array.from({ length: 7 }, () => login(db, 'app', 'open-sesame-app')));
    for (const r of burst) if (r.status === 'fulfilled') await r.value.end();
    const refused = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(burst.length - refused.length).toBe(3);
    expect(refused.map((r) => (r.reason as { errno?: number }).errno)).toEqual([1045, 1045, 1045, 1045]);
    expect(db.logins.slice(before).filter((l) => !l.ok)).toEqual(
      Array.from({ length: 4 }, () => ({ user: 'app', ok: false, reason: 'throttled: over maxLoginsPerSecond', at: new Date(clock) })),
    );
    clock += 1_000;
    const c = await login(db, 'app', 'open-sesame-app');
    await c.end();
    expect(db.logins.at(-1)).toMatchObject({ ok: true });
  });
});

/** The PAM services that name `folder` (other runs on this machine may have services of their own). */
const servicesNaming = (folder: string): string[] =>
  readdirSync('/etc/pam.d').filter((f) => f.startsWith('dbtoken-') && readFileSync(`/etc/pam.d/${f}`, 'utf8').includes(folder));

describe('startVerifyingMariaDb: bad moments', () => {
  const base = { users: ['app'], region: REGION, credentials: staticKeys };
  const without = (file: RegExp): SystemDeps => ({ ...systemDeps, probe: { ...systemDeps.probe, exists: (p) => !file.test(p) && systemDeps.probe.exists(p) } });

  it('close() stops the server, removes its PAM service and its folder, and is safe twice', async () => {
    const db = await startVerifyingMariaDb(base);
    const pamFile = `/etc/pam.d/${db.pamService}`;
    expect(existsSync(pamFile)).toBe(true);
    expect(processesMentioning(db.tempDir).length).toBeGreaterThan(0);
    await Promise.all([db.close(), db.close()]);
    await db.close();
    expect({ pam: existsSync(pamFile), dir: existsSync(db.tempDir), processes: processesMentioning(db.tempDir) }).toEqual({ pam: false, dir: false, processes: [] });
    await expect(mysql.createConnection({ host: db.host, port: db.port, user: 'app', connectTimeout: 2_000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('takes no maxConnections under 10, which MariaDB would raise to 10', async () => {
    await expect(startVerifyingMariaDb({ ...base, maxConnections: 9 })).rejects.toMatchObject({ field: 'maxConnections', message: expect.stringContaining("from 10 to 100000 (MariaDB's max_connections)") });
  });

  it.each([
    ['not root', { ...systemDeps, uid: () => 1000 }, 'startVerifyingMariaDb', /needs root, and this process runs as uid 1000/],
    ['without pam_script', without(/\/pam_script\.so$/), 'pam_script', /install the Debian package libpam-script/],
    ['without mariadbd', without(/\/(mariadbd|mysqld)$/), 'mariadbd', /install the Debian package mariadb-server/],
    ['without mariadb-install-db', without(/install[-_]db$/), 'mariadb-install-db', /install the Debian package mariadb-server/],
  ])('refuses to start %s, saying what to do', async (_n, deps, field, message) => {
    const err = await startMariadbWith(base, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field });
    expect((err as Error).message).toMatch(message);
  });

  it('an abort once its PAM service and data directory are made stops the start and removes everything', async () => {
    const controller = new AbortController();
    let dataDir = '';
    let pamFiles: string[] = [];
    const deps: SystemDeps = {
      ...systemDeps,
      run: async (command, args, opts) => {
        const result = await systemDeps.run(command, args, opts);
        if (/install[-_]db$/.test(command)) {
          dataDir = args.find((a) => a.startsWith('--datadir='))!.slice('--datadir='.length);
          pamFiles = servicesNaming(dirname(dataDir));
          controller.abort(new Error('stop right there'));
        }
        return result;
      },
    };
    await expect(startMariadbWith({ ...base, signal: controller.signal }, deps)).rejects.toThrow('stop right there');
    expect(dataDir).not.toBe('');
    expect(pamFiles).toHaveLength(1);
    expect(existsSync(`/etc/pam.d/${pamFiles[0]}`)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(servicesNaming(dirname(dataDir))).toEqual([]);
  });
});

describe('startVerifyingMariaDb in a process of its own (the built package)', () => {
  beforeAll(() => ensureBuilt());

  const child = (end: string): string => `
import mysql from 'mysql2/promise';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingMariaDb } from 'dbtoken/testing';
const credentials = JSON.parse(process.env.DBTOKEN_CHILD);
const db = await startVerifyingMariaDb({ users: ['app'], region: 'us-east-1', credentials });
console.log(db.tempDir);
console.log(db.pamService);
const token = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: 'us-east-1', credentials });
const pool = await createIamPool({ driver: 'mysql2', token, database: db.database, ssl: { ca: db.ca } });
const [rows] = await pool.query('SELECT CURRENT_USER() AS u');
console.log(rows[0].u);
await pool.end();
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
    const [dir, pamService, user] = r.stdout.trim().split('\n');
    expect(user).toBe('app@%');
    expect(dir).toMatch(/dbtoken-mariadb-/);
    expect({ dir: existsSync(dir!), pam: existsSync(`/etc/pam.d/${pamService}`), processes: await processesLeft(dir!) }).toEqual({ dir: false, pam: false, processes: [] });
  }, 180_000);
});
