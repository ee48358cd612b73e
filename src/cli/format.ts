import type { Identity } from './identity.js';
import { mysqlUserName } from './identity.js';

/** Rows of `label  value`, the values lined up. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** "in 15 min", "in 1 h 5 min", "2 min ago". */
export function relativeTime(at: Date, now: number): string {
  const ms = at.getTime() - now;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes < 1 ? 'less than a minute' : minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** `2026-11-23T10:15:00.000Z (in 60 min)`. */
export function expiry(at: Date, now: number): string {
  return `${at.toISOString()} (${relativeTime(at, now)})`;
}

const orNone = (v: string | null): string => v ?? '(none)';

/** What `whoami` prints. */
export function formatIdentity(id: Identity): string {
  switch (id.driver) {
    case 'pg':
      return table([
        ['session_user', id.sessionUser],
        ['tls', id.tls === null ? 'unknown' : id.tls ? 'yes' : 'no'],
      ]);
    case 'mysql2':
      return table([
        ['user', id.user],
        ['current_user', id.currentUser],
        ['proxy', id.proxied ? `yes: ${mysqlUserName(id.user)} has the privileges of ${mysqlUserName(id.currentUser)}` : 'no'],
      ]);
    case 'oracledb':
      return table([
        ['authentication_method', orNone(id.authenticationMethod)],
        ['authenticated_identity', orNone(id.authenticatedIdentity)],
        ['enterprise_identity', orNone(id.enterpriseIdentity)],
        ['current_user', orNone(id.currentUser)],
      ]);
  }
}

/** Where `token oci` wrote the db-token and key. */
export interface DbTokenFiles {
  readonly dir: string;
  readonly tokenFile: string;
  readonly keyFile: string;
  readonly expiresAt: Date;
}

/** What `token oci` prints: the paths and the expiry, never the token. */
export function formatDbTokenFiles(files: DbTokenFiles, now: number): string {
  return table([
    ['db-token', files.tokenFile],
    ['private key', files.keyFile],
    ['expires', expiry(files.expiresAt, now)],
  ]);
}

/** `--json` output: one line of JSON. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
