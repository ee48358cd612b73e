import { createPublicKey, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, TokenUnavailableError, type TokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { issueSecurityToken, startOciIdentityEmulator, type OciIdentityEmulator } from 'dbtoken/testing';
import { rsaKeys, tempDir, writeProfile } from '../helpers/oci-files.js';

const TENANCY_A = 'ocid1.tenancy.oc1..aaaatenancy'; // the user's (writeProfile's) tenancy
const TENANCY_B = 'ocid1.tenancy.oc1..aaaatenancyb0000000000000000000000000000000000000000000000';
const COMP_B = 'ocid1.compartment.oc1..aaaacompartmentb000000000000000000000000000000000000000000';
const ADB_B = 'ocid1.autonomousdatabase.oc1.eu-frankfurt-1.anuwcljrdatabaseb0000000000000000000000000';
const ALICE = 'ocid1.user.oc1..aaaaalice';
const FN = 'ocid1.fnfunc.oc1.iad.aaaafunction00000000000000000000000000000000000000000000000000';

const alice = rsaKeys();
const stranger = rsaKeys();
const session = rsaKeys();
const issuer = rsaKeys();
let iam: OciIdentityEmulator;
const providers: TokenProvider[] = [];

function b64json(part: string) {
  return JSON.parse(Buffer.from(part, 'base64url').toString());
}
function jwtClaims(token: string) {
  return b64json(token.split('.')[1]!);
}
function keyMatchesJwk(privateKeyPem: string, jwk: object) {
  const fromKey = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  const fromJwk = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromJwk);
}
/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
function provider(...args: Parameters<typeof ociDbToken>) {
  const p = ociDbToken(...args);
  providers.push(p);
  return p;
}

beforeAll(async () => {
  iam = await startOciIdentityEmulator({
    tenancies: [
      { ocid: TENANCY_A, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] },
      { ocid: TENANCY_B },
    ],
    tokenIssuer: { publicKey: issuer.publicPem },
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
});
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await iam?.close();
});

