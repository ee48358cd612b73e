import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, TokenUnavailableError } from 'dbtoken';
import { cloudSqlServerIdentity, gcpCloudSqlToken, GCP_SQL_LOGIN_SCOPE, type GcpAuth } from 'dbtoken/gcp';
import { createPgPool } from 'dbtoken/pg';
import { emulatorCertificates } from '../../../src/testing/certificates.js';
import { gcpCloudSqlTokenWith } from '../../../src/sources/gcp/cloud-sql.js';
import { trackedProviders, watchSocketConnects } from '../../helpers/providers.js';

/** A GoogleAuth stand-in: `email` as its credentials' client_email (undefined: a user's ADC), `info` as tokeninfo's email. */
function fakeAuth(o: { email?: string; info?: string; lifetimeMs?: number; token?: string | null } = {}) {
  const calls = { tokens: 0, credentials: 0, tokeninfo: 0 };
  const client = {
    credentials: {} as { expiry_date?: number },
    async getAccessToken() {
      calls.tokens++;
      client.credentials = { expiry_date: Date.now() + (o.lifetimeMs ?? 3_600_000) };
      return { token: o.token === undefined ? `ya29.fake-${calls.tokens}` : o.token };
    },
    async getTokenInfo() {
      calls.tokeninfo++;
      return { email: o.info };
    },
  };
  const auth: GcpAuth = {
    getClient: async () => client,
    getCredentials: async () => (calls.credentials++, { client_email: o.email }),
  };
  return { auth, calls };
}

