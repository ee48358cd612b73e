import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, FetchTimeoutError, ProviderClosedError, TokenUnavailableError, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { verifyRdsToken } from 'dbtoken/testing';
import { loadAwsSharedConfigLoader, profileRegion } from '../../../src/sources/aws/profile-region.js';
import { awsRdsTokenIn } from '../../../src/sources/aws/rds.js';
import { tempDir } from '../../helpers/temp.js';

// Where awsRdsToken() finds the region: the option, an RDS endpoint,
// AWS_REGION, AWS_DEFAULT_REGION, then the AWS profile (on the first getToken).

const keys = { accessKeyId: 'AKIDREGIONTEST0001', secretAccessKey: 'region/test/secret' };
const providers: TokenProvider[] = [];
const track = (p: TokenProvider): TokenProvider => (providers.push(p), p);

/** The region a token was signed for, checked by the verifier. */
function signedFor(token: string, hostname: string, region: string): boolean {
  return verifyRdsToken(token, { hostname, port: 5432, username: 'app', region, credentials: [keys] }).ok;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('resolved');
    },
    (err: unknown) => err,
  );
}

let home: string;
beforeEach(() => {
  // A machine with no AWS settings at all; each test adds its own.
  home = tempDir('dbtoken-aws-home-');
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) vi.stubEnv(name, '');
  vi.stubEnv('HOME', home);
});
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  vi.unstubAllEnvs();
});

describe('awsRdsToken for a host that is not an RDS endpoint (an address, a CNAME, a tunnel, a proxy)', () => {
  it.each(['127.0.0.1', 'db.internal.example.com', 'localhost'])('%s: signs for AWS_REGION', async (hostname) => {
    vi.stubEnv('AWS_REGION', 'us-east-2');
    const t = await track(awsRdsToken({ hostname, username: 'app', credentials: keys })).getToken();
    expect(signedFor(t.token, hostname, 'us-east-2')).toBe(true);
  });

  it('signs for AWS_DEFAULT_REGION when AWS_REGION is not set', async () => {
    vi.stubEnv('AWS_DEFAULT_REGION', 'eu-central-1');
    const t = await track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys })).getToken();
    expect(signedFor(t.token, '127.0.0.1', 'eu-central-1')).toBe(true);
  });

  it('AWS_REGION wins over AWS_DEFAULT_REGION, the option over both, and an RDS endpoint over the variables', async () => {
    vi.stubEnv('AWS_REGION', 'us-east-2');
    vi.stubEnv('AWS_DEFAULT_REGION', 'eu-central-1');
    const rds = 'mydb.c9akciq32.ap-southeast-2.rds.amazonaws.com';
    const [a, b, c] = await Promise.all([
      track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys })).getToken(),
      track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys, region: 'sa-east-1' })).getToken(),
      track(awsRdsToken({ hostname: rds, username: 'app', credentials: keys })).getToken(),
    ]);
    expect(signedFor(a.token, '127.0.0.1', 'us-east-2')).toBe(true);
    expect(signedFor(b.token, '127.0.0.1', 'sa-east-1')).toBe(true);
    expect(signedFor(c.token, rds, 'ap-southeast-2')).toBe(true);
  });

  it('a malformed AWS_REGION is a ConfigError on region at creation', () => {
    vi.stubEnv('AWS_REGION', 'moon');
    expect(() => awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys })).toThrow(/^region: AWS_REGION is set to "moon", which is not an AWS region name/);
  });
});

describe('awsRdsToken: the region of the AWS profile', () => {
  it('the default profile in ~/.aws/config', async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = eu-west-3\n');
    const t = await track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys })).getToken();
    expect(signedFor(t.token, '127.0.0.1', 'eu-west-3')).toBe(true);
  });

  it('AWS_PROFILE and AWS_CONFIG_FILE, as the SDK reads them; the credentials file wins, as in the SDK', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-3\n[profile prod]\nregion = ap-south-1\n[profile other]\nregion = ca-central-1\n');
    writeFileSync(join(dir, 'credentials'), '[other]\nregion = sa-east-1\n');
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    vi.stubEnv('AWS_PROFILE', 'prod');
    const prod = track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys }));
    vi.stubEnv('AWS_PROFILE', 'other');
    const other = track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys }));
    const [a, b] = await Promise.all([prod.getToken(), other.getToken()]);
    expect(signedFor(a.token, '127.0.0.1', 'ap-south-1')).toBe(true);
    expect(signedFor(b.token, '127.0.0.1', 'sa-east-1')).toBe(true);
  });

  it('AWS_REGION and AWS_DEFAULT_REGION come before the profile', async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = eu-west-3\n');
    vi.stubEnv('AWS_DEFAULT_REGION', 'eu-central-1');
    const t = await track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys })).getToken();
    expect(signedFor(t.token, '127.0.0.1', 'eu-central-1')).toBe(true);
  });

  it('no AWS config file at all: a ConfigError at creation naming every source', () => {
    let err: unknown;
    try {
      awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'region' });
    expect((err as Error).message).toBe(
      `region: cannot be inferred from hostname "127.0.0.1" (not an RDS endpoint), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" ` +
        `(no AWS config file at ${home}/.aws/config or ${home}/.aws/credentials); pass region, for example region: 'us-east-1', or set AWS_REGION`,
    );
  });

  it('a profile without a region: the first getToken() rejects with the same ConfigError, and a region added later is read', async () => {
    const config = join(tempAws(), 'config');
    writeFileSync(config, '[default]\noutput = json\n');
    const p = track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys }));
    const err = await rejection(p.getToken());
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'region' });
    expect((err as Error).message).toBe(
      `region: cannot be inferred from hostname "127.0.0.1" (not an RDS endpoint), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" ` +
        `(no region for it in ${config} or ${home}/.aws/credentials); pass region, for example region: 'us-east-1', or set AWS_REGION`,
    );
    // Not a failing token source: nothing to wait out once the profile is fixed.
    expect(p.status().failing).toBe(false);
    writeFileSync(config, '[default]\nregion = us-west-1\n');
    const t = await p.getToken();
    expect(signedFor(t.token, '127.0.0.1', 'us-west-1')).toBe(true);
  });

  it('a profile whose region is not one is a ConfigError on region', async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = Moon Base\n');
    const err = await rejection(track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys })).getToken());
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^region: the region of AWS profile "default" in .* is not an AWS region name/);
  });

  it('providers of two profiles do not share a token', async () => {
    const dir = tempAws();
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-3\n[profile prod]\nregion = ap-south-1\n');
    const a = track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys }));
    vi.stubEnv('AWS_PROFILE', 'prod');
    const b = track(awsRdsToken({ hostname: '127.0.0.1', username: 'app', credentials: keys }));
    const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
    expect(ta.token).not.toBe(tb.token);
    expect(signedFor(tb.token, '127.0.0.1', 'ap-south-1')).toBe(true);
  });
});