describe('ociDbToken against the OCI Identity Data Plane emulator, through the real oci-common signer', () => {
  it('api_key: a db-token whose privateKey matches the public key that was sent, expiring at its exp', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const p = provider({ scope: ociScope.tenancy(TENANCY_A), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1') });
    const t = await p.getToken();
    const claims = jwtClaims(t.token);
    expect(claims).toMatchObject({ sub: ALICE, tenant: TENANCY_A, scope: `urn:oracle:db::id::${TENANCY_A}` });
    expect(t.expiresAt.getTime()).toBe(claims.exp * 1000);
    expect(t.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keyMatchesJwk(t.privateKey!, claims.jwk)).toBe(true);
    // The token is really the emulator's: its RS256 signature verifies.
    const [h, pl, sig] = t.token.split('.') as [string, string, string];
    expect(verify('sha256', Buffer.from(`${h}.${pl}`), createPublicKey(iam.publicKey), Buffer.from(sig, 'base64url'))).toBe(true);
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, keyIdKind: 'api_key', region: 'us-ashburn-1', tenancy: TENANCY_A, principal: ALICE });
    expect(inspect(t)).not.toContain('PRIVATE KEY');
  });

  it.each([
    ['tenancy', () => ociScope.tenancy(TENANCY_A)],
    ['compartment', () => ociScope.compartment(COMP_B)],
    ['database', () => ociScope.database(COMP_B, ADB_B)],
    ['all', () => ociScope.all()],
    ['a path, by name', () => ociScope.path({ tenancy: 'acme', compartment: 'sales', database: ADB_B })],
  ])('scope URN for %s reaches IAM as built', async (_n, scope) => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const p = provider({ scope: scope(), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1') });
    const t = await p.getToken();
    expect(iam.requests.at(-1)!.scope).toBe(scope());
    expect(jwtClaims(t.token).scope).toBe(scope());
  });

  it('cross-tenancy in another region: the request goes to that region\'s endpoint with the other tenancy\'s scope', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice }); // home region us-ashburn-1, tenancy A
    const p = provider({
      scope: ociScope.database(COMP_B, ADB_B),
      region: 'eu-frankfurt-1',
      auth: { type: 'api_key', configFile },
      endpoint: `${iam.url}/{region}`,
    });
    await p.getToken();
    expect(iam.requests.at(-1)).toMatchObject({
      ok: true,
      region: 'eu-frankfurt-1',
      tenancy: TENANCY_A,
      principal: ALICE,
      scope: `urn:oracle:db::id::${COMP_B}::${ADB_B}`,
    });
  });

  it('security_token: a session from `oci session authenticate`', async () => {
    const dir = tempDir();
    const upst = issueSecurityToken({ issuerKey: issuer.privateKey, sub: ALICE, tenant: TENANCY_A, exp: Math.floor(Date.now() / 1000) + 3600, publicKey: session.publicKey });
    const { configFile } = writeProfile(dir, { keys: session, token: upst, profile: 'session' });
    const p = provider({ scope: ociScope.all(), auth: { type: 'security_token', configFile, profile: 'session' }, endpoint: iam.endpointFor('us-ashburn-1') });
    const t = await p.getToken();
    expect(jwtClaims(t.token).sub).toBe(ALICE);
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, keyIdKind: 'security_token', principal: ALICE });
  });

  it('resource_principal: OCI Functions\' OCI_RESOURCE_PRINCIPAL_* variables', async () => {
    const dir = tempDir();
    const fnKey = rsaKeys();
    const rpst = issueSecurityToken({
      issuerKey: issuer.privateKey,
      sub: FN,
      exp: Math.floor(Date.now() / 1000) + 3600,
      publicKey: fnKey.publicKey,
      claims: { res_tenant: TENANCY_A, res_compartment: COMP_B },
    });
    writeFileSync(join(dir, 'rpst'), rpst);
    writeFileSync(join(dir, 'key.pem'), fnKey.privatePem);
    vi.stubEnv('OCI_RESOURCE_PRINCIPAL_VERSION', '2.2');
    vi.stubEnv('OCI_RESOURCE_PRINCIPAL_RPST', join(dir, 'rpst'));
    vi.stubEnv('OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM', join(dir, 'key.pem'));
    vi.stubEnv('OCI_RESOURCE_PRINCIPAL_REGION', 'us-ashburn-1');
    try {
      const p = provider({ scope: ociScope.compartment(COMP_B), auth: { type: 'resource_principal' }, endpoint: iam.endpointFor('us-ashburn-1') });
      const t = await p.getToken();
      expect(jwtClaims(t.token).sub).toBe(FN);
      expect(iam.requests.at(-1)).toMatchObject({ ok: true, keyIdKind: 'security_token', principal: FN, tenancy: TENANCY_A });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a request signed with an unregistered key is refused, surfacing as TokenUnavailableError with the cause, not retried', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {}); // the SDK's own retry notices
    const { configFile } = writeProfile(tempDir(), { keys: stranger });
    const p = provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1') }, { retry: { attempts: 3, baseMs: 1 } });
    const before = iam.requests.length;
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).cause).toMatchObject({ statusCode: 401, serviceCode: 'NotAuthenticated' });
    expect(iam.requests.length - before).toBe(1); // a 401 will not get better by retrying
    expect(iam.requests.at(-1)).toMatchObject({ ok: false, status: 401 });
  });

  it.each(['127.0.0.1', 'localhost'])('an IAM that refuses connections (%s): the message names the endpoint and ECONNREFUSED, and the cause carries the code', async (host) => {
    const port = await closedPort();
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const endpoint = `http://${host}:${port}`;
    const p = provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile }, endpoint }, { retry: { attempts: 1 } });
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).message).toContain(`IAM at ${endpoint} cannot be reached: connect ECONNREFUSED`);
    expect((err as Error).cause).toMatchObject({ name: 'OciRequestError', code: 'ECONNREFUSED', message: expect.stringContaining(endpoint) });
  });

  it('each refresh uses a new key pair, made ahead of time, and every token pairs with its own key', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const p = provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1') });
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(await p.getToken({ forceRefresh: true }));
    const keys = new Set(tokens.map((t) => t.privateKey));
    expect(keys.size).toBe(3);
    for (const t of tokens) expect(keyMatchesJwk(t.privateKey!, jwtClaims(t.token).jwk)).toBe(true);
    const fingerprints = iam.requests.slice(-3).map((r) => r.publicKeyFingerprint);
    expect(new Set(fingerprints).size).toBe(3);
  });

  it('keySize 3072 makes 3072-bit keys', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: alice });
    const p = provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1'), keySize: 3072 });
    const t = await p.getToken();
    expect(createPublicKey(t.privateKey!).asymmetricKeyDetails?.modulusLength).toBe(3072);
  });
});

