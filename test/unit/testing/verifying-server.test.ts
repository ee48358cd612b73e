import { describe, expect, it } from 'vitest';
import { awsRdsToken } from 'dbtoken/aws';
import { DsqlGrants, loginSettings, parseDsqlIamStatement } from '../../../src/testing/verifying-server.js';
import { REGION, staticKeys } from '../../helpers/aws.js';

const limits = { min: 1, max: 100, server: 'PostgreSQL' };
const rds = { region: REGION, credentials: staticKeys };

async function token(port: number, hostname = '127.0.0.1', username = 'app'): Promise<string> {
  const p = awsRdsToken({ hostname, port, username, region: REGION, credentials: staticKeys }, { cacheKey: `settings-${Math.random()}` });
  try {
    return (await p.getToken()).token;
  } finally {
    p.close();
  }
}

describe('loginSettings: the options', () => {
  it('fills the defaults', () => {
    const s = loginSettings({ users: ['app', 'app'], ...rds }, limits);
    expect({ users: s.users, insecure: s.insecureUsers, database: s.database, max: s.maxConnections }).toEqual({ users: ['app'], insecure: [], database: 'app', max: undefined });
  });

  it.each([
    ['no options', undefined, 'options'],
    ['users missing', { ...rds }, 'users'],
    ['a user name with a space', { users: ['a b'], ...rds }, 'users[0]'],
    ['a user name with a quote', { users: ["a'b"], ...rds }, 'users[0]'],
    ['a user name of 64 characters', { users: ['a'.repeat(64)], ...rds }, 'users[0]'],
    ['region missing', { users: [], credentials: staticKeys }, 'region'],
    ['credentials missing', { users: [], region: REGION }, 'credentials'],
    ['credentials without a secret', { users: [], region: REGION, credentials: { accessKeyId: 'AKID' } }, 'credentials.secretAccessKey'],
    ['an empty credentials array', { users: [], region: REGION, credentials: [] }, 'credentials'],
    ['a database name with a dash', { users: [], ...rds, database: 'my-db' }, 'database'],
    ['maxLoginsPerSecond 0', { users: [], ...rds, maxLoginsPerSecond: 0 }, 'maxLoginsPerSecond'],
    ['maxLoginsPerSecond 1.5', { users: [], ...rds, maxLoginsPerSecond: 1.5 }, 'maxLoginsPerSecond'],
    ['maxConnections over the limit', { users: [], ...rds, maxConnections: 101 }, 'maxConnections'],
    ['a user in both lists', { users: ['a'], insecureUsers: ['a'], ...rds }, 'insecureUsers'],
    ['verify not a function', { users: [], verify: 'yes' }, 'verify'],
    ['now not a function', { users: [], ...rds, now: 5 }, 'now'],
  ])('refuses %s, naming the field', (_n, options, field) => {
    expect(() => loginSettings(options as never, limits)).toThrow(expect.objectContaining({ code: 'ERR_DBTOKEN_CONFIG', field }));
  });

  it('needs no region or credentials when verify is given, and never puts a secret in an error', () => {
    expect(() => loginSettings({ users: [], verify: () => true }, limits)).not.toThrow();
    const err = (() => {
      try {
        loginSettings({ users: [], region: REGION, credentials: { accessKeyId: 'AKID', secretAccessKey: 5 as never } }, limits);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).not.toContain('5');
  });
});

describe('loginSettings: the check', () => {
  it('accepts an RDS token for 127.0.0.1 or localhost and this port, and records each login without the token', async () => {
    const s = loginSettings({ users: ['app'], ...rds }, limits);
    const [a, b, c] = [await token(5433), await token(5433, 'localhost'), await token(5433, 'db.example.com')];
    expect(await s.check(a, 'app', 5433)).toMatchObject({ ok: true });
    expect(await s.check(b, 'app', 5433)).toMatchObject({ ok: true });
    expect(await s.check(c, 'app', 5433)).toEqual({ ok: false, reason: 'token is for another host or port' });
    expect(await s.check(a, 'app', 5434)).toEqual({ ok: false, reason: 'token is for another host or port' });
    expect(s.logins.map((l) => [l.user, l.ok, l.reason])).toEqual([
      ['app', true, undefined],
      ['app', true, undefined],
      ['app', false, 'token is for another host or port'],
      ['app', false, 'token is for another host or port'],
    ]);
    expect(JSON.stringify(s.logins)).not.toContain('X-Amz');
    expect(Object.isFrozen(s.logins[0])).toBe(true);
  });

  it.each([
    ['true', true, { ok: true }],
    ['false', false, { ok: false }],
    ['a verdict with a reason', { ok: false, reason: 'revoked' }, { ok: false, reason: 'revoked' }],
    ['an accepted verdict: its reason is dropped', { ok: true, reason: 'fine' }, { ok: true }],
    ['a non-boolean ok', { ok: 'yes' }, { ok: false }],
    ['undefined', undefined, { ok: false }],
  ])('takes verify answering %s', async (_n, answer, verdict) => {
    const s = loginSettings({ users: ['app'], verify: () => answer as never }, limits);
    expect(await s.check('t', 'app', 1)).toEqual(verdict);
  });

  it('hands verify the token, the user and the RDS check, and refuses when verify throws or rejects', async () => {
    const seen: unknown[] = [];
    const s = loginSettings(
      {
        users: ['app'],
        ...rds,
        verify: async (t, user, checkRds) => {
          seen.push([t.startsWith('127.0.0.1:7/?Action=connect') ? 'rds token' : t, user]);
          if (t === 'throw') throw new Error('secret-in-error');
          return checkRds();
        },
      },
      limits,
    );
    expect(await s.check(await token(7), 'app', 7)).toMatchObject({ ok: true });
    expect(await s.check('throw', 'app', 7)).toEqual({ ok: false, reason: 'verify threw' });
    expect(seen).toEqual([['rds token', 'app'], ['throw', 'app']]);
    expect(JSON.stringify(s.logins)).not.toContain('secret-in-error');
  });

  it('throttles on the injected clock, before verify is asked', async () => {
    let now = 50_000;
    let asked = 0;
    const s = loginSettings({ users: ['app'], maxLoginsPerSecond: 2, now: () => now, verify: () => ++asked > 0 }, limits);
    const burst = await Promise.all(Array.from({ length: 5 }, () => s.check('t', 'app', 1)));
    expect(burst).toEqual([{ ok: true }, { ok: true }, ...Array(3).fill({ ok: false, reason: 'throttled: over maxLoginsPerSecond' })]);
    expect(asked).toBe(2);
    now += 999;
    expect(await s.check('t', 'app', 1)).toEqual({ ok: false, reason: 'throttled: over maxLoginsPerSecond' });
    now += 1;
    expect(await s.check('t', 'app', 1)).toEqual({ ok: true });
    expect(s.logins.map((l) => l.at.getTime())).toEqual([50_000, 50_000, 50_000, 50_000, 50_000, 50_999, 51_000]);
  });
});

describe('DSQL grants (AWS IAM GRANT), as the verifying PostgreSQL keeps them', () => {
  const ROLE = 'arn:aws:iam::111122223333:role/app-service';
  it.each([
    ['the granted role', ROLE, true],
    ['a session of the granted role', 'arn:aws:sts::111122223333:assumed-role/app-service/lambda', true],
    ['a session of a role of that name in another account', 'arn:aws:sts::444455556666:assumed-role/app-service/lambda', false],
    ['a session of a role of that name in another partition', 'arn:aws-cn:sts::111122223333:assumed-role/app-service/lambda', false],
    ['a session of another role', 'arn:aws:sts::111122223333:assumed-role/other-service/lambda', false],
    ['a session of a role whose name the granted one ends with', 'arn:aws:sts::111122223333:assumed-role/service/lambda', false],
    ['a user of the role name', 'arn:aws:iam::111122223333:user/app-service', false],
    ['no identity', undefined, false],
  ])('%s: %s', (_name, arn, allowed) => {
    const grants = new DsqlGrants();
    grants.grant('app', ROLE);
    expect(grants.allows('app', arn)).toBe(allowed);
    expect(grants.allows('reporting', arn)).toBe(false);
  });

  it('a session of a role granted with a path logs in too (a session ARN carries no path)', () => {
    const grants = new DsqlGrants();
    grants.grant('app', 'arn:aws:iam::111122223333:role/service/app-service');
    expect(grants.allows('app', 'arn:aws:sts::111122223333:assumed-role/app-service/lambda')).toBe(true);
  });

  it.each([
    ["AWS IAM GRANT app TO 'arn:aws:sts::111122223333:assumed-role/app-service/lambda'", /^invalid IAM ARN: an STS session cannot be granted/],
    ["AWS IAM GRANT app TO 'arn:aws:iam::111122223333:group/devs'", /^invalid IAM ARN/],
    ["AWS IAM GRANT app TO 'arn:aws:iam::111122223333:role/app-service'", { kind: 'grant', role: 'app', arn: 'arn:aws:iam::111122223333:role/app-service' }],
    ["AWS IAM REVOKE \"App\" FROM 'arn:aws:iam::111122223333:user/jane'", { kind: 'revoke', role: 'App', arn: 'arn:aws:iam::111122223333:user/jane' }],
  ])('%s', (sql, expected) => {
    const parsed = parseDsqlIamStatement(sql);
    if (expected instanceof RegExp) expect(String((parsed as Error).message)).toMatch(expected);
    else expect(parsed).toEqual(expected);
  });
});