const SA = 'orders-api@my-project.iam.gserviceaccount.com';
const track = trackedProviders();
const connectSpy = watchSocketConnects();
describe('gcpCloudSqlToken refuses a bad configuration before any network call', () => {
  const { auth } = fakeAuth({ email: SA });
  const cases: [string, string, unknown][] = [
    ['no config', 'config', undefined],
    ['no engine', 'engine', { auth }],
    ['an engine that is not one', 'engine', { engine: 'oracle', auth }],
    ['an engine in capitals', 'engine', { engine: 'POSTGRES', auth }],
    ['auth that is a string', 'auth', { engine: 'postgres', auth: 'adc' }],
    ['auth with an unknown field', 'auth', { engine: 'postgres', auth: { keyFile: 'k.json', scopes: [] } }],
    ['auth with an empty keyFile', 'auth.keyFile', { engine: 'postgres', auth: { keyFile: '' } }],
    ['auth with a keyFile that is a number', 'auth.keyFile', { engine: 'postgres', auth: { keyFile: 1 } }],
    ['a PostgreSQL username with .gserviceaccount.com', 'username', { engine: 'postgres', auth, username: SA }],
    ['a MySQL username with an @', 'username', { engine: 'mysql', auth, username: 'ada@example.com' }],
    ['an empty username', 'username', { engine: 'postgres', auth, username: '' }],
    ['a username with a space', 'username', { engine: 'postgres', auth, username: 'a b' }],
    ['an instance connection name as hostname', 'hostname', { engine: 'postgres', auth, hostname: 'my-project:europe-west1:orders' }],
    ['a hostname with a port', 'hostname', { engine: 'postgres', auth, hostname: '10.0.0.3:5432' }],
    ['a hostname with a scheme', 'hostname', { engine: 'postgres', auth, hostname: 'postgres://10.0.0.3' }],
    ['a port of 0', 'port', { engine: 'mysql', auth, port: 0 }],
    ['a port as a string', 'port', { engine: 'mysql', auth, port: '3306' }],
  ];
  it.each(cases)('%s -> ConfigError on %s', (_n, field, config) => {
    const err = (() => {
      try {
        track(gcpCloudSqlToken(config as never));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect(connectSpy()).not.toHaveBeenCalled();
  });

  it.each([['a name with one part', 'orders'], ['five parts', 'a:b:c:d:e'], ['a space', 'my project:orders'], ['a number', 42]])('cloudSqlServerIdentity: %s -> ConfigError on instance', (_n, instance) => {
    expect(() => cloudSqlServerIdentity(instance as string)).toThrow(expect.objectContaining({ name: 'ConfigError', field: 'instance' }));
  });
});

describe("the database user, by Cloud SQL's conventions, learnt on the first getToken()", () => {
  it.each([
    ['postgres', 'a service account', { email: SA }, 'orders-api@my-project.iam', { credentials: 1, tokeninfo: 0 }],
    ['mysql', 'a service account', { email: SA }, 'orders-api', { credentials: 1, tokeninfo: 0 }],
    ['postgres', "a user's own ADC (tokeninfo)", { info: 'ada@example.com' }, 'ada@example.com', { credentials: 1, tokeninfo: 1 }],
    ['mysql', "a user's own ADC (tokeninfo)", { info: 'ada@example.com' }, 'ada', { credentials: 1, tokeninfo: 1 }],
  ] as const)('%s, %s -> %s', async (engine, _n, o, user, asked) => {
    const { auth, calls } = fakeAuth(o);
    const p = track(gcpCloudSqlToken({ engine, auth, hostname: '10.20.0.3' }));
    expect(p.target).toEqual({ host: '10.20.0.3', port: engine === 'postgres' ? 5432 : 3306 });
    await p.getToken();
    await p.getToken({ forceRefresh: true });
    expect(p.target).toEqual({ host: '10.20.0.3', port: engine === 'postgres' ? 5432 : 3306, user });
    expect(calls).toMatchObject({ tokens: 2, ...asked }); // the principal is learnt once
  });

  it('credentials that name no email: the first getToken() is a ConfigError on username, saying why', async () => {
    const p = track(gcpCloudSqlToken({ engine: 'postgres', auth: fakeAuth({}).auth }));
    await expect(p.getToken()).rejects.toMatchObject({ name: 'ConfigError', field: 'username', message: expect.stringMatching(/tokeninfo/) });
  });

  it("tokeninfo that hangs, then answers: the first getToken() times out and names no user; the next learns it", async () => {
    let hang = true;
    const f = fakeAuth({ info: 'ada@example.com' });
    const client = await f.auth.getClient();
    const getTokenInfo = client.getTokenInfo!.bind(client);
    client.getTokenInfo = async (t: string) => (hang ? new Promise<never>(() => {}) : getTokenInfo(t));
    const p = track(gcpCloudSqlToken({ engine: 'postgres', auth: f.auth }, { fetchTimeout: 50, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }));
    await expect(p.getToken()).rejects.toBeInstanceOf(TokenUnavailableError);
    expect(p.target?.user).toBeUndefined();
    hang = false;
    await new Promise((r) => setTimeout(r, 20));
    await p.getToken();
    expect(p.target?.user).toBe('ada@example.com');
  });

  it('a given username is used as it is, and no principal is looked up', async () => {
    const { auth, calls } = fakeAuth({ email: SA });
    const p = track(gcpCloudSqlToken({ engine: 'postgres', auth, username: 'reporting@my-project.iam' }));
    await p.getToken();
    expect(p.target?.user).toBe('reporting@my-project.iam');
    expect(calls.credentials).toBe(0);
  });

  it('createIamPool waits for the user; a pool made at once needs one', async () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const token = track(gcpCloudSqlToken({ engine: 'postgres', auth: fakeAuth({ email: SA }).auth, hostname: '10.20.0.3' }));
    expect(() => createPgPool({ token, ssl: { ca } })).toThrow(expect.objectContaining({ field: 'user' }));
    const pool = await createIamPool({ driver: 'pg', token, ssl: { ca } });
    expect((pool as unknown as { options: { user: string } }).options.user).toBe('orders-api@my-project.iam');
    await pool.end();
    expect(connectSpy()).not.toHaveBeenCalled();
  });
});

describe('providers of one identity share its token, and so its principal', () => {
  it('a second provider of the same auth, served the first one\'s cached token, knows the user too; so does one made after the first closed', async () => {
    const { auth, calls } = fakeAuth({ email: SA });
    const first = track(gcpCloudSqlToken({ engine: 'postgres', auth }));
    const second = track(gcpCloudSqlToken({ engine: 'postgres', auth }));
    await Promise.all([first.getToken(), second.getToken()]);
    expect([first.target?.user, second.target?.user]).toEqual(['orders-api@my-project.iam', 'orders-api@my-project.iam']);
    first.close();
    second.close();
    const again = track(gcpCloudSqlToken({ engine: 'postgres', auth }));
    await again.getToken();
    expect(again.target?.user).toBe('orders-api@my-project.iam');
    expect(calls.tokens).toBe(1);
  });

  it('a credentials call that fails once (a network blip) fails that fetch, to be retried, instead of caching a token without a user', async () => {
    const { auth } = fakeAuth({ email: SA });
    let fail = true;
    const flaky: GcpAuth = { getClient: () => auth.getClient(), getCredentials: () => (fail ? ((fail = false), Promise.reject(new Error('ECONNRESET'))) : auth.getCredentials()) };
    const p = track(gcpCloudSqlToken({ engine: 'mysql', auth: flaky }, { retry: { attempts: 2, baseMs: 1, maxMs: 2 } } as never));
    await p.getToken();
    expect(p.target?.user).toBe('orders-api');
  });

  it("refreshes in the last 5 minutes, when google-auth-library hands out a new token (not the cached one), or earlier for a larger minValidity", async () => {
    const p = track(gcpCloudSqlToken({ engine: 'postgres', auth: fakeAuth({ email: SA }).auth }, { random: () => 0 }));
    const events: { expiresAt: Date; refreshAt: Date }[] = [];
    p.on('token', (e) => events.push(e));
    await p.getToken();
    expect(events[0]!.expiresAt.getTime() - events[0]!.refreshAt.getTime()).toBe(5 * 60_000);
    const wide = track(gcpCloudSqlToken({ engine: 'postgres', auth: fakeAuth({ email: SA }).auth, username: 'u@p.iam' }, { minValidity: 6 * 60_000, random: () => 0 }));
    const wideEvents: { expiresAt: Date; refreshAt: Date }[] = [];
    wide.on('token', (e) => wideEvents.push(e));
    await wide.getToken();
    expect(wideEvents[0]!.expiresAt.getTime() - wideEvents[0]!.refreshAt.getTime()).toBe(7 * 60_000);
  });
});

describe('tokens', () => {
  it("expiresAt is the client's expiry_date, carried to the provider's clock", async () => {
    const real = Date.now();
    const now = Date.UTC(2031, 5, 1);
    const p = track(gcpCloudSqlTokenWith({ engine: 'mysql', auth: fakeAuth({ email: SA, lifetimeMs: 3_599_000 }).auth }, { clock: () => now }, { now: () => real }));
    const t = await p.getToken();
    expect(t.expiresAt.getTime()).toBeGreaterThanOrEqual(now + 3_599_000);
    expect(t.expiresAt.getTime()).toBeLessThan(now + 3_599_000 + 1_000);
  });

  it('no token, or a token without expiry, is a failure of the source', async () => {
    const p = track(gcpCloudSqlToken({ engine: 'postgres', auth: fakeAuth({ email: SA, token: null }).auth }, { retry: { attempts: 1 } } as never));
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(String((err as Error).cause)).toMatch(/no access token/);
  });

  it('makes a GoogleAuth with the sqlservice.login scope by default, once, and from a key file', async () => {
    const made: unknown[] = [];
    const deps = { newAuth: async (keyFile: string | undefined) => (made.push(keyFile), fakeAuth({ email: SA }).auth) };
    const adc = track(gcpCloudSqlTokenWith({ engine: 'postgres' }, undefined, deps));
    await adc.getToken();
    await adc.getToken({ forceRefresh: true });
    const key = track(gcpCloudSqlTokenWith({ engine: 'postgres', auth: { keyFile: '/secrets/key.json' } }, undefined, deps));
    await key.getToken();
    expect(made).toEqual([undefined, '/secrets/key.json']);
    expect(GCP_SQL_LOGIN_SCOPE).toBe('https://www.googleapis.com/auth/sqlservice.login');
  });

  it('a fetch abandoned at its deadline leaves the GoogleAuth it made: the next fetch asks a new one, not the hung request; a failure that is not a hang keeps it', async () => {
    const made: { calls: { tokens: number } }[] = [];
    let hang = true;
    let fail = false;
    const deps = {
      newAuth: async () => {
        const f = fakeAuth({ email: SA });
        const real = await f.auth.getClient();
        const getAccessToken = real.getAccessToken.bind(real);
        real.getAccessToken = async () => {
          if (hang) return new Promise<never>(() => {});
          if (fail) throw new Error('the token endpoint said 500');
          return getAccessToken();
        };
        made.push(f);
        return f.auth;
      },
    };
    // A cache key of its own: the tests above cached a token for application default credentials.
    const p = track(gcpCloudSqlTokenWith({ engine: 'postgres' }, { cacheKey: 'gcp-abandoned-fetch', fetchTimeout: 50, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }, deps));
    expect(await p.getToken().catch((e: unknown) => e)).toBeInstanceOf(TokenUnavailableError);
    hang = false;
    fail = true;
    await new Promise((r) => setTimeout(r, 20)); // past the 1 ms rest
    expect(await p.getToken().catch((e: unknown) => e)).toBeInstanceOf(TokenUnavailableError);
    fail = false;
    await new Promise((r) => setTimeout(r, 20));
    expect((await p.getToken()).token).toBe('ya29.fake-1');
    // The hung one, then one auth for the failure and the success that followed.
    expect(made).toHaveLength(2);
    expect(made[1]!.calls.tokens).toBe(1);
  });

  it('a GoogleAuth whose making fails late, after its fetch was abandoned, does not make dbtoken forget the newer one', async () => {
    let made = 0;
    const deps = {
      newAuth: async () => {
        made++;
        // The first takes long and fails, well after its fetch's 50 ms deadline; the others answer at once.
        if (made === 1) return new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ADC file unreadable')), 300));
        return fakeAuth({ email: SA }).auth;
      },
    };
    const p = track(gcpCloudSqlTokenWith({ engine: 'postgres' }, { cacheKey: 'gcp-late-failure', fetchTimeout: 50, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }, deps));
    expect(await p.getToken().catch((e: unknown) => e)).toBeInstanceOf(TokenUnavailableError);
    await new Promise((r) => setTimeout(r, 20));
    expect((await p.getToken()).token).toBe('ya29.fake-1');
    await new Promise((r) => setTimeout(r, 400)); // the first one has failed by now
    expect((await p.getToken({ forceRefresh: true })).token).toBe('ya29.fake-2');
    expect(made).toBe(2);
  });

  it('a GoogleAuth given in auth is kept whatever happens: dbtoken cannot make another', async () => {
    const f = fakeAuth({ email: SA });
    const client = await f.auth.getClient();
    const getAccessToken = client.getAccessToken.bind(client);
    let hang = true;
    client.getAccessToken = async () => (hang ? new Promise<never>(() => {}) : getAccessToken());
    const getClient = vi.spyOn(f.auth, 'getClient');
    const p = track(gcpCloudSqlToken({ engine: 'postgres', auth: f.auth }, { fetchTimeout: 50, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }));
    expect(await p.getToken().catch((e: unknown) => e)).toBeInstanceOf(TokenUnavailableError);
    hang = false;
    await new Promise((r) => setTimeout(r, 20));
    expect((await p.getToken()).token).toBe('ya29.fake-1');
    expect(getClient).toHaveBeenCalledTimes(2);
    expect(getClient.mock.results.every((r) => r.type === 'return')).toBe(true);
  });
});

describe('cloudSqlServerIdentity: a Cloud SQL certificate names the instance, not its address', () => {
  /** Connects over TLS to a server whose certificate is `certs`, checking it with `check`. */
  async function handshake(certs: ReturnType<typeof emulatorCertificates>, check: (host: string, cert: tls.PeerCertificate) => Error | undefined): Promise<string> {
    const server = tls.createServer({ key: certs.serverKey, cert: certs.serverCert }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    try {
      return await new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: certs.ca, checkServerIdentity: check }, () => {
          s.end();
          resolve('ok');
        });
        s.on('error', (e) => resolve(e.message));
      });
    } finally {
      server.close();
    }
  }

  it('accepts the instance its certificate names, reached by IP; refuses another instance; Node alone refuses both', async () => {
    connectSpy().mockRestore();
    const certs = emulatorCertificates(['my-project:orders'], 'Google Cloud SQL Server');
    expect(await handshake(certs, cloudSqlServerIdentity('my-project:europe-west1:orders'))).toBe('ok');
    expect(await handshake(certs, cloudSqlServerIdentity('my-project:orders'))).toBe('ok');
    expect(await handshake(certs, cloudSqlServerIdentity('my-project:europe-west1:billing'))).toMatch(/not the Cloud SQL instance my-project:billing/);
    expect(await handshake(certs, tls.checkServerIdentity)).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
    const domain = emulatorCertificates(['example.com:my-project:orders'], 'Google Cloud SQL Server');
    expect(await handshake(domain, cloudSqlServerIdentity('example.com:my-project:europe-west1:orders'))).toBe('ok');
    expect(await handshake(certs, cloudSqlServerIdentity('My-Project:europe-west1:Orders'))).toBe('ok');
  });

  it('a certificate with several CNs is not taken for the instance, even when one of them names it', () => {
    const check = cloudSqlServerIdentity('my-project:europe-west1:orders');
    const cert = { subject: { CN: ['evil:other', 'my-project:orders'] }, subjectaltname: '' } as unknown as tls.PeerCertificate;
    expect(check('10.0.0.3', cert)).toBeInstanceOf(Error);
    expect(check('10.0.0.3', { subject: { CN: 'my-project:orders' }, subjectaltname: '' } as unknown as tls.PeerCertificate)).toBeUndefined();
  });

  it('falls back to the host name check, for a certificate issued for the address', async () => {
    connectSpy().mockRestore();
    const certs = emulatorCertificates(['127.0.0.1'], 'a DNS-named instance');
    expect(await handshake(certs, cloudSqlServerIdentity('my-project:europe-west1:orders'))).toBe('ok');
  });
});
