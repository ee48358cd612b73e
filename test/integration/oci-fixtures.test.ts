import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, TokenUnavailableError, type TokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { ociTestProfile, resourcePrincipalEnv, startOciIdentityEmulator, type OciIdentityEmulator, type OciTestProfile } from 'dbtoken/testing';
import { rsaKeys } from '../helpers/oci-files.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
const OTHER_TENANCY = 'ocid1.tenancy.oc1..aaaaothertenancy';
const ALICE = 'ocid1.user.oc1..aaaaalice';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaaapps';
const FN = 'ocid1.fnfunc.oc1.iad.aaaafunction';

let iam: OciIdentityEmulator;
let stranger: OciIdentityEmulator;
const providers: TokenProvider[] = [];
const profiles: OciTestProfile[] = [];

const claims = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

function provider(...args: Parameters<typeof ociDbToken>): TokenProvider {
  const p = ociDbToken(args[0], { retry: { attempts: 1 }, ...args[1] });
  providers.push(p);
  return p;
}

beforeAll(async () => {
  iam = await startOciIdentityEmulator({
    tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, name: 'alice', groups: ['db_users'] }] }, { ocid: OTHER_TENANCY }],
    // A configured issuer too: the fixtures' tokens are trusted beside its own.
    tokenIssuer: { publicKey: rsaKeys().publicPem },
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
  stranger = await startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY }] });
});

afterAll(async () => {
  for (const p of providers) p.close();
  for (const p of profiles) p.close();
  await iam?.close();
  await stranger?.close();
});

describe('ociTestProfile', () => {
  const profile = async (...args: Parameters<typeof ociTestProfile>): Promise<OciTestProfile> => {
    const p = await ociTestProfile(...args);
    profiles.push(p);
    return p;
  };

  it('writes a profile whose API key the emulator knows: ociDbToken gets a db-token as a new user of the first tenancy', async () => {
    const p = await profile({ identity: iam });
    const token = await provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile: p.configFile, profile: p.profile }, endpoint: iam.endpointFor('us-ashburn-1') }).getToken();
    expect(claims(token.token)).toMatchObject({ sub: p.user, tenant: TENANCY, region: 'us-ashburn-1' });
    expect(p.tenancy).toBe(TENANCY);
    expect(p.profile).toBe('DEFAULT');
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, keyIdKind: 'api_key', principal: p.user, tenancy: TENANCY });
    expect(iam.principal(p.user)).toMatchObject({ kind: 'user', tenancy: TENANCY });
  });

  it('makes a key for an existing user, who keeps their name and groups, under a named profile', async () => {
    const p = await profile({ identity: iam, user: ALICE, profile: 'ALICE', region: 'eu-frankfurt-1' });
    const config = readFileSync(p.configFile, 'utf8');
    expect(config).toContain('[ALICE]\n');
    expect(config).toContain(`user=${ALICE}\n`);
    expect(config).toContain(`fingerprint=${p.fingerprint}\n`);
    expect(config).toContain('region=eu-frankfurt-1\n');
    const token = await provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile: p.configFile, profile: 'ALICE' }, endpoint: iam.endpointFor('eu-frankfurt-1') }).getToken();
    expect(claims(token.token)).toMatchObject({ sub: ALICE, tenant: TENANCY, region: 'eu-frankfurt-1' });
    expect(iam.principal(ALICE)).toMatchObject({ name: 'alice', groups: [{ name: 'db_users' }] });
  });

  it('puts a new user in the tenancy asked for', async () => {
    const p = await profile({ identity: iam, tenancy: OTHER_TENANCY });
    const token = await provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile: p.configFile }, endpoint: iam.endpointFor('us-ashburn-1') }).getToken();
    expect(claims(token.token)).toMatchObject({ sub: p.user, tenant: OTHER_TENANCY });
  });

  it('registers the key with that emulator only: another one refuses the same profile', async () => {
    const p = await profile({ identity: iam });
    const err = await provider({ scope: ociScope.all(), auth: { type: 'api_key', configFile: p.configFile }, endpoint: stranger.endpointFor('us-ashburn-1') })
      .getToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(stranger.requests.at(-1)).toMatchObject({ ok: false, status: 401, reason: 'no such API key for this user' });
  });

  it('keeps the key to its owner, out of inspect, and close() removes the files', async () => {
    const p = await ociTestProfile({ identity: iam });
    const keyFile = /key_file=(.*)/.exec(readFileSync(p.configFile, 'utf8'))![1]!;
    expect(statSync(keyFile).mode & 0o077).toBe(0);
    expect(statSync(dirname(keyFile)).mode & 0o077).toBe(0);
    expect(inspect(p)).not.toContain('PRIVATE KEY');
    p.close();
    p.close();
    expect([existsSync(p.configFile), existsSync(keyFile), existsSync(dirname(keyFile))]).toEqual([false, false, false]);
  });

  it.each([
    ['an object that is not an emulator', { identity: {} }, 'identity'],
    ['a tenancy the emulator does not have', { tenancy: 'ocid1.tenancy.oc1..aaaanone' }, 'tenancy'],
    ['a region the emulator does not serve', { region: 'ap-tokyo-1' }, 'region'],
    ['a profile name with a bracket', { profile: 'a]b' }, 'profile'],
    ['an existing user with another tenancy', { user: ALICE, tenancy: OTHER_TENANCY }, 'user'],
  ])('refuses %s, naming the field', async (_n, over, field) => {
    const err = await ociTestProfile({ identity: iam, ...over } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field });
  });
});

