import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { lambdaEnvironment } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { tempDir } from '../helpers/temp.js';

let db: IamPostgres;
const saved = { ...process.env };

beforeAll(async () => {
  db = await startIamPostgres();
  const caFile = join(tempDir('dbtoken-lambda-'), 'ca.pem');
  writeFileSync(caFile, db.ca);
  // What Lambda puts in the environment for the function's role, plus the function's own settings.
  Object.assign(process.env, lambdaEnvironment(db.port, caFile));
});

afterAll(async () => {
  process.env = saved;
  vi.useRealTimers();
  await db?.stop();
});

it('the Lambda handler logs in with role credentials, and a container thawed after the token lifetime gets a fresh token', async () => {
  vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] }); // the wall clock is ours to move; timers stay real
  const { handler } = await import('../../examples/lambda-rds-postgres/handler.mjs');

  const first = await handler();
  expect(first.statusCode).toBe(200);
  expect(JSON.parse(first.body).user).toBe('iam_alice');
  const warm = await handler();
  expect(JSON.parse(warm.body).user).toBe('iam_alice');

  // Freeze: 40 minutes pass with no timer firing. The server drops the idle connection meanwhile.
  vi.setSystemTime(Date.now() + 40 * 60_000);
  await db.admin(`select pg_terminate_backend(pid) from pg_stat_activity where usename = 'iam_alice'`);
  await new Promise((r) => setTimeout(r, 50));

  // Thaw. The verifier shares the moved clock, so the old token would be refused as expired:
  // exactly one bind, accepted, proves a fresh token was signed before the login.
  const before = db.ldap.binds.length;
  const thawed = await handler();
  expect(JSON.parse(thawed.body).user).toBe('iam_alice');
  expect(db.ldap.binds.slice(before).map((b) => b.ok)).toEqual([true]);
});
