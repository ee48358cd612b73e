import { createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as common from 'oci-common';
import { DataplaneClient } from 'oci-identitydataplane';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ociKeyFingerprint } from '../../src/testing/heatwave/server.js';
import { issueSecurityToken, startOciIdentityEmulator, type OciIdentityEmulator } from '../../src/testing/oci-identity/server.js';
import { ecKeyPairSync, rsaKeyPairSync } from '../../src/testing/key-pairs.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancyone';
const OTHER_TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancytwo';
const ALICE = 'ocid1.user.oc1..aaaaaaaaalice';
const BOB = 'ocid1.user.oc1..aaaaaaaabob';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaacompartment';
const ADB = 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaadatabase';
const FUNCTION = 'ocid1.fnfunc.oc1.iad.aaaaaaaafunction';
const ALL = 'urn:oracle:db::id::*';

interface Keys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
  fingerprint: string;
}

function rsaKeys(bits = 2048): Keys {
  const { privateKey, publicKey } = rsaKeyPairSync(bits);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKey, privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem, fingerprint: ociKeyFingerprint(publicPem) };
}

const alice = rsaKeys();
const stranger = rsaKeys();
const issuer = rsaKeys();
const session = rsaKeys();
const resource = rsaKeys();
const dbKey = rsaKeys(); // what `oci iam db-token get` generates and sends
const smallKey = rsaKeys(1024);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

let dir: string;
let emulator: OciIdentityEmulator;

/** Writes an OCI config file with one profile; returns its path. */
function writeConfig(name: string, lines: Record<string, string>): string {
  const file = join(dir, `${name}.config`);
  writeFileSync(file, ['[DEFAULT]', ...Object.entries(lines).map(([k, v]) => `${k}=${v}`), ''].join('\n'), { mode: 0o600 });
  return file;
}

