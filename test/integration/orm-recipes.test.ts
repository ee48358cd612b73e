import { runExample, type ExampleRun } from '../helpers/examples.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGION, staticKeys } from '../helpers/aws.js';
import { ensureBuilt } from '../helpers/dist.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { tempDir } from '../helpers/temp.js';

// The ORM recipes under examples/, each run as written (`node examples/<name>/index.mjs`),
// in a process of its own with only the environment the recipe's README names,
// against servers that check every login's RDS token: PostgreSQL (a writer, and
// a second server as the reader endpoint) and MariaDB.

let writer: IamPostgres;
let reader: IamPostgres; // a reader endpoint: another host:port, so a token of its own
let mariadb: IamMariadb;
let caFile: string; // both PostgreSQL CAs, as RDS's global-bundle.pem holds every region's
let mysqlCaFile: string;

beforeAll(async () => {
  ensureBuilt(); // the recipes import dbtoken by name: the built package
  [writer, reader, mariadb] = await Promise.all([startIamPostgres(), startIamPostgres(), startIamMariadb()]);
  const dir = tempDir('dbtoken-recipes-');
  caFile = join(dir, 'pg-ca.pem');
  writeFileSync(caFile, writer.ca + reader.ca);
  mysqlCaFile = join(dir, 'mysql-ca.pem');
  writeFileSync(mysqlCaFile, mariadb.ca);
  await mariadb.admin('CREATE DATABASE orders');
}, 180_000);

afterEach(() => {
  writer?.setClockOffset(0);
  reader?.setClockOffset(0);
  if (mariadb) {
    mariadb.beforeVerify = undefined;
    mariadb.revoked.clear();
  }
});

afterAll(async () => {
  await Promise.all([writer?.stop(), reader?.stop(), mariadb?.stop()]);
});

type Run = ExampleRun;

/** An example run with the AWS keys of the caller's identity in its environment, and the region 127.0.0.1 does not name. */
function runRecipe(name: string, env: Record<string, string>): Promise<Run> {
  return runExample(name, { AWS_ACCESS_KEY_ID: staticKeys.accessKeyId, AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey, AWS_REGION: REGION, ...env });
}

/** What the recipe printed: its last line, as JSON. */
function printed(run: Run): unknown {
  expect(run, run.stderr).toMatchObject({ code: 0 });
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines.at(-1)!);
}

/** A failed run: it ended by itself, with an error, and printed no result and no token. */
function failed(run: Run): string {
  expect(run.code, run.stdout + run.stderr).not.toBe('timeout');
  expect(run.code).not.toBe(0);
  expect(run.stdout).not.toMatch(/^\{/m); // no result printed
  expect(run.stdout + run.stderr).not.toMatch(/X-Amz-Signature|X-Amz-Credential/); // no token text in any error or log
  return run.stderr;
}

const pgEnv = (): Record<string, string> => ({
  DB_HOST: '127.0.0.1',
  DB_PORT: String(writer.port),
  DB_USER: 'iam_alice',
  DB_NAME: 'postgres',
  DB_CA_FILE: caFile,
});

const replicaEnv = (): Record<string, string> => ({
  ...pgEnv(),
  DB_READER_HOST: '127.0.0.1',
  DB_READER_PORT: String(reader.port),
});

/** The verifier's decisions since `before`, as [user, ok, reason]. */
const decided = (binds: readonly { user: string; ok: boolean; reason?: string | undefined }[], before: number) =>
  binds.slice(before).map((b) => [b.user, b.ok, b.reason]);

/** Every login accepted, at least one. */
function allAccepted(logins: unknown[][]): void {
  expect(logins.length).toBeGreaterThan(0);
  expect(logins).toEqual(logins.map(() => ['iam_alice', true, undefined]));
}

describe('PostgreSQL recipes', () => {
  // [recipe, how many logins a refused token costs: 2 where dbtoken's pool retries once, else at least 1]
  const single: [string, 'retries once' | 'no retry'][] = [
    ['knex-rds-postgres', 'no retry'],
    ['drizzle-rds-postgres', 'retries once'],
    ['kysely-rds-postgres', 'retries once'],
    ['mikro-orm-rds-postgres', 'no retry'],
    ['postgres-js-rds', 'retries once'],
  ];

  it.each(single)('%s logs in as the IAM user over TLS, with a token the server checked', async (name) => {
    const before = writer.ldap.binds.length;
    expect(printed(await runRecipe(name, pgEnv()))).toEqual({ user: 'iam_alice', ssl: true });
    allAccepted(decided(writer.ldap.binds, before));
  });

  it.each(single)('%s: a token the server refuses (its clock says expired) fails the recipe with the refusal, and it still exits', async (name, retry) => {
    writer.setClockOffset(16 * 60_000);
    const before = writer.ldap.binds.length;
    const stderr = failed(await runRecipe(name, pgEnv()));
    expect(stderr).toMatch(/28000|authentication failed/i);
    const logins = decided(writer.ldap.binds, before);
    if (retry === 'retries once') expect(logins).toEqual([0, 1].map(() => ['iam_alice', false, 'token expired']));
    else {
      expect(logins.length).toBeGreaterThan(0);
      expect(logins).toEqual(logins.map(() => ['iam_alice', false, 'token expired']));
    }
  });

  const replicas = ['typeorm-rds-postgres-replica', 'sequelize-rds-postgres-replica'];

  it.each(replicas)('%s: the writer and the reader endpoint each log in with a token signed for that endpoint', async (name) => {
    const [w, r] = [writer.ldap.binds.length, reader.ldap.binds.length];
    expect(printed(await runRecipe(name, replicaEnv()))).toEqual({
      writer: { user: 'iam_alice', ssl: true, port: writer.port, replica: false },
      reader: { user: 'iam_alice', ssl: true, port: reader.port, replica: false },
    });
    // Each server's verifier accepts only tokens signed for its own port.
    allAccepted(decided(writer.ldap.binds, w));
    allAccepted(decided(reader.ldap.binds, r));
  });

  it.each(replicas)('%s: a reader endpoint that refuses its token fails the recipe with the refusal, and it still exits', async (name) => {
    reader.setClockOffset(16 * 60_000);
    const [w, r] = [writer.ldap.binds.length, reader.ldap.binds.length];
    const stderr = failed(await runRecipe(name, replicaEnv()));
    expect(stderr).toMatch(/28000|authentication failed/i);
    // The writer's own token still passes. TypeORM opens the reader's pool first, and stops there, so it never
    // reaches the writer; Sequelize logs in to the writer as well.
    const onWriter = decided(writer.ldap.binds, w);
    if (name.startsWith('typeorm')) expect(onWriter).toEqual([]);
    else expect(onWriter.length).toBeGreaterThan(0);
    expect(onWriter).toEqual(onWriter.map(() => ['iam_alice', true, undefined]));
    const refused = decided(reader.ldap.binds, r);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused).toEqual(refused.map(() => ['iam_alice', false, 'token expired']));
  });
});

