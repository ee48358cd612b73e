import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { awsRdsToken } from 'dbtoken/aws';
import { verifyRdsToken } from 'dbtoken/testing';
import { REGION, staticKeys, temporaryKeys, signedAt, sortedParameters } from '../helpers/aws.js';
import { awsEnv, buildCli, dbtoken } from '../helpers/cli.js';

/**
 * dbtoken and the AWS CLI (`aws rds generate-db-auth-token`, botocore, as
 * boto3 signs) make the same RDS token, and the verifier accepts both. Runs
 * where the `aws` command is on PATH.
 */
function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this one
    }
  }
  return undefined;
}

const AWS_CLI = onPath('aws');
if (AWS_CLI === undefined) console.info('AWS CLI test skipped: no `aws` command on PATH (install aws-cli to compare its RDS tokens with dbtoken\'s)');

type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** `aws rds generate-db-auth-token` with these keys, and nothing from the machine's AWS settings. */
function awsCliToken(hostname: string, port: number, username: string, keys: Keys): Promise<string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    ...(keys.sessionToken !== undefined ? { AWS_SESSION_TOKEN: keys.sessionToken } : {}),
    AWS_CONFIG_FILE: '/nonexistent/aws/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const args = ['rds', 'generate-db-auth-token', '--hostname', hostname, '--port', String(port), '--username', username, '--region', REGION];
  return new Promise((resolve, reject) => {
    execFile(AWS_CLI!, args, { env, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`aws ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout.trim())));
  });
}

const sorted = sortedParameters;

/** A token with what depends on the moment of signing taken out. */
const timeless = (token: string): string =>
  token.replace(/X-Amz-Date=\d{8}T\d{6}Z/, 'X-Amz-Date=<date>').replace(/(X-Amz-Credential=[^&%]+%2F)\d{8}/, '$1<day>').replace(/X-Amz-Signature=[0-9a-f]{64}/, 'X-Amz-Signature=<signature>');

let tokens = 0;

/** dbtoken's token, signed at `at` (the signer reads the clock through Date). */
async function dbtokenAt(at: number, hostname: string, port: number, username: string, credentials: Keys): Promise<string> {
  vi.useFakeTimers({ now: at, toFake: ['Date'] });
  try {
    const p = awsRdsToken({ hostname, port, username, region: REGION, credentials }, { cacheKey: `aws-cli-${tokens++}` });
    try {
      return (await p.getToken()).token;
    } finally {
      p.close();
    }
  } finally {
    vi.useRealTimers();
  }
}

const MIXED = 'MyDB.abc123.us-east-1.rds.amazonaws.com';
const spellings = (host: string): string[] => [host, host.toLowerCase(), host.toUpperCase()];

afterEach(() => vi.useRealTimers());

describe.skipIf(AWS_CLI === undefined)(`the AWS CLI and dbtoken make the same RDS token${AWS_CLI === undefined ? ' (skipped: no `aws` command on PATH)' : ''}`, () => {
  beforeAll(() => buildCli());

  it.each([
    ['a mixed-case RDS endpoint', MIXED, 5432, 'app', staticKeys],
    ['a mixed-case endpoint, temporary credentials and a user name that needs encoding', MIXED, 3306, "ap p@x!*'()~é", temporaryKeys],
    ['a lower-case host', '127.0.0.1', 5432, 'iam_alice', staticKeys],
  ] as const)('%s: awsRdsToken signed at the same second has the same host part, parameters and signature, and it verifies for the host in any ASCII case', async (_n, hostname, port, username, keys) => {
    const cli = await awsCliToken(hostname, port, username, keys);
    expect(cli.startsWith(`${hostname}:${port}/?Action=connect&`)).toBe(true);
    const ours = await dbtokenAt(signedAt(cli), hostname, port, username, keys);
    expect(ours.startsWith(`${hostname}:${port}/?`)).toBe(true);
    expect(sorted(ours)).toBe(sorted(cli));
    for (const expected of spellings(hostname)) {
      expect(verifyRdsToken(cli, { hostname: expected, port, username, region: REGION, credentials: [keys] })).toMatchObject({ ok: true, user: username });
    }
  });

  it('port 443: the AWS CLI signs the host without :443 (https\'s default port) and dbtoken with it; the same host part and parameters, and the verifier takes both', async () => {
    const cli = await awsCliToken(MIXED, 443, 'app', staticKeys);
    const ours = await dbtokenAt(signedAt(cli), MIXED, 443, 'app', staticKeys);
    expect(sorted(timeless(ours))).toBe(sorted(timeless(cli)));
    for (const expected of spellings(MIXED)) {
      for (const t of [cli, ours]) expect(verifyRdsToken(t, { hostname: expected, port: 443, username: 'app', region: REGION, credentials: [staticKeys] })).toMatchObject({ ok: true });
    }
  });

  it('`dbtoken token aws --host MyDB...` agrees with `aws rds generate-db-auth-token`: the same host part and parameters, and the verifier accepts both', async () => {
    const [cli, ours] = await Promise.all([
      awsCliToken(MIXED, 5432, 'app', staticKeys),
      dbtoken(['token', 'aws', '--host', MIXED, '--port', '5432', '--user', 'app', '--region', REGION], { env: awsEnv(staticKeys) }),
    ]);
    expect(ours, ours.stderr).toMatchObject({ code: 0, stderr: '' });
    const token = ours.stdout.trim();
    expect(sorted(timeless(token))).toBe(sorted(timeless(cli)));
    expect(sorted(timeless(token))).toMatch(/^MyDB\.abc123\.us-east-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[^&]+&X-Amz-Date=<date>&X-Amz-Expires=900&X-Amz-Signature=<signature>&X-Amz-SignedHeaders=host$/);
    for (const expected of spellings(MIXED)) {
      for (const t of [cli, token]) expect(verifyRdsToken(t, { hostname: expected, port: 5432, username: 'app', region: REGION, credentials: [staticKeys] })).toMatchObject({ ok: true });
    }
  });
});
