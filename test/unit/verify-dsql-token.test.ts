import { DsqlSigner } from '@aws-sdk/dsql-signer';
import { Signer } from '@aws-sdk/rds-signer';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyDsqlToken } from 'dbtoken/testing';
import { REGION, otherKeys, staticKeys, temporaryKeys } from '../helpers/aws.js';

const HOST = 'abc123.dsql.us-east-1.on.aws';
const cluster = { hostname: HOST, region: REGION, credentials: [staticKeys, temporaryKeys] };
/** A whole second, as X-Amz-Date has it. */
const T = Date.UTC(2026, 11, 7, 22, 6, 45);
const MINUTE = 60_000;
const DAY_S = 24 * 60 * 60;

type SignerOver = Partial<{ hostname: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; expiresIn: number }>;

/** A token from the real DsqlSigner: `DbConnectAdmin` when `admin`, else `DbConnect`. */
async function sign(admin: boolean, over: SignerOver = {}): Promise<string> {
  const signer = new DsqlSigner({ hostname: HOST, region: REGION, credentials: staticKeys, ...over });
  return admin ? signer.getDbConnectAdminAuthToken() : signer.getDbConnectAuthToken();
}

/** {@link sign} with the clock at `at`. */
async function signAt(at: number, admin: boolean, over: SignerOver = {}): Promise<string> {
  vi.useFakeTimers({ now: at, toFake: ['Date'] });
  try {
    return await sign(admin, over);
  } finally {
    vi.useRealTimers();
  }
}

/** The token with one query parameter's raw value replaced (or the parameter removed, for `undefined`). */
function withParam(token: string, name: string, value: string | undefined): string {
  const split = token.indexOf('/?');
  const pairs = token.slice(split + 2).split('&');
  expect(pairs.some((p) => p.startsWith(`${name}=`)), `${name} in the token`).toBe(true);
  const kept = pairs.flatMap((p) => (p.startsWith(`${name}=`) ? (value === undefined ? [] : [`${name}=${value}`]) : [p]));
  return `${token.slice(0, split)}/?${kept.join('&')}`;
}

const signatureOf = (token: string): string => /X-Amz-Signature=([0-9a-f]+)/.exec(token)![1]!;

afterEach(() => vi.useRealTimers());

