import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenUnavailableError, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { verifyRdsToken } from 'dbtoken/testing';
import { awsRdsCacheKey, awsRdsSource, validateAwsRdsConfig, type AwsRdsDeps } from '../../../src/sources/aws/rds.js';

const MIN = 60_000;
const keys = { accessKeyId: 'AKIDSOURCETEST0001', secretAccessKey: 'source/test/secret' };
const providers: TokenProvider[] = [];
const track = (p: TokenProvider): TokenProvider => (providers.push(p), p);

afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.useRealTimers();
});

/** A signer whose getAuthToken hangs until `release()`, counting how many signers were made. */
function hangingSigners() {
  const made: { getAuthToken(): Promise<string> }[] = [];
  let hang = true;
  const deps: AwsRdsDeps = {
    newSigner: () => {
      // The SDK's default chain lives in its signer and memoizes a call in flight: model that.
      let memo: Promise<string> | undefined;
      const s = { getAuthToken: () => (memo ??= hang ? new Promise<string>(() => {}) : Promise.resolve(`token-from-signer-${made.length}`)) };
      made.push(s);
      return s;
    },
    now: () => Date.now(),
    clock: () => Date.now(),
  };
  return { deps, made, release: () => (hang = false) };
}

describe('awsRdsSource', () => {
  const config = validateAwsRdsConfig({ hostname: 'db.example.internal', port: 5432, username: 'app', region: 'us-east-1' });

  it('drops a default-chain signer whose call was abandoned, so the next fetch is not stuck behind it', async () => {
    const h = hangingSigners();
    const source = awsRdsSource(config, h.deps);
    const ac = new AbortController();
    const first = source({ signal: ac.signal });
    ac.abort(new Error('deadline'));
    await expect(first).rejects.toThrow('deadline');
    h.release();
    expect((await source({ signal: new AbortController().signal })).token).toBe('token-from-signer-2');
    expect(h.made).toHaveLength(2);
  });

  it('keeps the default-chain signer across successful fetches', async () => {
    const h = hangingSigners();
    h.release();
    const source = awsRdsSource(config, h.deps);
    await source({ signal: new AbortController().signal });
    await source({ signal: new AbortController().signal });
    expect(h.made).toHaveLength(1);
  });

  it('calls a credentials function anew for every fetch, and the token expires with the credentials', async () => {
    let calls = 0;
    const now = Date.UTC(2026, 0, 1);
    const expiration = new Date(now + 5 * MIN);
    const source = awsRdsSource(validateAwsRdsConfig({ ...config, credentials: async () => (calls++, { ...keys, expiration }) }), {
      newSigner: (c) => ({ getAuthToken: async () => (await (c.credentials as () => Promise<unknown>)(), 'signed') }),
      now: () => now,
      clock: () => now,
    });
    const t = await source({ signal: new AbortController().signal });
    await source({ signal: new AbortController().signal });
    expect(calls).toBe(2);
    expect(t.expiresAt.getTime()).toBe(now + 5 * MIN);
  });
});

describe('awsRdsSource and a host in mixed case', () => {
  it('signs over the host in lower case, as the AWS CLI does, and the token names it as typed', async () => {
    const signed: string[] = [];
    const source = awsRdsSource(validateAwsRdsConfig({ hostname: 'MyDB.Example.Internal', port: 5432, username: 'app', region: 'us-east-1', credentials: keys }), {
      newSigner: (c) => {
        signed.push(`${c.hostname}:${c.port}`);
        return { getAuthToken: async () => `${c.hostname}:${c.port}/?Action=connect&DBUser=app&X-Amz-Date=20260101T000000Z&X-Amz-Signature=ab12&X-Amz-SignedHeaders=host` };
      },
    });
    const t = await source({ signal: new AbortController().signal });
    expect(signed).toEqual(['mydb.example.internal:5432']);
    expect(t.token).toBe('MyDB.Example.Internal:5432/?Action=connect&DBUser=app&X-Amz-Date=20260101T000000Z&X-Amz-Signature=ab12&X-Amz-SignedHeaders=host');
  });

  it('a real token for a mixed-case host verifies for the host in any ASCII case', async () => {
    const p = track(awsRdsToken({ hostname: 'MyDB.abc123.us-east-1.rds.amazonaws.com', port: 5432, username: 'app', credentials: keys }, { cacheKey: 'mixed-case-host' }));
    const { token } = await p.getToken();
    expect(token).toMatch(/^MyDB\.abc123\.us-east-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app&X-Amz-Algorithm=.*&X-Amz-Signature=[0-9a-f]{64}&X-Amz-SignedHeaders=host$/);
    for (const hostname of ['MyDB.abc123.us-east-1.rds.amazonaws.com', 'mydb.abc123.us-east-1.rds.amazonaws.com', 'MYDB.ABC123.US-EAST-1.RDS.AMAZONAWS.COM']) {
      expect(verifyRdsToken(token, { hostname, port: 5432, username: 'app', region: 'us-east-1', credentials: [keys] })).toMatchObject({ ok: true });
    }
  });
});

