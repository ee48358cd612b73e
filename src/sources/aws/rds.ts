import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Signer } from '@aws-sdk/rds-signer';
import { isAwsRegion, rdsRegionFromHostname } from './region.js';
import { ConfigError } from '../../core/errors.js';
import { tokenProvider, type TokenProvider, type TokenProviderOptions } from '../../core/provider.js';
import { describe, requireObject, requirePort, requireString } from '../../core/validation.js';

/**
 * An AWS credential identity; the SDK's `AwsCredentialIdentity` fits.
 *
 * @example
 * ```ts
 * const credentials: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: '<secret-access-key>' };
 * const token = awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app', credentials });
 * ```
 */
export interface AwsCredentials {
  /** The access key ID (`AKIA...` for long-term keys, `ASIA...` for temporary ones). */
  readonly accessKeyId: string;
  /** The secret key. It never appears in an error, log or event. */
  readonly secretAccessKey: string;
  /** Present for temporary credentials (STS, Lambda's role, SSO). */
  readonly sessionToken?: string;
  /** When temporary credentials stop working. */
  readonly expiration?: Date;
}

/**
 * A function that resolves credentials; every `@aws-sdk/credential-providers` factory returns one.
 *
 * @example
 * ```ts
 * import { fromIni } from '@aws-sdk/credential-providers';
 * const credentials: AwsCredentialsProvider = fromIni({ profile: 'prod' });
 * const token = awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app', credentials });
 * ```
 */
export type AwsCredentialsProvider = (props?: Record<string, unknown>) => Promise<AwsCredentials>;

/**
 * Options of {@link awsRdsToken}.
 *
 * @example
 * ```ts
 * const config: AwsRdsTokenConfig = {
 *   hostname: 'mydb.abc123.eu-west-1.rds.amazonaws.com', // region eu-west-1 is read from it
 *   port: 3306,
 *   username: 'app',
 * };
 * const token = awsRdsToken(config);
 * ```
 */
export interface AwsRdsTokenConfig {
  /** The RDS or Aurora endpoint the client connects to, without scheme or port. */
  hostname: string;
  /** The port the client connects to. Default 5432 (PostgreSQL); pass 3306 for MySQL. */
  port?: number;
  /** The database user, which has `rds_iam` (PostgreSQL) or `AWSAuthenticationPlugin` (MySQL). */
  username: string;
  /** The database's region. Default: read from an RDS hostname; required for any other hostname. */
  region?: string;
  /**
   * Static credentials or a provider function. Default: the SDK's default
   * chain (environment, SSO, profile, web identity, ECS, IMDS; a Lambda
   * function's role comes from the environment).
   */
  credentials?: AwsCredentials | AwsCredentialsProvider;
}

/**
 * How long RDS accepts an IAM token after it was signed.
 *
 * @example
 * ```ts
 * import { awsRdsToken, RDS_TOKEN_LIFETIME_MS } from 'dbtoken/aws';
 * RDS_TOKEN_LIFETIME_MS; // 900000 (15 minutes)
 * const token = awsRdsToken({ hostname, username: 'app' }, { refreshBefore: RDS_TOKEN_LIFETIME_MS / 3 });
 * ```
 */
export const RDS_TOKEN_LIFETIME_MS = 15 * 60_000;

const fnIds = new WeakMap<object, number>();
let nextFnId = 0;

function credentialIdentity(credentials: AwsRdsTokenConfig['credentials']): string {
  if (credentials === undefined) return 'default-chain';
  if (typeof credentials === 'function') {
    let id = fnIds.get(credentials);
    if (id === undefined) fnIds.set(credentials, (id = nextFnId++));
    return `fn:${id}`;
  }
  const digest = createHash('sha256')
    .update(`${credentials.secretAccessKey}\0${credentials.sessionToken ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return `static:${credentials.accessKeyId}:${digest}`;
}

function validateCredentials(value: unknown): AwsRdsTokenConfig['credentials'] {
  if (value === undefined || typeof value === 'function') return value as AwsRdsTokenConfig['credentials'];
  if (typeof value !== 'object' || value === null) {
    throw new ConfigError('credentials', `must be { accessKeyId, secretAccessKey, sessionToken? } or a credential provider function, got ${describe(value)}`);
  }
  const c = value as Record<string, unknown>;
  for (const f of ['accessKeyId', 'secretAccessKey'] as const) {
    if (typeof c[f] !== 'string' || (c[f] as string).length === 0) {
      throw new ConfigError(`credentials.${f}`, 'is required and must be a non-empty string');
    }
  }
  if (c.sessionToken !== undefined && typeof c.sessionToken !== 'string') {
    throw new ConfigError('credentials.sessionToken', 'must be a string when given');
  }
  if (c.expiration !== undefined && !(c.expiration instanceof Date && !isNaN(c.expiration.getTime()))) {
    throw new ConfigError('credentials.expiration', 'must be a valid Date when given');
  }
  return value as AwsCredentials;
}

function validateHostname(value: unknown): string {
  const hostname = requireString('hostname', value, 'the RDS endpoint, such as mydb.abc123.us-east-1.rds.amazonaws.com').trim();
  if (isIP(hostname) === 0 && /[/:@\s]/.test(hostname)) {
    throw new ConfigError('hostname', `must be a bare hostname without scheme, port, user or path (got "${hostname}"); put the port in \`port\``);
  }
  return hostname;
}

