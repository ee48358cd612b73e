/**
 * Internal: what the verifying PostgreSQL is set up with, as pure functions: where its programs are,
 * its `postgresql.conf` and `pg_hba.conf` lines, and the SQL that makes its users. Not exported from
 * `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import type { FileProbe } from '../system.js';

/** Where Debian puts each PostgreSQL version's server programs. */
export const POSTGRES_LIB = '/usr/lib/postgresql';

/** The programs the launcher runs. */
export const POSTGRES_PROGRAMS = ['initdb', 'pg_ctl'] as const;

/** The group whose members log in with tokens over TLS, as on RDS. */
export const IAM_ROLE = 'rds_iam';

/** The bin folder to use, or what is missing from it. */
export type PostgresBinaries = { found: true; binDir: string } | { found: false; problem: string };

/**
 * `binDir` when it holds initdb and pg_ctl; without `binDir`, the newest `/usr/lib/postgresql/<version>/bin` that does.
 *
 * @internal
 */
export function findPostgresBinaries(probe: FileProbe, binDir?: string): PostgresBinaries {
  const complete = (dir: string): boolean => POSTGRES_PROGRAMS.every((p) => probe.exists(`${dir}/${p}`));
  if (binDir !== undefined) {
    return complete(binDir) ? { found: true, binDir } : { found: false, problem: `has no ${POSTGRES_PROGRAMS.join(' and ')} (${binDir})` };
  }
  const versions = probe
    .list(POSTGRES_LIB)
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && complete(`${POSTGRES_LIB}/${v}/bin`))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length > 0) return { found: true, binDir: `${POSTGRES_LIB}/${versions[0]}/bin` };
  return { found: false, problem: `found no PostgreSQL server programs (${POSTGRES_PROGRAMS.join(', ')}) under ${POSTGRES_LIB}/<version>/bin` };
}

/** A PostgreSQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The lines appended to `postgresql.conf`. `maxConnections` users' connections plus one that only the
 * superuser (`admin()`) may take, as MariaDB keeps one for SUPER.
 *
 * @internal
 */
export function postgresConf(o: { port: number; socketDir: string; maxConnections?: number | undefined }): string {
  return [
    `port = ${o.port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${o.socketDir.replaceAll("'", "''")}'`,
    // A throw-away server: no durability, small memory.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 32MB',
    'ssl = on',
    `ssl_cert_file = 'server.crt'`,
    `ssl_key_file = 'server.key'`,
    `max_connections = ${(o.maxConnections ?? 100) + 1}`,
    'superuser_reserved_connections = 1',
    '',
  ].join('\n');
}

/**
 * `pg_hba.conf`: the superuser over the local socket; `users` and members of rds_iam over TLS, and
 * `insecureUsers` with or without it, through `ldap` (the password, a token, goes to the verifier);
 * anyone else is rejected.
 *
 * @internal
 */
export function pgHba(o: { ldapPort: number; users: readonly string[]; insecureUsers: readonly string[]; anyRole?: boolean | undefined }): string {
  const ldap = `ldap ldapserver=127.0.0.1 ldapport=${o.ldapPort} ldapprefix="uid=" ldapsuffix=",ou=iam,dc=test"`;
  const list = (names: readonly string[]): string => names.map(quoteIdent).join(',');
  return [
    'local all postgres trust',
    // DSQL: every role with LOGIN logs in with a token (the verifier decides).
    `hostssl all ${o.anyRole ? 'all' : [...o.users.map(quoteIdent), `+${IAM_ROLE}`].join(',')} 127.0.0.1/32 ${ldap}`,
    ...(o.insecureUsers.length ? [`host all ${list(o.insecureUsers)} 127.0.0.1/32 ${ldap}`] : []),
    'host all all 127.0.0.1/32 reject',
    '',
  ].join('\n');
}

/**
 * The SQL that makes the users and their database: `server` runs in the `postgres` database,
 * `inDatabase` in the users' database. Each user is a LOGIN role; the database's public schema is open
 * to everyone, as it was before PostgreSQL 15, so the users need no grant of their own (and own nothing
 * a `DROP ROLE` would trip over).
 *
 * @internal
 */
export function postgresSetupSql(o: { users: readonly string[]; insecureUsers: readonly string[]; database: string }): { server: string[]; inDatabase: string[] } {
  return {
    server: [
      `CREATE ROLE ${IAM_ROLE} NOLOGIN`,
      ...[...o.users, ...o.insecureUsers].map((u) => `CREATE ROLE ${quoteIdent(u)} LOGIN`),
      ...(o.database === 'postgres' ? [] : [`CREATE DATABASE ${quoteIdent(o.database)}`]),
    ],
    inDatabase: ['GRANT ALL ON SCHEMA public TO PUBLIC'],
  };
}