function writeSecret(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function apiKeyConfig(keys: Keys, user = ALICE): string {
  return writeConfig(`api-${keys.fingerprint.replace(/:/g, '')}-${user.slice(-5)}`, {
    user,
    tenancy: TENANCY,
    fingerprint: keys.fingerprint,
    key_file: writeSecret(`api-${keys.fingerprint.replace(/:/g, '')}.pem`, keys.privatePem),
    region: 'us-ashburn-1',
  });
}

let sessionFiles = 0;
function sessionConfig(token: string, keys: Keys = session): string {
  const n = ++sessionFiles;
  return writeConfig(`session-${n}`, {
    tenancy: TENANCY,
    fingerprint: keys.fingerprint,
    key_file: writeSecret(`session-${n}.pem`, keys.privatePem),
    security_token_file: writeSecret(`session-${n}.token`, token), // no trailing newline, like the OCI CLI
    region: 'us-ashburn-1',
  });
}

/** Runs `fn` with a DataplaneClient aimed at the emulator's `region`, and always closes the client. */
async function withClient<T>(provider: common.AuthenticationDetailsProvider, region: string | undefined, fn: (client: DataplaneClient) => Promise<T>): Promise<T> {
  const client = new DataplaneClient({ authenticationDetailsProvider: provider });
  // The provider's region points the client at auth.<region>.oraclecloud.com; aim it at the emulator.
  client.endpoint = region === undefined ? emulator.url : emulator.endpointFor(region);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** Asks the emulator for a db-token through the SDK; `region` null aims at the emulator's base URL (no prefix). */
function getToken(provider: common.AuthenticationDetailsProvider, scope = ALL, publicKey = dbKey.publicPem, region: string | null = 'us-ashburn-1') {
  return withClient(provider, region ?? undefined, (client) => client.generateScopedAccessToken({ generateScopedAccessTokenDetails: { scope, publicKey } }));
}

/** Checks an issued db-token's RS256 signature against the emulator's key; returns its header and claims. */
function verifyDbToken(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p, s] = token.split('.') as [string, string, string];
  expect(verify('sha256', Buffer.from(`${h}.${p}`), emulator.publicKey, Buffer.from(s, 'base64url'))).toBe(true);
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

const last = () => emulator.requests.at(-1)!;

beforeAll(async () => {
  // oci-common console.warns every failed call ("Request cannot be retried. …"); keep the expected ones quiet.
  const warn = console.warn.bind(console);
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^(Request cannot be retried|All retry attempts have exhausted)/.test(args[0])) return;
    warn(...args);
  });
  dir = mkdtempSync(join(tmpdir(), 'dbtoken-oci-identity-'));
  emulator = await startOciIdentityEmulator({
    tenancies: [
      { ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }, { ocid: BOB, apiKeys: [] }] },
      { ocid: OTHER_TENANCY },
    ],
    tokenIssuer: { publicKey: issuer.publicPem },
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('API key (ConfigFileAuthenticationDetailsProvider)', () => {
  it('issues a db-token signed by the emulator, for the caller and the public key sent', async () => {
    const before = Math.floor(Date.now() / 1000);
    const provider = new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT');
    const response = await getToken(provider);
    const { header, claims } = verifyDbToken(response.securityToken.token);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'emulator' });
    expect(claims).toMatchObject({ sub: ALICE, tenant: TENANCY, scope: ALL, iss: 'emulator', region: 'us-ashburn-1' });
    expect(claims.jwk).toEqual(dbKey.publicKey.export({ format: 'jwk' }));
    expect(createPublicKey({ key: claims.jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' })).toBe(dbKey.publicPem);
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(typeof claims.jti).toBe('string');
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/us-ashburn-1/v1/actions/generateScopedAccessToken',
      region: 'us-ashburn-1',
      keyIdKind: 'api_key',
      tenancy: TENANCY,
      principal: ALICE,
      scope: ALL,
      publicKeyFingerprint: dbKey.fingerprint,
      ok: true,
      status: 200,
    });
    expect(last().reason).toBeUndefined();
    // opc-request-id: the SDK's own id, echoed with the server's part.
    expect(response.opcRequestId).toBe(last().requestId);
    expect(Object.isFrozen(last())).toBe(true);
  });

  it('accepts every scope shape: tenancy, compartment, compartment::database, and path scopes by name', async () => {
    const provider = new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT');
    for (const scope of [
      `urn:oracle:db::id::${OTHER_TENANCY}`,
      `urn:oracle:db::id::${COMPARTMENT}`,
      `urn:oracle:db::id::${COMPARTMENT}::${ADB}`,
      'urn:oracle:db::path::acme',
      'urn:oracle:db::path::acme:sales',
      'urn:oracle:db::path::acme:sales:eu',
      `urn:oracle:db::path::acme:sales::${ADB}`,
      `urn:oracle:db::path::acme::${ADB}`,
    ]) {
      const response = await getToken(provider, scope);
      expect(verifyDbToken(response.securityToken.token).claims.scope).toBe(scope);
      expect(last()).toMatchObject({ scope, ok: true });
    }
  });

  it('refuses a key that is not registered: 401 NotAuthenticated as an OciError', async () => {
    const provider = new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(stranger), 'DEFAULT');
    const err = await getToken(provider).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(common.OciError);
    expect(err).toMatchObject({ statusCode: 401, serviceCode: 'NotAuthenticated' });
    expect(last()).toMatchObject({ keyIdKind: 'api_key', tenancy: TENANCY, principal: ALICE, ok: false, status: 401, reason: 'no such API key for this user' });
  });

  it("refuses Alice's key under another user's keyId", async () => {
    const provider = new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice, BOB), 'DEFAULT');
    await expect(getToken(provider)).rejects.toMatchObject({ statusCode: 401 });
    expect(last()).toMatchObject({ principal: BOB, status: 401, reason: 'no such API key for this user' });
  });
});

