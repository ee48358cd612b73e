import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenUnavailableError, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool } from 'dbtoken/pg';
import { REGION, staticKeys } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

let db: IamPostgres;
beforeAll(async () => {
  db = await startIamPostgres();
});
afterAll(async () => {
  await db?.stop();
});

describe('a credentials call that hangs, against a PostgreSQL that checks RDS tokens', () => {
  it('new pool connections fail at fetchTimeout instead of waiting forever, and log in once the credentials come back', async () => {
    let hang = true;
    let calls = 0;
    const credentials = () => {
      calls += 1;
      return hang ? new Promise<typeof staticKeys>(() => {}) : Promise.resolve(staticKeys);
    };
    const token: TokenProvider = awsRdsToken(
      { hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials },
      { fetchTimeout: 800, retry: { attempts: 1, baseMs: 50, maxMs: 300 } },
    );
    const pool = createPgPool({ token, database: 'postgres', ssl: { ca: db.ca }, max: 4 });
    try {
      const failures = await Promise.all([pool.connect(), pool.connect()].map((p) => p.then(() => undefined, (e: unknown) => e)));
      for (const err of failures) {
        expect(err).toBeInstanceOf(TokenUnavailableError);
        expect((err as Error).message).toMatch(/fetchTimeout \(800 ms\)/);
      }
      expect(calls).toBe(1); // both connections waited on one fetch; then the identity rests for maxMs
      hang = false;
      await new Promise((r) => setTimeout(r, 400));
      const { rows } = await pool.query('select session_user as u');
      expect(rows[0].u).toBe('iam_alice');
      expect(db.ldap.binds.at(-1)).toMatchObject({ user: 'iam_alice', ok: true });
    } finally {
      await pool.end();
      token.close();
    }
  });
});