describe('MySQL recipes (mysql2)', () => {
  const mysqlEnv = (): Record<string, string> => ({
    DB_HOST: '127.0.0.1',
    DB_PORT: String(mariadb.port),
    DB_USER: 'iam_alice',
    DB_NAME: 'orders',
    DB_CA_FILE: mysqlCaFile,
  });

  /** The first login of the run is refused as revoked; the verifier holds it past the second, so a token signed again differs. */
  function revokeFirstLogin(): void {
    let first = true;
    mariadb.beforeVerify = async ({ password }) => {
      if (!first) return;
      first = false;
      mariadb.revoked.add(password);
      await new Promise((r) => setTimeout(r, 1_100));
    };
  }

  // [recipe, where mysql2AuthPlugins goes]
  const recipes: [string, string][] = [
    ['knex-rds-mysql', 'connection.authPlugins'],
    ['typeorm-rds-mysql', 'extra.authPlugins'],
    ['sequelize-rds-mysql', 'dialectOptions.authPlugins'],
    ['drizzle-rds-mysql', 'createMysql2Pool()'],
  ];

  it.each(recipes)('%s (%s) logs in as the IAM user, with a token the server checked', async (name) => {
    const before = mariadb.verifier.binds.length;
    expect(printed(await runRecipe(name, mysqlEnv()))).toEqual({ user: 'iam_alice@%' });
    allAccepted(decided(mariadb.verifier.binds, before));
  });

  it.each(recipes.filter(([, where]) => where.endsWith('authPlugins')))(
    '%s (%s): a revoked token fails the recipe with the server\'s refusal, and it still exits',
    async (name) => {
      revokeFirstLogin();
      const before = mariadb.verifier.binds.length;
      const stderr = failed(await runRecipe(name, mysqlEnv()));
      expect(stderr).toMatch(/Access denied|1045/);
      const logins = decided(mariadb.verifier.binds, before);
      expect(logins.length).toBeGreaterThan(0);
      expect(logins).toEqual(logins.map(() => ['iam_alice', false, 'revoked']));
    },
  );

  it('drizzle-rds-mysql (createMysql2Pool()): a revoked token is replaced once, and the query succeeds', async () => {
    revokeFirstLogin();
    const before = mariadb.verifier.binds.length;
    expect(printed(await runRecipe('drizzle-rds-mysql', mysqlEnv()))).toEqual({ user: 'iam_alice@%' });
    expect(decided(mariadb.verifier.binds, before)).toEqual([
      ['iam_alice', false, 'revoked'],
      ['iam_alice', true, undefined],
    ]);
  });
});
