import { describe, expect, it } from 'vitest';
import { mariadbArgs, mariadbPrerequisites, mariadbSetupSql, pamPlugin, pamServiceFile, PAM_TOOL } from '../../../src/testing/mariadb/config.js';
import type { FileProbe } from '../../../src/testing/system.js';

const probe = (files: string[], setuid: string[] = []): FileProbe => ({
  exists: (p) => files.some((f) => f === p || f.startsWith(`${p}/`)),
  list: (dir) => [...new Set(files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split('/')[0]!))],
  setuidRoot: (p) => setuid.includes(p),
});

const debian = [
  '/usr/sbin/mariadbd',
  '/usr/bin/mariadb-install-db',
  '/usr/lib/mysql/plugin/auth_pam_v1.so',
  '/lib/x86_64-linux-gnu/security/pam_script.so',
];

describe('mariadbPrerequisites', () => {
  it('finds Debian\'s programs and pam_script in the multiarch folder', () => {
    expect(mariadbPrerequisites(probe(debian), 0, '')).toEqual({
      ok: true,
      programs: { mariadbd: '/usr/sbin/mariadbd', installDb: '/usr/bin/mariadb-install-db', pamScript: '/lib/x86_64-linux-gnu/security/pam_script.so' },
    });
  });

  it('finds older names and the programs on the PATH', () => {
    const files = ['/opt/m/bin/mysqld', '/opt/m/bin/mysql_install_db', '/usr/lib64/security/pam_script.so'];
    expect(mariadbPrerequisites(probe(files), 0, '/opt/m/bin')).toMatchObject({ ok: true, programs: { mariadbd: '/opt/m/bin/mysqld', installDb: '/opt/m/bin/mysql_install_db', pamScript: '/usr/lib64/security/pam_script.so' } });
  });

  it.each([
    ['not root (checked first)', [], 1000, 'startVerifyingMariaDb', /^needs root, and this process runs as uid 1000/, /as root/],
    ['no mariadbd', debian.filter((f) => !f.endsWith('mariadbd')), 0, 'mariadbd', /not found/, /Debian package mariadb-server/],
    ['no install-db', debian.filter((f) => !f.includes('install-db')), 0, 'mariadb-install-db', /not found/, /Debian package mariadb-server/],
    ['no PAM plugin', debian.filter((f) => !f.endsWith('auth_pam_v1.so')).concat('/usr/lib/mysql/plugin/ha_x.so'), 0, 'auth_pam', /PAM plugin/, /Debian package mariadb-server/],
    ['no pam_script', debian.filter((f) => !f.endsWith('pam_script.so')), 0, 'pam_script', /pam_script\.so is not installed/, /Debian package libpam-script.*pam-auth-update --remove script/],
  ])('reports %s', (_n, files, uid, field, problem, fix) => {
    const r = mariadbPrerequisites(probe(files), uid, '');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.problem).toMatch(problem);
      expect(r.fix).toMatch(fix);
    }
  });
});

describe('the MariaDB configuration', () => {
  it.each([
    [[PAM_TOOL], 'auth_pam'],
    [[], 'auth_pam_v1'],
  ])('picks auth_pam only when its helper is setuid root (%j)', (setuid, plugin) => {
    expect(pamPlugin(probe([PAM_TOOL], setuid))).toBe(plugin);
  });

  it('names pam_script by path in its own service file only', () => {
    expect(pamServiceFile({ pamScript: '/lib/x/security/pam_script.so', scriptDir: '/tmp/d/pam-script', tempDir: '/tmp/d' }).split('\n').slice(1)).toEqual([
      'auth required /lib/x/security/pam_script.so dir=/tmp/d/pam-script',
      'account required pam_permit.so',
      '',
    ]);
  });

  it('starts mariadbd on loopback with TLS, the PAM plugin asking for cleartext, and max_connections when given', () => {
    const base = { dataDir: '/d', runDir: '/r', port: 3307, plugin: 'auth_pam_v1', cert: '/r/c', key: '/r/k', ca: '/r/ca' };
    const args = mariadbArgs(base);
    expect(args).toEqual(expect.arrayContaining(['--bind-address=127.0.0.1', '--port=3307', '--socket=/r/mysqld.sock', '--user=mysql', '--plugin-load-add=auth_pam_v1', '--pam-use-cleartext-plugin=ON', '--ssl-cert=/r/c', '--ssl-key=/r/k', '--ssl-ca=/r/ca']));
    expect(args[0]).toBe('--no-defaults');
    expect(args.some((a) => a.startsWith('--max-connections'))).toBe(false);
    expect(mariadbArgs({ ...base, maxConnections: 12 })).toContain('--max-connections=12');
  });

  it('makes PAM users (REQUIRE SSL unless insecure) with every privilege on the database only, its _ escaped', () => {
    expect(mariadbSetupSql({ users: ['app'], insecureUsers: ['plain'], database: 'my_db', pamService: 'dbtoken-1' })).toEqual([
      'CREATE DATABASE `my_db`',
      "CREATE USER 'app'@'%' IDENTIFIED VIA pam USING 'dbtoken-1' REQUIRE SSL",
      "GRANT ALL ON `my\\_db`.* TO 'app'@'%'",
      "CREATE USER 'plain'@'%' IDENTIFIED VIA pam USING 'dbtoken-1'",
      "GRANT ALL ON `my\\_db`.* TO 'plain'@'%'",
    ]);
  });
});