describe('security token (SessionAuthDetailProvider)', () => {
  it('verifies the ST$ keyId: the token against the issuer, the request against its jwk', async () => {
    const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: TENANCY, exp: inAnHour(), publicKey: session.publicKey });
    const provider = new common.SessionAuthDetailProvider(sessionConfig(token), 'DEFAULT');
    const response = await getToken(provider);
    expect(verifyDbToken(response.securityToken.token).claims).toMatchObject({ sub: ALICE, tenant: TENANCY, scope: ALL });
    expect(last()).toMatchObject({ keyIdKind: 'security_token', tenancy: TENANCY, principal: ALICE, ok: true, status: 200 });
  });

  it('accepts a jwk claim given as a JSON string, as OCI writes it', async () => {
    const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: TENANCY, exp: inAnHour(), publicKey: session.privatePem, jwkAsString: true });
    expect(typeof JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jwk).toBe('string');
    const provider = new common.SessionAuthDetailProvider(sessionConfig(token), 'DEFAULT');
    await expect(getToken(provider)).resolves.toBeDefined();
    expect(last()).toMatchObject({ keyIdKind: 'security_token', ok: true });
  });

  it('refuses an expired security token', async () => {
    const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: TENANCY, exp: Math.floor(Date.now() / 1000) - 1, publicKey: session.publicKey });
    const provider = new common.SessionAuthDetailProvider(sessionConfig(token), 'DEFAULT');
    await expect(getToken(provider)).rejects.toMatchObject({ statusCode: 401, serviceCode: 'NotAuthenticated' });
    expect(last()).toMatchObject({ keyIdKind: 'security_token', ok: false, status: 401, reason: 'security token has expired' });
  });

  it('refuses a token from another issuer, and a request signed with a key other than the jwk', async () => {
    const forged = issueSecurityToken({ issuerKey: stranger.privateKey, sub: ALICE, tenant: TENANCY, exp: inAnHour(), publicKey: session.publicKey });
    await expect(getToken(new common.SessionAuthDetailProvider(sessionConfig(forged), 'DEFAULT'))).rejects.toMatchObject({ statusCode: 401 });
    expect(last().reason).toBe('security token signature does not verify');

    const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: TENANCY, exp: inAnHour(), publicKey: session.publicKey });
    await expect(getToken(new common.SessionAuthDetailProvider(sessionConfig(token, stranger), 'DEFAULT'))).rejects.toMatchObject({ statusCode: 401 });
    expect(last()).toMatchObject({ principal: ALICE, tenancy: TENANCY, reason: 'signature does not verify' });
  });

  it('refuses a token for a tenancy the emulator does not know', async () => {
    const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: 'ocid1.tenancy.oc1..aaaaaaaaunknown', exp: inAnHour(), publicKey: session.publicKey });
    await expect(getToken(new common.SessionAuthDetailProvider(sessionConfig(token), 'DEFAULT'))).rejects.toMatchObject({ statusCode: 401 });
    expect(last().reason).toBe('security token tenancy is not known');
  });
});

describe('resource principal (ResourcePrincipalAuthenticationDetailsProvider)', () => {
  const VARS = ['OCI_RESOURCE_PRINCIPAL_VERSION', 'OCI_RESOURCE_PRINCIPAL_RPST', 'OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM', 'OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE', 'OCI_RESOURCE_PRINCIPAL_REGION'];
  const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  afterEach(() => {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });

  const rpst = () =>
    issueSecurityToken({
      issuerKey: issuer.privateKey,
      sub: FUNCTION,
      exp: inAnHour(),
      publicKey: resource.publicKey,
      // No `tenant` claim: the emulator falls back to `res_tenant`.
      claims: { ptype: 'resource', res_type: 'fnfunc', res_tenant: TENANCY, res_compartment: COMPARTMENT },
    });

  it('works with the RPST and the private key in the environment', async () => {
    process.env.OCI_RESOURCE_PRINCIPAL_VERSION = '2.2';
    process.env.OCI_RESOURCE_PRINCIPAL_RPST = rpst();
    process.env.OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM = resource.privatePem;
    process.env.OCI_RESOURCE_PRINCIPAL_REGION = 'us-ashburn-1';
    const provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
    expect(await provider.getStringClaim('res_tenant')).toBe(TENANCY);
    const response = await getToken(provider, `urn:oracle:db::id::${COMPARTMENT}::${ADB}`);
    expect(verifyDbToken(response.securityToken.token).claims).toMatchObject({ sub: FUNCTION, tenant: TENANCY });
    expect(last()).toMatchObject({ keyIdKind: 'security_token', tenancy: TENANCY, principal: FUNCTION, ok: true });
  });

  it('works with the RPST and the private key in files (absolute paths)', async () => {
    process.env.OCI_RESOURCE_PRINCIPAL_VERSION = '2.2';
    process.env.OCI_RESOURCE_PRINCIPAL_RPST = writeSecret('rpst', rpst());
    process.env.OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM = writeSecret('rp.pem', resource.privatePem);
    process.env.OCI_RESOURCE_PRINCIPAL_REGION = 'eu-frankfurt-1';
    const provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
    const response = await getToken(provider, ALL, dbKey.publicPem, 'eu-frankfurt-1');
    expect(verifyDbToken(response.securityToken.token).claims).toMatchObject({ sub: FUNCTION, region: 'eu-frankfurt-1' });
    expect(last()).toMatchObject({ region: 'eu-frankfurt-1', principal: FUNCTION, ok: true });
  });
});

