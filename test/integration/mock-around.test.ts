import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIamPool, FetchTimeoutError, tokenProvider, TokenUnavailableError } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { mockTokenSource, startVerifyingPostgres, type VerifyingPostgres } from 'dbtoken/testing';
import { REGION, staticKeys } from '../helpers/aws.js';

let db: VerifyingPostgres;
beforeAll(async () => {
  db = await startVerifyingPostgres({ users: ['app'], region: REGION, credentials: staticKeys });
});
afterAll(() => db?.close());

it('mockTokenSource({ around }) breaks a real awsRdsToken in front of a real server, and gives it back', async () => {
  const real = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region: REGION, credentials: staticKeys });
  await real.getToken(); // loads the AWS SDK: not part of any step below
  const source = mockTokenSource({ around: real });
  // The provider's clock moves on past its rest after each failed round; the tokens keep real time.
  let shift = 0;
  const provider = tokenProvider(source, { target: real.target, retry: { attempts: 1, maxMs: 1_000 }, fetchTimeout: 3_000, clock: () => Date.now() + shift });
  const pool: pg.Pool = await createIamPool({ driver: 'pg', token: provider, database: db.database, ssl: { ca: db.ca }, max: 1 });
  /** A new connection's login, then its session user. */
  const login = async (): Promise<string> => {
    const c = await pool.connect();
    try {
      return (await c.query<{ u: string }>('select session_user as u')).rows[0]!.u;
    } finally {
      c.release(true);
    }
  };
  const since = (n: number) => db.logins.slice(n).map((l) => [l.ok, l.reason]);
  try {
    // The real provider's token, checked by the server.
    let before = db.logins.length;
    expect(await login()).toBe('app');
    expect(since(before)).toEqual([[true, undefined]]);

    // IAM goes down: the cached token still logs in; once it is gone, no login reaches the server.
    source.outage(new Error('IAM down'));
    expect(await login()).toBe('app');
    provider.invalidate();
    before = db.logins.length;
    const down = await login().catch((e: unknown) => e);
    expect(down).toBeInstanceOf(TokenUnavailableError);
    expect((down as Error).cause).toMatchObject({ message: 'IAM down' });
    expect(since(before)).toEqual([]);

    // IAM comes back: fresh real tokens again.
    source.restore();
    shift += 60_000;
    before = db.logins.length;
    expect(await login()).toBe('app');
    expect(since(before)).toEqual([[true, undefined]]);

    // A bad token in front: the server refuses it, and the adapter's one retry gets a real one.
    provider.invalidate();
    source.returns({ token: 'forged' });
    before = db.logins.length;
    expect(await login()).toBe('app');
    expect(since(before)).toEqual([
      [false, 'malformed token: no host/? prefix'],
      [true, undefined],
    ]);

    // IAM stops answering: fetchTimeout ends the wait.
    provider.invalidate();
    source.hangs();
    const hung = await login().catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(TokenUnavailableError);
    expect((hung as Error).cause).toBeInstanceOf(FetchTimeoutError);

    // The hung call ends when the fetch's own deadline aborts its signal; then the provider is free again.
    const { signal } = source.calls.at(-1)!;
    await new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve, { once: true })));
    expect(signal.reason).toBeInstanceOf(FetchTimeoutError);
    // A slow IAM: the real token, later.
    shift += 60_000;
    provider.invalidate();
    source.delays(50);
    before = db.logins.length;
    expect(await login()).toBe('app');
    expect(since(before)).toEqual([[true, undefined]]);
    expect(source.issued.filter((t) => t.token === 'forged')).toHaveLength(1);
  } finally {
    await pool.end();
    provider.close();
    real.close();
  }
});
