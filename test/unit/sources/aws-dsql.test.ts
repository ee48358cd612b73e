import { describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, TokenUnavailableError } from 'dbtoken';
import { awsDsqlToken, dsqlRegionFromHostname, DSQL_CONNECTION_LIFETIME, DSQL_TOKEN_EXPIRES_IN_S } from 'dbtoken/aws';
import { createPgPool } from 'dbtoken/pg';
import { createPostgresJs } from 'dbtoken/postgres';
import { verifyDsqlToken } from 'dbtoken/testing';
import { awsDsqlCacheKey, awsDsqlTokenIn, validateAwsDsqlConfig, type AwsDsqlDeps } from '../../../src/sources/aws/dsql.js';
import { trackedProviders, watchSocketConnects } from '../../helpers/providers.js';

const CLUSTER = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
const keys = { accessKeyId: 'AKIDDSQLUNITTEST01', secretAccessKey: 'dsql/unit/SECRET-MUST-NOT-LEAK' };
const noAws = { AWS_CONFIG_FILE: '/nonexistent/aws/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials' };
const track = trackedProviders();
const connectSpy = watchSocketConnects();

describe('dsqlRegionFromHostname', () => {
  it.each([
    [CLUSTER, 'us-east-1'],
    ['abcdefghijklmnopqrstuvwxyz.dsql.eu-west-2.on.aws', 'eu-west-2'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ.DSQL.AP-NORTHEAST-1.ON.AWS', 'ap-northeast-1'],
    ['abcdefghijklmnopqrstuvwxyz.dsql-fips.us-gov-west-1.on.aws', 'us-gov-west-1'],
    ['abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws.', 'us-east-1'],
    ['localhost', undefined],
    ['127.0.0.1', undefined],
    ['mydb.c9akciq32.us-east-1.rds.amazonaws.com', undefined],
    ['dsql.us-east-1.on.aws', undefined],
    ['abc.dsql.us-east-1.on.aws.evil.example', undefined],
    ['abc.dsql.notaregion.on.aws', undefined],
  ])('%s -> %s', (host, region) => {
    expect(dsqlRegionFromHostname(host)).toBe(region);
  });
});

type Case = [name: string, field: string, config: unknown, env?: Record<string, string>];

describe('awsDsqlToken refuses a bad configuration before any network call', () => {
  const cases: Case[] = [
    ['no config', 'config', undefined],
    ['a string config', 'config', CLUSTER],
    ['no hostname', 'hostname', { username: 'app', region: 'us-east-1' }],
    ['an empty hostname', 'hostname', { hostname: '', username: 'app' }],
    ['a hostname with a scheme', 'hostname', { hostname: `https://${CLUSTER}`, username: 'app' }],
    ['a hostname with a port', 'hostname', { hostname: `${CLUSTER}:5432`, username: 'app' }],
    ['a port option', 'port', { hostname: CLUSTER, username: 'app', port: 5432 }],
    ['no username and no admin', 'username', { hostname: CLUSTER }],
    ['admin: false and no username', 'username', { hostname: CLUSTER, admin: false }],
    ['a username that is a number', 'username', { hostname: CLUSTER, username: 42 }],
    ['an empty username', 'username', { hostname: CLUSTER, username: '' }],
    ['a username with a space', 'username', { hostname: CLUSTER, username: 'app user' }],
    ['a username over 63 bytes', 'username', { hostname: CLUSTER, username: 'a'.repeat(64) }],
    ['admin: true for another role', 'admin', { hostname: CLUSTER, username: 'app', admin: true }],
    ['admin: false for the admin role', 'admin', { hostname: CLUSTER, username: 'admin', admin: false }],
    ['admin as a string', 'admin', { hostname: CLUSTER, admin: 'yes' }],
    ['expiresIn in milliseconds', 'expiresIn', { hostname: CLUSTER, username: 'app', expiresIn: 900_000 }],
    ['expiresIn past 7 days', 'expiresIn', { hostname: CLUSTER, username: 'app', expiresIn: 604_801 }],
    ['expiresIn under a minute', 'expiresIn', { hostname: CLUSTER, username: 'app', expiresIn: 30 }],
    ['expiresIn as a string', 'expiresIn', { hostname: CLUSTER, username: 'app', expiresIn: '900' }],
    ['a fractional expiresIn', 'expiresIn', { hostname: CLUSTER, username: 'app', expiresIn: 900.5 }],
    ['a region that is not one', 'region', { hostname: CLUSTER, username: 'app', region: 'moon-1' }],
    ["a region other than the cluster endpoint's", 'region', { hostname: CLUSTER, username: 'app', region: 'eu-west-1' }],
    // Was echoed (up to 32 characters) by the check against the endpoint, which ran before the region's format was checked.
    ['a secret key pasted as the region', 'region', { hostname: CLUSTER, username: 'app', region: keys.secretAccessKey }],
    ['no region anywhere (not a DSQL endpoint, no AWS settings)', 'region', { hostname: 'localhost', username: 'app' }, { AWS_REGION: '', AWS_DEFAULT_REGION: '', ...noAws }],
    ['a bad AWS_REGION for a tunnel', 'region', { hostname: 'localhost', username: 'app' }, { AWS_REGION: 'not a region' }],
    ['credentials without a secret', 'credentials.secretAccessKey', { hostname: CLUSTER, username: 'app', credentials: { accessKeyId: 'AKID' } }],
    ['credentials that are a string', 'credentials', { hostname: CLUSTER, username: 'app', credentials: 'AKID:secret' }],
  ];
  it.each(cases)('%s -> ConfigError on %s', (_name, field, config, env = {}) => {
    let err: unknown;
    try {
      awsDsqlTokenIn({ ...noAws, ...env }, config as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).not.toContain(keys.secretAccessKey);
    expect(connectSpy()).not.toHaveBeenCalled();
  });

  it('names every source the region could have come from, and the kind of endpoint', () => {
    expect(() => awsDsqlTokenIn({ ...noAws }, { hostname: 'localhost', username: 'app' })).toThrow(/not a DSQL cluster endpoint.*AWS_REGION, AWS_DEFAULT_REGION/);
  });
});

describe('awsDsqlToken: the configuration', () => {
  it("reads the region from the cluster endpoint, and 'admin' means admin: true", () => {
    const c = validateAwsDsqlConfig({ hostname: CLUSTER, username: 'admin' }, noAws);
    expect(c).toMatchObject({ region: 'us-east-1', username: 'admin', admin: true, expiresIn: DSQL_TOKEN_EXPIRES_IN_S });
    expect(validateAwsDsqlConfig({ hostname: CLUSTER, admin: true }, noAws)).toMatchObject({ username: 'admin', admin: true });
    expect(validateAwsDsqlConfig({ hostname: 'localhost', username: 'app' }, { AWS_REGION: 'eu-west-1' })).toMatchObject({ region: 'eu-west-1', admin: false });
  });

  it('gives admin and non-admin tokens, users, lifetimes and keys identities of their own', () => {
    const key = (config: object) => awsDsqlCacheKey(validateAwsDsqlConfig({ hostname: CLUSTER, credentials: keys, ...config }, noAws));
    const all = [key({ username: 'app' }), key({ username: 'other' }), key({ admin: true }), key({ username: 'app', expiresIn: 3600 }), key({ username: 'app', credentials: { ...keys, secretAccessKey: 'x' } })];
    expect(new Set(all).size).toBe(all.length);
    expect(key({ username: 'app' })).toBe(awsDsqlCacheKey(validateAwsDsqlConfig({ hostname: CLUSTER.toUpperCase(), username: 'app', credentials: keys }, noAws)));
    for (const k of all) expect(k).not.toContain(keys.secretAccessKey);
  });

  it('targets the cluster, on no port in particular (the token is signed for the host alone), as the role', () => {
    const p = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials: keys }));
    expect(p.target).toEqual({ host: CLUSTER, user: 'app' });
    expect(track(awsDsqlToken({ hostname: CLUSTER, admin: true, credentials: keys })).target?.user).toBe('admin');
  });
});

