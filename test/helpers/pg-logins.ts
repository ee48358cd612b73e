import pg from 'pg';
import { afterEach, vi } from 'vitest';
import { createIamPool, type TokenProvider } from 'dbtoken';
import type { VerifyingPostgres } from 'dbtoken/testing';

/**
 * Logins to a verifying PostgreSQL, as the integration tests make them:
 * providers and pools closed after each test, a dbtoken pg pool, and plain
 * pg.Client logins to read the server's own answer.
 */

/** Tracks what a test file opens; closes it after each test (and puts Date back). */
export function tracked(): {
  /** `p`, closed after the test. */
  provider<T extends TokenProvider>(p: T): T;
  /** Runs `close` after the test. */
  closeLater(close: () => Promise<unknown>): void;
  /** A dbtoken pg pool on `db` over TLS, ended after the test; an idle connection the server ends is not an unhandled error. */
  pgPool(db: VerifyingPostgres, token: TokenProvider, extra?: Record<string, unknown>): Promise<pg.Pool>;
} {
  const providers: TokenProvider[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of closers.splice(0)) await c().catch(() => {});
    for (const p of providers.splice(0)) p.close();
  });
  return {
    provider(p) {
      providers.push(p);
      return p;
    },
    closeLater(close) {
      closers.push(close);
    },
    async pgPool(db, token, extra = {}) {
      const pool = await createIamPool({ driver: 'pg', token, host: db.host, port: db.port, database: db.database, ssl: { ca: db.ca }, ...extra });
      pool.on('error', () => {});
      closers.push(() => pool.end());
      return pool;
    },
  };
}

/** A login as `user` with `password` through a plain pg.Client over TLS; resolves to the session, rejects with the server's error. */
export async function pgLogin(db: VerifyingPostgres, user: string, password: string, over: pg.ClientConfig = {}): Promise<pg.Client> {
  const c = new pg.Client({ host: db.host, port: db.port, user, password, database: db.database, ssl: { ca: db.ca }, ...over });
  c.on('error', () => {});
  try {
    await c.connect();
  } catch (err) {
    await c.end().catch(() => {});
    throw err;
  }
  return c;
}

/** One login with `password` as `user`, through a plain pg.Client: the session user, or `refused <SQLSTATE>: <the verifier's reason>`. */
export async function pgLoginWith(db: VerifyingPostgres, user: string, password: string): Promise<string> {
  let client: pg.Client;
  try {
    client = await pgLogin(db, user, password);
  } catch (err) {
    return `refused ${(err as { code?: string }).code}: ${db.logins.at(-1)?.reason}`;
  }
  try {
    return (await client.query('select session_user as u')).rows[0].u;
  } finally {
    await client.end().catch(() => {});
  }
}
