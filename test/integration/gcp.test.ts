import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { GoogleAuth } from 'google-auth-library';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIamPool, type TokenProvider } from 'dbtoken';
import { gcpCloudSqlToken, GCP_SQL_LOGIN_SCOPE } from 'dbtoken/gcp';
import { startGcpAuthEmulator, startVerifyingMariaDb, startVerifyingPostgres, type GcpAuthEmulator, type VerifyingMariaDb, type VerifyingPostgres } from 'dbtoken/testing';
import { pgCanaryRun, pgLoginWith, tracked } from '../helpers/pg-logins.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';

/**
 * gcpCloudSqlToken against Cloud SQL stand-ins: private PostgreSQL and MariaDB
 * servers whose logins the Google auth emulator's verifier checks (a token it
 * issued, with the sqlservice.login scope, unexpired, for the principal Cloud
 * SQL names the user after), with tokens the real google-auth-library gets
 * from the emulator.
 */
const ORDERS = 'orders-api@dbtoken-test.iam.gserviceaccount.com';
const REPORTS = 'reports@dbtoken-test.iam.gserviceaccount.com';
const ADA = 'ada@example.com';
const PG_ORDERS = 'orders-api@dbtoken-test.iam';
const PG_REPORTS = 'reports@dbtoken-test.iam';

let google: GcpAuthEmulator;
let pgdb: VerifyingPostgres;
let mydb: VerifyingMariaDb;
const track = tracked();

beforeAll(async () => {
  // Its clock reads Date on each call, so tests that move Date move the emulator and its verifier too.
  google = await startGcpAuthEmulator({ serviceAccounts: [ORDERS, REPORTS], users: [ADA], now: () => Date.now() });
  [pgdb, mydb] = await Promise.all([
    startVerifyingPostgres({ users: [PG_ORDERS, PG_REPORTS], verify: google.verifier({ engine: 'postgres' }) }),
    startVerifyingMariaDb({ users: ['orders-api'], verify: google.verifier({ engine: 'mysql' }) }),
  ]);
  // A user made later, as Cloud SQL makes an IAM user (rds_iam: it logs in with a token, over TLS).
  await pgdb.admin(`CREATE ROLE "${ADA}" LOGIN IN ROLE rds_iam`);
}, 120_000);

afterAll(async () => {
  await Promise.all([pgdb?.close(), mydb?.close(), google?.close()]);
});

/** A GoogleAuth of a service account's key, its token requests sent to the emulator. */
const keyAuth = (email = ORDERS) => new GoogleAuth({ credentials: google.serviceAccountKey(email), scopes: [GCP_SQL_LOGIN_SCOPE], ...google.googleAuthOptions() });

function gcp(config: Parameters<typeof gcpCloudSqlToken>[0], options?: Parameters<typeof gcpCloudSqlToken>[1]): TokenProvider {
  const p = gcpCloudSqlToken(config, options);
  track.provider(p);
  return p;
}

const pgPool = (token: TokenProvider, extra?: Record<string, unknown>): Promise<pg.Pool> => track.pgPool(pgdb, token, extra);