/**
 * A provider of AWS RDS / Aurora IAM authentication tokens for PostgreSQL and
 * MySQL, signed locally with `@aws-sdk/rds-signer` (SigV4, valid 15 minutes)
 * and cached: a pool opening many connections signs about once every
 * 11 minutes instead of once per connection.
 *
 * `expiresAt` is the provider's clock at signing plus 15 minutes (or the
 * credentials' expiration, if sooner). The signer itself always uses real
 * time, so tests that move `clock` forward still get tokens a server accepts.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const pool = await createIamPool({
 *   driver: 'pg',
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * ```
 */
export function awsRdsToken(config: AwsRdsTokenConfig, options?: TokenProviderOptions): TokenProvider {
  const c = requireObject('config', config, '{ hostname, port?, username, region?, credentials? }') as unknown as AwsRdsTokenConfig;
  const hostname = validateHostname(c.hostname);
  const port = c.port === undefined ? 5432 : requirePort('port', c.port);
  const username = requireString('username', c.username, 'the database user the token logs in as');
  let region: string;
  if (c.region !== undefined) {
    region = requireString('region', c.region, 'an AWS region such as us-east-1');
    if (!isAwsRegion(region)) throw new ConfigError('region', `"${region}" is not an AWS region name such as us-east-1`);
  } else {
    const inferred = rdsRegionFromHostname(hostname);
    if (inferred === undefined) {
      throw new ConfigError('region', `cannot be inferred from hostname "${hostname}" (not an RDS endpoint); pass region, for example region: 'us-east-1'`);
    }
    region = inferred;
  }
  const credentials = validateCredentials(c.credentials);
  const opts = options === undefined ? {} : requireObject('options', options, 'TokenProviderOptions');
  const userClock = (opts as TokenProviderOptions).clock;
  const clock = (): number => (typeof userClock === 'function' ? userClock() : Date.now());

  // Remember when the credentials that signed the last token expire: a
  // presigned token cannot outlive them.
  let credentialsExpiration: Date | undefined;
  const signerCredentials =
    typeof credentials === 'function'
      ? async (props?: Record<string, unknown>): Promise<AwsCredentials> => {
          const resolved = await credentials(props);
          credentialsExpiration = resolved.expiration;
          return resolved;
        }
      : credentials;
  if (credentials !== undefined && typeof credentials !== 'function') credentialsExpiration = credentials.expiration;

  const signer = new Signer({ hostname, port, username, region, ...(signerCredentials ? { credentials: signerCredentials } : {}) });
  const source = async (): Promise<{ token: string; expiresAt: Date }> => {
    const signedAt = clock();
    const realSignedAt = Date.now();
    const token = await signer.getAuthToken();
    // Credentials expire in real time; carry what is left of them over to the provider's clock.
    const credentialsLeft = credentialsExpiration === undefined ? Infinity : credentialsExpiration.getTime() - realSignedAt;
    return { token, expiresAt: new Date(signedAt + Math.min(RDS_TOKEN_LIFETIME_MS, credentialsLeft)) };
  };
  return tokenProvider(source, {
    cacheKey: `aws-rds|${hostname.toLowerCase()}|${port}|${username}|${region}|${credentialIdentity(credentials)}`,
    target: { host: hostname, port, user: username },
    ...(opts as TokenProviderOptions),
    lifetime: RDS_TOKEN_LIFETIME_MS,
  });
}