describe('regions', () => {
  const provider = () => new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT');

  it('serves each region under its own prefix, and records it', async () => {
    const response = await getToken(provider(), ALL, dbKey.publicPem, 'eu-frankfurt-1');
    expect(verifyDbToken(response.securityToken.token).claims.region).toBe('eu-frankfurt-1');
    expect(last()).toMatchObject({ path: '/eu-frankfurt-1/v1/actions/generateScopedAccessToken', region: 'eu-frankfurt-1', ok: true });
  });

  it('sends a request without a prefix to the first region', async () => {
    await getToken(provider(), ALL, dbKey.publicPem, null);
    expect(last()).toMatchObject({ path: '/v1/actions/generateScopedAccessToken', region: 'us-ashburn-1', ok: true });
  });

  it('answers 404 for a region it does not serve', async () => {
    await expect(getToken(provider(), ALL, dbKey.publicPem, 'ap-tokyo-1')).rejects.toMatchObject({ statusCode: 404, serviceCode: 'NotFound' });
    expect(last()).toMatchObject({ region: 'ap-tokyo-1', ok: false, status: 404 });
  });
});

describe('body validation', () => {
  const provider = () => new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT');

  it.each([
    ['not-a-urn'],
    ['urn:oracle:db::id::'],
    [`urn:oracle:db::id::${ALICE}`],
    [`urn:oracle:db::id::${ADB}`],
    [`urn:oracle:db::id::${COMPARTMENT}::${COMPARTMENT}`],
    [`urn:oracle:db::id::${COMPARTMENT}::${ADB}::x`],
    ['urn:oracle:db::id::ocid1.tenancy.oc1..x'],
    ['urn:oracle:db::path::'],
    ['urn:oracle:db::path::*'],
    [`urn:oracle:db::path::${COMPARTMENT}`],
    ['urn:oracle:db::path::acme:'],
    ['urn:oracle:db::path::acme:sales::'],
    ['urn:oracle:db::path::acme:sales::mydb'],
    [`urn:oracle:db::path::acme::${COMPARTMENT}`],
    [`urn:oracle:db::path::acme::${ADB}::x`],
  ])('refuses the scope %s with 400 InvalidParameter', async (scope) => {
    await expect(getToken(provider(), scope)).rejects.toMatchObject({ statusCode: 400, serviceCode: 'InvalidParameter' });
    expect(last()).toMatchObject({ scope, principal: ALICE, ok: false, status: 400 });
  });

  it('refuses a 1024-bit public key', async () => {
    await expect(getToken(provider(), ALL, smallKey.publicPem)).rejects.toMatchObject({ statusCode: 400, serviceCode: 'InvalidParameter' });
    expect(last()).toMatchObject({ ok: false, status: 400, reason: 'publicKey must have at least 2048 bits', publicKeyFingerprint: smallKey.fingerprint });
  });

  it('refuses a public key that is not SPKI PEM', async () => {
    const pkcs1 = dbKey.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    await expect(getToken(provider(), ALL, pkcs1)).rejects.toMatchObject({ statusCode: 400 });
    await expect(getToken(provider(), ALL, 'hello')).rejects.toMatchObject({ statusCode: 400 });
    const ec = ecKeyPairSync().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(getToken(provider(), ALL, ec)).rejects.toMatchObject({ statusCode: 400 });
    expect(last().reason).toBe('publicKey must be an RSA key');
  });
});

