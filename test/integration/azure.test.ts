import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import { createIamPool, type TokenProvider } from 'dbtoken';
import { azureEntraToken, type AzureTokenCredential } from 'dbtoken/azure';
import { sequelizeBeforeConnect } from 'dbtoken/pg';
import { startEntraIdEmulator, startVerifyingMariaDb, startVerifyingPostgres, type EntraIdEmulator, type VerifyingMariaDb, type VerifyingPostgres } from 'dbtoken/testing';
import { render } from '../helpers/canary.js';
import { pgCanaryRun, pgLoginWith, tracked } from '../helpers/pg-logins.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';

/**
 * azureEntraToken against Azure Database for PostgreSQL and MySQL stand-ins:
 * private PostgreSQL and MariaDB servers whose logins the Entra ID emulator's
 * verifier checks (signature against its JWKS, audience, issuer, expiry, and
 * the user: the token's UPN, or a role bound to its object id), with tokens
 * the real @azure/identity credentials get from the emulator.
 */
const APP = { clientId: '0a1b2c3d-0000-4000-8000-00000000a001', clientSecret: 'entra-app-secret-' + 'x'.repeat(24), objectId: '0a1b2c3d-0000-4000-8000-00000000b001' };
const OTHER = { clientId: '0a1b2c3d-0000-4000-8000-00000000a002', clientSecret: 'entra-other-secret-' + 'y'.repeat(24), objectId: '0a1b2c3d-0000-4000-8000-00000000b002' };
const MI_OID = '0a1b2c3d-0000-4000-8000-00000000c001';
const UPN = 'Ada.Lovelace@contoso.com';

let entra: EntraIdEmulator;
let pgdb: VerifyingPostgres;
let mydb: VerifyingMariaDb;
const track = tracked();

beforeAll(async () => {
  // Its clock reads Date on each call, so tests that move Date move the emulator and its verifier too.
  entra = await startEntraIdEmulator({ servicePrincipals: [APP, OTHER], managedIdentity: { objectId: MI_OID }, now: () => Date.now() });
  // Roles bound to object ids, as pgaadauth_create_principal_with_oid (PostgreSQL) and CREATE AADUSER (MySQL) bind them.
  const roles = { orders_api: APP.objectId, orders_mi: MI_OID, reporting: OTHER.objectId };
  [pgdb, mydb] = await Promise.all([
    startVerifyingPostgres({ users: ['orders_api', 'orders_mi', 'reporting'], verify: entra.verifier({ roles }) }),
    startVerifyingMariaDb({ users: ['orders_api', 'reporting'], verify: entra.verifier({ roles }) }),
  ]);
  // A UPN is not a bare identifier: its role is made by hand, as pgaadauth_create_principal makes it (rds_iam: it logs in with a token over TLS).
  await pgdb.admin(`CREATE ROLE "${UPN}" LOGIN IN ROLE rds_iam`);
}, 120_000);

afterAll(async () => {
  await Promise.all([pgdb?.close(), mydb?.close(), entra?.close()]);
});

const secretCredential = (sp = APP) => new ClientSecretCredential(entra.tenantId, sp.clientId, sp.clientSecret, { authorityHost: entra.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: entra.ca } });

/** An Entra user's own sign-in (az login, a browser), which cannot run here: the emulator issues the user's token. */
const userCredential = (upn = UPN): AzureTokenCredential => ({
  getToken: async () => {
    const t = entra.issueUserToken({ upn });
    return { token: t.token, expiresOnTimestamp: t.expiresOnTimestamp };
  },
});

function azure(config: Parameters<typeof azureEntraToken>[0], options?: Parameters<typeof azureEntraToken>[1]): TokenProvider {
  const p = azureEntraToken(config, options);
  track.provider(p);
  return p;
}

const pgPool = (token: TokenProvider, extra?: Record<string, unknown>): Promise<pg.Pool> => track.pgPool(pgdb, token, extra);

