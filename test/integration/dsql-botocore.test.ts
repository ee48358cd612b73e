import { execFile, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsDsqlToken } from 'dbtoken/aws';
import { verifyDsqlToken } from 'dbtoken/testing';
import { REGION, staticKeys, temporaryKeys, signedAt, sortedParameters } from '../helpers/aws.js';

/**
 * dbtoken and botocore (what boto3 and the AWS CLI sign DSQL tokens with:
 * `generate_db_connect_auth_token`, `generate_db_connect_admin_auth_token`)
 * make the same Aurora DSQL token, and the verifier accepts both. Runs where
 * python3 can import botocore (the AWS CLI's pip package brings it).
 */
const BOTOCORE = spawnSync('python3', ['-c', 'import botocore.session; s = botocore.session.get_session(); s.create_client("dsql", region_name="us-east-1").generate_db_connect_auth_token'], { env: { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' } }).status === 0;
if (!BOTOCORE) console.info('botocore DSQL test skipped: python3 cannot import a botocore that signs DSQL tokens (pip install awscli)');

type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const SCRIPT = `
import sys, botocore.session
host, region, expires, admin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == 'admin'
c = botocore.session.get_session().create_client('dsql', region_name=region)
f = c.generate_db_connect_admin_auth_token if admin else c.generate_db_connect_auth_token
print(f(host, region, expires))
`;

/** botocore's token with these keys, and nothing from the machine's AWS settings. */
function botocoreToken(hostname: string, admin: boolean, expiresIn: number, keys: Keys): Promise<string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    ...(keys.sessionToken !== undefined ? { AWS_SESSION_TOKEN: keys.sessionToken } : {}),
    AWS_CONFIG_FILE: '/nonexistent/aws/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', SCRIPT, hostname, REGION, String(expiresIn), admin ? 'admin' : 'role'], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`botocore: ${stderr || err.message}`)) : resolve(stdout.trim()),
    );
  });
}

const sorted = sortedParameters;

let made = 0;

/** dbtoken's token signed at `at` (the signer reads the clock through Date). */
async function dbtokenAt(at: number, hostname: string, admin: boolean, expiresIn: number, credentials: Keys): Promise<string> {
  vi.useFakeTimers({ now: at, toFake: ['Date'] });
  const p = awsDsqlToken({ hostname, ...(admin ? { admin: true } : { username: 'app' }), region: REGION, credentials, expiresIn }, { cacheKey: `dsql-botocore-${made++}` });
  try {
    return (await p.getToken()).token;
  } finally {
    p.close();
    vi.useRealTimers();
  }
}

afterEach(() => vi.useRealTimers());

describe.skipIf(!BOTOCORE)(`botocore and dbtoken make the same Aurora DSQL token${BOTOCORE ? '' : ' (skipped: no botocore)'}`, () => {
  it.each([
    ['DbConnect, static keys, a cluster endpoint', 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', false, 900, staticKeys],
    ['DbConnectAdmin, temporary credentials, 7 days', 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', true, 604_800, temporaryKeys],
    ['DbConnect, a mixed-case host (signed in lower case, printed as typed)', 'AbcDefGhijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', false, 3600, staticKeys],
    ['DbConnectAdmin, a tunnel on localhost', 'localhost', true, 900, staticKeys],
  ] as const)('%s: signed at the same second, the same host part, parameters and signature; the verifier takes both', async (_n, hostname, admin, expiresIn, keys) => {
    const theirs = await botocoreToken(hostname, admin, expiresIn, keys);
    expect(theirs.startsWith(`${hostname}/?Action=${admin ? 'DbConnectAdmin' : 'DbConnect'}&`)).toBe(true);
    const ours = await dbtokenAt(signedAt(theirs), hostname, admin, expiresIn, keys);
    expect(sorted(ours)).toBe(sorted(theirs));
    for (const t of [theirs, ours]) {
      expect(verifyDsqlToken(t, { hostname: hostname.toLowerCase(), region: REGION, credentials: [keys], admin })).toMatchObject({ ok: true, action: admin ? 'DbConnectAdmin' : 'DbConnect' });
      expect(verifyDsqlToken(t, { hostname, region: REGION, credentials: [keys], admin: !admin }).ok).toBe(false);
    }
  });
});
