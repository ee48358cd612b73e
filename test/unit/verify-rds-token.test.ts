import { Signer } from '@aws-sdk/rds-signer';
import { describe, expect, it, vi, afterEach } from 'vitest';
import { awsRdsToken } from 'dbtoken/aws';
import { verifyRdsToken } from 'dbtoken/testing';
import { REGION, otherKeys, staticKeys, temporaryKeys } from '../helpers/aws.js';

const server = { hostname: 'db.example.internal', port: 5432, username: 'iam_alice', region: REGION };
const known = [staticKeys, temporaryKeys];

let signed = 0;

/** A fresh token (never one cached for a host that differs only in case). */
async function sign(over: Partial<{ hostname: string; port: number; username: string; region: string; credentials: any }> = {}) {
  const p = awsRdsToken({ ...server, credentials: staticKeys, ...over }, { cacheKey: `verify-rds-token-${signed++}` });
  try {
    return (await p.getToken()).token;
  } finally {
    p.close();
  }
}

afterEach(() => vi.useRealTimers());

describe('verifyRdsToken (SigV4, written from the spec) against tokens from @aws-sdk/rds-signer', () => {
  it('accepts a good token and reports the key and expiry', async () => {
    const token = await sign();
    const v = verifyRdsToken(token, { ...server, credentials: known });
    expect(v).toMatchObject({ ok: true, user: 'iam_alice', accessKeyId: staticKeys.accessKeyId });
    if (v.ok) expect(v.expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
  });

  it('accepts a token signed with temporary credentials (~1,250+ characters) only with its session token', async () => {
    const token = await sign({ credentials: temporaryKeys });
    expect(token.length).toBeGreaterThan(1_200);
    expect(verifyRdsToken(token, { ...server, credentials: known }).ok).toBe(true);
    expect(verifyRdsToken(token, { ...server, credentials: [{ ...temporaryKeys, sessionToken: 'other' }] })).toEqual({ ok: false, reason: 'session token missing or wrong' });
  });

  it.each([
    ['another user', { username: 'iam_bob' }, 'token is for another user'],
    ['another host', { hostname: 'db2.example.internal' }, 'token is for another host or port'],
    ['another port', { port: 5433 }, 'token is for another host or port'],
    ['another region', { region: 'eu-west-1' }, 'token is for another region'],
  ])('refuses a token for %s', async (_n, over, reason) => {
    const token = await sign(over);
    expect(verifyRdsToken(token, { ...server, credentials: known })).toEqual({ ok: false, reason });
  });

  it('refuses a token signed with the wrong secret', async () => {
    const token = await sign({ credentials: { accessKeyId: staticKeys.accessKeyId, secretAccessKey: otherKeys.secretAccessKey } });
    expect(verifyRdsToken(token, { ...server, credentials: known })).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('refuses an unknown key', async () => {
    const token = await sign({ credentials: otherKeys });
    expect(verifyRdsToken(token, { ...server, credentials: known })).toEqual({ ok: false, reason: 'unknown access key' });
  });

  it('refuses an expired token, and one signed in the future', async () => {
    vi.useFakeTimers({ now: Date.now() - 16 * 60_000, toFake: ['Date'] });
    const old = await sign();
    vi.useRealTimers();
    expect(verifyRdsToken(old, { ...server, credentials: known })).toEqual({ ok: false, reason: 'token expired' });
    const token = await sign();
    expect(verifyRdsToken(token, { ...server, credentials: known, now: Date.now() - 10 * 60_000 })).toEqual({
      ok: false,
      reason: 'token is not yet valid (signed in the future)',
    });
  });

  it.each([
    ['a flipped signature character', (t: string) => t.replace(/X-Amz-Signature=(.)/, (_m, c) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`), 'signature does not match'],
    ['DBUser changed after signing', (t: string) => t.replace('DBUser=iam_alice', 'DBUser=iam_bob'), 'token is for another user'],
    ['a longer X-Amz-Expires', (t: string) => t.replace('X-Amz-Expires=900', 'X-Amz-Expires=899'), 'signature does not match'],
    ['X-Amz-Expires over 900', (t: string) => t.replace('X-Amz-Expires=900', 'X-Amz-Expires=3600'), 'X-Amz-Expires out of range'],
    ['no signature', (t: string) => t.replace(/&?X-Amz-Signature=[0-9a-f]+/, ''), 'missing X-Amz-Signature'],
    ['a duplicated parameter', (t: string) => `${t}&DBUser=iam_alice`, 'duplicate parameter DBUser'],
    ['no host prefix', (t: string) => t.slice(t.indexOf('/?')), 'malformed token: no host/? prefix'],
    ['bad percent-encoding', (t: string) => `${t}&x=%zz`, 'malformed percent-encoding'],
    ['a password that is no token', () => 'hunter2', 'malformed token: no host/? prefix'],
  ])('refuses %s', async (_n, mutate, reason) => {
    const token = mutate(await sign());
    expect(verifyRdsToken(token, { ...server, credentials: known })).toEqual({ ok: false, reason });
  });

  it('never puts the token or a key into its reasons', async () => {
    const token = await sign({ credentials: temporaryKeys, username: 'iam_bob' });
    const v = verifyRdsToken(token, { ...server, credentials: known });
    expect(JSON.stringify(v)).not.toContain(temporaryKeys.sessionToken.slice(0, 30));
    expect(JSON.stringify(v)).not.toContain(temporaryKeys.secretAccessKey);
  });
});

describe('verifyRdsToken and the case of the host', () => {
  it('takes the host in any ASCII case: the signature is over it in lower case, as the AWS CLI, boto3 and dbtoken sign it', async () => {
    const token = await sign({ hostname: 'MyDB.Example.Internal' });
    expect(token.startsWith('MyDB.Example.Internal:5432/?')).toBe(true);
    for (const hostname of ['MyDB.Example.Internal', 'mydb.example.internal', 'MYDB.EXAMPLE.INTERNAL']) {
      expect(verifyRdsToken(token, { ...server, hostname, credentials: known })).toMatchObject({ ok: true });
      expect(verifyRdsToken(await sign({ hostname }), { ...server, hostname: 'MyDB.Example.Internal', credentials: known })).toMatchObject({ ok: true });
    }
  });

  it('refuses a token signed over a mixed-case host as typed (what @aws-sdk/rds-signer makes when handed one), which the AWS CLI never makes', async () => {
    const hostname = 'MyDB.Example.Internal';
    const token = await new Signer({ ...server, hostname, credentials: staticKeys }).getAuthToken();
    expect(token.startsWith(`${hostname}:5432/?`)).toBe(true);
    expect(verifyRdsToken(token, { ...server, hostname, credentials: known })).toEqual({ ok: false, reason: 'signature does not match' });
  });

  // Printed by `aws rds generate-db-auth-token` (aws-cli 1.45.11, botocore 1.43.11) with these made-up keys.
  const awsCliKey = { accessKeyId: 'AKIDAWSCLIFIXTURE01', secretAccessKey: 'awscli/fixture/secret/not-a-real-key' };
  const cliQuery = (time: string, signature: string) =>
    `Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDAWSCLIFIXTURE01%2F20261207%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20261207T${time}Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`;
  it.each([
    [5432, `MyDB.abc123.us-east-1.rds.amazonaws.com:5432/?${cliQuery('163036', 'c66d5d7ec9cea9a84193132cdfee54de310f2f6ebb0bb99ff86223c19454c905')}`, Date.UTC(2026, 11, 7, 16, 30, 36)],
    [443, `MyDB.abc123.us-east-1.rds.amazonaws.com:443/?${cliQuery('163039', 'c3bb48d38bf44a223b1be5970b4050f8e8df35d565da25fc2786984644bb9999')}`, Date.UTC(2026, 11, 7, 16, 30, 39)],
  ])('accepts the AWS CLI\'s token for MyDB... at port %i (signed over the host in lower case, and without :443) for the host in any ASCII case', (port, token, at) => {
    for (const hostname of ['MyDB.abc123.us-east-1.rds.amazonaws.com', 'mydb.abc123.us-east-1.rds.amazonaws.com', 'MYDB.ABC123.US-EAST-1.RDS.AMAZONAWS.COM']) {
      expect(verifyRdsToken(token, { hostname, port, username: 'app', region: REGION, credentials: [awsCliKey], now: at })).toMatchObject({ ok: true, accessKeyId: awsCliKey.accessKeyId });
    }
    const elsewhere = token.replace(`:${port}/?`, `:${port + 1}/?`);
    expect(verifyRdsToken(elsewhere, { hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', port: port + 1, username: 'app', region: REGION, credentials: [awsCliKey], now: at })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
  });

  it('accepts dbtoken\'s token for port 443, which keeps :443 in the signed host', async () => {
    const token = await sign({ hostname: 'MyDB.Example.Internal', port: 443 });
    expect(verifyRdsToken(token, { ...server, hostname: 'mydb.example.internal', port: 443, credentials: known })).toMatchObject({ ok: true });
  });

  // Each pair differs in more than the case of A-Z; toLowerCase() makes several of them equal.
  it.each([
    ['KELVIN SIGN (U+212A) for k', 'db.\u212Aube.example', 'db.kube.example'],
    ['KELVIN SIGN (U+212A) for K', 'db.\u212Aube.example', 'db.Kube.example'],
    ['DOTTED CAPITAL I (U+0130) for i and a combining dot', 'db.\u0130nternal.example', 'db.i\u0307nternal.example'],
    ['DOTTED CAPITAL I (U+0130) for i', 'db.\u0130nternal.example', 'db.internal.example'],
    ['DOTLESS I (U+0131) for i', 'db.\u0131nternal.example', 'db.internal.example'],
    ['LONG S (U+017F) for s', 'db.\u017Fales.example', 'db.sales.example'],
    ['the ligature fi (U+FB01) for fi', 'db.\uFB01nance.example', 'db.finance.example'],
    ['SHARP S (U+00DF) for ss', 'db.cla\u00DF.example', 'db.class.example'],
    ['ANGSTROM SIGN (U+212B) for a with ring', 'db.\u212Bngstrom.example', 'db.\u00E5ngstrom.example'],
    ['a fullwidth capital (U+FF2B) for the fullwidth small (U+FF4B)', 'db.\uFF2Bube.example', 'db.\uFF4Bube.example'],
    ['fullwidth letters for ASCII', 'db.\uFF4B\uFF55\uFF42\uFF45.example', 'db.kube.example'],
    ['a Cyrillic capital for the small', 'db.\u041Aube.example', 'db.\u043Aube.example'],
    ['a Cyrillic a (U+0430) for a', 'db.d\u0430ta.example', 'db.data.example'],
    ['a Greek capital sigma for the small', 'db.\u03A3igma.example', 'db.\u03C3igma.example'],
  ])('refuses a lookalike host: %s, either way round', async (_n, lookalike, host) => {
    for (const [signedFor, expected] of [
      [lookalike, host],
      [host, lookalike],
    ] as const) {
      const token = await sign({ hostname: signedFor });
      expect(verifyRdsToken(token, { ...server, hostname: expected, credentials: known })).toEqual({ ok: false, reason: 'token is for another host or port' });
    }
  });
});

describe('awsRdsToken expiresAt', () => {
  it('is the provider clock at signing plus 15 minutes, even when the clock is far from real time', async () => {
    const clock = () => Date.UTC(2031, 0, 1);
    const p = awsRdsToken({ ...server, credentials: { ...temporaryKeys, expiration: new Date(Date.now() + 3_600_000) } }, { clock });
    const t = await p.getToken();
    expect(t.expiresAt.getTime()).toBe(clock() + 15 * 60_000);
    // The signer used real time, so a server checking now accepts it.
    expect(verifyRdsToken(t.token, { ...server, credentials: known }).ok).toBe(true);
    p.close();
  });

  it('is cut short by credentials that expire within the 15 minutes', async () => {
    const p = awsRdsToken(
      { ...server, credentials: async () => ({ ...temporaryKeys, expiration: new Date(Date.now() + 5 * 60_000) }) },
      { cacheKey: 'short-creds' },
    );
    const t = await p.getToken();
    const left = t.expiresAt.getTime() - Date.now();
    expect(left).toBeGreaterThan(4 * 60_000);
    expect(left).toBeLessThanOrEqual(5 * 60_000);
    p.close();
  });
});
