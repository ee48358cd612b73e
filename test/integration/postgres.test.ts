import net from 'node:net';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createIamPool, InsecureTransportError, TokenUnavailableError, tokenProvider, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createPostgresJs, postgresPassword } from 'dbtoken/postgres';
import { mockTokenSource, staticToken } from 'dbtoken/testing';
import { REGION, otherKeys, staticKeys, temporaryKeys, tokenSignedAt } from '../helpers/aws.js';
import { render } from '../helpers/canary.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

type Sql = ReturnType<typeof postgres>;

let db: IamPostgres;
const providers: TokenProvider[] = [];
const sqls: Sql[] = [];

beforeAll(async () => {
  db = await startIamPostgres();
});

afterEach(async () => {
  for (const s of sqls.splice(0)) await s.end({ timeout: 0 });
  db.revoked.clear();
});

afterAll(async () => {
  for (const p of providers) p.close();
  await db?.stop();
});

function rds(over: Partial<Parameters<typeof awsRdsToken>[0]> = {}, options?: Parameters<typeof awsRdsToken>[1]) {
  const p = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: staticKeys, ...over }, options);
  providers.push(p);
  return p;
}

function keep<S extends Sql>(sql: S): S {
  sqls.push(sql);
  return sql;
}

/** An sql whose `closed()` resolves when postgres.js next sees one of its connections close. */
function iamSql(token: TokenProvider, extra: Record<string, unknown> = {}) {
  let onClose = (): void => {};
  const sql = keep(createPostgresJs({ token, host: db.host, port: db.port, database: 'postgres', ssl: { ca: db.ca }, onclose: () => onClose(), ...extra }));
  return Object.assign(sql, { closed: () => new Promise<void>((r) => (onClose = r)) });
}

