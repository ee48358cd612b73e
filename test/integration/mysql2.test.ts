import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamPool, DbTokenError, InsecureTransportError, TokenUnavailableError, tokenProvider, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createMysql2Pool, mysql2AuthPlugins } from 'dbtoken/mysql2';
import { mockTokenSource, staticToken } from 'dbtoken/testing';
import { REGION, otherKeys, staticKeys, temporaryKeys, tokenSignedAt, type RdsTarget } from '../helpers/aws.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';

let db: IamMariadb;
const providers: TokenProvider[] = [];
const pools: mysql.Pool[] = [];

beforeAll(async () => {
  db = await startIamMariadb();
});
afterAll(async () => {
  for (const p of pools) await p.end().catch(() => {});
  for (const p of providers) p.close();
  await db?.stop();
});

function rds(over: Partial<Parameters<typeof awsRdsToken>[0]> = {}, options: Parameters<typeof awsRdsToken>[1] = {}) {
  const p = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: staticKeys, ...over }, options);
  providers.push(p);
  return p;
}

async function iamPool(token: TokenProvider, extra: Record<string, unknown> = {}) {
  const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, ssl: { ca: db.ca }, connectionLimit: 5, ...extra });
  pools.push(pool);
  return pool;
}

/** A new physical connection: get, query, destroy. */
async function fresh(pool: mysql.Pool, sql = 'SELECT CURRENT_USER() AS u') {
  const c = await pool.getConnection();
  try {
    const [rows] = await c.query(sql);
    return (rows as any[])[0];
  } finally {
    c.destroy();
  }
}

const signedAt = (msAgo: number, over: Partial<RdsTarget> = {}) => tokenSignedAt(db.port, msAgo, over);