describe('ociDbToken: bad configuration is a ConfigError before any call', () => {
  const dir = tempDir();
  const { configFile } = writeProfile(dir, { keys: alice });
  const noRegion = join(dir, 'no-region');
  writeFileSync(noRegion, `[DEFAULT]\nuser=${ALICE}\ntenancy=${TENANCY_A}\nfingerprint=${alice.fingerprint}\nkey_file=${join(dir, 'DEFAULT-key.pem')}\n`);
  const apiKey = { type: 'api_key' as const, configFile };
  const cases: [string, string, () => unknown][] = [
    ['no config', 'config', () => ociDbToken(undefined as never)],
    ['a missing scope', 'scope', () => ociDbToken({ auth: apiKey } as never)],
    ['a scope that is no URN', 'scope', () => ociDbToken({ scope: 'ocid1.tenancy.oc1..aaaaaaaatenancy', auth: apiKey })],
    ['a scope with a malformed OCID', 'scope', () => ociDbToken({ scope: 'urn:oracle:db::id::ocid1.tenancy.oc1.x', auth: apiKey })],
    ['a scope naming a database alone', 'scope', () => ociDbToken({ scope: `urn:oracle:db::id::${ADB_B}`, auth: apiKey })],
    ['a path scope naming its tenancy by OCID', 'scope.tenancy', () => ociDbToken({ scope: `urn:oracle:db::path::${TENANCY_B}`, auth: apiKey })],
    ['a path scope with a compartment OCID for its database', 'scope.database', () => ociDbToken({ scope: `urn:oracle:db::path::acme:sales::${COMP_B}`, auth: apiKey })],
    ['a region that is no region', 'region', () => ociDbToken({ scope: ociScope.all(), region: 'Frankfurt', auth: apiKey })],
    ['an endpoint that is no URL', 'endpoint', () => ociDbToken({ scope: ociScope.all(), endpoint: 'auth dot oracle', auth: apiKey })],
    ['a plain-http endpoint off this machine', 'endpoint', () => ociDbToken({ scope: ociScope.all(), endpoint: 'http://auth.example.com', auth: apiKey })],
    ['an endpoint with {region} but no region', 'region', () => ociDbToken({ scope: ociScope.all(), endpoint: 'https://x/{region}', auth: apiKey })],
    ['a key size of 1024', 'keySize', () => ociDbToken({ scope: ociScope.all(), keySize: 1024 as never, auth: apiKey })],
    ['an unknown auth type', 'auth.type', () => ociDbToken({ scope: ociScope.all(), auth: { type: 'password' } as never })],
    ['auth that is a string', 'auth', () => ociDbToken({ scope: ociScope.all(), auth: 'api_key' as never })],
    ['a config file that does not exist', 'auth.configFile', () => ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: join(dir, 'nope') } })],
    ['a profile that does not exist', 'profile', () => ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile, profile: 'PROD' } })],
    ['a profile without region and no region given', 'auth.region', () => ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: noRegion } })],
    ['a security_token profile without a token file', 'auth.profile', () => ociDbToken({ scope: ociScope.all(), auth: { type: 'security_token', configFile } })],
    ['a profile option on instance_principal', 'auth.profile', () => ociDbToken({ scope: ociScope.all(), auth: { type: 'instance_principal', profile: 'X' } as never })],
    ['a refreshBefore longer than the 1-hour lifetime', 'refreshBefore', () => ociDbToken({ scope: ociScope.all(), auth: apiKey }, { refreshBefore: 2 * 3_600_000 })],
  ];
  it(`covers at least 15 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(15));
  it.each(cases)('%s -> %s', (_n, field, make) => {
    const before = iam?.requests.length ?? 0;
    let err: unknown;
    try {
      (make() as TokenProvider | undefined)?.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect(iam?.requests.length ?? 0).toBe(before);
  });
});
