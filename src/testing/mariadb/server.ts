import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { emulatorCertificates } from '../certificates.js';
import { startPamScriptVerifier, type PamScriptVerifier } from '../pam/server.js';
import { mariadbRunner, type SqlRunner } from '../sql-clients.js';
import { atExit, freePort, systemDeps, throwIfAborted, userIds, type SystemDeps } from '../system.js';
import { loginSettings, type VerifyingServer, type VerifyingServerOptions } from '../verifying-server.js';
import { mariadbArgs, mariadbPrerequisites, mariadbSetupSql, pamPlugin, pamServiceFile } from './config.js';

/**
 * A running {@link startVerifyingMariaDb} server.
 *
 * @example
 * ```ts
 * const db: VerifyingMariaDb = await startVerifyingMariaDb({ users: ['app'], region, credentials });
 * await db.admin(`CREATE USER 'late'@'%' IDENTIFIED VIA pam USING '${db.pamService}' REQUIRE SSL`);
 * ```
 */
export interface VerifyingMariaDb extends VerifyingServer {
  /**
   * Its Unix socket, where `admin()` connects as root (`mariadb --socket=<socketPath> --user=root`).
   * @example `'/tmp/dbtoken-mariadb-AbC123/run/mysqld.sock'`
   */
  readonly socketPath: string;
  /**
   * The PAM service its token users log in through. A user you create later logs in with tokens when
   * `IDENTIFIED VIA pam USING '<pamService>'`, which stands in for RDS's `AWSAuthenticationPlugin`.
   * @example `'dbtoken-4f2a9c1b7e30'`
   */
  readonly pamService: string;
}

/**
 * Starts a private MariaDB whose logins are checked by a token verifier, as RDS for MySQL or MariaDB
 * checks IAM tokens: its own data directory, socket and log in a temp folder, a free port on 127.0.0.1,
 * TLS with a fresh CA (`ca`), and users `IDENTIFIED VIA pam` whose PAM service hands each password to a
 * verifier in this process through `pam_script`. The server asks clients for `mysql_clear_password`,
 * as RDS does, so mysql2 with dbtoken's auth plugins logs in as it would on RDS. The verifier checks RDS
 * tokens signed with `credentials` for `region`, for `127.0.0.1` or `localhost` and the server's port,
 * and the user logging in; `verify` replaces that check for other tokens.
 *
 * `users` log in with tokens over TLS only (REQUIRE SSL) and may do anything in `database`. A refused
 * login gets errno 1045 (`ER_ACCESS_DENIED_ERROR`), as a bad token does on RDS. Root's SQL goes through
 * `admin()`, which uses the `mysql2` package.
 *
 * It needs root, because it writes a PAM service file in `/etc/pam.d` (removed by `close()`) and runs
 * `mariadbd` as the `mysql` user, and Debian's packages `mariadb-server` and `libpam-script` (take the
 * latter out of the system's own PAM stacks with `pam-auth-update --remove script`). Without them it
 * throws a ConfigError saying what to install. It takes a second or two to start. `close()` stops it and
 * removes its folder, and a server left open is stopped when the process exits.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * import { startVerifyingMariaDb } from 'dbtoken/testing';
 *
 * const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' };
 * const db = await startVerifyingMariaDb({ users: ['app'], region: 'us-east-1', credentials });
 * const token = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: 'us-east-1', credentials });
 * const pool = await createIamPool({ driver: 'mysql2', token, database: db.database, ssl: { ca: db.ca } });
 * await pool.query('SELECT 1');
 * await pool.end();
 * await db.close();
 * ```
 */
export function startVerifyingMariaDb(options: VerifyingServerOptions): Promise<VerifyingMariaDb> {
  return startMariadbWith(options, systemDeps);
}

const START_TIMEOUT_MS = 60_000;

function errorLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n');
  } catch {
    return '(no error log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * {@link startVerifyingMariaDb} on the machine `deps` describes.
 *
 * @internal
 */
export async function startMariadbWith(options: VerifyingServerOptions, deps: SystemDeps): Promise<VerifyingMariaDb> {
  if ((options as { dsql?: unknown }).dsql !== undefined && (options as { dsql?: unknown }).dsql !== false) {
    throw new ConfigError('dsql', 'is for startVerifyingPostgres: Aurora DSQL speaks PostgreSQL only', 'use startVerifyingPostgres({ dsql: true, ... })');
  }
  const settings = loginSettings(options, { min: 10, max: 100_000, server: 'MariaDB' });
  const { signal } = options;
  const found = mariadbPrerequisites(deps.probe, deps.uid());
  if (!found.ok) throw new ConfigError(found.field, found.problem, found.fix);
  const { programs } = found;
  throwIfAborted(signal);
  const runSql: SqlRunner = await mariadbRunner();
  const plugin = pamPlugin(deps.probe);

  let port = 0;
  let verifier: PamScriptVerifier | undefined;
  let dir: string | undefined;
  const pamService = `dbtoken-${randomBytes(6).toString('hex')}`;
  const pamFile = join('/etc/pam.d', pamService);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let unhook: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    unhook?.();
    if (running()) {
      // Killing is fine for a throw-away data directory, and takes no time; held until it has exited.
      child!.ref();
      child!.kill('SIGKILL');
      await exited;
    }
    rmSync(pamFile, { force: true });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await verifier?.close();
  };
  const close = (): Promise<void> => (closing ??= stop());

  try {
    verifier = await startPamScriptVerifier({ verify: ({ user, password }) => settings.check(password, user, port) });
    // Root owns the folder and the verifier script (which PAM may run as root); mysql owns data/ and run/.
    dir = mkdtempSync(join(tmpdir(), 'dbtoken-mariadb-'));
    chmodSync(dir, 0o755);
    const dataDir = join(dir, 'data');
    const runDir = join(dir, 'run');
    const scriptDir = join(dir, 'pam-script');
    const mysql = await userIds(deps.run, 'mysql');
    for (const d of [dataDir, runDir]) {
      mkdirSync(d, { mode: 0o750 });
      chownSync(d, mysql.uid, mysql.gid);
    }
    mkdirSync(scriptDir, { mode: 0o755 });
    chmodSync(scriptDir, 0o755);
    writeFileSync(join(scriptDir, 'pam_script_auth'), verifier.script, { mode: 0o755 });
    chmodSync(join(scriptDir, 'pam_script_auth'), 0o755);
    const folder = dir;
    unhook = atExit(() => {
      if (running()) child!.kill('SIGKILL');
      rmSync(pamFile, { force: true });
      rmSync(folder, { recursive: true, force: true });
    });
    // Only this service names pam_script; /etc/pam.d/common-* stay as they are.
    writeFileSync(pamFile, pamServiceFile({ pamScript: programs.pamScript, scriptDir, tempDir: dir }), { mode: 0o644 });
    throwIfAborted(signal);
    await deps.run(
      programs.installDb,
      ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve', '--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'],
      { user: 'mysql', signal },
    );
    throwIfAborted(signal);

    const certs = emulatorCertificates(['localhost', '127.0.0.1'], 'dbtoken verifying MariaDB');
    const files = { cert: join(runDir, 'server-cert.pem'), key: join(runDir, 'server-key.pem'), ca: join(runDir, 'ca.pem') };
    writeFileSync(files.cert, certs.serverCert);
    writeFileSync(files.ca, certs.ca);
    writeFileSync(files.key, certs.serverKey, { mode: 0o600 });
    for (const f of Object.values(files)) chownSync(f, mysql.uid, mysql.gid);


    port = await freePort();
    const logFile = join(runDir, 'error.log');
    const log = openSync(logFile, 'a');
    let spawnError: Error | undefined;
    try {
      // Started as root with --user=mysql, so the child is mariadbd itself and a kill reaches it.
      child = spawn(programs.mariadbd, mariadbArgs({ dataDir, runDir, port, plugin, maxConnections: settings.maxConnections, ...files }), { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    const started = child;
    exited = new Promise<void>((resolve) => {
      started.once('exit', () => resolve());
      started.once('error', (err) => {
        spawnError = err;
        resolve();
      });
    });

    const socketPath = join(runDir, 'mysqld.sock');
    const root = { socket: socketPath, port, user: 'root' };
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`could not start ${programs.mariadbd}: ${spawnError.message}`);
      if (!running()) throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}) while starting:\n${errorLog(logFile)}`);
      throwIfAborted(signal);
      try {
        await runSql(root, 'SELECT 1');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not answer on ${socketPath} within ${START_TIMEOUT_MS / 1000} s (${(err as Error).message}):\n${errorLog(logFile)}`);
        await sleep(25);
      }
    }
    for (const sql of mariadbSetupSql({ ...settings, pamService })) {
      throwIfAborted(signal);
      await runSql(root, sql);
    }
    throwIfAborted(signal);
    // The server is ours to stop: it does not hold this process open.
    child.unref();
    return {
      host: '127.0.0.1',
      port,
      database: settings.database,
      ca: certs.ca,
      logins: settings.logins,
      tempDir: dir,
      socketPath,
      pamService,
      admin: (sql, values) => {
        if (typeof sql !== 'string') return Promise.reject(new TypeError('admin takes SQL text'));
        return runSql({ ...root, database: settings.database }, sql, values);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