describe('hand-made requests signed by the real oci-common signer', () => {
  const path = '/us-ashburn-1/v1/actions/generateScopedAccessToken';

  /** Signs a request with oci-common's DefaultRequestSigner, exactly as DataplaneClient would, without sending it. */
  async function signed(body: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const provider = new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT');
    const headers = new Headers({ 'content-type': 'application/json', ...extra });
    await new common.DefaultRequestSigner(provider).signHttpRequest({ method: 'POST', uri: `${emulator.url}${path}`, headers, body });
    return Object.fromEntries(headers.entries());
  }

  function send(headers: Record<string, string>, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${emulator.url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const body = JSON.stringify({ scope: ALL, publicKey: dbKey.publicPem });

  it('signs x-date, (request-target), host, Content-Type, Content-Length, x-content-sha256 (and adds Date)', async () => {
    const headers = await signed(body);
    expect(headers.authorization).toMatch(/^Signature version="1",keyId="[^"]+",algorithm="rsa-sha256",headers="x-date \(request-target\) host Content-Type Content-Length x-content-sha256",signature="[A-Za-z0-9+/=]+"$/);
    expect(headers.authorization).toContain(`keyId="${TENANCY}/${ALICE}/${alice.fingerprint}"`);
    expect(headers['x-content-sha256']).toBe(createHash('sha256').update(body).digest('base64'));
    expect(headers.date).toBeDefined();
    const res = await send(headers, body);
    expect(res.status).toBe(200); // replaying the untouched request works, so the refusals below are the tampering's
  });

  it('refuses a tampered body (same length, same headers) with 401', async () => {
    const headers = await signed(body);
    const tampered = body.replace('::*', '::_');
    expect(tampered.length).toBe(body.length);
    const res = await send(headers, tampered);
    expect(res).toEqual({ status: 401, json: { code: 'NotAuthenticated', message: 'x-content-sha256 does not match the body' } });
    expect(last()).toMatchObject({ ok: false, status: 401, principal: ALICE });
  });

  it('refuses a tampered body whose x-content-sha256 was recomputed: the signature breaks', async () => {
    const headers = await signed(body);
    const tampered = body.replace('::*', '::_');
    const res = await send({ ...headers, 'x-content-sha256': createHash('sha256').update(tampered).digest('base64') }, tampered);
    expect(res.status).toBe(401);
    expect(last().reason).toBe('signature does not verify');
  });

  it('refuses a request signed more than 5 minutes ago', async () => {
    const headers = await signed(body, { 'x-date': new Date(Date.now() - 6 * 60_000).toUTCString() });
    const res = await send(headers, body);
    expect(res.status).toBe(401);
    expect(last().reason).toBe("the x-date header is more than 5 minutes from the server's clock");
  });

  it('refuses a signature that leaves out a required header', async () => {
    const headers = await signed(body);
    const res = await send({ ...headers, authorization: headers.authorization!.replace(' x-content-sha256"', '"') }, body);
    expect(res.status).toBe(401);
    expect(last().reason).toBe('the signature does not cover x-content-sha256');
  });

  it('refuses an unsigned request', async () => {
    const res = await send({ 'content-type': 'application/json' }, body);
    expect(res).toEqual({ status: 401, json: { code: 'NotAuthenticated', message: 'the request is not signed (no authorization header)' } });
    expect(last().keyIdKind).toBeUndefined();
  });
});

describe('other requests', () => {
  it('answers 404 for other paths, 405 for other methods, 413 for huge bodies, with OCI-style JSON', async () => {
    const other = await fetch(`${emulator.url}/v1/users`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'NotFound' });
    expect(other.headers.get('opc-request-id')).toBe(last().requestId);
    expect(last()).toMatchObject({ method: 'GET', path: '/v1/users', status: 404, ok: false });
    expect(last().region).toBeUndefined();

    const get = await fetch(emulator.endpointFor('us-ashburn-1') + '/v1/actions/generateScopedAccessToken');
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ code: 'MethodNotAllowed' });

    const huge = await fetch(emulator.endpointFor('us-ashburn-1') + '/v1/actions/generateScopedAccessToken', { method: 'POST', body: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ code: 'RequestEntityTooLarge' });
  });
});

