import { afterAll, beforeAll, expect, it } from 'vitest';
import { REGION, staticKeys } from '../helpers/aws.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

let db: IamPostgres;
beforeAll(async () => {
  ensureBuilt();
  db = await startIamPostgres();
});
afterAll(async () => {
  await db?.stop();
});

// The child uses the built package by its public names, does real work, then
// ends the pool and closes the provider, and must exit by itself: no
// process.exit, no timer or socket left holding the event loop.
const child = (closeProvider: boolean): string => `
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
const env = JSON.parse(process.env.DBTOKEN_CHILD);
const token = awsRdsToken({ hostname: '127.0.0.1', port: env.port, username: 'iam_alice', region: env.region, credentials: env.credentials });
token.on('token', () => {});
const pool = await createIamPool({ driver: 'pg', token, host: '127.0.0.1', port: env.port, database: 'postgres', ssl: { ca: env.ca }, idleTimeoutMillis: 60_000 });
const { rows } = await pool.query('select session_user as u');
await Promise.all([pool.query('select 1'), pool.query('select 2'), pool.query('select 3')]);
await token.getToken({ forceRefresh: true });
console.log(rows[0].u);
await pool.end();
${closeProvider ? 'token.close();' : '// provider left open: its refresh timer is unref\'d'}
`;

it.each([
  ['after pool.end() and provider.close()', true],
  ['after pool.end() even with the provider left open (timers are unref\'d)', false],
])('a child process using the library exits by itself %s', async (_n, closeProvider) => {
  const started = Date.now();
  const r = await runNode(['--input-type=module', '-e', child(closeProvider)], {
    env: { DBTOKEN_CHILD: JSON.stringify({ port: db.port, ca: db.ca, region: REGION, credentials: staticKeys }) },
    timeoutMs: 15_000,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('iam_alice');
  expect(Date.now() - started).toBeLessThan(15_000);
});
