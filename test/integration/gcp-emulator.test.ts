import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GoogleAuth, type OAuth2Client } from 'google-auth-library';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { startGcpAuthEmulator, startVerifyingPostgres, type GcpAuthEmulator, type VerifyingPostgres } from 'dbtoken/testing';
import { runNode } from '../helpers/dist.js';
import { runDocsTestingExample } from '../helpers/examples.js';
import { pgLogin } from '../helpers/pg-logins.js';
import { tempDir } from '../helpers/temp.js';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

const SQL_LOGIN = 'https://www.googleapis.com/auth/sqlservice.login';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const USERINFO_EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ORDERS = 'orders-api@dbtoken-test.iam.gserviceaccount.com';
const REPORTS = 'reports-job@dbtoken-test.iam.gserviceaccount.com';
const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
/** The Cloud SQL users of the principals above. */
const PG = { orders: 'orders-api@dbtoken-test.iam', reports: 'reports-job@dbtoken-test.iam', ada: ADA, grace: GRACE };
const MYSQL = { orders: 'orders-api', reports: 'reports-job', ada: 'ada', grace: 'grace' };

let google: GcpAuthEmulator;
/** The emulator's clock runs `skew` ms ahead of the real one. */
let skew = 0;
let dir: string;

beforeAll(async () => {
  google = await startGcpAuthEmulator({ serviceAccounts: [ORDERS, REPORTS], users: [ADA, GRACE], metadataServiceAccount: ORDERS, now: () => Date.now() + skew });
  dir = tempDir('dbtoken-gcp-');
});
afterAll(() => google?.close());
afterEach(() => {
  skew = 0;
});

/**
 * Runs `fn` with `env` in process.env, then puts every variable back as it was. gcp-metadata reads
 * GCE_METADATA_HOST at each request, and METADATA_SERVER_DETECTION=assume-present (in metadataEnv)
 * skips its availability probe, whose answer it would otherwise cache for the whole process.
 */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]] as const));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A GoogleAuth on a service-account key, its OAuth2 traffic sent to the emulator. */
function keyAuth(key: object, scopes: string[] = [SQL_LOGIN]): GoogleAuth {
  return new GoogleAuth({ credentials: key, scopes, ...google.googleAuthOptions() });
}