describe('resourcePrincipalEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const useEnv = (env: Record<string, string>): void => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  };

  it("gives an OCI Function's variables, with which ociDbToken (resource_principal) gets a db-token for the function", async () => {
    const env = await resourcePrincipalEnv({ identity: iam, resource: FN, compartment: COMPARTMENT });
    expect(Object.keys(env).sort()).toEqual(['OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM', 'OCI_RESOURCE_PRINCIPAL_REGION', 'OCI_RESOURCE_PRINCIPAL_RPST', 'OCI_RESOURCE_PRINCIPAL_VERSION']);
    expect(env.OCI_RESOURCE_PRINCIPAL_VERSION).toBe('2.2');
    expect(env.OCI_RESOURCE_PRINCIPAL_REGION).toBe('us-ashburn-1');
    expect(claims(env.OCI_RESOURCE_PRINCIPAL_RPST)).toMatchObject({ sub: FN, res_tenant: TENANCY, res_compartment: COMPARTMENT, res_type: 'fnfunc' });
    useEnv(env);
    const token = await provider({ scope: ociScope.compartment(COMPARTMENT), auth: { type: 'resource_principal' }, endpoint: iam.endpointFor('us-ashburn-1') }).getToken();
    expect(claims(token.token)).toMatchObject({ sub: FN, tenant: TENANCY, scope: `urn:oracle:db::id::${COMPARTMENT}` });
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, keyIdKind: 'security_token', principal: FN, tenancy: TENANCY });
  });

  it('names a new function in the region and tenancy asked for', async () => {
    const env = await resourcePrincipalEnv({ identity: iam, tenancy: OTHER_TENANCY, region: 'eu-frankfurt-1' });
    useEnv(env);
    const token = await provider({ scope: ociScope.all(), auth: { type: 'resource_principal' }, endpoint: iam.endpointFor('eu-frankfurt-1') }).getToken();
    expect(claims(token.token)).toMatchObject({ sub: expect.stringMatching(/^ocid1\.fnfunc\.oc1\.eu-frankfurt-1\./), tenant: OTHER_TENANCY, region: 'eu-frankfurt-1' });
  });

  it('is trusted by the emulator that issued it only', async () => {
    useEnv(await resourcePrincipalEnv({ identity: iam }));
    const err = await provider({ scope: ociScope.all(), auth: { type: 'resource_principal' }, endpoint: stranger.endpointFor('us-ashburn-1') })
      .getToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(stranger.requests.at(-1)).toMatchObject({ ok: false, status: 401, reason: 'security tokens are not accepted (the emulator has no tokenIssuer)' });
  });

  it('lasts expiresInSeconds: past it, on the emulator clock, the emulator refuses the token', async () => {
    let skew = 0;
    const timed = await startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY }], now: () => Date.now() + skew });
    try {
      const env = await resourcePrincipalEnv({ identity: timed, expiresInSeconds: 60 });
      expect(claims(env.OCI_RESOURCE_PRINCIPAL_RPST).exp - claims(env.OCI_RESOURCE_PRINCIPAL_RPST).iat).toBe(60);
      useEnv(env);
      await provider({ scope: ociScope.all(), auth: { type: 'resource_principal' }, endpoint: timed.endpointFor('us-ashburn-1') }).getToken();
      skew = 61_000;
      // Another scope: a provider of its own, not the cached db-token.
      const err = await provider({ scope: ociScope.tenancy(TENANCY), auth: { type: 'resource_principal' }, endpoint: timed.endpointFor('us-ashburn-1') })
        .getToken()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenUnavailableError);
      expect(timed.requests.map((r) => [r.ok, r.reason])).toEqual([
        [true, undefined],
        [false, 'security token has expired'],
      ]);
    } finally {
      await timed.close();
    }
  });

  it("is issued on the emulator's clock: an emulator two minutes ahead still takes a 60-second token", async () => {
    const ahead = await startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY }], now: () => Date.now() + 120_000 });
    try {
      useEnv(await resourcePrincipalEnv({ identity: ahead, expiresInSeconds: 60 }));
      await provider({ scope: ociScope.all(), auth: { type: 'resource_principal' }, endpoint: ahead.endpointFor('us-ashburn-1') }).getToken();
      expect(ahead.requests.map((r) => [r.ok, r.reason])).toEqual([[true, undefined]]);
    } finally {
      await ahead.close();
    }
  });

  it.each([
    ['an object that is not an emulator', { identity: { regions: ['x'] } }, 'identity'],
    ['a tenancy the emulator does not have', { tenancy: 'ocid1.tenancy.oc1..aaaanone' }, 'tenancy'],
    ['a region the emulator does not serve', { region: 'ap-tokyo-1' }, 'region'],
    ['a lifetime of 0', { expiresInSeconds: 0 }, 'expiresInSeconds'],
  ])('refuses %s, naming the field', async (_n, over, field) => {
    const err = await resourcePrincipalEnv({ identity: iam, ...over } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field });
  });
});
