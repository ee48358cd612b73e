import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, TokenUnavailableError } from 'dbtoken';
import { AZURE_DATABASE_SCOPE, azureEntraToken, type AzureTokenCredential } from 'dbtoken/azure';
import { createMysql2Pool } from 'dbtoken/mysql2';
import { createPgPool, pgConnection } from 'dbtoken/pg';
import { createPostgresJs } from 'dbtoken/postgres';
import { azureEntraTokenWith, entraUserOf } from '../../../src/sources/azure/entra.js';
import { trackedProviders, watchSocketConnects } from '../../helpers/providers.js';

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
/** An Entra-shaped access token (its signature is not checked here; the emulator's tests check signatures). */
const jwt = (claims: Record<string, unknown>): string => `${b64({ typ: 'JWT', alg: 'RS256', kid: 'k' })}.${b64({ aud: 'https://ossrdbms-aad.database.windows.net', ...claims })}.c2lnbmF0dXJl`;

const USER = { upn: 'Ada.Lovelace@contoso.com', unique_name: 'Ada.Lovelace@contoso.com', oid: '11111111-1111-1111-1111-111111111111', idtyp: 'user' };
const GUEST = { unique_name: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com', oid: '22222222-2222-2222-2222-222222222222' };
const APP = { appid: '33333333-3333-3333-3333-333333333333', oid: '44444444-4444-4444-4444-444444444444', idtyp: 'app' };

/** A credential answering `claims`' token, valid `ms`, counting calls and recording the scopes asked. */
function credential(claims: Record<string, unknown>, ms = 3_600_000) {
  const calls: unknown[] = [];
  const c: AzureTokenCredential = {
    async getToken(scopes) {
      calls.push(scopes);
      return { token: jwt({ ...claims, n: calls.length }), expiresOnTimestamp: Date.now() + ms };
    },
  };
  return { c, calls };
}

const track = trackedProviders();
const connectSpy = watchSocketConnects();
describe('azureEntraToken refuses a bad configuration before any network call', () => {
  const good = credential(USER).c;
  const cases: [string, string, unknown, unknown?][] = [
    ['a string config', 'config', 'orders.postgres.database.azure.com'],
    ['a number config', 'config', 42],
    ['a credential without getToken', 'credential', { credential: { token: 'x' } }],
    ['a credential that is a string', 'credential', { credential: 'DefaultAzureCredential' }],
    ['a credential that is a function', 'credential', { credential: async () => 'token' }],
    ['a username that is a number', 'username', { credential: good, username: 7 }],
    ['an empty username', 'username', { credential: good, username: '' }],
    ['a username with a line break', 'username', { credential: good, username: 'app\nadmin' }],
    ['a username with spaces around it', 'username', { credential: good, username: ' app ' }],
    ['a hostname with a scheme', 'hostname', { credential: good, hostname: 'https://orders.postgres.database.azure.com' }],
    ['a hostname with a port', 'hostname', { credential: good, hostname: 'orders.postgres.database.azure.com:5432' }],
    ['an empty hostname', 'hostname', { credential: good, hostname: '' }],
    ['a hostname that is a number', 'hostname', { credential: good, hostname: 5432 }],
    ['a port of 0', 'port', { credential: good, port: 0 }],
    ['a port as a string', 'port', { credential: good, port: '5432' }],
    ['a port past 65535', 'port', { credential: good, port: 70_000 }],
    ['options that are not an object', 'options', { credential: good }, 'refresh'],
    ['a refreshBefore of NaN', 'refreshBefore', { credential: good }, { refreshBefore: Number.NaN }],
  ];
  it.each(cases)('%s -> ConfigError on %s', (_name, field, config, options) => {
    const err = (() => {
      try {
        track(azureEntraToken(config as never, options as never));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect(connectSpy()).not.toHaveBeenCalled();
  });
});

describe('the database user', () => {
  it.each([
    ['an Entra user: the upn, case kept', USER, 'Ada.Lovelace@contoso.com'],
    ['a guest: unique_name with #EXT#', GUEST, 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com'],
    ['upn before unique_name', { upn: 'a@contoso.com', unique_name: 'b@contoso.com' }, 'a@contoso.com'],
  ])('%s', (_n, claims, user) => {
    expect(entraUserOf(jwt(claims))).toBe(user);
  });

  it.each([
    ['a service principal', APP, /service principal or managed identity/],
    ['a managed identity (xms_mirid, no idtyp)', { appid: APP.appid, oid: APP.oid, xms_mirid: '/subscriptions/x' }, /service principal or managed identity/],
    ['a token with neither claim', { oid: APP.oid }, /without a UPN/],
    ['a token that is not a JWT', 'opaque-token', /not a JWT/],
  ])('%s: a ConfigError on username that says why', (_n, claims, why) => {
    const err = (() => {
      try {
        entraUserOf(typeof claims === 'string' ? claims : jwt(claims));
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.field).toBe('username');
    expect(err?.message).toMatch(why);
  });

  it("is read from the first token: target.user is unset before it, and the UPN after it", async () => {
    const { c, calls } = credential(USER);
    const p = track(azureEntraToken({ credential: c, hostname: 'orders.postgres.database.azure.com' }));
    expect(p.target).toEqual({ host: 'orders.postgres.database.azure.com' });
    await p.getToken();
    expect(p.target).toEqual({ host: 'orders.postgres.database.azure.com', user: 'Ada.Lovelace@contoso.com' });
    expect(calls).toEqual([AZURE_DATABASE_SCOPE]);
  });

  it("a service principal's first getToken() fails with the ConfigError itself, and so does every call after it, without asking again", async () => {
    const { c, calls } = credential(APP);
    const p = track(azureEntraToken({ credential: c }));
    for (let i = 0; i < 3; i++) await expect(p.getToken()).rejects.toMatchObject({ name: 'ConfigError', field: 'username' });
    expect(calls).toHaveLength(1);
    expect(p.target?.user).toBeUndefined();
  });

  it('a given username is the user from the start, whatever the token says', async () => {
    const { c } = credential(APP);
    const p = track(azureEntraToken({ credential: c, username: 'orders-api' }));
    expect(p.target).toEqual({ user: 'orders-api' });
    await p.getToken();
    expect(p.target?.user).toBe('orders-api');
  });
});

describe('pools of a provider that reads its user from the first token', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  it('createIamPool waits for the first token, and the pool logs in as the UPN', async () => {
    const { c } = credential(USER);
    const token = track(azureEntraToken({ credential: c, hostname: 'orders.postgres.database.azure.com' }));
    const pool = await createIamPool({ driver: 'pg', token, database: 'orders', ssl: { ca } });
    expect((pool as unknown as { options: { user: string; host: string } }).options).toMatchObject({ user: 'Ada.Lovelace@contoso.com', host: 'orders.postgres.database.azure.com' });
    await pool.end();
  });

  it("createIamPool with a service principal's token and no username rejects with the ConfigError, and makes no pool", async () => {
    const token = track(azureEntraToken({ credential: credential(APP).c }));
    await expect(createIamPool({ driver: 'postgres', token, host: 'h', ssl: { ca } })).rejects.toMatchObject({ name: 'ConfigError', field: 'username' });
    expect(connectSpy()).not.toHaveBeenCalled();
  });

  it('createIamPool whose first token fails, then hangs: rejects with TokenUnavailableError each time, no socket opened; once the credential answers, the pool is made', async () => {
    let mode: 'fail' | 'hang' | 'ok' = 'fail';
    const c: AzureTokenCredential = {
      getToken: async () => {
        if (mode === 'fail') throw new Error('AADSTS700016: application not found');
        if (mode === 'hang') return new Promise<never>(() => {});
        return credential(USER).c.getToken(AZURE_DATABASE_SCOPE);
      },
    };
    const token = track(azureEntraToken({ credential: c, hostname: 'orders.postgres.database.azure.com' }, { fetchTimeout: 50, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }));
    await expect(createIamPool({ driver: 'pg', token, ssl: { ca } })).rejects.toBeInstanceOf(TokenUnavailableError);
    mode = 'hang';
    await new Promise((r) => setTimeout(r, 20)); // past the 1 ms rest
    await expect(createIamPool({ driver: 'pg', token, ssl: { ca } })).rejects.toBeInstanceOf(TokenUnavailableError);
    expect(token.target?.user).toBeUndefined();
    expect(connectSpy()).not.toHaveBeenCalled();
    mode = 'ok';
    await new Promise((r) => setTimeout(r, 20));
    const pool = await createIamPool({ driver: 'pg', token, ssl: { ca } });
    expect((pool as unknown as { options: { user: string } }).options.user).toBe('Ada.Lovelace@contoso.com');
    await pool.end();
  });

  it('the pools made at once (pg, postgres.js, mysql2) and pgConnection need a user before the first token: a ConfigError saying how', async () => {
    const token = track(azureEntraToken({ credential: credential(USER).c, hostname: 'orders.mysql.database.azure.com' }));
    for (const make of [() => createPgPool({ token, ssl: { ca } }), () => createPostgresJs({ token, ssl: { ca } }), () => createMysql2Pool({ token, ssl: { ca } })]) {
      expect(make).toThrow(expect.objectContaining({ name: 'ConfigError', field: 'user', message: expect.stringMatching(/createIamPool/) }));
    }
    expect(() => pgConnection(token)).toThrow(expect.objectContaining({ field: 'provider', message: expect.stringMatching(/await provider.getToken\(\)/) }));
    // With a user of their own, or once the first token is in, they are made.
    const own = createPgPool({ token, user: 'someone@contoso.com', ssl: { ca } });
    await own.end();
    await token.getToken();
    expect(pgConnection(token)).toMatchObject({ user: 'Ada.Lovelace@contoso.com', host: 'orders.mysql.database.azure.com' });
    expect(connectSpy()).not.toHaveBeenCalled();
  });
});

describe('timing and failures', () => {
  it("expiresAt is the credential's expiresOnTimestamp, carried to the provider's clock; the refresh comes 5 minutes ahead", async () => {
    let now = Date.UTC(2030, 0, 1);
    const real = Date.now();
    const c: AzureTokenCredential = { getToken: async () => ({ token: jwt(USER), expiresOnTimestamp: real + 60 * 60_000 }) };
    const p = track(azureEntraTokenWith({ credential: c }, { clock: () => now, random: () => 0 }, { now: () => real }));
    const events: { expiresAt: Date; refreshAt: Date }[] = [];
    p.on('token', (e) => events.push(e));
    const t = await p.getToken();
    expect(t.expiresAt.getTime()).toBe(now + 60 * 60_000);
    expect(events[0]!.refreshAt.getTime()).toBe(now + 55 * 60_000);
    now += 56 * 60_000;
    await p.getToken();
    await vi.waitFor(() => expect(events).toHaveLength(2));
  });

  it('a minValidity past 5 minutes moves the default refresh earlier, instead of failing on a refreshBefore the caller never set', async () => {
    const p = track(azureEntraToken({ credential: credential(USER).c }, { minValidity: 6 * 60_000, random: () => 0 }));
    const events: { expiresAt: Date; refreshAt: Date }[] = [];
    p.on('token', (e) => events.push(e));
    await p.getToken();
    expect(events[0]!.expiresAt.getTime() - events[0]!.refreshAt.getTime()).toBe(7 * 60_000);
  });

  it('refreshBefore: undefined, as a spread of optional settings writes it, keeps the 5-minute default; a value given is kept', async () => {
    for (const [options, margin] of [[{ refreshBefore: undefined }, 5 * 60_000], [{ refreshBefore: 10 * 60_000 }, 10 * 60_000]] as const) {
      const p = track(azureEntraToken({ credential: credential(USER).c }, { ...options, random: () => 0, cacheKey: `refresh-before-${margin}` }));
      const events: { expiresAt: Date; refreshAt: Date }[] = [];
      p.on('token', (e) => events.push(e));
      await p.getToken();
      expect(events[0]!.expiresAt.getTime() - events[0]!.refreshAt.getTime()).toBe(margin);
    }
  });

  it('a credential answering null, or a token without expiry, is a failure of the source (TokenUnavailableError with the cause)', async () => {
    for (const answer of [null, { token: jwt(USER) }, { token: '', expiresOnTimestamp: Date.now() + 60_000 }]) {
      const p = track(azureEntraToken({ credential: { getToken: async () => answer as never }, username: 'u' }, { retry: { attempts: 1 } } as never));
      const err = await p.getToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenUnavailableError);
      expect(String((err as Error).cause)).toMatch(/no token|expiresOnTimestamp/);
    }
  });

  it('a credential that hangs is abandoned at fetchTimeout, its abortSignal aborted, and the next call asks again', async () => {
    const signals: AbortSignal[] = [];
    let hang = true;
    const c: AzureTokenCredential = {
      getToken: (_s, o) => {
        signals.push(o!.abortSignal!);
        return hang ? new Promise(() => {}) : Promise.resolve({ token: jwt(USER), expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    const p = track(azureEntraToken({ credential: c }, { fetchTimeout: 50, retry: { attempts: 1, maxMs: 1 } } as never));
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenUnavailableError);
    await vi.waitFor(() => expect(signals[0]!.aborted).toBe(true));
    hang = false;
    await vi.waitFor(async () => expect((await p.getToken()).token).toContain('.'), { timeout: 2_000 });
    expect(p.target?.user).toBe('Ada.Lovelace@contoso.com');
  });

  it('uses the default credential when none is given, made once', async () => {
    let made = 0;
    const deps = { defaultCredential: async () => (made++, credential(USER).c) };
    const p = track(azureEntraTokenWith({}, undefined, deps));
    await p.getToken();
    expect(made).toBe(1);
  });
});