describe('mysql2 pools against a real MariaDB that checks RDS tokens (PAM + mysql_clear_password + verifier, TLS)', () => {
  it('a good token logs in over TLS; the pool is mysql2\'s own promise pool', async () => {
    const pool = await iamPool(rds());
    expect(typeof pool.getConnection).toBe('function');
    expect(pool.pool.constructor.name).toBe('Pool');
    expect(await fresh(pool)).toEqual({ u: 'iam_alice@%' });
    const [cipher] = (await pool.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as any;
    expect(cipher[0].Value).not.toBe('');
    expect(db.verifier.binds.at(-1)).toMatchObject({ user: 'iam_alice', ok: true });
  });

  it('takes user, host and port from the provider', async () => {
    const pool = createMysql2Pool({ token: rds({ username: 'iam_bob' }), ssl: { ca: db.ca } });
    pools.push(pool);
    expect(await fresh(pool)).toEqual({ u: 'iam_bob@%' });
  });

  it('a token signed with temporary credentials (about 1,250+ characters) logs in', async () => {
    const p = rds({ credentials: temporaryKeys });
    expect((await p.getToken()).token.length).toBeGreaterThan(1_200);
    expect(await fresh(await iamPool(p))).toEqual({ u: 'iam_alice@%' });
  });

  describe('the server itself refuses bad tokens with 1045', () => {
    const cases: [string, () => Promise<string>][] = [
      ['an expired token', () => signedAt(16 * 60_000)],
      ['a token with the wrong signature', () => signedAt(0, { credentials: { accessKeyId: staticKeys.accessKeyId, secretAccessKey: otherKeys.secretAccessKey } })],
      ['a token for another user', () => signedAt(0, { username: 'iam_bob' })],
    ];
    it.each(cases)('%s', async (_n, make) => {
      const bad = await make();
      // One login with a plain mysql2 connection: the server's own answer.
      const err = await mysql
        .createConnection({ host: db.host, port: db.port, user: 'iam_alice', ssl: { ca: db.ca }, authPlugins: mysql2AuthPlugins(staticToken(bad)) })
        .catch((e: unknown) => e);
      expect((err as { errno?: number }).errno).toBe(1045);
      // Through the IAM pool: refused, retried exactly once.
      const before = db.verifier.binds.length;
      const p = staticToken(bad);
      providers.push(p);
      const pool = await iamPool(p, { user: 'iam_alice' });
      const err2 = await pool.query('SELECT 1').catch((e: unknown) => e);
      expect((err2 as { errno?: number }).errno).toBe(1045);
      expect(db.verifier.binds.slice(before).map((b) => b.ok)).toEqual([false, false]);
    });
  });

  it('keeps opening connections across several token lifetimes on a fake clock', async () => {
    let now = Date.now();
    const provider = rds({}, { clock: () => now, random: () => 0 }); // no refresh jitter: the cadence below is exact
    let tokens = 0;
    provider.on('token', () => tokens++);
    const pool = await iamPool(provider);
    const before = db.verifier.binds.length;
    for (let i = 0; i < 12; i++) {
      expect(await fresh(pool)).toEqual({ u: 'iam_alice@%' });
      now += 5 * 60_000; // an hour in all: four 15-minute lifetimes
    }
    expect(db.verifier.binds.slice(before).every((b) => b.ok)).toBe(true);
    expect(db.verifier.binds.length - before).toBe(12);
    expect(tokens).toBeGreaterThanOrEqual(4); // at least one per 15-minute lifetime crossed
  });

  it('a token revoked at the verifier after it was accepted: retried as a throttle (same token) 5 times, then once with a fresh token, which recovers', async () => {
    const provider = rds();
    const pool = await iamPool(provider);
    await fresh(pool);
    const revoked = (await provider.getToken()).token;
    db.revoked.add(revoked);
    await new Promise((r) => setTimeout(r, 1_100)); // a re-signed token needs a new second to differ
    const before = db.verifier.binds.length;
    expect(await fresh(pool)).toEqual({ u: 'iam_alice@%' });
    expect(db.verifier.binds.slice(before).map((b) => [b.ok, b.reason])).toEqual([
      ...Array.from({ length: 6 }, () => [false, 'revoked']),
      [true, undefined],
    ]);
    db.revoked.clear();
  });

  describe('the retry after a refused login', () => {
    it('forgets only the token the refused connection sent, not a newer one another connection sent meanwhile', async () => {
      const old = await signedAt(4_000);
      const newer = await signedAt(2_000);
      const spare = await signedAt(0);
      expect(new Set([old, newer, spare]).size).toBe(3);
      db.revoked.add(old);
      const source = mockTokenSource();
      source.returns({ token: old }).returns({ token: newer }).returns({ token: spare });
      const provider = tokenProvider(source, { retry: { attempts: 1 } });
      providers.push(provider);
      const pool = await iamPool(provider, { user: 'iam_alice' });

      // The verifier holds the old token's login until the newer token's login has arrived.
      const seen: string[] = [];
      let oldArrived!: () => void;
      let newerArrived!: () => void;
      const oldHeld = new Promise<void>((r) => (oldArrived = r));
      const newerSent = new Promise<void>((r) => (newerArrived = r));
      db.beforeVerify = async ({ password }) => {
        const name = password === old ? 'old' : password === newer ? 'newer' : password === spare ? 'spare' : 'other';
        seen.push(name);
        if (name === 'newer') newerArrived();
        if (name === 'old') {
          oldArrived();
          await newerSent;
        }
      };
      try {
        const first = pool.getConnection(); // logs in with the old token
        await oldHeld;
        expect((await provider.getToken({ forceRefresh: true })).token).toBe(newer);
        const second = await pool.getConnection(); // logs in with the newer token
        const retried = await first; // the old token is refused, then the retry logs in with the newer one
        retried.destroy();
        second.destroy();
        expect(seen).toEqual(['old', 'newer', 'newer']);
        expect(source.calls.length).toBe(2);
        expect((await provider.getToken()).token).toBe(newer);
      } finally {
        db.beforeVerify = undefined;
        db.revoked.delete(old);
      }
    });

    it.each(['query', 'execute', 'getConnection'] as const)('covers pool.%s: a refused token is replaced once', async (how) => {
      const revoked = await signedAt(2_000);
      db.revoked.add(revoked);
      const source = mockTokenSource();
      source.returns({ token: revoked }).returns({ token: await signedAt(0) });
      const provider = tokenProvider(source, { retry: { attempts: 1 } });
      providers.push(provider);
      const pool = await iamPool(provider, { user: 'iam_alice' });
      const before = db.verifier.binds.length;
      try {
        if (how === 'getConnection') (await pool.getConnection()).destroy();
        else await pool[how]('SELECT 1');
      } finally {
        db.revoked.delete(revoked);
      }
      expect(db.verifier.binds.slice(before).map((b) => [b.ok, b.reason])).toEqual([
        [false, 'revoked'],
        [true, undefined],
      ]);
      expect(source.calls.length).toBe(2);
    });

    it('changes nothing private in mysql2: the pool is mysql2\'s own, with only its public methods wrapped', async () => {
      const plain = mysql.createPool({ host: db.host, port: db.port, ssl: { ca: db.ca } });
      pools.push(plain);
      const pool = await iamPool(rds());
      expect(Object.getPrototypeOf(pool)).toBe(Object.getPrototypeOf(plain));
      const own = (o: object) => Object.getOwnPropertyNames(o).sort();
      const ownFunctions = (o: object) => own(o).filter((k) => typeof Object.getOwnPropertyDescriptor(o, k)!.value === 'function');
      const wrapped = ['end', 'execute', 'getConnection', 'query'];
      expect(own(pool).filter((k) => !wrapped.includes(k))).toEqual(own(plain));
      expect(ownFunctions(pool).filter((k) => !wrapped.includes(k))).toEqual(ownFunctions(plain));
      // mysql2's core pool (a private field of the promise pool) is exactly as mysql2 made it.
      const core = (pool as unknown as { pool: object }).pool;
      const plainCore = (plain as unknown as { pool: object }).pool;
      expect(Object.getPrototypeOf(core)).toBe(Object.getPrototypeOf(plainCore));
      expect(own(core)).toEqual(own(plainCore));
      expect(ownFunctions(core)).toEqual(ownFunctions(plainCore));
      expect(await fresh(pool)).toEqual({ u: 'iam_alice@%' });
    });
  });

  describe('pool.end() while a login waits for its token', () => {
    /** A source that answers with a good token only when `release()` is called. */
    async function heldSource() {
      const good = (await rds().getToken()).token;
      let started!: () => void;
      let release!: () => void;
      let returned!: () => void;
      const asked = new Promise<void>((r) => (started = r));
      const released = new Promise<void>((r) => (release = r));
      const answered = new Promise<void>((r) => (returned = r));
      const fetch = async () => {
        started();
        await released;
        returned();
        return good;
      };
      return { fetch, asked, release, answered };
    }

    it('plain mysql2 with an async auth plugin: end() waits for the plugin, and its login still happens (mysql2 queues QUIT behind it)', async () => {
      const held = await heldSource();
      const events: string[] = [];
      const before = db.verifier.binds.length;
      const pool = mysql.createPool({
        host: db.host, port: db.port, user: 'iam_alice', ssl: { ca: db.ca },
        authPlugins: { mysql_clear_password: () => async () => Buffer.from(`${await held.fetch()}\0`) },
      });
      const query = pool.query('select 1').then(() => events.push('query resolved'), (e: Error) => events.push(`query: ${e.message}`));
      await held.asked;
      const ended = pool.end().then(() => events.push('ended'));
      held.release();
      await held.answered;
      events.push('plugin answered');
      await Promise.all([query, ended]);
      expect(events).toEqual(['plugin answered', 'query: Pool is closed.', 'ended']);
      expect(db.verifier.binds.length - before).toBe(1);
    });

    it('createMysql2Pool: end() abandons the fetch, the waiting call fails as mysql2\'s own do ("Pool is closed."), and no login follows', async () => {
      const held = await heldSource();
      const token = tokenProvider(async () => ({ token: await held.fetch(), expiresAt: new Date(Date.now() + 10 * 60_000) }));
      providers.push(token);
      const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, user: 'iam_alice', ssl: { ca: db.ca } });
      const events: string[] = [];
      const before = db.verifier.binds.length;
      const query = pool.query('select 1').then(
        () => events.push('query resolved'),
        (e: Error & { code?: string }) => events.push(`query: ${e.message} (${e.code})`),
      );
      await held.asked;
      // A hang guard, not a deadline: an end() that waited for the fetch would wait for this.
      const guard = setTimeout(() => {
        events.push('released by the guard');
        held.release();
      }, 20_000);
      await pool.end();
      events.push('ended');
      await query;
      clearTimeout(guard);
      await expect(pool.getConnection()).rejects.toThrow('Pool is closed.');
      // The fetch may now finish, for nobody: no connection is left to log in with its token.
      held.release();
      await held.answered;
      await new Promise((r) => setImmediate(r));
      expect(events.sort()).toEqual(['ended', 'query: Pool is closed. (undefined)']);
      expect(db.verifier.binds.length - before).toBe(0);
    });
  });

  it('a provider error reaches the caller as the DbTokenError itself, not AUTH_SWITCH_PLUGIN_ERROR', async () => {
    const source = mockTokenSource();
    source.fails(new Error('STS unreachable')).fails(new Error('STS unreachable'));
    const provider = tokenProvider(source, { retry: { attempts: 1 } });
    providers.push(provider);
    const pool = await iamPool(provider, { user: 'iam_alice' });
    const err = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as DbTokenError).code).toBe('ERR_DBTOKEN_UNAVAILABLE');
    expect(((err as Error).cause as Error).message).toBe('STS unreachable');
    const err2 = await pool.getConnection().catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(TokenUnavailableError);
  });

  it.each(['promise', 'callback'] as const)(
    'used directly (%s API, as knex, TypeORM and Sequelize use it), mysql2AuthPlugins forgets a token the server refused: the next connection logs in with a fresh one',
    async (api) => {
      const revoked = await signedAt(2_000);
      db.revoked.add(revoked);
      const source = mockTokenSource();
      source.returns({ token: revoked }).returns({ token: await signedAt(0) });
      const provider = tokenProvider(source, { retry: { attempts: 1 } });
      providers.push(provider);
      const options = { host: db.host, port: db.port, user: 'iam_alice', ssl: { ca: db.ca }, authPlugins: mysql2AuthPlugins(provider) };
      const connect = async (): Promise<unknown> => {
        if (api === 'promise') {
          const c = await mysql.createConnection(options);
          await c.end();
          return 'connected';
        }
        const { createConnection } = (await import('mysql2')).default;
        return new Promise((resolve) => {
          const c = createConnection(options);
          c.connect((err) => {
            if (err) resolve(err);
            else c.end(() => resolve('connected'));
          });
        });
      };
      const before = db.verifier.binds.length;
      try {
        const first = await connect().catch((e: unknown) => e);
        expect((first as { errno?: number }).errno).toBe(1045);
        expect(await connect()).toBe('connected');
      } finally {
        db.revoked.delete(revoked);
      }
      expect(db.verifier.binds.slice(before).map((b) => [b.ok, b.reason])).toEqual([
        [false, 'revoked'],
        [true, undefined],
      ]);
      expect(source.calls.length).toBe(2);
    },
  );

  it('used directly, mysql2AuthPlugins keeps the DbTokenError reachable as the cause', async () => {
    const source = mockTokenSource();
    source.fails(new Error('STS unreachable'));
    const provider = tokenProvider(source, { retry: { attempts: 1 } });
    providers.push(provider);
    const err = await mysql
      .createConnection({ host: db.host, port: db.port, user: 'iam_alice', ssl: { ca: db.ca }, authPlugins: mysql2AuthPlugins(provider) })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AUTH_SWITCH_PLUGIN_ERROR');
    expect((err as Error).cause).toBeInstanceOf(TokenUnavailableError);
  });

  describe('transport security', () => {
    it('refuses a pool without ssl before connecting', async () => {
      const before = db.verifier.binds.length;
      const err = await iamPool(rds(), { ssl: undefined }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InsecureTransportError);
      expect(db.verifier.binds.length).toBe(before);
    });

    it('the plugin refuses to send a token over plain TCP, even to a server that would take it', async () => {
      const before = db.verifier.binds.length;
      const err = await mysql
        .createConnection({ host: db.host, port: db.port, user: 'iam_plain', authPlugins: mysql2AuthPlugins(rds({ username: 'iam_plain' })) })
        .catch((e: unknown) => e);
      expect((err as Error).cause).toBeInstanceOf(InsecureTransportError);
      expect(db.verifier.binds.length).toBe(before);
    });

    it('allowInsecureTransport: true sends it when the caller opts in', async () => {
      const pool = await iamPool(rds({ username: 'iam_plain' }), { ssl: undefined, allowInsecureTransport: true });
      const row = await fresh(pool, "SELECT CURRENT_USER() AS u, (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER') AS cipher");
      expect(row).toEqual({ u: 'iam_plain@%', cipher: '' });
    });
  });
});
