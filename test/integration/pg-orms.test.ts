import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import knex from 'knex';
import { Kysely, PostgresDialect, sql as kyselySql } from 'kysely';
import pg from 'pg';
import { QueryTypes, Sequelize } from 'sequelize';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool, pgConnection, pgPassword } from 'dbtoken/pg';
import { REGION, staticKeys } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { tempDir } from '../helpers/temp.js';

let db: IamPostgres;
let caFile: string;
const providers: TokenProvider[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await startIamPostgres();
  caFile = join(tempDir('dbtoken-pg-orms-'), 'ca.pem');
  writeFileSync(caFile, db.ca);
});

afterEach(async () => {
  vi.useRealTimers();
  for (const close of closers.splice(0)) await close().catch(() => {});
});

afterAll(async () => {
  for (const p of providers) p.close();
  await db?.stop();
});

/**
 * A provider for iam_alice at the private server. Its own cache entry: a
 * test that moves the clock on must not leave its future-dated tokens to the next.
 */
function rds(username = 'iam_alice'): TokenProvider {
  const p = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username, region: REGION, credentials: staticKeys }, { cacheKey: `pg-orms-${Math.random()}` });
  providers.push(p);
  return p;
}

const url = (query = `sslmode=verify-full&sslrootcert=${caFile}`, user = 'iam_alice@') => `postgresql://${user}127.0.0.1:${db.port}/postgres${query ? `?${query}` : ''}`;

const whoAndTls = 'select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()';

/** Runs `sql` on a new physical connection of `pool`, then destroys that connection. */
async function fresh(pool: pg.Pool, sql = whoAndTls) {
  const client = await pool.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    client.release(true);
  }
}

function keep<T extends { end(): Promise<unknown> }>(pool: T): T {
  closers.push(() => pool.end());
  return pool;
}

