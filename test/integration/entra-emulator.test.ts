import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AuthenticationRequiredError, ClientSecretCredential, CredentialUnavailableError } from '@azure/identity';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { startEntraIdEmulator, startVerifyingPostgres, type EntraIdEmulator, type VerifyingPostgres } from 'dbtoken/testing';
import { runNode } from '../helpers/dist.js';
import { runDocsTestingExample } from '../helpers/examples.js';
import { pgLogin } from '../helpers/pg-logins.js';
import { tempDir } from '../helpers/temp.js';

const SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
const RESOURCE = 'https://ossrdbms-aad.database.windows.net';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = { clientId: '11111111-2222-4333-8444-555555555555', clientSecret: 'app-secret~1', objectId: '66666666-7777-4888-8999-aaaaaaaaaaaa', displayName: 'orders-api' };
const OTHER = { clientId: '22222222-3333-4444-8555-666666666666', clientSecret: 'other-secret', objectId: '77777777-8888-4999-8aaa-bbbbbbbbbbbb' };
const WEBAPP = { clientId: '33333333-4444-4555-8666-777777777777', objectId: '88888888-9999-4aaa-8bbb-cccccccccccc' };

/** The claims of a JWT, unverified. */
const claimsOf = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
const headerOf = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));

/** A ClientSecretCredential pointed at the emulator with @azure/identity's own public options only. */
function secretCredential(entra: EntraIdEmulator, clientId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(entra.tenantId, clientId, secret, {
    authorityHost: entra.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: entra.ca },
  });
}