describe('verifyDsqlToken (SigV4, written from the spec) against tokens from @aws-sdk/dsql-signer', () => {
  it.each([
    [false, 'DbConnect'],
    [true, 'DbConnectAdmin'],
  ] as const)('accepts a good token when admin is %s (%s), and reports the action, key and expiry', async (admin, action) => {
    const token = await sign(admin);
    expect(token.startsWith(`${HOST}/?`)).toBe(true);
    expect(token).toContain(`Action=${action}&`);
    const v = verifyDsqlToken(token, { ...cluster, admin });
    expect(v).toMatchObject({ ok: true, action, accessKeyId: staticKeys.accessKeyId });
    if (v.ok) expect(v.expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * MINUTE);
  });

  it.each([
    [false, true, 'Action is not DbConnectAdmin (an admin login needs an admin token)'],
    [true, false, 'Action is not DbConnect (an admin token is for the admin user only)'],
  ] as const)('refuses a token with admin %s for a login with admin %s', async (signedAdmin, admin, reason) => {
    expect(verifyDsqlToken(await sign(signedAdmin), { ...cluster, admin })).toEqual({ ok: false, reason });
  });

  it('refuses an Action changed after signing (the check, then the signature)', async () => {
    const token = await sign(false);
    const admin = withParam(token, 'Action', 'DbConnectAdmin');
    expect(verifyDsqlToken(admin, { ...cluster, admin: false })).toEqual({ ok: false, reason: 'Action is not DbConnect (an admin token is for the admin user only)' });
    expect(verifyDsqlToken(admin, { ...cluster, admin: true })).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('accepts a token signed with temporary credentials only with its session token', async () => {
    const token = await sign(true, { credentials: temporaryKeys });
    expect(token).toContain('X-Amz-Security-Token=');
    expect(verifyDsqlToken(token, { ...cluster, admin: true })).toMatchObject({ ok: true, accessKeyId: temporaryKeys.accessKeyId });
    const wrong = { ok: false, reason: 'session token missing or wrong' };
    expect(verifyDsqlToken(token, { ...cluster, admin: true, credentials: [{ ...temporaryKeys, sessionToken: 'other' }] })).toEqual(wrong);
    expect(verifyDsqlToken(token, { ...cluster, admin: true, credentials: [{ accessKeyId: temporaryKeys.accessKeyId, secretAccessKey: temporaryKeys.secretAccessKey }] })).toEqual(wrong);
    // The same key without its session token: IAM knows it has one.
    const bare = await sign(true, { credentials: { accessKeyId: temporaryKeys.accessKeyId, secretAccessKey: temporaryKeys.secretAccessKey } });
    expect(verifyDsqlToken(bare, { ...cluster, admin: true })).toEqual(wrong);
    expect(verifyDsqlToken(withParam(token, 'X-Amz-Security-Token', undefined), { ...cluster, admin: true })).toEqual(wrong);
  });

  it.each([
    ['another host', { hostname: 'xyz789.dsql.us-east-1.on.aws' }, 'token is for another host'],
    ['the host with a port', { hostname: `${HOST}:443` }, 'token is for another host'],
    ['another region', { region: 'eu-west-1' }, 'token is for another region'],
  ])('refuses a token for %s', async (_n, over, reason) => {
    expect(verifyDsqlToken(await sign(false, over), { ...cluster, admin: false })).toEqual({ ok: false, reason });
  });

  it('refuses a token signed with the wrong secret, and an unknown key', async () => {
    const wrongSecret = await sign(false, { credentials: { accessKeyId: staticKeys.accessKeyId, secretAccessKey: otherKeys.secretAccessKey } });
    expect(verifyDsqlToken(wrongSecret, { ...cluster, admin: false })).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifyDsqlToken(await sign(false, { credentials: otherKeys }), { ...cluster, admin: false })).toEqual({ ok: false, reason: 'unknown access key' });
  });

  it('refuses an RDS token from @aws-sdk/rds-signer at each layer: host and port, Action, then the credential scope', async () => {
    const rds = await new Signer({ hostname: HOST, port: 5432, username: 'admin', region: REGION, credentials: staticKeys }).getAuthToken();
    expect(rds.startsWith(`${HOST}:5432/?`)).toBe(true);
    expect(verifyDsqlToken(rds, { ...cluster, admin: true })).toEqual({ ok: false, reason: 'token is for another host' });
    const bareHost = rds.replace(`${HOST}:5432/?`, `${HOST}/?`);
    expect(verifyDsqlToken(bareHost, { ...cluster, admin: true })).toEqual({ ok: false, reason: 'Action is not DbConnectAdmin (an admin login needs an admin token)' });
    const asDsql = withParam(bareHost, 'Action', 'DbConnectAdmin');
    expect(verifyDsqlToken(asDsql, { ...cluster, admin: true })).toEqual({ ok: false, reason: 'credential scope is not dsql/aws4_request' });
  });

  it('refuses a DSQL token whose credential scope names another service or terminator', async () => {
    const token = await sign(false);
    for (const scope of ['%2Frds-db%2Faws4_request', '%2FDSQL%2Faws4_request', '%2Fdsql%2Faws4_request2']) {
      const other = token.replace('%2Fdsql%2Faws4_request', scope);
      expect(other).not.toBe(token);
      expect(verifyDsqlToken(other, { ...cluster, admin: false })).toEqual({ ok: false, reason: 'credential scope is not dsql/aws4_request' });
    }
  });
});

describe('verifyDsqlToken and the clock', () => {
  it('accepts a token until X-Amz-Date + X-Amz-Expires, and refuses it one ms later', async () => {
    const token = await signAt(T, false);
    expect(token).toContain('X-Amz-Date=20261207T220645Z&X-Amz-Expires=900&');
    expect(verifyDsqlToken(token, { ...cluster, admin: false, now: T + 900_000 })).toEqual({ ok: true, action: 'DbConnect', accessKeyId: staticKeys.accessKeyId, expiresAt: new Date(T + 900_000) });
    expect(verifyDsqlToken(token, { ...cluster, admin: false, now: T + 900_001 })).toEqual({ ok: false, reason: 'token expired' });
    expect(verifyDsqlToken(token, { ...cluster, admin: false, now: T + DAY_S * 1000 })).toEqual({ ok: false, reason: 'token expired' });
  });

  it('accepts a token signed up to maxSkewMs (default 5 minutes) in the future, and refuses one signed later', async () => {
    const token = await signAt(T, true);
    const notYet = { ok: false, reason: 'token is not yet valid (signed in the future)' };
    expect(verifyDsqlToken(token, { ...cluster, admin: true, now: T - 5 * MINUTE })).toMatchObject({ ok: true });
    expect(verifyDsqlToken(token, { ...cluster, admin: true, now: T - 5 * MINUTE - 1 })).toEqual(notYet);
    expect(verifyDsqlToken(token, { ...cluster, admin: true, now: T, maxSkewMs: 0 })).toMatchObject({ ok: true });
    expect(verifyDsqlToken(token, { ...cluster, admin: true, now: T - 1, maxSkewMs: 0 })).toEqual(notYet);
    expect(verifyDsqlToken(token, { ...cluster, admin: true, now: T - 50 * MINUTE, maxSkewMs: 60 * MINUTE })).toMatchObject({ ok: true });
  });

  it('accepts expiresIn 604800 (7 days, the SigV4 maximum) to its last ms, and 1 s', async () => {
    const week = await signAt(T, true, { expiresIn: 7 * DAY_S });
    expect(week).toContain('X-Amz-Expires=604800&');
    expect(verifyDsqlToken(week, { ...cluster, admin: true, now: T + 7 * DAY_S * 1000 })).toEqual({
      ok: true,
      action: 'DbConnectAdmin',
      accessKeyId: staticKeys.accessKeyId,
      expiresAt: new Date(T + 7 * DAY_S * 1000),
    });
    expect(verifyDsqlToken(week, { ...cluster, admin: true, now: T + 7 * DAY_S * 1000 + 1 })).toEqual({ ok: false, reason: 'token expired' });
    const second = await signAt(T, true, { expiresIn: 1 });
    expect(verifyDsqlToken(second, { ...cluster, admin: true, now: T + 1000 })).toMatchObject({ ok: true, expiresAt: new Date(T + 1000) });
    expect(verifyDsqlToken(second, { ...cluster, admin: true, now: T + 1001 })).toEqual({ ok: false, reason: 'token expired' });
  });

  it('has no signer for expiresIn 604801', async () => {
    await expect(sign(false, { expiresIn: 7 * DAY_S + 1 })).rejects.toMatch(/less than one week/);
  });

  it.each(['604801', '31536000', '0', '-1', '1.5', 'abc', ''])('refuses X-Amz-Expires=%s for its range, before the signature', async (expires) => {
    const token = await signAt(T, false, { expiresIn: 7 * DAY_S });
    expect(verifyDsqlToken(withParam(token, 'X-Amz-Expires', expires), { ...cluster, admin: false, now: T })).toEqual({ ok: false, reason: 'X-Amz-Expires out of range' });
  });

  it('refuses a shorter X-Amz-Expires than was signed, by the signature', async () => {
    const token = await signAt(T, false, { expiresIn: 7 * DAY_S });
    expect(verifyDsqlToken(withParam(token, 'X-Amz-Expires', '900'), { ...cluster, admin: false, now: T })).toEqual({ ok: false, reason: 'signature does not match' });
  });
});

describe('verifyDsqlToken and the host', () => {
  it('takes the host in any ASCII case: the signature is over it in lower case', async () => {
    const token = await sign(false);
    for (const hostname of [HOST, HOST.toUpperCase(), 'ABC123.Dsql.US-East-1.On.Aws']) {
      expect(verifyDsqlToken(token, { ...cluster, hostname, admin: false })).toMatchObject({ ok: true });
      // The text before /? as typed (botocore prints it so), the signature over it in lower case.
      expect(verifyDsqlToken(token.replace(`${HOST}/?`, `${hostname}/?`), { ...cluster, admin: false })).toMatchObject({ ok: true });
    }
  });

  it('refuses a token signed over a mixed-case host as typed (what @aws-sdk/dsql-signer makes when handed one)', async () => {
    const hostname = 'ABC123.dsql.us-east-1.on.aws';
    const token = await sign(false, { hostname });
    expect(token.startsWith(`${hostname}/?`)).toBe(true);
    expect(verifyDsqlToken(token, { ...cluster, hostname, admin: false })).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it.each([
    ['KELVIN SIGN (U+212A) for k', 'db.\u212Aube.example', 'db.kube.example'],
    ['DOTTED CAPITAL I (U+0130) for i', 'db.\u0130nternal.example', 'db.internal.example'],
    ['LONG S (U+017F) for s', 'db.\u017Fales.example', 'db.sales.example'],
    ['fullwidth letters for ASCII', 'db.\uFF4B\uFF55\uFF42\uFF45.example', 'db.kube.example'],
    ['a Cyrillic a (U+0430) for a', 'db.d\u0430ta.example', 'db.data.example'],
  ])('refuses a lookalike host: %s, either way round', async (_n, lookalike, host) => {
    for (const [signedFor, expected] of [
      [lookalike, host],
      [host, lookalike],
    ] as const) {
      expect(verifyDsqlToken(await sign(false, { hostname: signedFor }), { ...cluster, hostname: expected, admin: false })).toEqual({ ok: false, reason: 'token is for another host' });
    }
  });
});

describe('verifyDsqlToken against botocore', () => {
  // Printed by botocore 1.43.11's dsql client (generate_db_connect_auth_token and
  // generate_db_connect_admin_auth_token) with these made-up keys: the host as typed,
  // the signature over it in lower case, and X-Amz-Signature last.
  const key = { accessKeyId: 'AKIDBOTOCOREFIXTURE1', secretAccessKey: 'botocore/fixture/secret/not-a-real-key' };
  const at = Date.UTC(2026, 11, 7, 22, 7, 33);
  const query = (action: string, signature: string) =>
    `Action=${action}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDBOTOCOREFIXTURE1%2F20261207%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20261207T220733Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`;
  it.each([
    [false, 'DbConnect', `MyCluster.dsql.us-east-1.on.aws/?${query('DbConnect', '245d36eff6b2b12657b60ada4539b348ab1c9afba2a7519ad219610994c57a26')}`],
    [true, 'DbConnectAdmin', `MyCluster.dsql.us-east-1.on.aws/?${query('DbConnectAdmin', '0bb45612db8b64c545c72e50af5b5ecbc54747e4bf9ed440e393eecdf54cee46')}`],
  ] as const)('accepts its token with admin %s (%s) for the host in any ASCII case', (admin, action, token) => {
    for (const hostname of ['MyCluster.dsql.us-east-1.on.aws', 'mycluster.dsql.us-east-1.on.aws', 'MYCLUSTER.DSQL.US-EAST-1.ON.AWS']) {
      expect(verifyDsqlToken(token, { hostname, region: REGION, credentials: [key], admin, now: at })).toEqual({ ok: true, action, accessKeyId: key.accessKeyId, expiresAt: new Date(at + 900_000) });
    }
    expect(verifyDsqlToken(token, { hostname: 'MyCluster.dsql.us-east-1.on.aws', region: REGION, credentials: [key], admin: !admin, now: at })).toMatchObject({ ok: false });
  });

  it('accepts its 7-day token signed with temporary credentials (session token percent-encoded)', () => {
    const temp = { accessKeyId: 'ASIABOTOCOREFIXTURE2', secretAccessKey: 'botocore/fixture/temp/not-a-real-key', sessionToken: 'FwoGZXIvYXdzEXAMPLEfixture/session+token=' };
    const token =
      'abc.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIABOTOCOREFIXTURE2%2F20261207%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20261207T220738Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLEfixture%2Fsession%2Btoken%3D&X-Amz-Signature=c96388d0bc008e1eed6c0e7ddc48458d1ac5bca54f7c4e0f4988e37148ea72d4';
    const signedAt = Date.UTC(2026, 11, 7, 22, 7, 38);
    const config = { hostname: 'abc.dsql.us-east-1.on.aws', region: REGION, credentials: [temp], admin: false };
    expect(verifyDsqlToken(token, { ...config, now: signedAt + 7 * DAY_S * 1000 })).toMatchObject({ ok: true, expiresAt: new Date(signedAt + 7 * DAY_S * 1000) });
    expect(verifyDsqlToken(token, { ...config, now: signedAt + 7 * DAY_S * 1000 + 1 })).toEqual({ ok: false, reason: 'token expired' });
    expect(verifyDsqlToken(token, { ...config, now: signedAt, credentials: [{ ...temp, sessionToken: 'FwoGZXIvYXdzEXAMPLEfixture/session token=' }] })).toEqual({ ok: false, reason: 'session token missing or wrong' });
  });
});

describe('verifyDsqlToken and malformed or tampered tokens', () => {
  const required = ['Action', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

  it.each(required)('refuses a token without %s', async (name) => {
    const token = await signAt(T, false);
    expect(verifyDsqlToken(withParam(token, name, undefined), { ...cluster, admin: false, now: T })).toEqual({ ok: false, reason: `missing ${name}` });
  });

  it('accepts its parameters in any order (botocore puts X-Amz-Signature last, the JS SDK sorts them)', async () => {
    const token = await signAt(T, true, { credentials: temporaryKeys });
    const split = token.indexOf('/?');
    const reversed = `${token.slice(0, split)}/?${token.slice(split + 2).split('&').reverse().join('&')}`;
    expect(reversed).not.toBe(token);
    expect(verifyDsqlToken(reversed, { ...cluster, admin: true, now: T })).toMatchObject({ ok: true });
  });

  it.each([
    ['an empty password', () => '', 'malformed token'],
    ['a password that is no token', () => 'hunter2', 'malformed token: no host/? prefix'],
    ['no host prefix', (t: string) => t.slice(t.indexOf('/?')), 'malformed token: no host/? prefix'],
    ['a token over 16 KiB', (t: string) => `${t}&X-Pad=${'a'.repeat(16_384)}`, 'malformed token'],
    ['bad percent-encoding', (t: string) => `${t}&x=%zz`, 'malformed percent-encoding'],
    ['a parameter without a value', (t: string) => `${t}&flag`, 'malformed query parameter'],
    ['a parameter without a name', (t: string) => `${t}&=x`, 'malformed query parameter'],
    ['an empty parameter', (t: string) => t.replace('&', '&&'), 'malformed query parameter'],
    ['a duplicated parameter', (t: string) => `${t}&Action=DbConnect`, 'duplicate parameter Action'],
    ['a duplicated parameter, percent-encoded', (t: string) => `${t}&%41ction=DbConnect`, 'duplicate parameter Action'],
    ['a duplicated signature', (t: string) => `${t}&X-Amz-Signature=${'0'.repeat(64)}`, 'duplicate parameter X-Amz-Signature'],
    ['another algorithm', (t: string) => withParam(t, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA512'), 'unsupported algorithm'],
    ['more signed headers', (t: string) => withParam(t, 'X-Amz-SignedHeaders', 'host%3Bx-amz-date'), 'signed headers must be host'],
    ['a malformed X-Amz-Date', (t: string) => withParam(t, 'X-Amz-Date', '2026-12-07T22:06:45Z'), 'malformed X-Amz-Date'],
    ['a credential date other than X-Amz-Date', (t: string) => t.replace('%2F20261207%2F', '%2F20261206%2F'), 'credential date does not match X-Amz-Date'],
    ['a credential scope of four parts', (t: string) => t.replace('%2Fdsql%2F', '%2F'), 'malformed credential scope'],
    ['a flipped signature character', (t: string) => t.replace(/X-Amz-Signature=(.)/, (_m, c) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`), 'signature does not match'],
    ['a truncated signature', (t: string) => t.replace(/(X-Amz-Signature=[0-9a-f]+)[0-9a-f]/, '$1'), 'signature does not match'],
    ['an upper-case signature', (t: string) => withParam(t, 'X-Amz-Signature', signatureOf(t).toUpperCase()), 'signature does not match'],
    ['X-Amz-Date a second later', (t: string) => withParam(t, 'X-Amz-Date', '20261207T220646Z'), 'signature does not match'],
    ['an extra parameter', (t: string) => `${t}&DBUser=admin`, 'signature does not match'],
  ])('refuses %s', async (_n, mutate, reason) => {
    const token = mutate(await signAt(T, false));
    expect(verifyDsqlToken(token, { ...cluster, admin: false, now: T })).toEqual({ ok: false, reason });
  });

  it('never puts the token, its signature or a key into its reasons', async () => {
    const good = await signAt(T, true, { credentials: temporaryKeys });
    const wrongSecret = await signAt(T, true, { credentials: { ...temporaryKeys, secretAccessKey: otherKeys.secretAccessKey } });
    const tokens = [
      good,
      wrongSecret,
      withParam(good, 'X-Amz-Expires', '604801'),
      withParam(good, 'X-Amz-Signature', signatureOf(good).replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))),
      `${good}&x=%zz`,
      `${good}&X-Amz-Signature=${signatureOf(good)}`,
      good.replace(`${HOST}/?`, 'other.dsql.us-east-1.on.aws/?'),
    ];
    const configs = [
      { ...cluster, admin: false, now: T },
      { ...cluster, admin: true, now: T + DAY_S * 1000 },
      { ...cluster, admin: true, now: T - DAY_S * 1000 },
      { ...cluster, admin: true, now: T, region: 'eu-west-1' },
      { ...cluster, admin: true, now: T, credentials: [staticKeys] },
      { ...cluster, admin: true, now: T, credentials: [{ ...temporaryKeys, sessionToken: 'other' }] },
      { ...cluster, admin: true, now: T },
    ];
    const reasons = new Set<string>();
    for (const token of tokens) {
      for (const config of configs) {
        const v = verifyDsqlToken(token, config);
        if (token === good && config === configs[6]) {
          expect(v.ok).toBe(true);
          continue;
        }
        expect(v.ok).toBe(false);
        if (!v.ok) reasons.add(v.reason);
        const text = JSON.stringify(v);
        for (const secret of [temporaryKeys.secretAccessKey, otherKeys.secretAccessKey, temporaryKeys.sessionToken.slice(0, 30), signatureOf(token), signatureOf(good), 'IQoJb3JpZ2lu']) {
          expect(text).not.toContain(secret);
        }
      }
    }
    expect(reasons.size).toBeGreaterThanOrEqual(8);
  });
});

describe('verifyDsqlToken: properties', () => {
  const RUNS = { numRuns: 100 };

  /** `s` with each ASCII letter in a case of its own. */
  const anyAsciiCase = (s: string): fc.Arbitrary<string> =>
    fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

  it('takes the host in any case of A-Z, in the token and in the config, when signed over it in lower case', async () => {
    const hosts = fc
      .stringMatching(/^[a-z0-9]{1,20}$/)
      .map((id) => `${id}.dsql.us-east-1.on.aws`)
      .chain((host) => fc.tuple(fc.constant(host), anyAsciiCase(host), anyAsciiCase(host)));
    await fc.assert(
      fc.asyncProperty(hosts, fc.boolean(), async ([host, asTyped, expected], admin) => {
        const token = (await sign(admin, { hostname: host })).replace(`${host}/?`, `${asTyped}/?`);
        expect(verifyDsqlToken(token, { ...cluster, hostname: expected, admin })).toMatchObject({ ok: true, action: admin ? 'DbConnectAdmin' : 'DbConnect' });
      }),
      RUNS,
    );
  });

  it('accepts any expiresIn from 1 to 604800 up to X-Amz-Date + expiresIn, and no later', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 7 * DAY_S }), fc.boolean(), async (expiresIn, admin) => {
        const token = await signAt(T, admin, { expiresIn });
        const at = T + expiresIn * 1000;
        expect(verifyDsqlToken(token, { ...cluster, admin, now: at })).toMatchObject({ ok: true, expiresAt: new Date(at) });
        expect(verifyDsqlToken(token, { ...cluster, admin, now: at + 1 })).toEqual({ ok: false, reason: 'token expired' });
      }),
      RUNS,
    );
  });

  it('refuses a token with any letter or digit of its query changed to another (not only in case)', async () => {
    const token = await signAt(T, true, { credentials: temporaryKeys });
    const start = token.indexOf('/?') + 2;
    const positions = [...token].flatMap((c, i) => (i >= start && /[A-Za-z0-9]/.test(c) ? [i] : []));
    const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
    await fc.assert(
      fc.property(fc.constantFrom(...positions), fc.constantFrom(...alnum), fc.boolean(), (i, c, upper) => {
        fc.pre(c !== token[i]!.toLowerCase());
        const changed = `${token.slice(0, i)}${upper ? c.toUpperCase() : c}${token.slice(i + 1)}`;
        expect(verifyDsqlToken(changed, { ...cluster, admin: true, now: T })).toMatchObject({ ok: false });
      }),
      { numRuns: 500 },
    );
  });
});