describe('Azure Database for PostgreSQL: pg and postgres.js', () => {
  it('a service principal (ClientSecretCredential) logs in as the role bound to its object id', async () => {
    const pool = await pgPool(azure({ credential: secretCredential(), username: 'orders_api' }));
    expect((await pool.query('select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0]).toEqual({ u: 'orders_api', ssl: true });
    expect(pgdb.logins.at(-1)).toMatchObject({ user: 'orders_api', ok: true });
  });

  it("an Entra user logs in as the UPN read from the token, and createIamPool waited for it", async () => {
    const token = azure({ credential: userCredential() });
    const sql = await createIamPool({ driver: 'postgres', token, host: pgdb.host, port: pgdb.port, database: pgdb.database, ssl: { ca: pgdb.ca } });
    track.closeLater(() => sql.end());
    expect(token.target?.user).toBe(UPN);
    expect((await sql`select session_user as u`)[0]).toEqual({ u: UPN });
  });

  it('Sequelize (the real package) through sequelizeBeforeConnect: the hook waits for the first token and logs in as its UPN', async () => {
    const token = azure({ credential: userCredential() });
    const sequelize = new Sequelize({
      dialect: 'postgres',
      dialectModule: pg,
      host: pgdb.host,
      port: pgdb.port,
      database: pgdb.database,
      dialectOptions: { ssl: { ca: pgdb.ca } },
      hooks: { beforeConnect: sequelizeBeforeConnect(token) },
      logging: false,
    });
    track.closeLater(() => sequelize.close());
    expect(token.target?.user).toBeUndefined();
    expect(await sequelize.query('select session_user as u', { type: QueryTypes.SELECT, plain: true })).toEqual({ u: UPN });
    expect(pgdb.logins.at(-1)).toMatchObject({ user: UPN, ok: true });
  });

  it("a service principal without username: createIamPool rejects with the ConfigError on username, and no login is tried", async () => {
    const before = pgdb.logins.length;
    await expect(pgPool(azure({ credential: secretCredential() }))).rejects.toMatchObject({ name: 'ConfigError', field: 'username', message: expect.stringMatching(/service principal or managed identity/) });
    expect(pgdb.logins.length).toBe(before);
  });

  describe('the server refuses with 28000', () => {
    const loginWith = (user: string, password: string): Promise<string> => pgLoginWith(pgdb, user, password);

    it("another principal's token for a role, an expired token, a forged one, another audience's", async () => {
      const other = (await azure({ credential: secretCredential(OTHER), username: 'reporting' }).getToken()).token;
      expect(await loginWith('orders_api', other)).toMatch(/^refused 28000/);
      expect(await loginWith('reporting', other)).toBe('reporting');
      const expired = entra.issueUserToken({ upn: UPN, expiresInMs: 60_000 }).token;
      vi.useFakeTimers({ now: Date.now() + 7 * 60_000, toFake: ['Date'] }); // past its expiry and the verifier's 5 minutes of clock skew
      expect(await loginWith(UPN, expired)).toMatch(/^refused 28000: .*expired/);
      vi.useRealTimers();
      const forger = await startEntraIdEmulator({ tenantId: entra.tenantId });
      try {
        expect(await loginWith(UPN, forger.issueUserToken({ upn: UPN }).token)).toMatch(/^refused 28000/);
      } finally {
        await forger.close();
      }
      expect(await loginWith(UPN, entra.issueUserToken({ upn: UPN, resource: 'https://management.azure.com' }).token)).toMatch(/^refused 28000: .*aud/);
      // A user's token for a role bound to another object id.
      expect(await loginWith('orders_api', entra.issueUserToken({ upn: 'orders_api@contoso.com' }).token)).toMatch(/^refused 28000/);
    });
  });

  it('keeps logging in across three token lifetimes as the wall clock moves, each login with a valid token', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] }); // MSAL, the emulator, the verifier and dbtoken read Date; timers stay real
    const token = azure({ credential: secretCredential(), username: 'orders_api' }, { refresh: 'on-demand' });
    const seen = new Set<string>();
    const pool = await pgPool(token);
    const before = pgdb.logins.length;
    for (let i = 0; i < 10; i++) {
      const c = await pool.connect();
      expect((await c.query('select session_user as u')).rows[0].u).toBe('orders_api');
      c.release(true);
      seen.add((await token.getToken()).token);
      vi.setSystemTime(Date.now() + 20 * 60_000); // 3 h 20 min in all; tokens live 60 min
    }
    expect(pgdb.logins.slice(before).map((l) => l.ok)).toEqual(Array(10).fill(true));
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });

  it('freeze and thaw: frozen past the token lifetime, the next login gets a fresh token first', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const token = azure({ credential: secretCredential(), username: 'orders_api' });
    const pool = await pgPool(token, { idleTimeoutMillis: 1_000 });
    const first = (await token.getToken()).token;
    await pool.query('select 1');
    vi.setSystemTime(Date.now() + 2 * 60 * 60_000);
    await pgdb.admin(`select pg_terminate_backend(pid) from pg_stat_activity where usename = 'orders_api'`);
    // The pool drops the idle connection when the server's termination reaches it.
    await vi.waitFor(() => expect(pool.idleCount).toBe(0), { timeout: 10_000 });
    const before = pgdb.logins.length;
    expect((await pool.query('select session_user as u')).rows[0].u).toBe('orders_api');
    expect(pgdb.logins.slice(before).map((l) => l.ok)).toEqual([true]);
    expect((await token.getToken()).token).not.toBe(first);
  });

  it('ManagedIdentityCredential (App Service variables), in its own process: logs in as the managed identity\'s role, and the process exits by itself', async () => {
    await ensureBuilt();
    const script = `
      import { ManagedIdentityCredential } from '@azure/identity';
      import { createIamPool } from 'dbtoken';
      import { azureEntraToken } from 'dbtoken/azure';
      const db = JSON.parse(process.env.AZ_DB);
      const token = azureEntraToken({ credential: new ManagedIdentityCredential({ tlsOptions: { ca: db.entraCa } }), username: 'orders_mi' });
      const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca } });
      console.log((await pool.query('select session_user as u')).rows[0].u);
      await pool.end();
      token.close();
    `;
    const env = { ...entra.managedIdentityEnv, AZ_DB: JSON.stringify({ host: pgdb.host, port: pgdb.port, database: pgdb.database, ca: pgdb.ca, entraCa: entra.ca }) };
    const r = await runNode(['--input-type=module', '-e', script], { env, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('orders_mi');
  }, 120_000);

  it('canary: no token or client secret in errors, events, logs or util.inspect, across good and refused logins', async () => {
    const { text, seen, tokens } = await pgCanaryRun(
      (logger) => ({
        good: azure({ credential: secretCredential(), username: 'orders_api' }, { logger }),
        refused: azure({ credential: secretCredential(OTHER), username: 'orders_api' }, { logger }),
      }),
      pgPool,
    );
    expect(seen).toBeGreaterThan(3);
    for (const t of tokens) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(t.split('.')[2]);
    }
    for (const secret of [APP.clientSecret, OTHER.clientSecret]) expect(text).not.toContain(secret);
    expect(render(entra.requests)).not.toContain(APP.clientSecret);
  });
});

describe('Azure Database for MySQL: mysql2 (mysql_clear_password over TLS)', () => {
  it('a service principal logs in as the user bound to its object id (CREATE AADUSER), and another principal is refused', async () => {
    const token = azure({ credential: secretCredential(), username: 'orders_api' });
    const pool = await createIamPool({ driver: 'mysql2', token, host: mydb.host, port: mydb.port, ssl: { ca: mydb.ca } });
    track.closeLater(() => pool.end());
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS u');
    expect(rows[0]!.u).toMatch(/^orders_api@/);
    const wrong = azure({ credential: secretCredential(OTHER), username: 'orders_api' });
    const refused = await createIamPool({ driver: 'mysql2', token: wrong, host: mydb.host, port: mydb.port, ssl: { ca: mydb.ca } });
    track.closeLater(() => refused.end());
    await expect(refused.query('SELECT 1')).rejects.toMatchObject({ errno: 1045 });
    expect(mydb.logins.at(-1)).toMatchObject({ user: 'orders_api', ok: false });
  });
});