describe('Cloud SQL for PostgreSQL', () => {
  it("a service account's key: logs in as its email without .gserviceaccount.com, read from the credentials", async () => {
    const token = gcp({ engine: 'postgres', auth: keyAuth() });
    const pool = await pgPool(token);
    expect(token.target?.user).toBe(PG_ORDERS);
    expect((await pool.query('select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0]).toEqual({ u: PG_ORDERS, ssl: true });
  });

  it("a user's own application default credentials: logs in as the whole email, learnt from tokeninfo", async () => {
    const auth = new GoogleAuth({ credentials: google.authorizedUser(ADA), scopes: [GCP_SQL_LOGIN_SCOPE, 'https://www.googleapis.com/auth/userinfo.email'], ...google.googleAuthOptions() });
    const token = gcp({ engine: 'postgres', auth });
    const sql = await createIamPool({ driver: 'postgres', token, host: pgdb.host, port: pgdb.port, database: pgdb.database, ssl: { ca: pgdb.ca } });
    track.closeLater(() => sql.end());
    expect((await sql`select session_user as u`)[0]).toEqual({ u: ADA });
  });

  it('the metadata server (GCE, Cloud Run, GKE), in its own process with on-demand refresh: application default credentials, and the process exits by itself', async () => {
    await ensureBuilt();
    const script = `
      import { createIamPool } from 'dbtoken';
      import { gcpCloudSqlToken } from 'dbtoken/gcp';
      const db = JSON.parse(process.env.GCP_DB);
      const token = gcpCloudSqlToken({ engine: 'postgres' }, { refresh: 'on-demand' });
      const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca } });
      console.log((await pool.query('select session_user as u')).rows[0].u);
      await pool.end();
      token.close();
    `;
    const r = await runNode(['--input-type=module', '-e', script], { env: { ...google.metadataEnv, GCP_DB: JSON.stringify({ host: pgdb.host, port: pgdb.port, database: pgdb.database, ca: pgdb.ca }) }, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(PG_ORDERS); // the metadata server's default account
  }, 120_000);

  it('a metadata server that hangs on a token request: the fetch times out, the next one asks anew (google-auth-library would join the hung request) and logs in, and the process exits once the hung socket closes', async () => {
    await ensureBuilt();
    // Between google-auth-library and the emulator's metadata server: the first token request gets no answer.
    const metadata = new URL(`http://${google.metadataEnv.GCE_METADATA_HOST}`);
    const hung: import('node:net').Socket[] = [];
    let tokenRequests = 0;
    const proxy = createHttpServer((req, res) => {
      if (req.url?.includes('/token')) {
        tokenRequests++;
        if (tokenRequests === 1) return void hung.push(req.socket);
        // A new request came: let the hung one go, so the process can end.
        for (const s of hung.splice(0)) s.destroy();
      }
      const upstream = httpRequest({ host: metadata.hostname, port: metadata.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const at = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      // fetchTimeout under gcp-metadata's own 3 s timeout off Google Cloud (on it, there is none), so that dbtoken's deadline ends the hung fetch.
      const script = `
        import { createIamPool } from 'dbtoken';
        import { gcpCloudSqlToken } from 'dbtoken/gcp';
        const db = JSON.parse(process.env.GCP_DB);
        const token = gcpCloudSqlToken({ engine: 'postgres' }, { fetchTimeout: 2500, retry: { attempts: 1, baseMs: 10, maxMs: 10 } });
        const first = await token.getToken().then(() => 'token', (e) => e.name + ': ' + e.message);
        await new Promise((r) => setTimeout(r, 50));
        const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca } });
        const user = (await pool.query('select session_user as u')).rows[0].u;
        console.log(JSON.stringify({ first, user }));
        await pool.end();
        token.close();
      `;
      const env = { ...google.metadataEnv, GCE_METADATA_HOST: at, GCE_METADATA_IP: at, GCP_DB: JSON.stringify({ host: pgdb.host, port: pgdb.port, database: pgdb.database, ca: pgdb.ca }) };
      const r = await runNode(['--input-type=module', '-e', script], { env, timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ first: expect.stringMatching(/^TokenUnavailableError: no token within fetchTimeout \(2500 ms\)/), user: PG_ORDERS });
      // The abandoned request, let go, may be retried by gaxios in the background: at least the hung one and dbtoken's new one.
      expect(tokenRequests).toBeGreaterThanOrEqual(2);
    } finally {
      for (const s of hung) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  }, 120_000);

  it("a GoogleAuth given in auth, whose token endpoint hangs once: with a transporter timeout, as docs/providers.md advises, the hung request ends and the next fetch logs in", async () => {
    const hung: import('node:net').Socket[] = [];
    const black = createNetServer((s) => void hung.push(s)); // accepts, never answers
    await new Promise<void>((r) => black.listen(0, '127.0.0.1', r));
    try {
      const port = (black.address() as { port: number }).port;
      let hang = true;
      const { agent, adapter } = google.googleAuthOptions().clientOptions.transporterOptions;
      const auth = new GoogleAuth({
        credentials: google.serviceAccountKey(ORDERS),
        scopes: [GCP_SQL_LOGIN_SCOPE],
        clientOptions: {
          transporterOptions: {
            agent,
            timeout: 500,
            adapter: (o: { url: URL | string }, def: (o: unknown) => unknown) => (hang ? def({ ...o, url: `https://127.0.0.1:${port}${new URL(String(o.url)).pathname}` }) : adapter(o, def as never)),
          },
        },
      });
      const token = gcp({ engine: 'postgres', auth }, { fetchTimeout: 10_000, retry: { attempts: 1, baseMs: 10, maxMs: 10 } });
      const err = await token.getToken().catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'TokenUnavailableError', message: expect.stringMatching(/token source failed/) });
      expect(hung).toHaveLength(1);
      hang = false;
      await new Promise((r) => setTimeout(r, 50));
      const pool = await pgPool(token);
      expect((await pool.query('select session_user as u')).rows[0].u).toBe(PG_ORDERS);
    } finally {
      for (const s of hung) s.destroy();
      await new Promise((r) => black.close(r));
    }
  });

  describe('the server refuses with 28000', () => {
    const loginWith = (user: string, password: string): Promise<string> => pgLoginWith(pgdb, user, password);

    it("another principal's token, an expired one, one of another scope, and a made-up one", async () => {
      const reports = (await gcp({ engine: 'postgres', auth: keyAuth(REPORTS) }).getToken()).token;
      expect(await loginWith(PG_REPORTS, reports)).toBe(PG_REPORTS);
      expect(await loginWith(PG_ORDERS, reports)).toMatch(/^refused 28000/);
      const soon = google.issue(ORDERS, { expiresInMs: 60_000 }).accessToken;
      vi.useFakeTimers({ now: Date.now() + 2 * 60_000, toFake: ['Date'] });
      expect(await loginWith(PG_ORDERS, soon)).toMatch(/^refused 28000: .*expired/);
      vi.useRealTimers();
      expect(await loginWith(PG_ORDERS, google.issue(ORDERS, { scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).accessToken)).toMatch(/^refused 28000: .*scope/);
      expect(await loginWith(PG_ORDERS, 'ya29.made-up-token-' + 'z'.repeat(40))).toMatch(/^refused 28000/);
    });
  });

  it('keeps logging in across three token lifetimes as the wall clock moves, each login with a valid token', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const token = gcp({ engine: 'postgres', auth: keyAuth() }, { refresh: 'on-demand' });
    const pool = await pgPool(token);
    const seen = new Set<string>();
    const before = pgdb.logins.length;
    for (let i = 0; i < 10; i++) {
      const c = await pool.connect();
      expect((await c.query('select session_user as u')).rows[0].u).toBe(PG_ORDERS);
      c.release(true);
      seen.add((await token.getToken()).token);
      vi.setSystemTime(Date.now() + 20 * 60_000);
    }
    expect(pgdb.logins.slice(before).map((l) => l.ok)).toEqual(Array(10).fill(true));
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('freeze and thaw: frozen past the token lifetime, the next login gets a fresh token first', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const token = gcp({ engine: 'postgres', auth: keyAuth() });
    const pool = await pgPool(token, { idleTimeoutMillis: 1_000 });
    const first = (await token.getToken()).token;
    await pool.query('select 1');
    vi.setSystemTime(Date.now() + 2 * 60 * 60_000);
    await pgdb.admin(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${PG_ORDERS}'`);
    // The pool drops the idle connection when the server's termination reaches it.
    await vi.waitFor(() => expect(pool.idleCount).toBe(0), { timeout: 10_000 });
    const before = pgdb.logins.length;
    expect((await pool.query('select session_user as u')).rows[0].u).toBe(PG_ORDERS);
    expect(pgdb.logins.slice(before).map((l) => l.ok)).toEqual([true]);
    expect((await token.getToken()).token).not.toBe(first);
  });

  it('canary: no access token or private key in errors, events, logs or util.inspect, across good and refused logins', async () => {
    const { text, seen, tokens } = await pgCanaryRun(
      (logger) => ({
        good: gcp({ engine: 'postgres', auth: keyAuth() }, { logger }),
        refused: gcp({ engine: 'postgres', auth: keyAuth(REPORTS), username: PG_ORDERS }, { logger }),
      }),
      pgPool,
    );
    expect(seen).toBeGreaterThan(3);
    for (const t of tokens) expect(text).not.toContain(t);
    for (const email of [ORDERS, REPORTS]) {
      const key = google.serviceAccountKey(email).private_key;
      expect(text).not.toContain(key.split('\n')[1]!);
    }
  });
});

describe('Cloud SQL for MySQL: mysql2', () => {
  it('a service account logs in as the part of its email before the @, and another principal is refused', async () => {
    const token = gcp({ engine: 'mysql', auth: keyAuth() });
    const pool = await createIamPool({ driver: 'mysql2', token, host: mydb.host, port: mydb.port, ssl: { ca: mydb.ca } });
    track.closeLater(() => pool.end());
    expect(token.target?.user).toBe('orders-api');
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS u');
    expect(rows[0]!.u).toMatch(/^orders-api@/);
    const wrong = gcp({ engine: 'mysql', auth: keyAuth(REPORTS), username: 'orders-api' });
    const refused = await createIamPool({ driver: 'mysql2', token: wrong, host: mydb.host, port: mydb.port, ssl: { ca: mydb.ca } });
    track.closeLater(() => refused.end());
    await expect(refused.query('SELECT 1')).rejects.toMatchObject({ errno: 1045 });
  });
});