describe('connection strings (DATABASE_URL) against the verifying PostgreSQL', () => {
  it('createPgPool: the URL\'s user, host, port, database, sslmode=verify-full and sslrootcert; the token as the password', async () => {
    const pool = keep(createPgPool({ token: rds(), connectionString: url() }));
    expect(await fresh(pool)).toEqual({ u: 'iam_alice', ssl: true });
    expect(db.ldap.binds.at(-1)).toMatchObject({ user: 'iam_alice', ok: true });
  });

  it('createPgPool: a URL without a user logs in as the token\'s user (not $USER)', async () => {
    const pool = keep(createPgPool({ token: rds('iam_bob'), connectionString: url(undefined, '') }));
    expect(await fresh(pool)).toEqual({ u: 'iam_bob', ssl: true });
  });

  it('createIamPool({ driver: \'pg\' }) takes the same URL', async () => {
    const pool = keep(await createIamPool({ driver: 'pg', token: rds(), connectionString: url(undefined, '') }));
    expect(await fresh(pool)).toEqual({ u: 'iam_alice', ssl: true });
  });

  it('pgConnection({ connectionString }) gives pg a config it logs in with', async () => {
    const pool = keep(new pg.Pool(pgConnection(rds(), { connectionString: url() })));
    expect(await fresh(pool)).toEqual({ u: 'iam_alice', ssl: true });
  });

  it('sslmode=verify-full without the CA fails the TLS handshake, before any token is sent', async () => {
    const before = db.ldap.binds.length;
    const pool = keep(createPgPool({ token: rds(), connectionString: url('sslmode=verify-full') }));
    const err = await fresh(pool).catch((e: unknown) => e);
    // The server's certificate is signed by its own CA, which this client was not given (as an RDS
    // certificate without the RDS CA bundle).
    expect((err as { code?: string }).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(db.ldap.binds.length).toBe(before);
  });

  it('a password in the URL is a ConfigError, and nothing connects', async () => {
    const before = db.ldap.binds.length;
    const err = await createIamPool({ driver: 'pg', token: rds(), connectionString: url(undefined, 'iam_alice:static-password@') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('static-password');
    expect(db.ldap.binds.length).toBe(before);
  });
});

/** knex's logger, quiet: it warns of each session the tests end. */
const log = { warn: () => {}, error: () => {}, debug: () => {}, deprecate: () => {} };

/** An ORM's handle, as the recipe makes it: who it logs in as, and how it closes. */
interface Orm {
  who(): Promise<string>;
  close(): Promise<unknown>;
}

/** The server ends every iam_alice session (a failover, an idle timeout): the next query needs a new login. */
async function endSessions(): Promise<void> {
  await db.admin("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'iam_alice'");
  await new Promise((r) => setTimeout(r, 150)); // the ORM's pool sees its connections close
}

/**
 * Opens the ORM, then for 40 minutes of a clock that runs fast (Date only:
 * the provider's clock, the RDS signer and the verifier all read it) ends
 * every session each 8 minutes and queries again, so each round logs in
 * anew. Tokens live 15 minutes: a path that kept its first token would send
 * it expired by the third round, and the verifier would refuse it.
 */
async function acrossRollovers(open: (provider: TokenProvider) => Promise<Orm>): Promise<{ logins: boolean[]; tokens: number }> {
  vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
  const provider = rds();
  let tokens = 0;
  provider.on('token', () => tokens++);
  const before = db.ldap.binds.length;
  const orm = await open(provider);
  closers.push(() => orm.close());
  // A connection the server ended may be handed out once more before the ORM's pool has seen it close: ask again then.
  const who = (): Promise<string> => orm.who().catch(() => orm.who());
  for (let round = 0; round < 5; round++) {
    expect(await who()).toBe('iam_alice');
    await endSessions();
    vi.setSystemTime(Date.now() + 8 * 60_000);
  }
  return { logins: db.ldap.binds.slice(before).map((b) => b.ok), tokens };
}

describe('every ORM path across token rollovers on a fast clock: each new login has a token valid then', () => {
  const expectFreshLogins = ({ logins, tokens }: { logins: boolean[]; tokens: number }) => {
    expect(logins.length).toBeGreaterThanOrEqual(5); // a new login each round
    expect(logins.every(Boolean)).toBe(true);
    expect(tokens).toBeGreaterThanOrEqual(3); // 0, 16 and 32 minutes
  };

  it('plain pg: new pg.Pool(pgConnection())', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const pool = new pg.Pool({ ...pgConnection(provider, { ca: db.ca }), database: 'postgres' });
        pool.on('error', () => {}); // the ended sessions
        return { who: async () => (await pool.query('select session_user as u')).rows[0].u, close: () => pool.end() };
      }),
    );
  });

  it('plain pg: createPgPool({ connectionString })', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const pool = createPgPool({ token: provider, connectionString: url() });
        pool.on('error', () => {});
        return { who: async () => (await pool.query('select session_user as u')).rows[0].u, close: () => pool.end() };
      }),
    );
  });

  it('TypeORM: new DataSource({ type: \'postgres\', database, ...pgConnection() })', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const dataSource = new DataSource({ type: 'postgres', database: 'postgres', ...pgConnection(provider, { ca: db.ca }) });
        await dataSource.initialize();
        return { who: async () => (await dataSource.query('select session_user as u'))[0].u, close: () => dataSource.destroy() };
      }),
    );
  });

  it('knex: knex({ client: \'pg\', connection: pgConnection() })', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const db2 = knex({ client: 'pg', connection: { ...pgConnection(provider, { ca: db.ca }), database: 'postgres' }, log });
        return { who: async () => (await db2.raw('select session_user as u')).rows[0].u, close: () => db2.destroy() };
      }),
    );
  });

  it('knex: a connection function that returns pgConnection() (knex\'s connection provider)', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const db2 = knex({ client: 'pg', connection: async () => ({ ...pgConnection(provider, { connectionString: url() }) }), log });
        return { who: async () => (await db2.raw('select session_user as u')).rows[0].u, close: () => db2.destroy() };
      }),
    );
  });

  it.each([
    ['driverOptions: { connection: pgConnection() }', (provider: TokenProvider) => pgConnection(provider, { ca: db.ca })],
    [
      'pgPassword() in a connection of its own (MikroORM calls it outside pg: it answers { password: itself })',
      (provider: TokenProvider) => ({ host: '127.0.0.1', port: db.port, user: 'iam_alice', ssl: { ca: db.ca }, password: pgPassword(provider) }),
    ],
  ])('MikroORM 6: %s', async (_name, connection) => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const orm = await MikroORM.init({
          dbName: 'postgres',
          entities: [],
          discovery: { warnWhenNoEntities: false },
          driverOptions: { connection: connection(provider), log },
        });
        return { who: async () => (await orm.em.getConnection().execute<{ u: string }[]>('select session_user as u'))[0]!.u, close: () => orm.close() };
      }),
    );
  });

  it('Drizzle: drizzle({ client: createPgPool() })', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const pool = createPgPool({ token: provider, database: 'postgres', ssl: { ca: db.ca } });
        pool.on('error', () => {});
        const orm = drizzle({ client: pool });
        return { who: async () => (await orm.execute<{ u: string }>(sql`select session_user as u`)).rows[0]!.u, close: () => pool.end() };
      }),
    );
  });

  it('Kysely: new PostgresDialect({ pool: createPgPool() })', async () => {
    expectFreshLogins(
      await acrossRollovers(async (provider) => {
        const pool = createPgPool({ token: provider, database: 'postgres', ssl: { ca: db.ca } });
        pool.on('error', () => {});
        const orm = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
        return { who: async () => (await kyselySql<{ u: string }>`select session_user as u`.execute(orm)).rows[0]!.u, close: () => orm.destroy() };
      }),
    );
  });

  // The replication recipes, with the writer and the reader at the one server: every round logs in on both.
  it('TypeORM: replication: { master: pgConnection(), slaves: [pgConnection()] }', async () => {
    const rounds = await acrossRollovers(async (provider) => {
      const node = { ...pgConnection(provider, { ca: db.ca }), database: 'postgres' };
      const dataSource = new DataSource({ type: 'postgres', replication: { master: node, slaves: [node] } });
      await dataSource.initialize();
      const on = async (mode: 'master' | 'slave') => {
        const runner = dataSource.createQueryRunner(mode);
        try {
          return (await runner.query('select session_user as u'))[0].u as string;
        } finally {
          await runner.release();
        }
      };
      return { who: async () => [await on('master'), await on('slave')].join() === 'iam_alice,iam_alice' ? 'iam_alice' : 'mixed', close: () => dataSource.destroy() };
    });
    expectFreshLogins(rounds);
    expect(rounds.logins.length).toBeGreaterThanOrEqual(10); // the writer and the reader, each round
  });

  it('Sequelize: replication: { write: { password: pgPassword() }, read: [{ password: pgPassword() }] }', async () => {
    const rounds = await acrossRollovers(async (provider) => {
      const endpoint = { host: '127.0.0.1', port: db.port, password: pgPassword(provider) as unknown as string };
      const orm = new Sequelize({
        dialect: 'postgres',
        dialectModule: pg,
        database: 'postgres',
        username: 'iam_alice',
        dialectOptions: { ssl: { ca: db.ca } },
        replication: { write: { ...endpoint }, read: [{ ...endpoint }] },
        logging: false,
      });
      const on = async (useMaster: boolean) => (await orm.query<{ u: string }>('select session_user as u', { type: QueryTypes.SELECT, useMaster }))[0]!.u;
      return { who: async () => [await on(true), await on(false)].join() === 'iam_alice,iam_alice' ? 'iam_alice' : 'mixed', close: () => orm.close() };
    });
    expectFreshLogins(rounds);
    expect(rounds.logins.length).toBeGreaterThanOrEqual(10); // the writer and the reader, each round
  });

  it('the check has teeth: a token resolved once (what MikroORM kept of a password function that answered a string) is refused once it has expired', async () => {
    const err = await acrossRollovers(async (provider) => {
      const db2 = knex({ client: 'pg', connection: async () => ({ ...pgConnection(provider, { ca: db.ca }), database: 'postgres', password: (await provider.getToken()).token }), log });
      return { who: async () => (await db2.raw('select session_user as u')).rows[0].u, close: () => db2.destroy() };
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('28000');
    expect(db.ldap.binds.at(-1)).toMatchObject({ ok: false });
  });
});
