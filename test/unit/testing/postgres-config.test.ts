import { describe, expect, it } from 'vitest';
import { findPostgresBinaries, pgHba, postgresConf, postgresSetupSql, quoteIdent } from '../../../src/testing/postgres/config.js';
import type { FileProbe } from '../../../src/testing/system.js';

const probe = (files: string[]): FileProbe => ({
  exists: (p) => files.includes(p),
  list: (dir) => [...new Set(files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split('/')[0]!))],
  setuidRoot: () => false,
});
const both = (dir: string) => [`${dir}/initdb`, `${dir}/pg_ctl`];

describe('findPostgresBinaries', () => {
  it.each([
    ['the newest complete version', [...both('/usr/lib/postgresql/13/bin'), ...both('/usr/lib/postgresql/16/bin'), ...both('/usr/lib/postgresql/9.6/bin')], undefined, { found: true, binDir: '/usr/lib/postgresql/16/bin' }],
    ['not a version missing pg_ctl', [...both('/usr/lib/postgresql/13/bin'), '/usr/lib/postgresql/17/bin/initdb'], undefined, { found: true, binDir: '/usr/lib/postgresql/13/bin' }],
    ['binDir when it is complete', both('/opt/pg/bin'), '/opt/pg/bin', { found: true, binDir: '/opt/pg/bin' }],
  ])('finds %s', (_n, files, binDir, expected) => {
    expect(findPostgresBinaries(probe(files), binDir)).toEqual(expected);
  });

  it.each([
    ['nothing installed', [], undefined, 'found no PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin'],
    ['only the client', ['/usr/lib/postgresql/15/bin/psql'], undefined, 'found no PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin'],
    ['an incomplete binDir', ['/opt/pg/bin/initdb', ...both('/usr/lib/postgresql/15/bin')], '/opt/pg/bin', 'has no initdb and pg_ctl (/opt/pg/bin)'],
  ])('reports %s', (_n, files, binDir, problem) => {
    expect(findPostgresBinaries(probe(files), binDir)).toEqual({ found: false, problem });
  });
});

describe('the PostgreSQL configuration', () => {
  it('sends users and rds_iam members over TLS, insecure users either way, to the LDAP verifier; rejects the rest', () => {
    const ldap = 'ldap ldapserver=127.0.0.1 ldapport=389 ldapprefix="uid=" ldapsuffix=",ou=iam,dc=test"';
    expect(pgHba({ ldapPort: 389, users: ['app', 'b'], insecureUsers: ['plain'] }).split('\n')).toEqual([
      'local all postgres trust',
      `hostssl all "app","b",+rds_iam 127.0.0.1/32 ${ldap}`,
      `host all "plain" 127.0.0.1/32 ${ldap}`,
      'host all all 127.0.0.1/32 reject',
      '',
    ]);
    expect(pgHba({ ldapPort: 389, users: [], insecureUsers: [] }).split('\n')[1]).toBe(`hostssl all +rds_iam 127.0.0.1/32 ${ldap}`);
  });

  it.each([
    [undefined, 101],
    [5, 6],
  ])('maxConnections %s: max_connections %s with one kept for the superuser', (maxConnections, total) => {
    const conf = postgresConf({ port: 5433, socketDir: "/tmp/it's", maxConnections });
    expect(conf).toContain(`max_connections = ${total}\n`);
    expect(conf).toContain('superuser_reserved_connections = 1\n');
    expect(conf).toContain("unix_socket_directories = '/tmp/it''s'\n");
    expect(conf).toContain("listen_addresses = '127.0.0.1'\n");
  });

  it('makes LOGIN roles and the database, with no grant a DROP ROLE would trip over', () => {
    expect(postgresSetupSql({ users: ['app'], insecureUsers: ['plain'], database: 'orders' })).toEqual({
      server: ['CREATE ROLE rds_iam NOLOGIN', 'CREATE ROLE "app" LOGIN', 'CREATE ROLE "plain" LOGIN', 'CREATE DATABASE "orders"'],
      inDatabase: ['GRANT ALL ON SCHEMA public TO PUBLIC'],
    });
    expect(postgresSetupSql({ users: [], insecureUsers: [], database: 'postgres' }).server).toEqual(['CREATE ROLE rds_iam NOLOGIN']);
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });
});
