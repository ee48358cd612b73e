import { appendFileSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { startLdapVerifier, type LdapVerifier } from '../ldap/server.js';
import { emulatorCertificates } from '../certificates.js';
import { postgresRunner, type SqlRunner } from '../sql-clients.js';
import { atExit, freePort, systemDeps, throwIfAborted, userIds, type SystemDeps } from '../system.js';
import { DSQL_ADMIN, loginSettings, parseDsqlIamStatement, type DsqlGrants, type DsqlIamStatement, type VerifyingServer, type VerifyingServerOptions } from '../verifying-server.js';
import { findPostgresBinaries, pgHba, postgresConf, postgresSetupSql } from './config.js';

/**
 * Options of {@link startVerifyingPostgres}.
 *
 * @example
 * ```ts
 * const options: VerifyingPostgresOptions = {
 *   users: ['app'],
 *   region: 'us-east-1',
 *   credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' },
 *   binDir: '/usr/lib/postgresql/16/bin',
 * };
 * ```
 */
export interface VerifyingPostgresOptions extends VerifyingServerOptions {
  /**
   * The folder holding `initdb` and `pg_ctl`. Default: the newest `/usr/lib/postgresql/<version>/bin`
   * (Debian's package `postgresql`).
   * @example `'/usr/lib/postgresql/16/bin'`
   */
  binDir?: string | undefined;
}

/**
 * A running {@link startVerifyingPostgres} server.
 *
 * @example
 * ```ts
 * const db: VerifyingPostgres = await startVerifyingPostgres({ users: ['app'], region, credentials });
 * expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: true });
 * ```
 */
export interface VerifyingPostgres extends VerifyingServer {
  /**
   * The folder of its Unix socket, where `admin()` connects as `postgres` (`psql -h <socketDir> -p <port> -U postgres`).
   * @example `'/tmp/dbtoken-pg-AbC123'`
   */
  readonly socketDir: string;
}

/**
 * Starts a private PostgreSQL whose logins are checked by a token verifier, as an RDS or Aurora
 * PostgreSQL instance checks IAM tokens: its own data directory, socket and log in a temp folder, a
 * free port on 127.0.0.1, TLS with a fresh CA (`ca`), and `ldap` authentication handing each password
 * to a verifier in this process. The verifier checks RDS tokens signed with `credentials` for `region`,
 * for `127.0.0.1` or `localhost` and the server's port, and the user logging in; `verify` replaces that
 * check for other tokens.
 *
 * `users` log in with tokens over TLS only, and so does any role you later `GRANT rds_iam` to, as on
 * RDS. A refused login gets SQLSTATE 28000, as a bad token does on RDS. Each user may work in
 * `database`. Superuser SQL goes through `admin()`, which uses the `pg` package (or `postgres`).
 *
 * It needs PostgreSQL's server programs (Debian's package `postgresql`); as root it runs them as the
 * `postgres` user. It takes about a second to start. `close()` stops it and removes its folder, and a
 * server left open is stopped when the process exits.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * import { startVerifyingPostgres } from 'dbtoken/testing';
 *
 * const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' };
 * const db = await startVerifyingPostgres({ users: ['app'], region: 'us-east-1', credentials });
 * const token = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: 'us-east-1', credentials });
 * const pool = await createIamPool({ driver: 'pg', token, database: db.database, ssl: { ca: db.ca } });
 * await pool.query('select 1');
 * await pool.end();
 * await db.close();
 * ```
 */
export function startVerifyingPostgres(options: VerifyingPostgresOptions): Promise<VerifyingPostgres> {
  return startPostgresWith(options, systemDeps);
}

/** Runs DSQL's `AWS IAM GRANT` / `REVOKE` as DSQL does: the role must exist and may log in; a revoke of no grant is an error. */
async function dsqlIam(grants: DsqlGrants, s: DsqlIamStatement | Error, run: (sql: string, values?: readonly unknown[]) => Promise<Record<string, any>[]>): Promise<Record<string, any>[]> {
  if (s instanceof Error) throw s;
  const [role] = await run('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [s.role]);
  if (role === undefined) throw new Error(`role "${s.role}" does not exist`);
  if (s.role === DSQL_ADMIN) throw new Error('the admin role logs in with DbConnectAdmin tokens and is granted to no IAM identity');
  if (s.kind === 'grant') {
    if (role.rolcanlogin !== true) throw new Error(`role "${s.role}" cannot log in: CREATE ROLE ${s.role} WITH LOGIN first`);
    grants.grant(s.role, s.arn);
  } else if (!grants.revoke(s.role, s.arn)) {
    throw new Error(`role "${s.role}" is not granted to ${s.arn}`);
  }
  return [];
}

/** Reads the postmaster's pid from its pid file, if it is running. */
function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function serverLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-20).join('\n');
  } catch {
    return '(no server log)';
  }
}