/** One HTTPS request to the emulator, trusting its CA; resolves to the status and the parsed JSON body. */
function call(entra: EntraIdEmulator, method: string, path: string, o: { headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${entra.authorityHost}${path}`, { method, ca: entra.ca, agent: false, headers: o.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/**
 * ManagedIdentityCredential runs in a child process: MSAL keeps the managed-identity source it picks
 * (with the endpoint, the header and the first credential's HTTP client) and its token cache in statics,
 * for the life of the process, and @azure/identity is loaded by Node itself (not through vitest's module
 * graph), so vi.resetModules() cannot give a fresh one. Each child gets the App Service variables in its
 * own environment; this process's environment is never changed.
 */
/** Whether `at` (ms, possibly rounded to whole seconds) falls within the call that ran from `t0` to `t1`. */
const inCall = (at: number, t0: number, t1: number): boolean => at >= Math.floor(t0 / 1000) * 1000 && at <= Math.ceil(t1 / 1000) * 1000;

async function managedIdentityToken(env: Record<string, string>, options: 'tlsOptions' | 'none' = 'tlsOptions'): Promise<{ ok: true; token: string; expiresOnTimestamp: number } | { ok: false; name: string; message: string }> {
  const script = `
    import { ManagedIdentityCredential } from '@azure/identity';
    const credential = ${options === 'tlsOptions' ? 'new ManagedIdentityCredential({ tlsOptions: { ca: process.env.ENTRA_TEST_CA } })' : 'new ManagedIdentityCredential()'};
    try {
      const t = await credential.getToken(${JSON.stringify(SCOPE)});
      console.log(JSON.stringify({ ok: true, token: t.token, expiresOnTimestamp: t.expiresOnTimestamp }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
    }
    process.exit(0);
  `;
  const r = await runNode(['--input-type=module', '-e', script], { env, timeoutMs: 30_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('startEntraIdEmulator: the real @azure/identity gets tokens from it', () => {
  let entra: EntraIdEmulator;
  beforeAll(async () => {
    entra = await startEntraIdEmulator({ tenantId: TENANT, servicePrincipals: [APP, OTHER], managedIdentity: WEBAPP });
  });
  afterAll(() => entra?.close());

  it('ClientSecretCredential gets an RS256 v1.0 token for the OSS RDBMS scope, expiring at its exp', async () => {
    const before = entra.requests.length;
    const t0 = Date.now();
    const { token, expiresOnTimestamp, tokenType } = await secretCredential(entra, APP.clientId, APP.clientSecret).getToken(SCOPE);
    const t1 = Date.now();
    expect(tokenType).toBe('Bearer');
    const claims = claimsOf(token);
    expect(claims).toMatchObject({
      aud: RESOURCE,
      iss: `https://sts.windows.net/${TENANT}/`,
      tid: TENANT,
      oid: APP.objectId,
      sub: APP.objectId,
      appid: APP.clientId,
      app_displayname: 'orders-api',
      idtyp: 'app',
      ver: '1.0',
    });
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp - claims.iat).toBe(3600);
    // Issued during the call (iat in whole seconds), and MSAL's expiry is that call's moment plus expires_in.
    expect(inCall(claims.iat * 1000, t0, t1)).toBe(true);
    expect(inCall(expiresOnTimestamp - 3_600_000, t0, t1)).toBe(true);
    expect(headerOf(token)).toEqual({ typ: 'JWT', kid: entra.jwks.keys[0]!.kid, alg: 'RS256' });
    // What MSAL asked: the tenant's v2.0 metadata, then the token endpoint it names.
    expect(entra.requests.slice(before).map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', `/${TENANT}/v2.0/.well-known/openid-configuration`, 200],
      ['POST', `/${TENANT}/oauth2/v2.0/token`, 200],
    ]);
    expect(entra.requests.at(-1)).toMatchObject({ endpoint: 'token', grantType: 'client_credentials', clientId: APP.clientId, resource: RESOURCE, ok: true });
    expect(inspect(entra, { depth: 6 })).not.toContain(APP.clientSecret);
    expect(inspect(entra.requests, { depth: 6 })).not.toContain(token.split('.')[2]);
  });

  it('a wrong secret fails with the credential\'s own error (AADSTS7000215, invalid_client, HTTP 401)', async () => {
    const err = await secretCredential(entra, APP.clientId, 'not-the-secret').getToken(SCOPE).catch((e: unknown) => e);
    // @azure/identity 4.13.1 turns MSAL's ServerError into its AuthenticationRequiredError.
    expect(err).toBeInstanceOf(AuthenticationRequiredError);
    expect((err as Error).message).toMatch(/^invalid_client: Error\(s\): 7000215 .*AADSTS7000215: Invalid client secret provided\./);
    expect((err as Error).message).not.toContain('not-the-secret');
    expect(entra.requests.at(-1)).toMatchObject({ endpoint: 'token', clientId: APP.clientId, ok: false, status: 401, error: 'invalid_client', errorCode: 7000215, reason: 'wrong client secret' });
    expect(inspect(entra.requests, { depth: 6 })).not.toContain('not-the-secret');
  });

  it('an app the tenant does not have fails with AADSTS700016 (unauthorized_client)', async () => {
    const err = await secretCredential(entra, '44444444-5555-4666-8777-888888888888', 'x').getToken(SCOPE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationRequiredError);
    expect((err as Error).message).toMatch(/^unauthorized_client: .*AADSTS700016: Application with identifier '44444444-5555-4666-8777-888888888888' was not found in the directory/);
    expect(entra.requests.at(-1)).toMatchObject({ status: 400, error: 'unauthorized_client', errorCode: 700016 });
  });

  it('a credential without the CA does not trust the emulator', async () => {
    const credential = new ClientSecretCredential(entra.tenantId, APP.clientId, APP.clientSecret, { authorityHost: entra.authorityHost, disableInstanceDiscovery: true });
    const before = entra.requests.length;
    const err = await credential.getToken(SCOPE).catch((e: unknown) => e);
    // MSAL cannot read the OpenID configuration over a TLS connection it does not trust.
    expect(err).toBeInstanceOf(CredentialUnavailableError);
    expect((err as Error).message).toMatch(/^endpoints_resolution_error/);
    expect(entra.requests.length).toBe(before);
  });

  it.each([
    ['a scope without /.default', { scope: RESOURCE }, 400, 'invalid_scope', 1002012],
    ['two scopes', { scope: `${SCOPE} https://vault.azure.net/.default` }, 400, 'invalid_scope', 70011],
    ['no scope', { scope: '' }, 400, 'invalid_request', 900144],
    ['no grant_type', { grant_type: '' }, 400, 'invalid_request', 900144],
    ['another grant', { grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
    ['no secret', { client_secret: '' }, 401, 'invalid_client', 7000216],
  ])('answers a token request with %s as Entra does', async (_n, over, status, error, code) => {
    const fields: Record<string, string> = { grant_type: 'client_credentials', client_id: APP.clientId, client_secret: APP.clientSecret, scope: SCOPE, ...over };
    for (const [k, v] of Object.entries(fields)) if (v === '') delete fields[k];
    const r = await call(entra, 'POST', `/${TENANT}/oauth2/v2.0/token`, form(fields));
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error, error_codes: [code], trace_id: expect.any(String), correlation_id: expect.any(String), timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/) });
    expect(r.body.error_description).toMatch(new RegExp(`^AADSTS${code}: .* Trace ID: ${r.body.trace_id} Correlation ID: ${r.body.correlation_id} Timestamp: `));
    expect(entra.requests.at(-1)).toMatchObject({ endpoint: 'token', status, error, errorCode: code });
  });

  it('answers the token endpoint for another tenant, or with GET, with AADSTS90002 and AADSTS900561', async () => {
    const other = await call(entra, 'POST', '/00000000-0000-4000-8000-000000000000/oauth2/v2.0/token', form({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: APP.clientSecret, scope: SCOPE }));
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request', error_codes: [90002] } });
    expect((await call(entra, 'GET', `/${TENANT}/oauth2/v2.0/token`)).body).toMatchObject({ error: 'invalid_request', error_codes: [900561] });
  });

  it('takes client_secret_basic (HTTP Basic) as well as the form body', async () => {
    const basic = Buffer.from(`${encodeURIComponent(APP.clientId)}:${encodeURIComponent(APP.clientSecret)}`).toString('base64');
    const r = await call(entra, 'POST', `/${TENANT}/oauth2/v2.0/token`, { headers: { ...form({}).headers, authorization: `Basic ${basic}` }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE }).toString() });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: expect.any(String) });
    expect(claimsOf(r.body.access_token).oid).toBe(APP.objectId);
  });

  it('serves the OpenID configuration (v2.0 and v1.0), the JWKS and instance discovery, and 404 elsewhere', async () => {
    const v2 = await call(entra, 'GET', `/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(v2.body).toMatchObject({
      issuer: `${entra.authorityHost}/${TENANT}/v2.0`,
      token_endpoint: `${entra.authorityHost}/${TENANT}/oauth2/v2.0/token`,
      authorization_endpoint: `${entra.authorityHost}/${TENANT}/oauth2/v2.0/authorize`,
      jwks_uri: entra.jwksUri,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const v1 = await call(entra, 'GET', `/${TENANT}/.well-known/openid-configuration`);
    expect(v1.body).toMatchObject({ issuer: entra.issuer, token_endpoint: `${entra.authorityHost}/${TENANT}/oauth2/token` });
    expect((await call(entra, 'GET', new URL(entra.jwksUri).pathname)).body).toEqual(entra.jwks);
    expect(entra.jwks.keys).toEqual([{ kty: 'RSA', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' }]);
    const host = new URL(entra.authorityHost).host;
    expect((await call(entra, 'GET', '/common/discovery/instance?api-version=1.1')).body).toMatchObject({ metadata: [{ preferred_network: host, aliases: [host] }] });
    expect(await call(entra, 'GET', '/00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration')).toMatchObject({ status: 400, body: { error: 'invalid_tenant', error_codes: [90002] } });
    expect((await call(entra, 'GET', '/nowhere')).status).toBe(404);
  });

  it('each service-principal token passes verifier() for its role and fails for any other', async () => {
    const app = (await secretCredential(entra, APP.clientId, APP.clientSecret).getToken(SCOPE)).token;
    const other = (await secretCredential(entra, OTHER.clientId, OTHER.clientSecret).getToken(SCOPE)).token;
    const verify = entra.verifier({ roles: { app: APP.objectId, other_app: OTHER.objectId } });
    expect(await verify(app, 'app')).toMatchObject({ ok: true, user: 'app', objectId: APP.objectId, matchedBy: 'oid' });
    expect(await verify(other, 'other_app')).toMatchObject({ ok: true, objectId: OTHER.objectId });
    expect(await verify(app, 'other_app')).toEqual({ ok: false, reason: 'token oid is not the object id role other_app is bound to' });
    expect(await verify(other, 'app')).toEqual({ ok: false, reason: 'token oid is not the object id role app is bound to' });
    expect(await verify(app, 'nobody')).toEqual({ ok: false, reason: 'token is for another user' });
    expect(await entra.verifier({ roles: { app: APP.objectId }, byUpn: false })(app, 'nobody')).toEqual({ ok: false, reason: 'nobody is not a role bound to an object id' });
    expect(await entra.verifier({ roles: { app: APP.objectId }, audience: 'https://database.windows.net' })(app, 'app')).toEqual({ ok: false, reason: 'token audience is not https://database.windows.net' });
    expect(await entra.verifier({ roles: { app: APP.objectId }, now: () => Date.now() + 3600_000 + 6 * 60_000 })(app, 'app')).toEqual({ ok: false, reason: 'token has expired' });
    // The verifier fetched the JWKS over HTTPS once per verifier, not once per login.
    expect(entra.requests.filter((r) => r.endpoint === 'jwks' && r.path === new URL(entra.jwksUri).pathname).length).toBeGreaterThanOrEqual(1);
    const fetches = entra.requests.filter((r) => r.endpoint === 'jwks').length;
    await verify(app, 'app');
    expect(entra.requests.filter((r) => r.endpoint === 'jwks').length).toBe(fetches);
  });

  it('a token from another emulator (another key, another tenant) fails', async () => {
    const stranger = await startEntraIdEmulator({ servicePrincipals: [APP] });
    try {
      const token = (await secretCredential(stranger, APP.clientId, APP.clientSecret).getToken(SCOPE)).token;
      expect(await entra.verifier({ roles: { app: APP.objectId } })(token, 'app')).toEqual({ ok: false, reason: "no key in the JWKS has the token's kid" });
    } finally {
      await stranger.close();
    }
  });

  it('ManagedIdentityCredential (App Service variables, tlsOptions: { ca }) gets a token for the app\'s identity', async () => {
    const before = entra.requests.length;
    const t0 = Date.now();
    const r = await managedIdentityToken({ ...entra.managedIdentityEnv, ENTRA_TEST_CA: entra.ca });
    const t1 = Date.now();
    if (!r.ok) throw new Error(`${r.name}: ${r.message}`);
    const claims = claimsOf(r.token);
    expect(claims).toMatchObject({ aud: RESOURCE, iss: entra.issuer, tid: TENANT, oid: WEBAPP.objectId, sub: WEBAPP.objectId, appid: WEBAPP.clientId, appidacr: '2', idtyp: 'app', ver: '1.0' });
    expect(inCall(claims.exp * 1000 - 3_600_000, t0, t1)).toBe(true);
    expect(inCall(r.expiresOnTimestamp - 3_600_000, t0, t1)).toBe(true);
    expect(entra.requests.slice(before)).toEqual([
      { method: 'GET', path: '/msi/token', endpoint: 'managed-identity', resource: RESOURCE, clientId: WEBAPP.clientId, ok: true, status: 200 },
    ]);
    const verify = entra.verifier({ roles: { webapp: WEBAPP.objectId, app: APP.objectId } });
    expect(await verify(r.token, 'webapp')).toMatchObject({ ok: true, matchedBy: 'oid', objectId: WEBAPP.objectId });
    expect(await verify(r.token, 'app')).toEqual({ ok: false, reason: 'token oid is not the object id role app is bound to' });
  });

  it('ManagedIdentityCredential() with no options trusts the emulator through NODE_EXTRA_CA_CERTS', async () => {
    const caFile = join(tempDir('dbtoken-entra-'), 'ca.pem');
    writeFileSync(caFile, entra.ca);
    const r = await managedIdentityToken({ ...entra.managedIdentityEnv, NODE_EXTRA_CA_CERTS: caFile }, 'none');
    expect(r).toMatchObject({ ok: true });
    if (r.ok) expect(claimsOf(r.token).oid).toBe(WEBAPP.objectId);
  });

  it('refuses a wrong X-IDENTITY-HEADER (401), and the credential reports it', async () => {
    const r = await managedIdentityToken({ ...entra.managedIdentityEnv, IDENTITY_HEADER: 'not-the-header', ENTRA_TEST_CA: entra.ca });
    expect(r).toMatchObject({ ok: false, name: 'CredentialUnavailableError' });
    if (!r.ok) expect(r.message).toContain('The X-IDENTITY-HEADER header is not valid.');
    expect(entra.requests.at(-1)).toMatchObject({ endpoint: 'managed-identity', ok: false, status: 401, error: 'unauthorized', reason: 'wrong X-IDENTITY-HEADER' });
    expect(inspect(entra.requests, { depth: 6 })).not.toContain(entra.managedIdentityEnv.IDENTITY_HEADER);
  });

  it('answers the managed-identity endpoint as App Service does', async () => {
    const header = { 'x-identity-header': entra.managedIdentityEnv.IDENTITY_HEADER };
    const q = (params: Record<string, string>) => `/msi/token?${new URLSearchParams(params)}`;
    const ok = await call(entra, 'GET', q({ 'api-version': '2019-08-01', resource: RESOURCE }), { headers: header });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual(['access_token', 'expires_on', 'resource', 'token_type', 'client_id']);
    expect(ok.body).toMatchObject({ expires_on: String(claimsOf(ok.body.access_token).exp), resource: RESOURCE, token_type: 'Bearer', client_id: WEBAPP.clientId });
    expect((await call(entra, 'GET', q({ 'api-version': '2019-08-01', resource: RESOURCE, client_id: WEBAPP.clientId }), { headers: header })).status).toBe(200);
    expect((await call(entra, 'GET', q({ 'api-version': '2019-08-01', resource: RESOURCE }))).status).toBe(401);
    expect((await call(entra, 'GET', q({ 'api-version': '2017-09-01', resource: RESOURCE }), { headers: header })).status).toBe(400);
    expect((await call(entra, 'GET', q({ 'api-version': '2019-08-01' }), { headers: header })).status).toBe(400);
    const otherIdentity = await call(entra, 'GET', q({ 'api-version': '2019-08-01', resource: RESOURCE, client_id: APP.clientId }), { headers: header });
    expect(otherIdentity).toMatchObject({ status: 400, body: { statusCode: 400, message: 'Unable to load the proper Managed Identity.' } });
  });

  it('issueUserToken() makes user tokens (guests too) that log in by UPN, case-sensitively', async () => {
    const alice = entra.issueUserToken({ upn: 'alice@contoso.com', name: 'Alice Example' });
    expect(claimsOf(alice.token)).toMatchObject({ aud: RESOURCE, iss: entra.issuer, tid: TENANT, oid: alice.objectId, upn: 'alice@contoso.com', unique_name: 'alice@contoso.com', name: 'Alice Example', idtyp: 'user', ver: '1.0', scp: 'user_impersonation' });
    expect(alice.expiresOnTimestamp).toBe(claimsOf(alice.token).exp * 1000);
    const verify = entra.verifier();
    expect(await verify(alice.token, 'alice@contoso.com')).toMatchObject({ ok: true, matchedBy: 'upn', objectId: alice.objectId });
    expect(await verify(alice.token, 'Alice@contoso.com')).toEqual({ ok: false, reason: 'token is for another user' });
    const guest = entra.issueUserToken({ upn: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com' });
    expect(await verify(guest.token, 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com')).toMatchObject({ ok: true });
    expect(await verify(guest.token, 'bob@fabrikam.com')).toMatchObject({ ok: false });
    expect(() => entra.issueUserToken({ upn: 'no-at-sign' })).toThrow(ConfigError);
    expect(() => entra.issueUserToken({ upn: 'a@b', objectId: 'nope' })).toThrow(expect.objectContaining({ field: 'objectId' }));
  });

  it('rejects bad options with a ConfigError naming the field', async () => {
    const field = (p: Promise<unknown>) => p.then(() => undefined, (e: ConfigError) => (e instanceof ConfigError ? e.field : `not a ConfigError: ${e}`));
    expect(await field(startEntraIdEmulator({ tenantId: 'contoso' }))).toBe('tenantId');
    expect(await field(startEntraIdEmulator({ servicePrincipals: [{ clientId: 'x', clientSecret: 's' }] }))).toBe('servicePrincipals[0].clientId');
    expect(await field(startEntraIdEmulator({ servicePrincipals: [{ clientId: APP.clientId, clientSecret: '' }] }))).toBe('servicePrincipals[0].clientSecret');
    expect(await field(startEntraIdEmulator({ servicePrincipals: [APP, APP] }))).toBe('servicePrincipals[1].clientId');
    expect(await field(startEntraIdEmulator({ managedIdentity: { objectId: 'x' } }))).toBe('managedIdentity.objectId');
    expect(await field(startEntraIdEmulator({ tokenLifetimeMs: 59_999 }))).toBe('tokenLifetimeMs');
    expect(await field(startEntraIdEmulator({ now: 5 as never }))).toBe('now');
    expect(() => entra.verifier({ roles: { app: 'not-a-guid' } })).toThrow(expect.objectContaining({ field: 'roles.app' }));
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await expect(startEntraIdEmulator({ signal: aborted.signal })).rejects.toThrow('stop');
  });

  it('close() stops it: nothing listens, and a verifier that has its keys keeps working', async () => {
    const e = await startEntraIdEmulator({ servicePrincipals: [APP] });
    const token = (await secretCredential(e, APP.clientId, APP.clientSecret).getToken(SCOPE)).token;
    const verify = e.verifier({ roles: { app: APP.objectId } });
    expect(await verify(token, 'app')).toMatchObject({ ok: true });
    const late = e.verifier({ roles: { app: APP.objectId } });
    await e.close();
    await e.close();
    await expect(call(e, 'GET', '/common/discovery/keys')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await verify(token, 'app')).toMatchObject({ ok: true });
    expect(await late(token, 'app')).toMatchObject({ ok: false, reason: expect.stringMatching(/^could not fetch the JWKS from https:\/\/127\.0\.0\.1:\d+\/.+: /) });
  });
});

describe('verifier() as the verify hook of startVerifyingPostgres: pg logs in with Azure tokens', () => {
  let entra: EntraIdEmulator;
  let db: VerifyingPostgres;
  beforeAll(async () => {
    entra = await startEntraIdEmulator({ servicePrincipals: [APP, OTHER] });
    db = await startVerifyingPostgres({ users: ['app', 'reporting'], verify: entra.verifier({ roles: { app: APP.objectId, reporting: OTHER.objectId } }) });
  });
  afterAll(async () => {
    await db?.close();
    await entra?.close();
  });

  const connect = (user: string, password: string): Promise<pg.Client> => pgLogin(db, user, password);

  it('logs in as the role bound to the service principal\'s object id, and is refused as another role (28000)', async () => {
    const { token } = await secretCredential(entra, APP.clientId, APP.clientSecret).getToken(SCOPE);
    const c = await connect('app', token);
    try {
      expect((await c.query('select session_user as u, ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows).toEqual([{ u: 'app', ssl: true }]);
    } finally {
      await c.end();
    }
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: true });
    await expect(connect('reporting', token)).rejects.toMatchObject({ code: '28000' });
    expect(db.logins.at(-1)).toMatchObject({ user: 'reporting', ok: false, reason: 'token oid is not the object id role reporting is bound to' });
    expect(JSON.stringify(db.logins)).not.toContain(token.split('.')[2]);
  });

  it('lets a guest user log in by its #EXT# UPN, as a role of that name', async () => {
    const upn = 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com';
    await db.admin(`create role "${upn}" login in role rds_iam`);
    const c = await connect(upn, entra.issueUserToken({ upn }).token);
    expect((await c.query('select session_user as u')).rows).toEqual([{ u: upn }]);
    await c.end();
    await expect(connect(upn, entra.issueUserToken({ upn: 'carol@contoso.com' }).token)).rejects.toMatchObject({ code: '28000' });
    expect(db.logins.at(-1)).toMatchObject({ user: upn, ok: false, reason: 'token is for another user' });
  });
});

it("docs/testing.md's Entra example runs as written (against the sources), logs in with pg, and its process exits by itself", async () => {
  const r = await runDocsTestingExample('## Azure: `startEntraIdEmulator()`');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe("[ { session_user: 'app' } ]");
}, 150_000);