describe('awsRdsToken with a credentials call that hangs', () => {
  it('a waiting caller is released at fetchTimeout; once the credentials come back, the next call signs', async () => {
    vi.useFakeTimers({ now: Date.now() });
    let hang = true;
    const credentials = () => (hang ? new Promise<typeof keys>(() => {}) : Promise.resolve(keys));
    const p = track(awsRdsToken({ hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1', credentials }, { fetchTimeout: 2_000 }));
    const first = p.getToken().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2_000);
    const err = await first;
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).message).toMatch(/fetchTimeout \(2000 ms\)/);
    hang = false;
    await vi.advanceTimersByTimeAsync(1_000); // past the backoff after the timed-out fetch
    const t = await p.getToken();
    expect(verifyRdsToken(t.token, { hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1', credentials: [keys] }).ok).toBe(true);
  });
});

describe('identity keys', () => {
  it('are unambiguous: a "|" in a host or user name cannot make two identities share a token', async () => {
    const a = track(awsRdsToken({ hostname: 'h|5432|u', port: 5432, username: 'v', region: 'us-east-1', credentials: keys }));
    const b = track(awsRdsToken({ hostname: 'h', port: 5432, username: 'u|5432|v', region: 'us-east-1', credentials: keys }));
    const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
    expect(ta.token).not.toBe(tb.token);
    expect(ta.token).toContain('DBUser=v');
    expect(tb.token).toContain('DBUser=u%7C5432%7Cv');
    const c = (o: object) => awsRdsCacheKey(validateAwsRdsConfig({ port: 5432, region: 'us-east-1', credentials: keys, ...o }));
    expect(c({ hostname: 'h|5432|u', username: 'v' })).not.toBe(c({ hostname: 'h', username: 'u|5432|v' }));
    expect(c({ hostname: 'DB.example', username: 'v' })).toBe(c({ hostname: 'db.example', username: 'v' }));
  });

  it('fold A-Z of the host and nothing else: a lookalike host (KELVIN SIGN for K, fullwidth letters) is another identity', () => {
    const c = (hostname: string) => awsRdsCacheKey(validateAwsRdsConfig({ hostname, port: 5432, username: 'app', region: 'us-east-1', credentials: keys }));
    expect(c('db.Kube.example')).toBe(c('db.kube.example'));
    for (const lookalike of ['db.\u212Aube.example', 'db.\uFF2Bube.example', 'db.\uFF4Bube.example']) expect(c(lookalike)).not.toBe(c('db.kube.example'));
    expect(c('db.\u0130nternal.example')).not.toBe(c('db.i\u0307nternal.example'));
  });

  it('providers of one identity with different minValidity: the strict one never gets the lax one\'s old token', async () => {
    let now = Date.now();
    const clock = (): number => now;
    const target = { hostname: '127.0.0.1', port: 5432, username: 'iam_alice', region: 'us-east-1', credentials: keys };
    const lax = track(awsRdsToken(target, { clock }));
    const strict = track(awsRdsToken(target, { clock, minValidity: 5 * MIN, refreshBefore: 6 * MIN }));
    const t1 = await lax.getToken();
    now += 11 * MIN; // 240 s left
    const t2 = await strict.getToken();
    expect(t2.expiresAt.getTime() - now).toBeGreaterThan(5 * MIN);
    expect(t2.expiresAt.getTime()).toBe(now + 15 * MIN); // signed anew (the signer's own time may not have moved)
    expect(t1.expiresAt.getTime()).toBe(now - 11 * MIN + 15 * MIN);
  });
});