describe('records and lifecycle', () => {
  it('never records tokens, signatures or keys', async () => {
    const token = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: TENANCY, exp: inAnHour(), publicKey: session.publicKey });
    const response = await getToken(new common.SessionAuthDetailProvider(sessionConfig(token), 'DEFAULT'));
    const printed = JSON.stringify(emulator.requests);
    expect(printed).not.toContain(token.split('.')[2]!);
    expect(printed).not.toContain(response.securityToken.token.split('.')[2]!);
    expect(printed).not.toContain('Signature');
    expect(printed).not.toContain('-----BEGIN');
  });

  it('checks its setup: a fingerprint that does not match the key is a TypeError', async () => {
    await expect(
      startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: stranger.fingerprint, publicKey: alice.publicPem }] }] }] }),
    ).rejects.toThrow(TypeError);
    await expect(startOciIdentityEmulator({ tenancies: [], regions: [] })).rejects.toThrow(TypeError);
  });

  it('uses the given signing key, lifetime and clock', async () => {
    const signingKey = rsaKeys();
    const clock = Date.now() + 60_000;
    const own = await startOciIdentityEmulator({
      tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }],
      signingKey: signingKey.privatePem,
      tokenLifetimeSeconds: 120,
      now: () => clock,
    });
    try {
      expect(own.publicKey).toBe(signingKey.publicPem);
      expect(own.endpointFor('us-ashburn-1')).toBe(`${own.url}/us-ashburn-1`);
      const client = new DataplaneClient({ authenticationDetailsProvider: new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT') });
      client.endpoint = own.endpointFor('us-ashburn-1');
      try {
        const response = await client.generateScopedAccessToken({ generateScopedAccessTokenDetails: { scope: ALL, publicKey: dbKey.publicPem } });
        const [h, p, s] = response.securityToken.token.split('.') as [string, string, string];
        expect(verify('sha256', Buffer.from(`${h}.${p}`), signingKey.publicKey, Buffer.from(s, 'base64url'))).toBe(true);
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        expect(claims.iat).toBe(Math.floor(clock / 1000));
        expect(claims.exp).toBe(Math.floor(clock / 1000) + 120);
      } finally {
        client.close();
      }
    } finally {
      await own.close();
    }
  });

  it('waits latencyMs before answering', async () => {
    const slow = await startOciIdentityEmulator({
      tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }],
      latencyMs: 200,
    });
    const client = new DataplaneClient({ authenticationDetailsProvider: new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT') });
    client.endpoint = slow.endpointFor('us-ashburn-1');
    try {
      const started = performance.now();
      await client.generateScopedAccessToken({ generateScopedAccessTokenDetails: { scope: ALL, publicKey: dbKey.publicPem } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(190); // a busy machine only makes this longer
      expect(slow.requests.map((r) => r.status)).toEqual([200]);
    } finally {
      client.close();
      await slow.close();
    }
  });

  it('close() drops a request in its latency window and keep-alive connections, without waiting for them', async () => {
    // A latency far past this test's own timeout: had close() waited for it, the test would fail.
    const slow = await startOciIdentityEmulator({
      tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }],
      latencyMs: 600_000,
    });
    const client = new DataplaneClient({ authenticationDetailsProvider: new common.ConfigFileAuthenticationDetailsProvider(apiKeyConfig(alice), 'DEFAULT') });
    client.endpoint = slow.endpointFor('us-ashburn-1');
    try {
      const pending = client.generateScopedAccessToken({ generateScopedAccessTokenDetails: { scope: ALL, publicKey: dbKey.publicPem } }).catch((e: unknown) => e);
      await vi.waitFor(() => expect(slow.requests.length).toBeGreaterThan(0), { timeout: 10_000 }); // answered, now in its latency window
      await slow.close();
      // The request in its latency window was dropped, not answered. (The SDK throws network errors as
      // plain objects { code, message, requestEndpoint, troubleshootingPage }, not as Error instances.)
      const dropped = await pending;
      expect(dropped).not.toHaveProperty('securityToken');
      expect(dropped).toMatchObject({ message: expect.any(String) });
      await slow.close(); // idempotent
    } finally {
      client.close();
      await slow.close();
    }
  });

});