/** Writes an ADC file for `email` and runs `fn` with GOOGLE_APPLICATION_CREDENTIALS naming it (on the emulator's VM env, so nothing else is found). */
async function withAdc<T>(email: string, scopes: string[] | undefined, fn: (auth: GoogleAuth) => Promise<T>): Promise<T> {
  const file = join(dir, `adc-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(google.authorizedUser(email, scopes ? { scopes } : {})), { mode: 0o600 });
  return withEnv({ ...google.metadataEnv, GOOGLE_APPLICATION_CREDENTIALS: file }, () => fn(new GoogleAuth({ scopes: [SQL_LOGIN], ...google.googleAuthOptions() })));
}

async function tokenOf(auth: GoogleAuth): Promise<string> {
  const token = await auth.getAccessToken();
  expect(token).toMatch(/^ya29\.[A-Za-z0-9_-]{64}$/);
  return token!;
}

/** The verdicts of both engines' verifiers for `token` as each user. */
function verdicts(token: string, users: Record<string, string>, engine: 'postgres' | 'mysql') {
  const verify = google.verifier({ engine });
  return Object.fromEntries(Object.entries(users).map(([who, user]) => [who, verify(token, user).ok]));
}

/** Every refusal reason the verifier gives for `token`, checked never to quote it. */
function refusal(token: string, user: string, engine: 'postgres' | 'mysql' = 'postgres'): string {
  const v = google.verifier({ engine })(token, user);
  expect(v.ok).toBe(false);
  expect(v.reason).toBeTypeOf('string');
  if (token !== '') {
    expect(v.reason).not.toContain(token);
    expect(v.reason).not.toContain(token.slice(5, 20));
  }
  return v.reason!;
}

describe('(a) the metadata server, reached through GCE_METADATA_HOST', () => {
  it("gives GoogleAuth a sqlservice.login token of the VM's service account, which logs in as that account's Cloud SQL user only", async () => {
    const { token, email, project } = await withEnv(google.metadataEnv, async () => {
      const auth = new GoogleAuth({ scopes: [SQL_LOGIN] });
      return { token: await tokenOf(auth), email: (await auth.getCredentials()).client_email, project: await auth.getProjectId() };
    });
    expect(email).toBe(ORDERS);
    expect(project).toBe('dbtoken-test');
    expect(google.requests.filter((r) => r.path.endsWith('/token')).at(-1)).toEqual({
      server: 'metadata',
      method: 'GET',
      path: '/computeMetadata/v1/instance/service-accounts/default/token',
      principal: ORDERS,
      scopes: [SQL_LOGIN],
      ok: true,
      status: 200,
    });
    expect(google.requests.some((r) => r.path === '/computeMetadata/v1/instance/service-accounts/default/email' && r.ok)).toBe(true);
    expect(verdicts(token, PG, 'postgres')).toEqual({ orders: true, reports: false, ada: false, grace: false });
    expect(verdicts(token, MYSQL, 'mysql')).toEqual({ orders: true, reports: false, ada: false, grace: false });
    expect(refusal(token, PG.reports)).toBe('token is for the PostgreSQL user "orders-api@dbtoken-test.iam", not "reports-job@dbtoken-test.iam"');
    // The full email is not the PostgreSQL user of a service account.
    expect(refusal(token, ORDERS)).toMatch(/token is for the PostgreSQL user/);
  });

  it('gives a cloud-platform token when no scope is asked for, and the verifier refuses it for Cloud SQL', async () => {
    const token = await withEnv(google.metadataEnv, () => tokenOf(new GoogleAuth()));
    expect(google.requests.at(-1)).toMatchObject({ path: '/computeMetadata/v1/instance/service-accounts/default/token', scopes: [CLOUD_PLATFORM], ok: true });
    expect(refusal(token, PG.orders)).toBe(`token lacks the scope ${SQL_LOGIN}`);
  });

  it('gives a token for just the scopes asked, to the Compute client of a named service account too', async () => {
    const res = await fetch(`${google.metadataUrl}/computeMetadata/v1/instance/service-accounts/${ORDERS}/token?scopes=${SQL_LOGIN},${USERINFO_EMAIL}`, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('metadata-flavor')).toBe('Google');
    const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(body).toEqual({ access_token: expect.stringMatching(/^ya29\./), expires_in: 3600, token_type: 'Bearer' });
    expect(google.verifier({ engine: 'postgres' })(body.access_token, PG.orders)).toEqual({ ok: true });
    expect(google.requests.at(-1)?.scopes).toEqual([SQL_LOGIN, USERINFO_EMAIL]);
  });

  it('answers only requests with Metadata-Flavor: Google and without X-Forwarded-For, and marks every answer', async () => {
    const url = `${google.metadataUrl}/computeMetadata/v1/instance/service-accounts/default/email`;
    const bare = await fetch(url);
    expect([bare.status, bare.headers.get('metadata-flavor'), await bare.text()]).toEqual([403, 'Google', 'Missing Metadata-Flavor:Google header.\n']);
    const proxied = await fetch(url, { headers: { 'Metadata-Flavor': 'Google', 'X-Forwarded-For': '10.0.0.1' } });
    expect(proxied.status).toBe(403);
    const good = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' } });
    expect([good.status, good.headers.get('metadata-flavor'), await good.text()]).toEqual([200, 'Google', ORDERS]);
    const recursive = await fetch(`${google.metadataUrl}/computeMetadata/v1/instance/service-accounts/default/?recursive=true`, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(await recursive.json()).toEqual({ aliases: ['default'], email: ORDERS, scopes: [CLOUD_PLATFORM] });
    const other = await fetch(`${google.metadataUrl}/computeMetadata/v1/instance/service-accounts/${REPORTS}/token`, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(other.status).toBe(404); // not attached to the VM
    expect(google.requests.slice(-5).map((r) => [r.status, r.reason])).toEqual([
      [403, 'missing Metadata-Flavor: Google'],
      [403, 'X-Forwarded-For header'],
      [200, undefined],
      [200, undefined],
      [404, 'no such path'],
    ]);
  });

  it('in a fresh process without METADATA_SERVER_DETECTION, gcp-metadata probes the emulator, finds it, and gets the token', async () => {
    // gcp-metadata caches its probe's answer per process, so the probe is tested in a process of its own.
    const before = google.requests.length;
    const script = `
      import { GoogleAuth } from 'google-auth-library';
      const auth = new GoogleAuth({ scopes: [${JSON.stringify(SQL_LOGIN)}] });
      const token = await auth.getAccessToken();
      const { client_email } = await auth.getCredentials();
      console.log(JSON.stringify({ token, client_email }));
    `;
    const r = await runNode(['--input-type=module', '-e', script], { env: { ...google.metadataEnv, METADATA_SERVER_DETECTION: '' }, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { token: string; client_email: string };
    expect(out.client_email).toBe(ORDERS);
    const paths = google.requests.slice(before).map((q) => q.path);
    expect(paths[0]).toBe('/computeMetadata/v1/instance'); // the availability probe
    expect(paths).toContain('/computeMetadata/v1/instance/service-accounts/default/token');
    expect(google.verifier({ engine: 'mysql' })(out.token, MYSQL.orders)).toEqual({ ok: true });
  });
});

describe('(b) a service-account key, its JWT-bearer grant sent to the emulator by googleAuthOptions()', () => {
  it('gets a token from the emulator, which logs in as the account and nobody else', async () => {
    const token = await tokenOf(keyAuth(google.serviceAccountKey(ORDERS)));
    expect(google.requests.at(-1)).toEqual({ server: 'oauth2', method: 'POST', path: '/token', grantType: JWT_BEARER, principal: ORDERS, scopes: [SQL_LOGIN], ok: true, status: 200 });
    expect(verdicts(token, PG, 'postgres')).toEqual({ orders: true, reports: false, ada: false, grace: false });
    expect(verdicts(token, MYSQL, 'mysql')).toEqual({ orders: true, reports: false, ada: false, grace: false });
    expect(refusal(token, MYSQL.reports, 'mysql')).toBe('token is for the MySQL user "orders-api", not "reports-job"');
  });

  it('the key file is a real one: PKCS#8 key, key id, project, the emulator as token_uri', () => {
    const key = google.serviceAccountKey(REPORTS);
    expect(key).toMatchObject({
      type: 'service_account',
      project_id: 'dbtoken-test',
      client_email: REPORTS,
      private_key: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/),
      private_key_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      client_id: expect.stringMatching(/^\d{21}$/),
      token_uri: `${google.oauth2Url}/token`,
      universe_domain: 'googleapis.com',
    });
    expect(google.serviceAccountKey(REPORTS)).toEqual(key);
  });

  it('tokeninfo tells a service-account token its email only with the userinfo.email scope, as Google does', async () => {
    const bare = await tokenOf(keyAuth(google.serviceAccountKey(REPORTS)));
    const withEmail = await tokenOf(keyAuth(google.serviceAccountKey(REPORTS), [SQL_LOGIN, USERINFO_EMAIL]));
    const client = (await keyAuth(google.serviceAccountKey(REPORTS)).getClient()) as OAuth2Client;
    const info = await client.getTokenInfo(withEmail);
    expect(info).toMatchObject({ email: REPORTS, email_verified: 'true', scopes: [SQL_LOGIN, USERINFO_EMAIL], aud: google.serviceAccountKey(REPORTS).client_id });
    expect(info.expiry_date).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await client.getTokenInfo(bare)).email).toBeUndefined();
  });

  it('refuses an assertion signed by another key, with the library\'s own error (invalid_grant: Invalid JWT Signature.)', async () => {
    const stranger = rsaKeyPairSync(2048).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = { ...google.serviceAccountKey(ORDERS), private_key: stranger };
    await expect(keyAuth(forged).getAccessToken()).rejects.toThrow('invalid_grant: Invalid JWT Signature.');
    expect(google.requests.at(-1)).toMatchObject({ path: '/token', grantType: JWT_BEARER, principal: ORDERS, ok: false, status: 400, reason: 'Invalid JWT Signature.' });
  });

  it('refuses a key of an account it does not know, and an assertion without a scope', async () => {
    const ghost = { ...google.serviceAccountKey(ORDERS), client_email: 'ghost-svc@dbtoken-test.iam.gserviceaccount.com' };
    await expect(keyAuth(ghost).getAccessToken()).rejects.toThrow('invalid_grant: Invalid grant: account not found');
    // No scope: google-auth-library signs a self-signed JWT for a URI, but an access token needs the token endpoint.
    const res = await keyAuth(google.serviceAccountKey(ORDERS), [])
      .getClient()
      .then((c) => (c as OAuth2Client).getAccessToken())
      .catch((err: Error) => err);
    expect(res).toBeInstanceOf(Error);
    expect(google.requests.at(-1)).toMatchObject({ path: '/token', ok: false, status: 400, reason: 'Invalid OAuth scope or ID token audience provided.' });
  });

  it('a refresh grant whose Basic credentials do not decode is 401 invalid_client, not a server error', async () => {
    const basic = Buffer.from('%E0%A4%A:secret').toString('base64'); // a malformed percent-escape
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`${google.oauth2Url}/token`, { method: 'POST', ca: google.ca, headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('grant_type=refresh_token&refresh_token=1%2F%2Fx');
    });
    expect(status).toBe(401);
    expect(google.requests.at(-1)).toMatchObject({ path: '/token', ok: false, status: 401 });
  });

  it("the verifier refuses the account's token for another scope", async () => {
    const token = await tokenOf(keyAuth(google.serviceAccountKey(ORDERS), [CLOUD_PLATFORM]));
    expect(refusal(token, PG.orders)).toBe(`token lacks the scope ${SQL_LOGIN}`);
  });
});

describe('(c) an authorized_user ADC file, refreshed at the emulator, and tokeninfo for the email', () => {
  it("gets the user's token, learns the email from tokeninfo, and the token logs in as that user only", async () => {
    const { token, info, credentials } = await withAdc(ADA, undefined, async (auth) => {
      const client = (await auth.getClient()) as OAuth2Client;
      const t = (await client.getAccessToken()).token!;
      return { token: t, info: await client.getTokenInfo(t), credentials: await auth.getCredentials() };
    });
    expect(credentials.client_email).toBeUndefined(); // a user's ADC names no email: tokeninfo does
    expect(info).toMatchObject({ email: ADA, email_verified: 'true', access_type: 'offline', scopes: ['openid', USERINFO_EMAIL, CLOUD_PLATFORM, SQL_LOGIN] });
    expect(info.aud).toBe(google.authorizedUser(ADA).client_id);
    expect(google.requests.filter((r) => r.server === 'oauth2').slice(-2)).toEqual([
      { server: 'oauth2', method: 'POST', path: '/token', grantType: 'refresh_token', principal: ADA, scopes: ['openid', USERINFO_EMAIL, CLOUD_PLATFORM, SQL_LOGIN], ok: true, status: 200 },
      { server: 'oauth2', method: 'POST', path: '/tokeninfo', principal: ADA, scopes: ['openid', USERINFO_EMAIL, CLOUD_PLATFORM, SQL_LOGIN], ok: true, status: 200 },
    ]);
    expect(verdicts(token, PG, 'postgres')).toEqual({ orders: false, reports: false, ada: true, grace: false });
    expect(verdicts(token, MYSQL, 'mysql')).toEqual({ orders: false, reports: false, ada: true, grace: false });
    expect(refusal(token, PG.grace)).toBe('token is for the PostgreSQL user "ada@example.com", not "grace@example.com"');
  });

  it('a user who consented to cloud-platform only gets a token the verifier refuses, and tokeninfo names no email', async () => {
    const { token, info } = await withAdc(GRACE, [CLOUD_PLATFORM], async (auth) => {
      const client = (await auth.getClient()) as OAuth2Client;
      const t = (await client.getAccessToken()).token!;
      return { token: t, info: await client.getTokenInfo(t) };
    });
    expect(info.email).toBeUndefined();
    expect(info.scopes).toEqual([CLOUD_PLATFORM]);
    expect(refusal(token, PG.grace)).toBe(`token lacks the scope ${SQL_LOGIN}`);
  });

  it('refuses a wrong client secret and a refresh token it did not issue, with the library surfacing Google\'s errors', async () => {
    const adc = google.authorizedUser(ADA);
    const wrongSecret = new GoogleAuth({ credentials: { ...adc, client_secret: 'GOCSPX-not-it' }, ...google.googleAuthOptions() });
    await expect(wrongSecret.getAccessToken()).rejects.toMatchObject({ status: 401, response: { data: { error: 'invalid_client' } } });
    expect(google.requests.at(-1)).toMatchObject({ grantType: 'refresh_token', ok: false, status: 401, reason: 'Unauthorized' });
    const madeUp = new GoogleAuth({ credentials: { ...adc, refresh_token: '1//0made-up' }, ...google.googleAuthOptions() });
    await expect(madeUp.getAccessToken()).rejects.toMatchObject({ status: 400, response: { data: { error: 'invalid_grant' } } });
  });
});

describe('what the verifier refuses, whoever the token came from', () => {
  it('an expired token (the emulator clock moved past it), which tokeninfo no longer knows either', async () => {
    const token = await tokenOf(keyAuth(google.serviceAccountKey(ORDERS), [SQL_LOGIN, USERINFO_EMAIL]));
    const client = (await keyAuth(google.serviceAccountKey(ORDERS)).getClient()) as OAuth2Client;
    expect((await client.getTokenInfo(token)).email).toBe(ORDERS);
    skew = 3_600_000;
    expect(refusal(token, PG.orders)).toBe('token expired');
    await expect(client.getTokenInfo(token)).rejects.toMatchObject({ status: 400, response: { data: { error: 'invalid_token', error_description: 'Invalid Value' } } });
    skew = 3_599_000;
    expect(google.verifier({ engine: 'postgres' })(token, PG.orders)).toEqual({ ok: true });
  });

  it('a made-up token, in the shape of a real one', async () => {
    const fake = `ya29.${randomBytes(48).toString('base64url')}`;
    expect(refusal(fake, PG.orders)).toBe('not an access token this emulator issued');
    expect(refusal('', PG.orders)).toBe('not an access token this emulator issued');
    const res = await fetch(`${google.oauth2Url}/tokeninfo?access_token=${fake}`).catch((err: Error) => err);
    // Node's fetch does not trust the emulator's CA: tokeninfo is asked through the library's transport instead.
    expect(res).toBeInstanceOf(Error);
    const client = (await keyAuth(google.serviceAccountKey(ORDERS)).getClient()) as OAuth2Client;
    await expect(client.getTokenInfo(fake)).rejects.toMatchObject({ status: 400 });
    expect(google.requests.at(-1)).toMatchObject({ path: '/tokeninfo', ok: false, status: 400, reason: 'Invalid Value' });
    expect(google.requests.at(-1)).not.toHaveProperty('principal');
  });

  it('tokens issue() mints: another scope, already expired, or for a user; and issue() checks its arguments', () => {
    const verify = google.verifier({ engine: 'postgres' });
    const ada = google.issue(ADA);
    expect(ada).toMatchObject({ email: ADA, scopes: [SQL_LOGIN] });
    expect(ada.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3_590_000);
    expect(verify(ada.accessToken, ADA)).toEqual({ ok: true });
    expect(refusal(google.issue(ADA, { expiresInMs: -1 }).accessToken, ADA)).toBe('token expired');
    expect(refusal(google.issue(ORDERS, { scopes: [CLOUD_PLATFORM] }).accessToken, PG.orders)).toBe(`token lacks the scope ${SQL_LOGIN}`);
    expect(() => google.issue('nobody@example.com')).toThrow(expect.objectContaining({ field: 'email' }));
    expect(() => google.issue(ADA, { scopes: [] })).toThrow(expect.objectContaining({ field: 'scopes' }));
    expect(() => google.issue(ADA, { expiresInMs: Number.NaN })).toThrow(expect.objectContaining({ field: 'expiresInMs' }));
    expect(() => google.verifier({ engine: 'oracle' as never })).toThrow(expect.objectContaining({ field: 'engine' }));
    expect(() => google.serviceAccountKey(ADA)).toThrow(expect.objectContaining({ field: 'email' }));
    expect(() => google.authorizedUser(ORDERS)).toThrow(expect.objectContaining({ field: 'email' }));
  });
});

describe('startGcpAuthEmulator: options and lifecycle', () => {
  it.each([
    ['a project id with capitals', 'project', { project: 'Dbtoken' }],
    ['a service account that is a person', 'serviceAccounts[0]', { serviceAccounts: [ADA] }],
    ['a service account that is not an email', 'serviceAccounts[0]', { serviceAccounts: ['orders'] }],
    ['service accounts that are not an array', 'serviceAccounts', { serviceAccounts: ORDERS }],
    ['a user that is a service account', 'users[0]', { users: [ORDERS] }],
    ['a user listed twice', 'users', { users: [ADA, 'Ada@Example.com'] }],
    ['a metadata account not listed', 'metadataServiceAccount', { serviceAccounts: [ORDERS], metadataServiceAccount: REPORTS }],
    ['a lifetime under a minute', 'tokenLifetimeMs', { tokenLifetimeMs: 59_999 }],
    ['a lifetime over 12 hours', 'tokenLifetimeMs', { tokenLifetimeMs: 12 * 3_600_000 + 1 }],
    ['a clock that is not a function', 'now', { now: 5 }],
    ['a signal that is not one', 'signal', { signal: {} }],
  ])('refuses %s with a ConfigError naming %s', async (_what, field, options) => {
    const err = await startGcpAuthEmulator(options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });

  it('rejects with the reason of an aborted signal, leaving nothing open', async () => {
    const reason = new Error('stop');
    await expect(startGcpAuthEmulator({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('has no metadata service account without service accounts, and close() stops both servers, twice harmlessly', async () => {
    const own = await startGcpAuthEmulator({ users: [ADA] });
    expect(own.metadataServiceAccount).toBeUndefined();
    const res = await fetch(`${own.metadataUrl}/computeMetadata/v1/instance/service-accounts/default/token`, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(res.status).toBe(404);
    const project = await fetch(`${own.metadataUrl}/computeMetadata/v1/project/project-id`, { headers: { 'Metadata-Flavor': 'Google' } });
    expect(await project.text()).toBe('dbtoken-test');
    await own.close();
    await own.close();
    await expect(fetch(`${own.metadataUrl}/computeMetadata/v1/`, { headers: { 'Metadata-Flavor': 'Google' } })).rejects.toThrow();
    const auth = new GoogleAuth({ credentials: own.authorizedUser(ADA), ...own.googleAuthOptions() });
    await expect(auth.getAccessToken()).rejects.toThrow();
  });
});

describe('a verifying PostgreSQL that takes the emulator’s tokens as Cloud SQL does', () => {
  let db: VerifyingPostgres;
  beforeAll(async () => {
    db = await startVerifyingPostgres({ users: ['app'], verify: google.verifier({ engine: 'postgres' }) });
    // Cloud SQL's users for a service account and a person: names with @ and dots, so made with SQL.
    await db.admin(`CREATE ROLE "${PG.orders}" LOGIN IN ROLE rds_iam`);
    await db.admin(`CREATE ROLE "${PG.ada}" LOGIN IN ROLE rds_iam`);
  });
  afterAll(() => db?.close());

  const login = (user: string, password: string): Promise<pg.Client> => pgLogin(db, user, password);

  it("lets plain pg log in as the service account's user with its token, and refuses that token as another user", async () => {
    const token = await tokenOf(keyAuth(google.serviceAccountKey(ORDERS)));
    const c = await login(PG.orders, token);
    try {
      expect((await c.query('select session_user as u')).rows).toEqual([{ u: PG.orders }]);
    } finally {
      await c.end();
    }
    expect(db.logins.at(-1)).toMatchObject({ user: PG.orders, ok: true });
    await expect(login(PG.ada, token)).rejects.toMatchObject({ code: '28000' });
    expect(db.logins.at(-1)).toMatchObject({ user: PG.ada, ok: false, reason: `token is for the PostgreSQL user "${PG.orders}", not "${PG.ada}"` });
    await expect(login('app', token)).rejects.toMatchObject({ code: '28000' });
  });

  it("lets a user's ADC token in as the full email, and refuses an expired one", async () => {
    const token = await withAdc(ADA, undefined, async (auth) => ((await auth.getClient()) as OAuth2Client).getAccessToken().then((t) => t.token!));
    const c = await login(PG.ada, token);
    await c.end();
    skew = 2 * 3_600_000;
    await expect(login(PG.ada, token)).rejects.toMatchObject({ code: '28000' });
    expect(db.logins.at(-1)).toMatchObject({ user: PG.ada, ok: false, reason: 'token expired' });
    for (const l of db.logins) expect(JSON.stringify(l)).not.toContain(token);
  });
});

it("docs/testing.md's Google example runs as written (against the sources), logs in with pg, and its process exits by itself", async () => {
  const r = await runDocsTestingExample('## Google Cloud: `startGcpAuthEmulator()`');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe("[ { session_user: 'orders-api@dbtoken-test.iam' } ]");
}, 150_000);
