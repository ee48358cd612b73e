import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamPool, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { heatwaveGroupMapping, heatwaveUser, rdsMysqlUser } from 'dbtoken/provision';
import { REGION, staticKeys } from '../helpers/aws.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';

// MySQL and MariaDB read `_` and `%` in the database of a `db.*` grant as
// wildcards. These tests run the builders' GRANTs on a real MariaDB and show
// that each covers the database it names and none of its look-alike neighbours.

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexampletenancy';
const IAM_USER = 'ocid1.user.oc1..aaaaaaaaexampleuser';
const GROUP = 'ocid1.group.oc1..aaaaaaaaexamplegroup';
const PASSWORD = 'grants-test-password';

/** `app_db` and every database its unescaped name would also match (`_` is any one character, `%` any run). */
const DATABASES = ['app_db', 'appXdb', 'app1db', 'app%db', 'appZZdb', 'app_db2'];

let db: IamMariadb;
const providers: TokenProvider[] = [];
const pools: mysql.Pool[] = [];

beforeAll(async () => {
  db = await startIamMariadb();
  for (const name of DATABASES) {
    await db.admin(`CREATE DATABASE \`${name}\``);
    await db.admin(`CREATE TABLE \`${name}\`.t (x INT)`);
    await db.admin(`INSERT INTO \`${name}\`.t VALUES (1)`);
  }
});

afterAll(async () => {
  for (const p of pools) await p.end().catch(() => {});
  for (const p of providers) p.close();
  await db?.stop();
});

/** Runs the statements as root; a CREATE USER that only RDS or HeatWave understand is swapped for one this server takes. */
async function run(statements: string[], create: (sql: string) => string): Promise<void> {
  for (const sql of statements) await db.admin(sql.startsWith('CREATE USER') ? create(sql) : sql);
}

/** Which of {@link DATABASES} `query` can read `t` in; every other one must fail with an access error. */
async function readable(query: (sql: string) => Promise<unknown>): Promise<string[]> {
  const ok: string[] = [];
  for (const name of DATABASES) {
    try {
      await query(`SELECT x FROM \`${name}\`.t`);
      ok.push(name);
    } catch (err) {
      expect((err as { code?: string }).code, `${name}: ${(err as Error).message}`).toMatch(/^ER_(TABLEACCESS|DBACCESS)_DENIED_ERROR$/);
    }
  }
  return ok;
}

/** Which of {@link DATABASES} `user` reads, logged in with {@link PASSWORD}. */
async function readableAs(user: string): Promise<string[]> {
  const c = await mysql.createConnection({ host: db.host, port: db.port, user, password: PASSWORD, ssl: { ca: db.ca } });
  try {
    return await readable((sql) => c.query(sql));
  } finally {
    await c.end();
  }
}

/** `CREATE USER '<u>'@'%' ...` as a password account, for builders whose login plugin MariaDB lacks. */
const withPassword = (sql: string): string => `${/^CREATE USER '[^']*'@'[^']*'/.exec(sql)![0]} IDENTIFIED BY '${PASSWORD}'`;