describe('the IAM directory that databases read', () => {
  it('users with names, domains and groups; instance and resource principals in dynamic groups', async () => {
    const iam = await startOciIdentityEmulator({
      tenancies: [
        {
          ocid: TENANCY,
          users: [
            { ocid: ALICE, name: 'alice@example.com', groups: ['db_users', 'sales_domain/db_sales'], apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] },
            { ocid: BOB, name: 'bob', domain: 'sales_domain', groups: ['db_sales', 'Default/everyone'] },
          ],
          dynamicGroups: [
            { name: 'adb_functions', members: [FUNCTION] },
            { name: 'all_apps', domain: 'apps', members: [FUNCTION, 'ocid1.instance.oc1.iad.aaaavm'] },
          ],
        },
        { ocid: OTHER_TENANCY },
      ],
    });
    try {
      expect(iam.principal(ALICE)).toEqual({
        ocid: ALICE,
        tenancy: TENANCY,
        kind: 'user',
        name: 'alice@example.com',
        groups: [{ name: 'db_users' }, { name: 'db_sales', domain: 'sales_domain' }],
      });
      // A bare group is in the user's own domain; "Default" is the Default domain, written as none.
      expect(iam.principal(BOB)).toEqual({ ocid: BOB, tenancy: TENANCY, kind: 'user', name: 'bob', domain: 'sales_domain', groups: [{ name: 'db_sales', domain: 'sales_domain' }, { name: 'everyone' }] });
      expect(iam.principal(FUNCTION)).toEqual({ ocid: FUNCTION, tenancy: TENANCY, kind: 'resource', groups: [{ name: 'adb_functions' }, { name: 'all_apps', domain: 'apps' }] });
      expect(iam.principal('ocid1.instance.oc1.iad.aaaavm')?.groups).toEqual([{ name: 'all_apps', domain: 'apps' }]);
      expect(iam.principal('ocid1.user.oc1..nobody')).toBeUndefined();
      expect(Object.isFrozen(iam.principal(ALICE))).toBe(true);
    } finally {
      await iam.close();
    }
  });

  it.each([
    ['a principal in two tenancies', [{ ocid: TENANCY, users: [{ ocid: ALICE }] }, { ocid: OTHER_TENANCY, users: [{ ocid: ALICE }] }], /two tenancies/],
    ['a user in a dynamic group', [{ ocid: TENANCY, users: [{ ocid: ALICE }], dynamicGroups: [{ name: 'd', members: [ALICE] }] }], /is a user/],
    ['a group name with two slashes', [{ ocid: TENANCY, users: [{ ocid: ALICE, groups: ['a/b/c'] }] }], /group name/],
    ['an empty name', [{ ocid: TENANCY, users: [{ ocid: ALICE, name: '' }] }], /non-empty/],
    ['a dynamic group without members', [{ ocid: TENANCY, dynamicGroups: [{ name: 'd' }] }], /needs members/],
  ])('checks the directory at start: %s is a TypeError', async (_n, tenancies, message) => {
    await expect(startOciIdentityEmulator({ tenancies } as never)).rejects.toThrow(message);
  });
});