/**
 * {@link startVerifyingPostgres} on the machine `deps` describes.
 *
 * @internal
 */
export async function startPostgresWith(options: VerifyingPostgresOptions, deps: SystemDeps): Promise<VerifyingPostgres> {
  const settings = loginSettings(options, { min: 1, max: 10_000, server: 'PostgreSQL' });
  const { signal } = options;
  const binaries = findPostgresBinaries(deps.probe, options.binDir);
  if (!binaries.found) {
    throw new ConfigError('binDir', binaries.problem, 'install the Debian package postgresql (apt-get install postgresql), or pass binDir: the folder holding initdb and pg_ctl');
  }
  const bin = (program: string): string => join(binaries.binDir, program);
  throwIfAborted(signal);
  const runSql: SqlRunner = await postgresRunner();
  // PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
  const osUser = deps.uid() === 0 ? 'postgres' : undefined;

  let port = 0;
  let ldap: LdapVerifier | undefined;
  let dir: string | undefined;
  let data = '';
  let unhook: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const stop = async (): Promise<void> => {
    unhook?.();
    if (dir !== undefined && postmasterPid(data) !== undefined) {
      await deps.run(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop'], { user: osUser }).catch(() => {
        const pid = postmasterPid(data);
        if (pid !== undefined) process.kill(pid, 'SIGQUIT');
      });
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await ldap?.close();
  };
  const close = (): Promise<void> => (closing ??= stop());

  try {
    ldap = await startLdapVerifier({ verify: ({ user, password }) => settings.check(password, user, port) });
    dir = mkdtempSync(join(tmpdir(), 'dbtoken-pg-'));
    data = join(dir, 'data');
    const owner = osUser === undefined ? undefined : await userIds(deps.run, osUser);
    const own = (path: string): void => {
      if (owner) chownSync(path, owner.uid, owner.gid);
    };
    own(dir);
    throwIfAborted(signal);
    await deps.run(bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { user: osUser, signal });
    port = await freePort();
    const certs = emulatorCertificates(['localhost', '127.0.0.1'], 'dbtoken verifying PostgreSQL');
    writeFileSync(join(data, 'server.crt'), certs.serverCert);
    writeFileSync(join(data, 'server.key'), certs.serverKey, { mode: 0o600 });
    own(join(data, 'server.crt'));
    own(join(data, 'server.key'));
    appendFileSync(join(data, 'postgresql.conf'), postgresConf({ port, socketDir: dir, maxConnections: settings.maxConnections }));
    writeFileSync(join(data, 'pg_hba.conf'), pgHba({ ldapPort: ldap.port, users: settings.users, insecureUsers: settings.insecureUsers, anyRole: settings.dsql !== undefined }));
    throwIfAborted(signal);
    const folder = dir;
    unhook = atExit(() => {
      const pid = postmasterPid(data);
      if (pid !== undefined) process.kill(pid, 'SIGQUIT');
      rmSync(folder, { recursive: true, force: true });
    });
    // Not cut short by the signal: a pg_ctl killed half way could leave a postmaster starting unseen.
    await deps.run(bin('pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], { user: osUser }).catch((err: unknown) => {
      throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${serverLog(folder)}`, { cause: err });
    });
    const setup = postgresSetupSql(settings);
    const superuser = { socket: dir, port, user: 'postgres' };
    for (const sql of setup.server) {
      throwIfAborted(signal);
      await runSql({ ...superuser, database: 'postgres' }, sql);
    }
    for (const sql of setup.inDatabase) await runSql({ ...superuser, database: settings.database }, sql);
    throwIfAborted(signal);
    return {
      host: '127.0.0.1',
      port,
      database: settings.database,
      ca: certs.ca,
      logins: settings.logins,
      tempDir: dir,
      socketDir: dir,
      admin: (sql, values) => {
        if (typeof sql !== 'string') return Promise.reject(new TypeError('admin takes SQL text'));
        if (settings.dsql !== undefined && /^\s*SELECT\s+\*\s+FROM\s+sys\.iam_pg_role_mappings\s*;?\s*$/i.test(sql)) return Promise.resolve(settings.dsql.list());
        const iam = settings.dsql === undefined ? undefined : parseDsqlIamStatement(sql);
        if (iam === undefined) return runSql({ ...superuser, database: settings.database }, sql, values);
        return dsqlIam(settings.dsql!, iam, (q, v) => runSql({ ...superuser, database: settings.database }, q, v));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
