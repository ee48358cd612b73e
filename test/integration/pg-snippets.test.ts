import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { REGION, staticKeys } from '../helpers/aws.js';
import { root } from '../helpers/dist.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { docSnippets, adaptersDocSnippets, snippetFile, snippetModule, type Snippet } from '../helpers/snippets.js';
import { tempDir } from '../helpers/temp.js';

// Each example of the pg adapter's docs that builds a client (pg, TypeORM,
// knex, MikroORM, Sequelize), run as written, with `token` a provider for
// the user `app` of the verifying PostgreSQL, `rdsCaBundle` its CA, `host`
// and `port` its endpoint: it must log in (as `app`, which logs in over TLS
// only), and the client it builds must answer as `app`, over TLS. The types test compiles
// every example, runnable or not, under strict.

let db: IamPostgres;
let provider: TokenProvider;
const dir = join(root, '.tmp', `pg-snippets-${process.pid}`);
const savedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  db = await startIamPostgres();
  await db.admin('CREATE ROLE app LOGIN');
  await db.admin('GRANT rds_iam TO app'); // as on RDS: token logins, over TLS only
  await db.admin('CREATE DATABASE orders');
  provider = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'app', region: REGION, credentials: staticKeys });
  const caFile = join(tempDir('dbtoken-pg-snippets-'), 'global-bundle.pem');
  writeFileSync(caFile, db.ca);
  process.env.DATABASE_URL = `postgresql://app@127.0.0.1:${db.port}/orders?sslmode=verify-full&sslrootcert=${caFile}`;
  mkdirSync(dir, { recursive: true });
});

afterAll(async () => {
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  rmSync(dir, { recursive: true, force: true });
  provider?.close();
  await db?.stop();
});

const whoAndTls = 'select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()';

type Row = { u: string; ssl: boolean };

/** Queries `value` with its own API when it is a client the examples build; undefined otherwise. */
async function ask(value: any): Promise<Row | undefined> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  if (typeof value.initialize === 'function' && typeof value.query === 'function') {
    if (!value.isInitialized) await value.initialize(); // TypeORM
    return (await value.query(whoAndTls))[0];
  }
  if (typeof value.em === 'object' && typeof value.close === 'function') return (await value.em.getConnection().execute(whoAndTls))[0]; // MikroORM
  if (typeof value.authenticate === 'function') return value.query(whoAndTls, { type: QueryTypes.SELECT, plain: true }); // Sequelize
  if (typeof value.raw === 'function' && typeof value.destroy === 'function') return (await value.raw(whoAndTls)).rows[0]; // knex
  if (typeof value.query === 'function' && typeof value.totalCount === 'number') return value.ending ? undefined : (await value.query(whoAndTls)).rows[0]; // pg.Pool, unless the example ended it

  return undefined;
}

async function close(value: any): Promise<void> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  if (typeof value.initialize === 'function') return value.isInitialized ? value.destroy() : undefined;
  if (typeof value.em === 'object' || typeof value.authenticate === 'function') return value.close();
  if (typeof value.raw === 'function') return value.destroy();
  if (typeof value.totalCount === 'number') return value.ending ? undefined : value.end();
}

const all = [...adaptersDocSnippets(), ...docSnippets()];

describe('the pg adapter\'s examples, run against the verifying PostgreSQL', () => {
  it.each(all.filter((s) => s.runnable).map((s): [string, Snippet] => [s.where, s]))('%s logs in as app over TLS', async (_where, snippet) => {
    const file = join(dir, snippetFile(snippet));
    writeFileSync(file, snippetModule(snippet));
    const { run } = (await import(pathToFileURL(file).href)) as { run: (...a: unknown[]) => Promise<Record<string, unknown>> };
    const before = db.ldap.binds.length;
    const made = await run(provider, provider, db.ca, db.ca, db.host, db.port);
    try {
      const rows = (await Promise.all(Object.values(made).map(ask))).filter((r): r is Row => r !== undefined);
      for (const row of rows) expect(row).toEqual({ u: 'app', ssl: true });
      const logins = db.ldap.binds.slice(before);
      expect(logins.length, `the example logged in nowhere: ${Object.keys(made).join(', ')}`).toBeGreaterThan(0);
      expect(logins.every((b) => b.user === 'app' && b.ok)).toBe(true);
    } finally {
      for (const value of Object.values(made)) await close(value).catch(() => {});
    }
  });
});
