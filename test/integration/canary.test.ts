import { captureOutput, render } from '../helpers/canary.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIamPool, tokenProvider, type DbToken } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { mockTokenSource } from 'dbtoken/testing';
import { REGION, otherKeys, temporaryKeys } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

let db: IamPostgres;
beforeAll(async () => {
  db = await startIamPostgres();
});
afterAll(async () => {
  await db?.stop();
});


it('canary: a whole pool life leaks no token, key or secret into errors, events or logs', async () => {
  const out = captureOutput();
  const { seen, logger } = out;
  const tokens = new Set<string>();
  let now = Date.now();
  const clock = (): number => now;

  const provider = awsRdsToken(
    { hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: temporaryKeys },
    { clock, logger, cacheKey: 'canary' },
  );
  provider.on('token', (e) => seen.push(render(e)));
  provider.on('error', (e) => seen.push(render(e)));
  const pool = await createIamPool({ driver: 'pg', token: provider, database: 'postgres', ssl: { ca: db.ca }, host: db.host, port: db.port });
  pool.on('error', (e) => seen.push(render(e)));
  const remember = async (): Promise<void> => {
    tokens.add((await provider.getToken()).token);
  };

  // Good logins across several token lifetimes.
  for (let i = 0; i < 6; i++) {
    const c = await pool.connect();
    await c.query('select 1');
    c.release(true);
    await remember();
    now += 6 * 60_000;
  }
  // A refused login (revoked at the verifier) and its retry.
  await remember();
  for (const t of tokens) db.revoked.add(t);
  await new Promise((r) => setTimeout(r, 1_100));
  const c = await pool.connect();
  c.release(true);
  await remember();
  // A login that fails outright: a key IAM does not know, refused on the retry too.
  const refused = awsRdsToken(
    { hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: otherKeys },
    { logger },
  );
  refused.on('error', (e) => seen.push(render(e)));
  const refusedPool = await createIamPool({ driver: 'pg', token: refused, database: 'postgres', ssl: { ca: db.ca }, host: db.host, port: db.port });
  const err = await refusedPool.query('select 1').catch((e: unknown) => e);
  expect((err as { code?: string }).code).toBe('28000');
  seen.push(render(err));
  tokens.add((await refused.getToken()).token);
  await refusedPool.end();
  refused.close();
  // A source that fails, and its TokenUnavailableError.
  const source = mockTokenSource();
  const secretish = 'CANARY-MOCK-SECRET-TOKEN-VALUE';
  source.returns({ token: secretish, expiresInMs: 60_000 }).fails(new Error('IAM down')).fails(new Error('IAM down'));
  const failing = tokenProvider(source, { logger, retry: { attempts: 2, baseMs: 1 }, minValidity: 50_000 });
  failing.on('error', (e) => seen.push(render(e)));
  const t: DbToken = await failing.getToken();
  tokens.add(t.token);
  seen.push(render(t), render({ wrapped: t }), JSON.stringify({ t }), `${t}`);
  failing.invalidate();
  seen.push(render(await failing.getToken().catch((e: unknown) => e)));
  failing.close();

  await pool.end();
  provider.close();
  out.restore();

  expect(tokens.size).toBeGreaterThanOrEqual(4);
  const haystack = seen.join('\n');
  expect(haystack.length).toBeGreaterThan(500); // there was plenty to search
  expect(haystack).toMatch(/fetched a token/);
  expect(haystack).toMatch(/LDAP authentication failed|no usable token/);
  for (const token of tokens) {
    expect(haystack.includes(token)).toBe(false);
    // No signature or session token fragment either.
    for (const fragment of token.match(/X-Amz-Signature=[0-9a-f]+|X-Amz-Security-Token=[^&]{40}/g) ?? []) {
      expect(haystack.includes(fragment)).toBe(false);
    }
  }
  expect(haystack.includes(temporaryKeys.secretAccessKey)).toBe(false);
  expect(haystack.includes(temporaryKeys.sessionToken.slice(0, 40))).toBe(false);
});
