// A private PostgreSQL per run: its own data directory, port and socket in a
// temp folder, TLS on, and `ldap` authentication pointed at a verifier.
import { chmodSync, chownSync, appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, isRoot, postgresBinDir, runAs, spawnAs } from './system.mjs';
import { selfSignedCert } from './tls.mjs';

function ownerIds(user) {
  const out = runAs('root', 'id', ['-u', user]).toString().trim();
  const gid = runAs('root', 'id', ['-g', user]).toString().trim();
  return [Number(out), Number(gid)];
}

/**
 * Starts PostgreSQL. Options:
 * - ldapPort: the LDAP verifier's port;
 * - ldapUsers: users who log in over TLS through LDAP (tokens);
 * - ldapGroups: roles whose members log in over TLS through LDAP, created
 *   NOLOGIN at start (rds_iam: as on RDS, granting it turns on token logins);
 * - plainLdapUsers: users who log in through LDAP without TLS (for the opt-in test);
 * Returns { host, port, ca, socketDir, admin(sql), stop() }.
 */
export async function startPostgres({ ldapPort, ldapUsers = [], ldapGroups = [], plainLdapUsers = [] }) {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-pg-'));
  const data = join(dir, 'data');
  const osUser = isRoot ? 'postgres' : userInfo().username;
  if (isRoot) {
    const [uid, gid] = ownerIds('postgres');
    chownSync(dir, uid, gid);
  }
  runAs(osUser, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const tls = selfSignedCert();
  writeFileSync(join(data, 'server.crt'), tls.cert);
  writeFileSync(join(data, 'server.key'), tls.key, { mode: 0o600 });
  chmodSync(join(data, 'server.key'), 0o600);
  if (isRoot) {
    const [uid, gid] = ownerIds('postgres');
    chownSync(join(data, 'server.crt'), uid, gid);
    chownSync(join(data, 'server.key'), uid, gid);
  }
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'ssl = on',
      `ssl_cert_file = 'server.crt'`,
      `ssl_key_file = 'server.key'`,
      'max_connections = 300',
      'shared_buffers = 32MB',
      '',
    ].join('\n'),
  );
  const ldap = `ldap ldapserver=127.0.0.1 ldapport=${ldapPort} ldapprefix="uid=" ldapsuffix=",ou=iam,dc=test"`;
  const hba = ['local all postgres trust'];
  const tlsLogins = [...ldapUsers, ...ldapGroups.map((g) => `+${g}`)];
  if (tlsLogins.length) hba.push(`hostssl all ${tlsLogins.join(',')} 127.0.0.1/32 ${ldap}`);
  if (plainLdapUsers.length) hba.push(`hostnossl all ${plainLdapUsers.join(',')} 127.0.0.1/32 ${ldap}`);
  hba.push('host all all 127.0.0.1/32 reject', '');
  writeFileSync(join(data, 'pg_hba.conf'), hba.join('\n'));
  const started = spawnAs(osUser, join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  if (started.status !== 0) {
    throw new Error(`pg_ctl start failed: ${started.stderr}${started.stdout}`);
  }
  const admin = async (sql) => {
    const c = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  };
  for (const g of ldapGroups) await admin(`CREATE ROLE ${g} NOLOGIN`);
  for (const u of [...ldapUsers, ...plainLdapUsers]) await admin(`CREATE ROLE ${u} LOGIN`);
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    ca: tls.cert,
    socketDir: dir,
    admin,
    async stop() {
      if (stopped) return;
      stopped = true;
      spawnAs(osUser, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
