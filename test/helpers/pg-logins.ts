import pg from 'pg';
import { afterEach, expect, vi } from 'vitest';
import { createIamPool, type TokenProvider } from 'dbtoken';
import type { VerifyingPostgres } from 'dbtoken/testing';
import { captureOutput } from './canary.js';

type CapturedOutput = ReturnType<typeof captureOutput>;

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

/**
 * The secret canary's run for a cloud provider on a verifying PostgreSQL: a provider whose logins
 * the server accepts and one it refuses (28000), both logging to and emitting into a capture, plus
 * what a user could see afterwards (the refusal, the provider, its status and its token). Returns
 * the captured text and every token the two providers handed out, for the caller to look for.
 */
export async function pgCanaryRun(
  make: (logger: CapturedOutput['logger']) => { good: TokenProvider; refused: TokenProvider },
  pool: (token: TokenProvider) => Promise<pg.Pool>,
): Promise<{ text: string; seen: number; tokens: string[] }> {
  const out = captureOutput();
  const tokens = new Set<string>();
  try {
    const { good, refused } = make(out.logger);
    for (const p of [good, refused]) {
      p.on('token', (e) => out.add(e));
      p.on('error', (e) => out.add(e));
    }
    // The tokens the first logins use (the refused one is then dropped for a fresh one), and those after.
    for (const p of [good, refused]) tokens.add((await p.getToken()).token);
    await (await pool(good)).query('select 1');
    const err = await (await pool(refused)).query('select 1').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('28000');
    for (const p of [good, refused]) tokens.add((await p.getToken()).token);
    out.add(err);
    out.add(good);
    out.add(good.status());
    out.add(await good.getToken());
  } finally {
    out.restore();
  }
  return { text: out.text(), seen: out.seen.length, tokens: [...tokens] };
}
