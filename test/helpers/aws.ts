import { randomBytes } from 'node:crypto';
import { vi } from 'vitest';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingPostgres, type VerifyingPostgres } from 'dbtoken/testing';

/** Made-up AWS keys for tests: the verifier knows them as IAM would. */
export const staticKeys = {
  accessKeyId: 'AKIDDBTOKENTEST0001',
  secretAccessKey: 'dbtoken/test/secret/' + randomBytes(12).toString('hex'),
};

/** Temporary credentials of Lambda's shape: a session token makes the signed token ~1,250+ characters. */
export const temporaryKeys = {
  accessKeyId: 'ASIADBTOKENTEST0002',
  secretAccessKey: 'dbtoken/test/temp/' + randomBytes(12).toString('hex'),
  sessionToken: 'IQoJb3JpZ2luX2VjE' + randomBytes(690).toString('base64').replace(/[+/=]/g, 'A'),
};

export const otherKeys = {
  accessKeyId: 'AKIDDBTOKENTEST0003',
  secretAccessKey: 'dbtoken/test/other/' + randomBytes(12).toString('hex'),
};

export const REGION = 'us-east-1';

/**
 * What Lambda puts in the environment for a function's role ({@link temporaryKeys}),
 * plus examples/lambda-rds-postgres's own settings for iam_alice at 127.0.0.1:`port`.
 */
export function lambdaEnvironment(port: number, caFile: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: temporaryKeys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: temporaryKeys.secretAccessKey,
    AWS_SESSION_TOKEN: temporaryKeys.sessionToken,
    AWS_REGION: REGION,
    DB_HOST: '127.0.0.1',
    DB_PORT: String(port),
    DB_USER: 'iam_alice',
    DB_REGION: REGION,
    DB_CA_FILE: caFile,
  };
}

/** What an RDS token is signed for, in the tests: the private servers on 127.0.0.1. */
export type RdsTarget = Parameters<typeof awsRdsToken>[0];

/**
 * A token for iam_alice at 127.0.0.1:`port` with {@link staticKeys}, signed
 * `msAgo` in the past; `over` changes what it is signed for. It has a cache
 * entry of its own: a provider for the same identity would share the
 * cached (fresh) token.
 */
export async function tokenSignedAt(port: number, msAgo: number, over: Partial<RdsTarget> = {}): Promise<string> {
  vi.useFakeTimers({ now: Date.now() - msAgo, toFake: ['Date'] });
  try {
    const p = awsRdsToken(
      { hostname: '127.0.0.1', port, username: 'iam_alice', region: REGION, credentials: staticKeys, ...over },
      { cacheKey: `signed-at-${Math.random()}` },
    );
    const t = (await p.getToken()).token;
    p.close();
    return t;
  } finally {
    vi.useRealTimers();
  }
}

/** The IAM identities the DSQL tests sign as: a role, another role, and a Lambda session of the first. */
export const DSQL_ARNS = {
  app: 'arn:aws:iam::111122223333:role/app-service',
  other: 'arn:aws:iam::111122223333:role/other-service',
  temporary: 'arn:aws:sts::111122223333:assumed-role/app-service/lambda',
};

/**
 * A PostgreSQL that checks tokens as a DSQL cluster does, with roles `app` and `reporting`:
 * {@link staticKeys}, {@link otherKeys} and {@link temporaryKeys} map to {@link DSQL_ARNS}, and
 * `app` is granted to the app role (so to its Lambda session too), not to the other role.
 */
export async function startVerifyingDsql(now?: () => number): Promise<VerifyingPostgres> {
  const db = await startVerifyingPostgres({
    dsql: true,
    users: ['app', 'reporting'],
    region: REGION,
    credentials: [
      { ...staticKeys, arn: DSQL_ARNS.app },
      { ...otherKeys, arn: DSQL_ARNS.other },
      { ...temporaryKeys, arn: DSQL_ARNS.temporary },
    ],
    ...(now !== undefined ? { now } : {}),
  });
  await db.admin(`AWS IAM GRANT app TO '${DSQL_ARNS.app}'`);
  return db;
}

/** When a presigned token was signed, from its X-Amz-Date. */
export function signedAt(token: string): number {
  const m = /[?&]X-Amz-Date=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(&|$)/.exec(token);
  if (m === null) throw new Error('no X-Amz-Date in the token');
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** A presigned token with its parameters sorted: the JavaScript signers sort them, botocore puts X-Amz-Signature last; neither order is signed. */
export function sortedParameters(token: string): string {
  const [prefix, query] = token.split('/?') as [string, string];
  return `${prefix}/?${query.split('&').sort().join('&')}`;
}
