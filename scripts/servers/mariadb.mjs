// A private MariaDB per run: its own data directory, port and socket in a temp
// folder, TLS on, and `pam` authentication through pam_script pointed at a
// verifier script (see src/testing/pam/). Needs root: the PAM
// service file has to live in /etc/pam.d.
//
// Plugin: auth_pam (v2) runs PAM in a setuid-root helper,
// /usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool. On these machines
// that helper is missing (dpkg lists it, the image does not have it; the
// server logs `pam: cannot exec .../auth_pam_tool (errno: 2)` and every PAM
// login fails with 1045), so we fall back to auth_pam_v1, which runs PAM inside
// mariadbd as the `mysql` user. pam_script only needs to read and run our
// script, so v1 works; the script directory is made world-readable for it.
// auth_pam is used when the helper is there and setuid root.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, isRoot, runAs } from './system.mjs';
import { selfSignedCert } from './tls.mjs';

const PAM_TOOL = '/usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool';
const MARIADBD = existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd';
const START_TIMEOUT_MS = 30_000;

/** `auth_pam` when its setuid-root helper is installed, else `auth_pam_v1`. */
export function pamPluginAvailable() {
  try {
    const s = statSync(PAM_TOOL);
    return s.uid === 0 && (s.mode & 0o4000) !== 0 ? 'auth_pam' : 'auth_pam_v1';
  } catch {
    return 'auth_pam_v1';
  }
}

function ownerIds(user) {
  const uid = runAs('root', 'id', ['-u', user]).toString().trim();
  const gid = runAs('root', 'id', ['-g', user]).toString().trim();
  return [Number(uid), Number(gid)];
}

function readLog(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(no error log)';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts MariaDB. Options:
 * - verifierScript: the text of pam_script's `pam_script_auth` (e.g. `startPamScriptVerifier(...).script`);
 * - pamUsers: users who log in through PAM and must use TLS (tokens);
 * - plainPamUsers: users who log in through PAM without REQUIRE SSL (for the opt-in test);
 * - staticUsers: [{ name, password }] with an ordinary password (baseline);
 * - pamPlugin: 'auth_pam' or 'auth_pam_v1' (default: see pamPluginAvailable()).
 * Every user gets ALL on *.* and the host '%'.
 * Returns { host, port, ca, socketPath, pamService, pamPlugin, pid, admin(sql, values?), stop() };
 * admin runs SQL as root over the unix socket and returns the rows.
 */
export async function startMariadb({ pamUsers = [], plainPamUsers = [], staticUsers = [], verifierScript, pamPlugin = pamPluginAvailable() }) {
  if (!isRoot) throw new Error('startMariadb needs root: it writes a PAM service file in /etc/pam.d and runs mariadbd as mysql');
  if (typeof verifierScript !== 'string' || !verifierScript) throw new TypeError('startMariadb: verifierScript (the pam_script_auth text) is required');
  const [uid, gid] = ownerIds('mysql');
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-mariadb-'));
  const data = join(dir, 'data');
  const socketPath = join(dir, 'mysqld.sock');
  const errorLog = join(dir, 'error.log');
  const pamService = `dbtoken-${randomBytes(6).toString('hex')}`;
  const pamFile = join('/etc/pam.d', pamService);
  let child;
  let exited;
  let stopping;

  const cleanupSync = () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
    rmSync(pamFile, { force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or forgotten test run must not leave a server or a PAM service behind.
  process.on('exit', cleanupSync);

  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', cleanupSync);
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(pamFile, { force: true });
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    // The temp dir belongs to mysql (install-db writes there; v1 runs the PAM script as mysql).
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o755);
    const innodb = ['--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'];
    runAs('mysql', 'mariadb-install-db', [
      '--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve', ...innodb,
    ]);

    // pam_script runs <dir>/pam-script/pam_script_auth; root owns it, so mysql can run it but not change it.
    const scripts = join(dir, 'pam-script');
    mkdirSync(scripts, { mode: 0o755 });
    chmodSync(scripts, 0o755);
    writeFileSync(join(scripts, 'pam_script_auth'), verifierScript, { mode: 0o755 });
    chmodSync(join(scripts, 'pam_script_auth'), 0o755);
    // Only this service uses pam_script; /etc/pam.d/common-* stay untouched.
    writeFileSync(
      pamFile,
      [
        `# dbtoken test MariaDB in ${dir}; removed when that server stops.`,
        `auth required pam_script.so dir=${scripts}`,
        'account required pam_permit.so',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );

    const tls = selfSignedCert();
    const cert = join(data, 'server-cert.pem');
    const key = join(data, 'server-key.pem');
    writeFileSync(cert, tls.cert);
    writeFileSync(key, tls.key, { mode: 0o600 });
    chownSync(cert, uid, gid);
    chownSync(key, uid, gid);
    chmodSync(key, 0o600);

    const port = await freePort();
    const log = openSync(errorLog, 'a');
    try {
      // Started as root with --user=mysql, so the child *is* mariadbd and
      // SIGKILL reaches it (through runuser, only the wrapper would die).
      child = spawn(
        MARIADBD,
        [
          '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${socketPath}`,
          `--pid-file=${join(dir, 'mysqld.pid')}`, '--user=mysql', '--skip-log-bin', '--skip-name-resolve', ...innodb,
          '--innodb-flush-log-at-trx-commit=0', '--max-connections=500',
          `--plugin-load-add=${pamPlugin}`, '--pam-use-cleartext-plugin=ON',
          `--ssl-cert=${cert}`, `--ssl-key=${key}`, `--ssl-ca=${cert}`,
        ],
        { stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    let spawnError;
    exited = new Promise((resolve) => {
      child.once('exit', resolve);
      child.once('error', (err) => {
        spawnError = err;
        resolve();
      });
    });

    const admin = async (sql, values) => {
      const c = await mysql.createConnection({ socketPath, user: 'root' });
      try {
        const [rows] = await c.query(sql, values);
        return rows;
      } finally {
        await c.end().catch(() => c.destroy());
      }
    };

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`could not start ${MARIADBD}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`mariadbd exited (${child.exitCode ?? child.signalCode}) while starting:\n${readLog(errorLog)}`);
      }
      try {
        await admin('SELECT 1');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections on ${socketPath} within ${START_TIMEOUT_MS / 1000} s (${err.message}):\n${readLog(errorLog)}`);
        await sleep(25);
      }
    }

    const q = (s) => mysql.escape(s);
    const statements = [];
    for (const name of pamUsers) statements.push(`CREATE USER ${q(name)}@'%' IDENTIFIED VIA pam USING ${q(pamService)} REQUIRE SSL`);
    for (const name of plainPamUsers) statements.push(`CREATE USER ${q(name)}@'%' IDENTIFIED VIA pam USING ${q(pamService)}`);
    for (const { name, password } of staticUsers) statements.push(`CREATE USER ${q(name)}@'%' IDENTIFIED BY ${q(password)}`);
    for (const name of [...pamUsers, ...plainPamUsers, ...staticUsers.map((u) => u.name)]) statements.push(`GRANT ALL ON *.* TO ${q(name)}@'%'`);
    if (statements.length) {
      const c = await mysql.createConnection({ socketPath, user: 'root' });
      try {
        for (const s of statements) await c.query(s);
      } finally {
        await c.end().catch(() => c.destroy());
      }
    }

    return { host: '127.0.0.1', port, ca: tls.cert, socketPath, pamService, pamPlugin, pid: child.pid, admin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