describe('awsDsqlToken: tokens', () => {
  it('signs DbConnect tokens for a role and DbConnectAdmin tokens for admin, that the verifier accepts', async () => {
    const app = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials: keys }));
    const admin = track(awsDsqlToken({ hostname: CLUSTER, admin: true, credentials: keys }));
    const check = (token: string, isAdmin: boolean) => verifyDsqlToken(token, { hostname: CLUSTER, region: 'us-east-1', credentials: [keys], admin: isAdmin });
    const t = await app.getToken();
    expect(t.token).toMatch(new RegExp(`^${CLUSTER.replaceAll('.', '\\.')}/\\?Action=DbConnect&`));
    expect(check(t.token, false)).toMatchObject({ ok: true, action: 'DbConnect' });
    expect(check(t.token, true).ok).toBe(false);
    const a = await admin.getToken();
    expect(check(a.token, true)).toMatchObject({ ok: true, action: 'DbConnectAdmin' });
    expect(check(a.token, false).ok).toBe(false);
  });

  it('expires at expiresIn after signing, and signs that lifetime into the token', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['Date'] });
    const p = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials: keys, expiresIn: 3600 }));
    const t = await p.getToken();
    expect(t.expiresAt.getTime()).toBe(Date.UTC(2026, 0, 1) + 3_600_000);
    expect(t.token).toContain('X-Amz-Expires=3600');
    vi.setSystemTime(Date.UTC(2026, 0, 1) + 3_600_000 + 1000);
    expect(verifyDsqlToken(t.token, { hostname: CLUSTER, region: 'us-east-1', credentials: [keys], admin: false })).toEqual({ ok: false, reason: 'token expired' });
  });

  it('expires no later than temporary credentials, and asks a credentials function on every fetch', async () => {
    let calls = 0;
    const expiration = new Date(Date.now() + 5 * 60_000);
    const credentials = async () => (calls++, { ...keys, sessionToken: 'session', expiration });
    const p = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials }, { refreshBefore: 60_000, minValidity: 30_000 }));
    const t = await p.getToken();
    expect(t.expiresAt.getTime()).toBeLessThanOrEqual(expiration.getTime());
    expect(calls).toBe(1);
  });

  it('a credentials function that rejects, then answers: TokenUnavailableError with the cause and no secret, then a token signed with the new credentials', async () => {
    let fail = true;
    const credentials = async () => {
      if (fail) throw new Error('Could not load credentials from any providers');
      return keys;
    };
    const p = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials }, { cacheKey: 'dsql-credentials-fail', retry: { attempts: 1, baseMs: 1, maxMs: 1 } }));
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(String((err as Error).cause)).toMatch(/Could not load credentials/);
    expect(String(err)).not.toContain(keys.secretAccessKey);
    fail = false;
    await new Promise((r) => setTimeout(r, 20)); // past the 1 ms rest
    const t = await p.getToken();
    expect(verifyDsqlToken(t.token, { hostname: CLUSTER, region: 'us-east-1', credentials: [keys], admin: false })).toMatchObject({ ok: true });
  });

  it("with the SDK's default chain (whose credentials' expiry is unseen), a token is taken to live 15 minutes at most, whatever expiresIn", async () => {
    const deps: Partial<AwsDsqlDeps> = {
      newSigner: (config) => {
        expect(config.credentials).toBeUndefined();
        const sign = async () => `${config.hostname}/?Action=DbConnect&X-Amz-Expires=${config.expiresIn}`;
        return { getDbConnectAuthToken: sign, getDbConnectAdminAuthToken: sign };
      },
    };
    // Expiry is bracketed by the clock read before and after the call that signed: no duration limit.
    const before = Date.now();
    const p = track(awsDsqlTokenIn(noAws, { hostname: CLUSTER, username: 'app', expiresIn: 3600 }, undefined, deps));
    const t = await p.getToken();
    const after = Date.now();
    expect(t.token).toContain('X-Amz-Expires=3600');
    expect(t.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 15 * 60_000);
    expect(t.expiresAt.getTime()).toBeLessThanOrEqual(after + 15 * 60_000);
    const fixedBefore = Date.now();
    const fixed = track(awsDsqlTokenIn(noAws, { hostname: CLUSTER, username: 'app', expiresIn: 3600, credentials: keys }));
    expect((await fixed.getToken()).expiresAt.getTime()).toBeGreaterThanOrEqual(fixedBefore + 60 * 60_000);
  });

  it('drops a default-chain signer whose call was abandoned, so the next fetch is not stuck behind it', async () => {
    const made: string[] = [];
    let hang = true;
    const deps: Partial<AwsDsqlDeps> = {
      newSigner: (config) => {
        made.push(config.hostname);
        let memo: Promise<string> | undefined;
        const sign = () => (memo ??= hang ? new Promise<string>(() => {}) : Promise.resolve(`${config.hostname}/?Action=DbConnect&n=${made.length}`));
        return { getDbConnectAuthToken: sign, getDbConnectAdminAuthToken: sign };
      },
    };
    const p = track(awsDsqlTokenIn(noAws, { hostname: CLUSTER, username: 'app' }, { fetchTimeout: 50, retry: { attempts: 1, maxMs: 1 } }, deps));
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenUnavailableError);
    hang = false;
    expect((await p.getToken()).token).toBe(`${CLUSTER}/?Action=DbConnect&n=2`);
    expect(made).toEqual([CLUSTER, CLUSTER]);
  });

  it('signs over the hostname in lower case, with the expiresIn and region given', async () => {
    const seen: unknown[] = [];
    const deps: Partial<AwsDsqlDeps> = {
      newSigner: (config) => {
        seen.push({ ...config, credentials: typeof config.credentials });
        return { getDbConnectAuthToken: async () => 'a/?Action=DbConnect', getDbConnectAdminAuthToken: async () => 'a/?Action=DbConnectAdmin' };
      },
    };
    const p = track(awsDsqlTokenIn(noAws, { hostname: CLUSTER.toUpperCase(), admin: true, credentials: keys, expiresIn: 604_800 }, undefined, deps));
    expect((await p.getToken()).token).toBe('a/?Action=DbConnectAdmin');
    expect(seen).toEqual([{ hostname: CLUSTER, region: 'us-east-1', expiresIn: 604_800, credentials: 'object' }]);
  });
});