describe('awsRdsTokenIn: the AWS SDK config loader missing', () => {
  it('a region only the profile gives: getToken() rejects with the ConfigError, saying the loader could not be loaded', async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = eu-west-3\n');
    const p = track(awsRdsTokenIn({ HOME: home }, { hostname: '127.0.0.1', username: 'app', credentials: keys }, undefined, { sharedConfig: async () => undefined }));
    const err = await rejection(p.getToken());
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile "default" \(the AWS SDK's config file loader, .* could not be loaded/);
  });

});

describe('awsRdsTokenIn: a profile read that never ends (a FIFO, a hung network mount for ~/.aws/config)', () => {
  /** A loader whose read never ends. */
  const hung = { sharedConfig: async () => ({ loadSharedConfigFiles: () => new Promise<never>(() => {}) }) };

  it('close() rejects the waiting caller with ProviderClosedError', async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = eu-west-3\n');
    const p = awsRdsTokenIn({ HOME: home }, { hostname: '127.0.0.1', username: 'app', credentials: keys }, { fetchTimeout: 0 }, hung);
    const pending = rejection(p.getToken());
    await new Promise((r) => setImmediate(r));
    p.close();
    expect(await pending).toBeInstanceOf(ProviderClosedError);
  });

  it("the caller's signal ends its wait with the signal's reason", async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = eu-west-3\n');
    const p = track(awsRdsTokenIn({ HOME: home }, { hostname: '127.0.0.1', username: 'app', credentials: keys }, { fetchTimeout: 0 }, hung));
    const reason = new Error('the request was cancelled');
    const ac = new AbortController();
    const pending = rejection(p.getToken({ signal: ac.signal }));
    ac.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('fetchTimeout bounds the wait, as it bounds a fetch', async () => {
    writeFileSync(join(tempAws(), 'config'), '[default]\nregion = eu-west-3\n');
    const p = track(awsRdsTokenIn({ HOME: home }, { hostname: '127.0.0.1', username: 'app', credentials: keys }, { fetchTimeout: 50 }, hung));
    const err = await rejection(p.getToken());
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error & { cause?: unknown }).cause).toBeInstanceOf(FetchTimeoutError);
  });

});

describe('awsRdsTokenIn: the environment', () => {
  it('reads the environment it is given, not process.env', async () => {
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    const t = await track(awsRdsTokenIn({ AWS_REGION: 'us-west-1' }, { hostname: '127.0.0.1', username: 'app', credentials: keys })).getToken();
    expect(signedFor(t.token, '127.0.0.1', 'us-west-1')).toBe(true);
  });
});

/** ~/.aws of the test's home folder. */
function tempAws(): string {
  const dir = join(home, '.aws');
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('profileRegion: a profile as the AWS SDK reads it', () => {
  const files = { config: '/c', credentials: '/k' };
  const loader = (configFile: object, credentialsFile: object) => ({ loadSharedConfigFiles: async () => ({ configFile, credentialsFile }) }) as never;
  it.each([
    ['the config file', { prod: { region: 'eu-west-3' } }, {}, 'prod', 'eu-west-3'],
    ['the credentials file over the config file', { prod: { region: 'eu-west-3' } }, { prod: { region: 'sa-east-1' } }, 'prod', 'sa-east-1'],
    ['no section for the profile', { default: { region: 'eu-west-3' } }, {}, 'prod', undefined],
    ['a section without region', { prod: { output: 'json' } }, {}, 'prod', undefined],
    ['an empty region', { prod: { region: ' ' } }, {}, 'prod', undefined],
    ['a profile named like an Object member', {}, {}, 'constructor', undefined],
    ['a profile named __proto__', {}, {}, '__proto__', undefined],
  ])('%s', async (_name, configFile, credentialsFile, profile, region) => {
    expect(await profileRegion(loader(configFile, credentialsFile), profile, files)).toBe(region);
  });

  it("the SDK's own loader is found", async () => {
    expect(typeof (await loadAwsSharedConfigLoader())?.loadSharedConfigFiles).toBe('function');
  });
});