/** Ends the server side of every session of `user`, and waits until postgres.js has seen it: the next query opens a new connection. */
async function dropSessions(sql: ReturnType<typeof iamSql>, user = 'iam_alice') {
  const closed = sql.closed();
  await db.admin(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${user}'`);
  await closed;
}

const whoAndTls = 'select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()';

describe('postgres.js against a real PostgreSQL that checks RDS tokens (ldap + verifier, TLS)', () => {
  it('a good token logs in over TLS, and the sql is postgres.js\'s own', async () => {
    const sql = iamSql(rds());
    expect(sql.PostgresError).toBe(postgres.PostgresError);
    expect([...(await sql.unsafe(whoAndTls))]).toEqual([{ u: 'iam_alice', ssl: true }]);
    expect(db.ldap.binds.at(-1)).toMatchObject({ user: 'iam_alice', ok: true });
  });

  it('takes user, host and port from the provider when the options give none', async () => {
    const sql = keep(createPostgresJs({ token: rds({ username: 'iam_bob' }), database: 'postgres', ssl: { ca: db.ca } }));
    expect((await sql`select session_user as u`)[0]).toEqual({ u: 'iam_bob' });
  });

  it('createIamPool({ driver: \'postgres\' }) gives the same sql', async () => {
    const sql = keep(await createIamPool({ driver: 'postgres', token: rds(), database: 'postgres', ssl: { ca: db.ca } }));
    expect([...(await sql.unsafe(whoAndTls))]).toEqual([{ u: 'iam_alice', ssl: true }]);
  });

  it('a url with sslmode=require encrypts (without checking the certificate)', async () => {
    const sql = keep(createPostgresJs({ token: rds(), url: `postgres://127.0.0.1:${db.port}/postgres?sslmode=require` }));
    expect([...(await sql.unsafe(whoAndTls))]).toEqual([{ u: 'iam_alice', ssl: true }]);
  });

  it('a token signed with temporary credentials (about 1,250+ characters) logs in', async () => {
    const provider = rds({ credentials: temporaryKeys });
    expect((await provider.getToken()).token.length).toBeGreaterThan(1_200);
    expect((await iamSql(provider)`select session_user as u`)[0]).toEqual({ u: 'iam_alice' });
  });

  it('each new connection gets a valid token, across several token lifetimes on a fake clock', async () => {
    let now = Date.now();
    const provider = rds({}, { clock: () => now, random: () => 0 }); // no refresh jitter: the cadence below is exact
    const fetched: Date[] = [];
    provider.on('token', (e) => fetched.push(e.expiresAt));
    const sql = iamSql(provider, { max: 1 });
    const before = db.ldap.binds.length;
    for (let i = 0; i < 8; i++) {
      expect((await sql`select session_user as u`)[0]).toEqual({ u: 'iam_alice' });
      await dropSessions(sql);
      now += 4 * 60_000; // 32 minutes in all: more than two 15-minute lifetimes
    }
    const binds = db.ldap.binds.slice(before);
    expect(binds).toHaveLength(8);
    expect(binds.every((b) => b.ok)).toBe(true);
    expect(fetched.length).toBeGreaterThanOrEqual(3);
    expect(fetched.length).toBeLessThanOrEqual(4);
  });

  it('a token revoked at the verifier after it was accepted: retried as a throttle 5 times, then with a fresh token; the query never sees the refusal', async () => {
    const provider = rds();
    const sql = iamSql(provider, { max: 1 });
    await sql`select 1`;
    const revoked = (await provider.getToken()).token;
    db.revoked.add(revoked);
    await dropSessions(sql);
    // RDS tokens carry a one-second timestamp: a token signed again within the
    // same second would be the same string, and so revoked too.
    await new Promise((r) => setTimeout(r, 1_100));
    const before = db.ldap.binds.length;
    expect((await sql`select session_user as u`)[0]).toEqual({ u: 'iam_alice' });
    expect(db.ldap.binds.slice(before).map((b) => [b.ok, b.reason])).toEqual([
      ...Array.from({ length: 6 }, () => [false, 'revoked']),
      [true, undefined],
    ]);
    expect((await provider.getToken()).token === revoked, 'the revoked token is still served').toBe(false);
  });

  it('a token the server keeps refusing fails the query with 28000 after exactly two logins', async () => {
    const bad = await tokenSignedAt(db.port, 16 * 60_000); // expired
    const provider = staticToken(bad);
    providers.push(provider);
    const before = db.ldap.binds.length;
    const err = await iamSql(provider, { user: 'iam_alice' })`select 1`.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(postgres.PostgresError);
    expect((err as { code?: string }).code).toBe('28000');
    expect(render(err).includes(bad), 'the error shows the token').toBe(false);
    expect(db.ldap.binds.slice(before).map((b) => b.ok)).toEqual([false, false]);
  });

  it('a user the server refuses causes exactly one retry per connection, never a storm', async () => {
    const provider = rds({ credentials: otherKeys }); // a key IAM does not know
    const sql = iamSql(provider, { max: 5 });
    const before = db.ldap.binds.length;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => sql`select 1`));
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(Array(5).fill('28000'));
    const secret = (await provider.getToken()).token;
    for (const r of results) expect(render((r as PromiseRejectedResult).reason).includes(secret.slice(-64)), 'the error shows the token').toBe(false);
    expect(db.ldap.binds.length - before).toBe(10);
  });

  it('a provider error fails the query as the provider\'s own DbTokenError, and nothing reaches the server', async () => {
    const source = mockTokenSource();
    source.fails(new Error('STS is down'));
    const provider = tokenProvider(source, { retry: { attempts: 1 } });
    providers.push(provider);
    const before = db.ldap.binds.length;
    const err = await iamSql(provider, { user: 'iam_alice' })`select 1`.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as TokenUnavailableError).code).toBe('ERR_DBTOKEN_UNAVAILABLE');
    expect(((err as Error).cause as Error).message).toBe('STS is down');
    expect(db.ldap.binds.length).toBe(before);
  });

  it('transactions, reserved connections, LISTEN/NOTIFY and query cancellation all go through the adapter\'s connections', async () => {
    const sql = iamSql(rds());
    expect(await sql.begin(async (tx) => (await tx`select session_user as u`)[0])).toEqual({ u: 'iam_alice' });
    const reserved = await sql.reserve();
    expect((await reserved`select 1 as one`)[0]).toEqual({ one: 1 });
    reserved.release();

    const payload = new Promise<string>((resolve) => void sql.listen('dbtoken_test', resolve).then(() => sql.notify('dbtoken_test', 'hello')));
    expect(await payload).toBe('hello');

    const slow = sql`select pg_sleep(60)`.execute();
    for (let tries = 0; ; tries++) {
      const { rows } = await db.admin("select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(60)' and state = 'active'");
      if (rows[0].n > 0) break;
      expect(tries, 'the slow query never showed as active').toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 20));
    }
    slow.cancel();
    const err = await slow.catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('57014');
  });

  it('COPY ... TO STDOUT streams through the adapter\'s socket, which postgres.js pauses and resumes as the reader keeps up', async () => {
    const sql = iamSql(rds());
    const readable = await sql`copy (select g from generate_series(1, 50000) g) to stdout`.readable();
    let lines = 0;
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      lines += chunk.toString().split('\n').length - 1;
      await new Promise((r) => setImmediate(r)); // a slow reader: the stream fills, and postgres.js pauses the socket
    }
    expect(lines).toBe(50_000);
    expect((await sql`select session_user as u`)[0]).toEqual({ u: 'iam_alice' });
  });

  it('a socket of your own (an in-process tunnel) carries the connection, with TLS over it', async () => {
    const opened: string[] = [];
    const socket = ({ host: [host], port: [port] }: { host: string[]; port: number[] }) => {
      opened.push(`${host}:${port}`);
      return net.connect(port, host);
    };
    const sql = iamSql(rds(), { socket });
    expect([...(await sql.unsafe(whoAndTls))]).toEqual([{ u: 'iam_alice', ssl: true }]);
    expect(opened).toEqual([`${db.host}:${db.port}`]);
  });

  it('a child process using the built package exits by itself after sql.end(), a retried login included', async () => {
    ensureBuilt();
    const child = `
      import { createPostgresJs } from 'dbtoken/postgres';
      import { staticToken } from 'dbtoken/testing';
      const env = JSON.parse(process.env.DBTOKEN_CHILD);
      const open = (text) => {
        const token = staticToken(text);
        const sql = createPostgresJs({ token, host: '127.0.0.1', port: env.port, user: 'iam_alice', database: 'postgres', ssl: { ca: env.ca } });
        return { sql, token };
      };
      const refused = open(env.bad); // refused, retried, refused
      const err = await refused.sql\`select 1\`.catch((e) => e);
      const good = open(env.good);
      const [{ u }] = await good.sql\`select session_user as u\`;
      console.log(err.code, u);
      for (const { sql, token } of [refused, good]) {
        await sql.end();
        token.close();
      }
    `;
    const bad = await tokenSignedAt(db.port, 16 * 60_000);
    const good = (await rds().getToken()).token;
    const r = await runNode(['--input-type=module', '-e', child], {
      env: { DBTOKEN_CHILD: JSON.stringify({ port: db.port, ca: db.ca, bad, good }) },
      timeoutMs: 15_000,
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe('28000 iam_alice');
  });

  it.each([
    ['sql.end({ timeout: 0 })', 'end', 'CONNECTION_DESTROYED'],
    ['connect_timeout', 'timeout', 'CONNECT_TIMEOUT'],
  ])('%s while a login waits for its token: the process survives and exits by itself', async (_name, how, code) => {
    ensureBuilt();
    // postgres.js 3.4.9 writes the password it awaited to the socket it has set to null by then (in setImmediate, a crash).
    const child = `
      import { tokenProvider } from 'dbtoken';
      import { createPostgresJs } from 'dbtoken/postgres';
      const env = JSON.parse(process.env.DBTOKEN_CHILD);
      let dropped;
      const connectionDropped = new Promise((r) => (dropped = r));
      let sql;
      let calls = 0;
      const token = tokenProvider(async () => {
        if (++calls === 1) {
          // The server has asked for the password: answer only once postgres.js has dropped the connection.
          console.log('asked');
          const ended = env.how === 'end' ? sql.end({ timeout: 0 }) : undefined;
          await connectionDropped;
          await ended;
          console.log('dropped');
        }
        return { token: env.good, expiresAt: new Date(Date.now() + 10 * 60_000) };
      });
      const options = { token, host: '127.0.0.1', port: env.port, user: 'iam_alice', database: 'postgres', ssl: { ca: env.ca }, onclose: () => dropped() };
      sql = createPostgresJs(env.how === 'end' ? options : { ...options, connect_timeout: 1 });
      console.log(await sql\`select 1\`.then(() => 'resolved', (e) => e.code));
      await token.getToken();
      await new Promise((r) => setImmediate(r)); // postgres.js writes in setImmediate; sql.end() would cancel that
      console.log('token answered');
    `;
    const good = (await rds().getToken()).token;
    const r = await runNode(['--input-type=module', '-e', child], { env: { DBTOKEN_CHILD: JSON.stringify({ port: db.port, ca: db.ca, good, how }) }, timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([code, 'asked', 'dropped', 'token answered']);
  });

  it.each([
    ['throws an Error', 'Error', false],
    ['rejects with an Error', 'Error', true],
    ['throws null', 'null', false],
    ['rejects with a string', 'string', true],
  ])('a socket function of your own that %s at once: the query fails as with plain postgres.js, and the process lives on', async (_name, thrown, async) => {
    ensureBuilt();
    // connect_timeout is an hour: a failure that is never reported shows as the child's timeout.
    const child = `
      import postgres from 'postgres';
      import { createPostgresJs } from 'dbtoken/postgres';
      import { staticToken } from 'dbtoken/testing';
      const env = JSON.parse(process.env.DBTOKEN_CHILD);
      const value = env.thrown === 'Error' ? new Error('no tunnel') : env.thrown === 'null' ? null : 'no tunnel';
      const socket = env.async ? async () => { throw value; } : () => { throw value; };
      const options = { host: '127.0.0.1', port: 5432, user: 'app', database: 'postgres', ssl: 'require', socket, connect_timeout: 3600 };
      const token = staticToken('never-sent');
      for (const [name, sql] of [['plain', postgres({ ...options, password: 'never-sent' })], ['dbtoken', createPostgresJs({ ...options, token })]]) {
        const failure = await sql\`select 1\`.then(() => 'resolved', (e) => (e instanceof Error ? 'Error' : typeof e) + ': ' + (e?.message ?? e));
        console.log(name, failure);
        await sql.end({ timeout: 0 });
      }
      token.close();
    `;
    const r = await runNode(['--input-type=module', '-e', child], { env: { DBTOKEN_CHILD: JSON.stringify({ thrown, async }) }, timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [plain, adapter] = r.stdout.trim().split('\n');
    expect(plain).toMatch(/^plain Error: /);
    if (thrown === 'Error') expect(adapter).toBe('dbtoken Error: no tunnel');
    else expect(adapter).toMatch(new RegExp(`^dbtoken Error: .*socket.*${thrown === 'null' ? 'null' : 'a string'}`));
  });

  describe('transport security and the target', () => {
    it.each([
      ['ssl not set', () => ({ ssl: undefined })],
      ['ssl: false', () => ({ ssl: false })],
      ["ssl: 'prefer'", () => ({ ssl: 'prefer' })],
      ['sslmode=disable in the url', () => ({ ssl: undefined, host: undefined, port: undefined, url: `postgres://127.0.0.1:${db.port}/postgres?sslmode=disable` })],
    ])('refuses %s before connecting', async (_n, extra) => {
      const before = db.ldap.binds.length;
      expect(() => iamSql(rds(), extra())).toThrow(InsecureTransportError);
      const viaIamPool = createIamPool({ driver: 'postgres', token: rds(), database: 'postgres', host: db.host, port: db.port, ssl: { ca: db.ca }, ...extra() } as never);
      await expect(viaIamPool).rejects.toBeInstanceOf(InsecureTransportError);
      expect(db.ldap.binds.length).toBe(before);
    });

    it('allowInsecureTransport: true sends the token over plain TCP when the caller opts in', async () => {
      const sql = iamSql(rds({ username: 'iam_plain' }), { ssl: false, allowInsecureTransport: true });
      expect([...(await sql.unsafe(whoAndTls))]).toEqual([{ u: 'iam_plain', ssl: false }]);
    });

    it('a token made for another port is a ConfigError, and the server sees nothing', async () => {
      const before = db.ldap.binds.length;
      let err: unknown;
      try {
        iamSql(rds({ port: db.port + 1 }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('port');
      expect(db.ldap.binds.length).toBe(before);
    });
  });

  describe('postgresPassword, in an sql of your own', () => {
    it('logs in over TLS', async () => {
      const sql = keep(postgres({ host: db.host, port: db.port, user: 'iam_alice', database: 'postgres', ssl: { ca: db.ca }, password: postgresPassword(rds()) }));
      expect([...(await sql.unsafe(whoAndTls))]).toEqual([{ u: 'iam_alice', ssl: true }]);
    });

    async function refusedLogin(options: Record<string, unknown>, provider: TokenProvider) {
      const errors: Error[] = [];
      const before = db.ldap.binds.length;
      const sql = keep(postgres({ host: db.host, port: db.port, database: 'postgres', ...options, password: postgresPassword(provider, { onError: (e) => errors.push(e) }) }));
      const err = await sql`select 1`.catch((e: unknown) => e);
      return { code: (err as { code?: string }).code, errors, binds: db.ldap.binds.length - before };
    }

    it('without TLS: gives no token; the server refuses the empty password and never asks the verifier', async () => {
      const { code, errors, binds } = await refusedLogin({ user: 'iam_plain', ssl: false }, rds({ username: 'iam_plain' }));
      expect(code).toBe('28P01'); // PostgreSQL's answer to an empty password, before any LDAP bind
      expect(errors).toEqual([expect.any(InsecureTransportError)]);
      expect(binds).toBe(0);
    });

    it('with a token made for another port: a ConfigError, and the token never reaches the server', async () => {
      const { code, errors, binds } = await refusedLogin({ user: 'iam_alice', ssl: { ca: db.ca } }, rds({ port: db.port + 1 }));
      expect(code).toBe('28P01');
      expect(errors).toEqual([expect.objectContaining({ field: 'port' })]);
      expect(errors[0]).toBeInstanceOf(ConfigError);
      expect(binds).toBe(0);
    });
  });
});