describe('pools made with a DSQL provider recycle connections within the hour', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  it('pg: maxLifetimeSeconds defaults to 55 minutes; a setting past the hour, or none at all, is a ConfigError', async () => {
    const token = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials: keys }));
    const pool = createPgPool({ token, database: 'postgres', ssl: { ca } });
    expect((pool as unknown as { options: { maxLifetimeSeconds: number } }).options.maxLifetimeSeconds).toBe(DSQL_CONNECTION_LIFETIME.recycleMs / 1000);
    await pool.end();
    const kept = createPgPool({ token, database: 'postgres', ssl: { ca }, maxLifetimeSeconds: 600 });
    expect((kept as unknown as { options: { maxLifetimeSeconds: number } }).options.maxLifetimeSeconds).toBe(600);
    await kept.end();
    for (const maxLifetimeSeconds of [3600, 3601, 0, -5, Number.NaN, '1h', '3600']) {
      expect(() => createPgPool({ token, database: 'postgres', ssl: { ca }, maxLifetimeSeconds: maxLifetimeSeconds as number })).toThrow(
        expect.objectContaining({ name: 'ConfigError', field: 'maxLifetimeSeconds' }),
      );
    }
    await expect(createIamPool({ driver: 'pg', token, database: 'postgres', ssl: { ca }, maxLifetimeSeconds: 7200 })).rejects.toMatchObject({ field: 'maxLifetimeSeconds' });
    // From a connection string, as text.
    const fromUrl = createPgPool({ token, connectionString: `postgresql://app@${CLUSTER}/postgres?maxLifetimeSeconds=1800`, ssl: { ca } });
    expect((fromUrl as unknown as { options: { maxLifetimeSeconds: number } }).options.maxLifetimeSeconds).toBe(1800);
    await fromUrl.end();
    expect(() => createPgPool({ token, connectionString: `postgresql://app@${CLUSTER}/postgres?maxLifetimeSeconds=7200`, ssl: { ca } })).toThrow(expect.objectContaining({ field: 'maxLifetimeSeconds' }));
    expect(connectSpy()).not.toHaveBeenCalled();
  });

  it('postgres.js: max_lifetime defaults to between 49.5 and 55 minutes per connection; past the hour, or null, is a ConfigError', async () => {
    const token = track(awsDsqlToken({ hostname: CLUSTER, username: 'app', credentials: keys }));
    const sql = createPostgresJs({ token, database: 'postgres', ssl: { ca } });
    const lifetime = (sql.options as unknown as { max_lifetime: () => number }).max_lifetime;
    expect(typeof lifetime).toBe('function');
    for (let i = 0; i < 50; i++) {
      const s = lifetime();
      expect(s).toBeGreaterThanOrEqual(0.9 * 3300);
      expect(s).toBeLessThanOrEqual(3300);
    }
    await sql.end();
    for (const max_lifetime of [3600, 3601, 0, null]) {
      expect(() => createPostgresJs({ token, database: 'postgres', ssl: { ca }, max_lifetime: max_lifetime as number })).toThrow(expect.objectContaining({ field: 'max_lifetime' }));
    }
    // From the URL's query: kept when within the hour, refused past it.
    const fromUrl = createPostgresJs({ token, url: `postgres://app@${CLUSTER}/postgres?max_lifetime=1800`, ssl: { ca } });
    expect((fromUrl.options as unknown as { max_lifetime: unknown }).max_lifetime).toBe(1800);
    await fromUrl.end();
    expect(() => createPostgresJs({ token, url: `postgres://app@${CLUSTER}/postgres?max_lifetime=7200`, ssl: { ca } })).toThrow(expect.objectContaining({ field: 'max_lifetime' }));
    expect(connectSpy()).not.toHaveBeenCalled();
  });

  it('leaves pools of other providers as the driver makes them', async () => {
    const { awsRdsToken } = await import('dbtoken/aws');
    const token = track(awsRdsToken({ hostname: 'mydb.c9akciq32.us-east-1.rds.amazonaws.com', username: 'app', credentials: keys }));
    const pool = createPgPool({ token, ssl: { ca }, maxLifetimeSeconds: 0 });
    expect((pool as unknown as { options: { maxLifetimeSeconds: number } }).options.maxLifetimeSeconds).toBe(0);
    await pool.end();
  });
});
