import pg from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InsecureTransportError, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { pgConnection, pgPassword, sequelizeBeforeConnect } from 'dbtoken/pg';
import { REGION, staticKeys } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

let db: IamPostgres;
const providers: TokenProvider[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await startIamPostgres();
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  db.revoked.clear();
});

afterAll(async () => {
  for (const p of providers) p.close();
  await db?.stop();
});

function rds(over: Partial<Parameters<typeof awsRdsToken>[0]> = {}) {
  const p = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: staticKeys, ...over });
  providers.push(p);
  return p;
}

function pool(config: pg.PoolConfig): pg.Pool {
  const p = new pg.Pool(config);
  closers.push(() => p.end());
  return p;
}

/** Runs `sql` on a new physical connection of `p`, then destroys that connection. */
async function fresh(p: pg.Pool, sql = 'select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()') {
  const client = await p.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    client.release(true);
  }
}

const afterASecond = () => new Promise((r) => setTimeout(r, 1_100)); // RDS tokens are signed to the second

describe('config objects for ORMs built on pg, against the verifying PostgreSQL', () => {
  it('pgConnection: host, port and user from the provider, and TLS that verifies the server against the given CA', async () => {
    const p = pool({ ...pgConnection(rds(), { ca: db.ca }), database: 'postgres' });
    expect(await fresh(p)).toEqual({ u: 'iam_alice', ssl: true });
  });

  it('pgConnection without the CA refuses the server at the TLS handshake, before any token is sent', async () => {
    const before = db.ldap.binds.length;
    const p = pool({ ...pgConnection(rds()), database: 'postgres' });
    const err = await fresh(p).catch((e: unknown) => e);
    // The server's certificate is signed by its own CA, which this client was not given (as an RDS
    // certificate without the RDS CA bundle).
    expect((err as { code?: string }).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(db.ldap.binds.length).toBe(before);
  });

  it('pgPassword: a token made for another port is a ConfigError, and never reaches the server', async () => {
    const before = db.ldap.binds.length;
    const client = new pg.Client({ host: db.host, port: db.port, user: 'iam_alice', database: 'postgres', ssl: { ca: db.ca }, password: pgPassword(rds({ port: db.port + 1 })) });
    const err = await client.connect().catch((e: unknown) => e);
    await client.end().catch(() => {});
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('port');
    expect(db.ldap.binds.length).toBe(before);
  });

  it('pgPassword forgets a token the server refuses: that connection fails, the next one logs in with a fresh token', async () => {
    const provider = rds();
    const p = pool({ host: db.host, port: db.port, user: 'iam_alice', database: 'postgres', ssl: { ca: db.ca }, password: pgPassword(provider) });
    await fresh(p);
    const revoked = (await provider.getToken()).token;
    db.revoked.add(revoked);
    await afterASecond();
    const before = db.ldap.binds.length;
    expect(((await fresh(p).catch((e: unknown) => e)) as { code?: string }).code).toBe('28000');
    expect((await fresh(p)).u).toBe('iam_alice');
    expect(db.ldap.binds.slice(before).map((b) => [b.ok, b.reason])).toEqual([
      [false, 'revoked'],
      [true, undefined],
    ]);
  });

  describe('Sequelize (the real package) through sequelizeBeforeConnect', () => {
    function sequelize(provider: TokenProvider, over: Record<string, unknown> = {}) {
      const s = new Sequelize({
        dialect: 'postgres',
        dialectModule: pg,
        host: db.host,
        port: db.port,
        database: 'postgres',
        dialectOptions: { ssl: { ca: db.ca } },
        hooks: { beforeConnect: sequelizeBeforeConnect(provider) },
        logging: false,
        ...over,
      });
      closers.push(() => s.close());
      return s;
    }
    const whoAndTls = (s: Sequelize) =>
      s.query('select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()', { type: QueryTypes.SELECT, plain: true });

    it('logs in over TLS as the provider\'s user', async () => {
      expect(await whoAndTls(sequelize(rds()))).toEqual({ u: 'iam_alice', ssl: true });
      expect(db.ldap.binds.at(-1)).toMatchObject({ user: 'iam_alice', ok: true });
    });

    it('refuses a config without dialectOptions.ssl before connecting', async () => {
      const before = db.ldap.binds.length;
      const err = await whoAndTls(sequelize(rds(), { dialectOptions: {} })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InsecureTransportError);
      expect(db.ldap.binds.length).toBe(before);
    });

    it('a token made for another port is a ConfigError, and never reaches the server', async () => {
      const before = db.ldap.binds.length;
      const err = await whoAndTls(sequelize(rds({ port: db.port + 1 }))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('port');
      expect(db.ldap.binds.length).toBe(before);
    });

    it('a revoked token is forgotten: the next new connection logs in with a fresh one', async () => {
      const provider = rds();
      await whoAndTls(sequelize(provider));
      db.revoked.add((await provider.getToken()).token);
      await afterASecond();
      const refused = await whoAndTls(sequelize(provider)).catch((e: unknown) => e);
      expect(((refused as { parent?: { code?: string } }).parent ?? (refused as { original?: { code?: string } }).original)?.code).toBe('28000');
      expect(await whoAndTls(sequelize(provider))).toEqual({ u: 'iam_alice', ssl: true });
    });
  });
});
