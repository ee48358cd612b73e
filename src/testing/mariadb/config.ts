/**
 * Internal: what the verifying MariaDB needs and is set up with, as pure functions: its programs and
 * PAM module, the PAM plugin, the PAM service file, the server's flags, and the SQL that makes its
 * users. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { findProgram, type FileProbe } from '../system.js';

/** The setuid-root helper of `auth_pam` (v2). Debian lists it, but some images lack it. */
export const PAM_TOOL = '/usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool';

/** Where Debian's MariaDB keeps its plugins. */
export const PLUGIN_DIR = '/usr/lib/mysql/plugin';

/** The programs and module the launcher uses. */
export interface MariadbPrograms {
  readonly mariadbd: string;
  readonly installDb: string;
  /** pam_script's PAM module, by absolute path, so that only our service file names it. */
  readonly pamScript: string;
}

/** What stops the launcher on this machine, as a ConfigError's parts. */
export interface MariadbProblem {
  readonly field: string;
  readonly problem: string;
  readonly fix: string;
}

/** The folders a PAM module may be in: the classic ones and Debian's multiarch ones. */
export function pamModuleDirs(probe: FileProbe): string[] {
  const multiarch = (root: string): string[] =>
    probe
      .list(root)
      .filter((d) => /-linux-gnu\w*$/.test(d))
      .map((d) => `${root}/${d}/security`);
  return ['/lib/security', '/lib64/security', '/usr/lib/security', '/usr/lib64/security', ...multiarch('/lib'), ...multiarch('/usr/lib')];
}

/**
 * The programs to run, or the first thing missing: root (the launcher writes a PAM service file in
 * /etc/pam.d), MariaDB's server (Debian's `mariadb-server`) with its PAM plugin, and pam_script
 * (Debian's `libpam-script`).
 *
 * @internal
 */
export function mariadbPrerequisites(probe: FileProbe, uid: number, path?: string): { ok: true; programs: MariadbPrograms } | ({ ok: false } & MariadbProblem) {
  if (uid !== 0) {
    return {
      ok: false,
      field: 'startVerifyingMariaDb',
      problem: `needs root, and this process runs as uid ${uid}: it writes a PAM service file in /etc/pam.d and runs mariadbd as the mysql user`,
      fix: 'run these tests as root (a CI job or a container), or test against startVerifyingPostgres, which needs no root',
    };
  }
  const server = 'install the Debian package mariadb-server (apt-get install mariadb-server)';
  const mariadbd = findProgram(probe, ['mariadbd', 'mysqld'], ['/usr/sbin', '/usr/libexec', '/usr/local/sbin'], path);
  if (mariadbd === undefined) return { ok: false, field: 'mariadbd', problem: 'MariaDB server program not found (mariadbd, in /usr/sbin or on the PATH)', fix: server };
  const installDb = findProgram(probe, ['mariadb-install-db', 'mysql_install_db'], ['/usr/bin', '/usr/local/bin', '/usr/scripts'], path);
  if (installDb === undefined) return { ok: false, field: 'mariadb-install-db', problem: 'not found (in /usr/bin or on the PATH)', fix: server };
  if (probe.exists(PLUGIN_DIR) && !probe.exists(`${PLUGIN_DIR}/auth_pam_v1.so`) && !probe.exists(`${PLUGIN_DIR}/auth_pam.so`)) {
    return { ok: false, field: 'auth_pam', problem: `MariaDB's PAM plugin is not in ${PLUGIN_DIR}`, fix: server };
  }
  const pamScript = pamModuleDirs(probe)
    .map((d) => `${d}/pam_script.so`)
    .find((f) => probe.exists(f));
  if (pamScript === undefined) {
    return {
      ok: false,
      field: 'pam_script',
      problem: 'the PAM module pam_script.so is not installed',
      fix: 'install the Debian package libpam-script (apt-get install libpam-script), then take it out of the system-wide PAM stacks it joins (pam-auth-update --remove script): the launcher names it only in its own service file',
    };
  }
  return { ok: true, programs: { mariadbd, installDb, pamScript } };
}

/**
 * `auth_pam` (v2) when its setuid-root helper is there; else `auth_pam_v1`, which runs PAM inside
 * mariadbd as the mysql user (pam_script then only has to read and run the verifier script).
 *
 * @internal
 */
export function pamPlugin(probe: FileProbe): 'auth_pam' | 'auth_pam_v1' {
  return probe.setuidRoot(PAM_TOOL) ? 'auth_pam' : 'auth_pam_v1';
}

/** `/etc/pam.d/<service>`: pam_script with the verifier's script folder, and any account. @internal */
export function pamServiceFile(o: { pamScript: string; scriptDir: string; tempDir: string }): string {
  return [
    `# dbtoken/testing startVerifyingMariaDb in ${o.tempDir}; removed when that server closes.`,
    `auth required ${o.pamScript} dir=${o.scriptDir}`,
    'account required pam_permit.so',
    '',
  ].join('\n');
}

/** The flags mariadbd starts with. @internal */
export function mariadbArgs(o: {
  dataDir: string;
  runDir: string;
  port: number;
  plugin: string;
  cert: string;
  key: string;
  ca: string;
  maxConnections?: number | undefined;
}): string[] {
  return [
    '--no-defaults',
    `--datadir=${o.dataDir}`,
    `--port=${o.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${o.runDir}/mysqld.sock`,
    `--pid-file=${o.runDir}/mysqld.pid`,
    '--user=mysql',
    '--skip-log-bin',
    '--skip-name-resolve',
    '--innodb-log-file-size=8M',
    '--innodb-buffer-pool-size=32M',
    '--innodb-flush-log-at-trx-commit=0',
    ...(o.maxConnections !== undefined ? [`--max-connections=${o.maxConnections}`] : []),
    `--plugin-load-add=${o.plugin}`,
    // The server asks the client for mysql_clear_password, as RDS MySQL does for IAM users.
    '--pam-use-cleartext-plugin=ON',
    `--ssl-cert=${o.cert}`,
    `--ssl-key=${o.key}`,
    `--ssl-ca=${o.ca}`,
  ];
}

/** A database name in a GRANT's `db.*`, where `_` and `%` are wildcards unless escaped. */
function grantDatabase(name: string): string {
  return `\`${name.replace(/[_%]/g, '\\$&')}\``;
}

/**
 * The SQL that makes the database and the users: each logs in through PAM (`IDENTIFIED VIA pam`, in
 * place of RDS's AWSAuthenticationPlugin), `users` with REQUIRE SSL, and may do anything in the database.
 *
 * @internal
 */
export function mariadbSetupSql(o: { users: readonly string[]; insecureUsers: readonly string[]; database: string; pamService: string }): string[] {
  const create = (u: string, ssl: boolean): string[] => [
    `CREATE USER '${u}'@'%' IDENTIFIED VIA pam USING '${o.pamService}'${ssl ? ' REQUIRE SSL' : ''}`,
    `GRANT ALL ON ${grantDatabase(o.database)}.* TO '${u}'@'%'`,
  ];
  return [`CREATE DATABASE \`${o.database}\``, ...o.users.flatMap((u) => create(u, true)), ...o.insecureUsers.flatMap((u) => create(u, false))];
}