describe('MySQL grants cover exactly the database they name (private MariaDB)', () => {
  it("rdsMysqlUser: an IAM login granted 'app_db.*' reads app_db and not appXdb, app1db, app%db or any other neighbour", async () => {
    const statements = rdsMysqlUser({ user: 'iam_bob', grants: [{ privileges: ['SELECT', 'INSERT'], on: 'app_db.*' }] });
    await db.admin("DROP USER 'iam_bob'@'%'");
    // RDS's AWSAuthenticationPlugin is emulated on this server by PAM and the RDS-token verifier.
    await run(statements, (sql) => {
      const pam = sql.replace("IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", `IDENTIFIED VIA pam USING '${db.pamService}'`);
      expect(pam).not.toBe(sql);
      return pam;
    });

    const token = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_bob', region: REGION, credentials: staticKeys }, { cacheKey: `grants-${Math.random()}` });
    providers.push(token);
    const pool = await createIamPool({ driver: 'mysql2', token, host: db.host, port: db.port, ssl: { ca: db.ca }, connectionLimit: 1 });
    pools.push(pool);

    expect(await readable((sql) => pool.query(sql))).toEqual(['app_db']);
    await pool.query('INSERT INTO app_db.t VALUES (2)');
    await expect(pool.query('INSERT INTO appXdb.t VALUES (2)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(pool.query('USE appXdb')).rejects.toMatchObject({ code: 'ER_DBACCESS_DENIED_ERROR' });
    const [dbs] = (await pool.query('SHOW DATABASES')) as [{ Database: string }[], unknown];
    expect(dbs.map((r) => r.Database).sort()).toEqual(['app_db', 'information_schema']);
  });

  it("heatwaveUser: a grant on 'app%db.*' reads the database named app%db and not appXdb, appZZdb or app_db", async () => {
    const statements = heatwaveUser({ user: 'hw_pct', tenancy: TENANCY, iamUser: IAM_USER, grants: [{ privileges: ['SELECT'], on: 'app%db.*' }] });
    await run(statements, withPassword);
    expect(await readableAs('hw_pct')).toEqual(['app%db']);
  });

  it('heatwaveGroupMapping: the proxied user granted app_db.* reads app_db only', async () => {
    const statements = heatwaveGroupMapping({ tenancy: TENANCY, groups: [{ group: GROUP, proxiedUser: 'hw_readers', grants: [{ privileges: ['SELECT'], on: 'app_db.*' }] }] });
    // The proxied user's own statements; the anonymous authentication_oci account and its PROXY grant need HeatWave.
    await run(statements.filter((s) => s.includes("'hw_readers'@'%'") && !s.startsWith('GRANT PROXY')), withPassword);
    expect(await readableAs('hw_readers')).toEqual(['app_db']);
  });

  it('piped through the mariadb command-line client, as the README pipes `dbtoken sql` into mysql, the escape reaches the server as written', async () => {
    const statements = rdsMysqlUser({ user: 'cli_user', grants: [{ privileges: ['SELECT'], on: 'app_db.*' }, { privileges: ['SELECT'], on: 'app%db.*' }] });
    expect(statements.slice(1)).toEqual(["GRANT SELECT ON `app\\_db`.* TO 'cli_user'@'%';", "GRANT SELECT ON `app\\%db`.* TO 'cli_user'@'%';"]);
    const script = [withPassword(statements[0]!) + ';', ...statements.slice(1)].join('\n');
    const child = promisify(execFile)('mariadb', ['--no-defaults', `--socket=${db.socketPath}`, '--user=root'], { timeout: 60_000 });
    child.child.stdin!.end(`${script}\n`);
    await child;
    const rows = await db.admin("SELECT Db FROM mysql.db WHERE User = 'cli_user' ORDER BY Db");
    expect(rows.map((r: { Db: string }) => r.Db)).toEqual(['app\\%db', 'app\\_db']);
    expect(await readableAs('cli_user')).toEqual(['app_db', 'app%db']);
  });

  it('a table-level grant (app_db.t) is literal already: it reads app_db.t and no appXdb.t', async () => {
    const statements = rdsMysqlUser({ user: 'tbl_user', grants: [{ privileges: ['SELECT'], on: 'app_db.t' }] });
    expect(statements[1]).toBe("GRANT SELECT ON `app_db`.`t` TO 'tbl_user'@'%';");
    await run(statements, withPassword);
    expect(await readableAs('tbl_user')).toEqual(['app_db']);
  });

  it('a name too long once escaped is refused by the builder, as the server refuses it (ER_WRONG_DB_NAME)', async () => {
    const long = 'a_'.repeat(32);
    await db.admin(`CREATE DATABASE \`${long}\``);
    await db.admin(`CREATE USER 'long_user'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await expect(db.admin(`GRANT SELECT ON \`${long.replaceAll('_', '\\_')}\`.* TO 'long_user'@'%'`)).rejects.toMatchObject({ code: 'ER_WRONG_DB_NAME' });
    expect(() => rdsMysqlUser({ user: 'long_user', grants: [{ privileges: ['SELECT'], on: `${long}.*` }] })).toThrow(/grants\[0\]\.on: .*96 characters long once its _ and % are escaped/);
  });
});
