import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { createProvider, providerOptions, type TokenProvider, type TokenProviderOptions, type TokenSource } from '../../core/provider.js';
import { tokenStore } from '../../core/store.js';
import { describe, requireBareHost, requireObject, requirePort, requireString } from '../../core/validation.js';
import { loadAwsSharedConfigLoader, profileRegion, type AwsSharedConfigLoader } from './profile-region.js';
import { asciiLowerCase, withHostAsTyped } from './rds-host.js';
import { awsSignedSource } from './signed-source.js';
import { loadRdsSigner } from './signers.js';
import { isAwsRegion, profileShown, RDS_ENDPOINT, rdsRegionMissing, resolveRdsRegion, type AwsEndpointKind, type AwsRegionEnv, type AwsSharedFiles } from './region.js';

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
  readonly sessionToken?: string | undefined;
  /** When temporary credentials stop working. */
  readonly expiration?: Date | undefined;
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
  /**
   * The RDS or Aurora endpoint the token is signed for, without scheme or
   * port: the name RDS knows (an instance, cluster, reader or RDS Proxy
   * endpoint). A pool may dial another host that reaches it (an SSH tunnel,
   * PrivateLink, a CNAME); see docs/fleet.md.
   */
  hostname: string;
  /** The port the token is signed for (the endpoint's own). Default 5432 (PostgreSQL); pass 3306 for MySQL. */
  port?: number | undefined;
  /** The database user, which has `rds_iam` (PostgreSQL) or `AWSAuthenticationPlugin` (MySQL). */
  username: string;
  /**
   * The database's region. Default, in this order: the region in an RDS
   * endpoint's hostname; `AWS_REGION`, as the AWS SDK for JavaScript reads
   * it; `AWS_DEFAULT_REGION`, as the AWS CLI and boto3 read it (the SDK for
   * JavaScript does not); the `region` of the AWS profile (`AWS_PROFILE` or
   * `default`, in `AWS_CONFIG_FILE` or `~/.aws/config`, and the credentials
   * file), read on the first `getToken()`. Give it when `hostname` is not
   * an RDS endpoint name and none of the others holds it.
   */
  region?: string | undefined;
  /**
   * Static credentials or a provider function. Default: the SDK's default
   * chain (environment, SSO, profile, web identity, ECS, IMDS; a Lambda
   * function's role comes from the environment).
   */
  credentials?: AwsCredentials | AwsCredentialsProvider | undefined;
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

/** An AWS profile to read the region from, and its files. */
export interface AwsRegionProfile {
  readonly name: string;
  readonly files: AwsSharedFiles;
}

/** An {@link AwsRdsTokenConfig} after validation. */
export interface ResolvedAwsRdsConfig {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  /** The region, when known without reading a file; otherwise `profile` gives it on the first fetch. */
  readonly region: string | undefined;
  readonly profile: AwsRegionProfile | undefined;
  readonly credentials: AwsCredentials | AwsCredentialsProvider | undefined;
}

/** The AWS SDK's config file loader, once looked for. */
let sharedConfigLoader: Promise<AwsSharedConfigLoader | undefined> | undefined;

/** What an RDS token source makes its signer with: `@aws-sdk/rds-signer`'s `SignerConfig`, as it uses it (no type of the optional peer in dbtoken's own). */
export interface RdsSignerOptions {
  hostname: string;
  port: number;
  username: string;
  region: string;
  credentials?: AwsCredentials | AwsCredentialsProvider;
}

/** The I/O an RDS token source uses; tests swap it. */
export interface AwsRdsDeps {
  /** Makes an `@aws-sdk/rds-signer` `Signer` (or anything with its `getAuthToken`). */
  newSigner(config: RdsSignerOptions): { getAuthToken(): Promise<string> };
  /** Real time (ms), to measure what is left of the credentials. */
  now(): number;
  /** The provider's clock (ms), in which `expiresAt` is expressed. */
  clock(): number;
  /** The AWS SDK's shared config file loader, to read a profile's region; `undefined` when it is not installed. */
  sharedConfig(): Promise<AwsSharedConfigLoader | undefined>;
}

const defaultDeps: AwsRdsDeps = {
  newSigner: (config) => {
    let signer: Promise<{ getAuthToken(): Promise<string> }> | undefined;
    return { getAuthToken: async () => (await (signer ??= loadRdsSigner().then((Signer) => new Signer(config)))).getAuthToken() };
  },
  now: () => Date.now(),
  clock: () => Date.now(),
  // Looked for once per process: the packages do not move while it runs.
  sharedConfig: () => (sharedConfigLoader ??= loadAwsSharedConfigLoader()),
};

export function credentialIdentity(credentials: ResolvedAwsRdsConfig['credentials']): string {
  if (credentials === undefined) return 'default-chain';
  if (typeof credentials === 'function') return `fn:${tokenStore().idOf(credentials)}`;
  const digest = createHash('sha256')
    .update(`${credentials.secretAccessKey}\0${credentials.sessionToken ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return `static:${credentials.accessKeyId}:${digest}`;
}

/**
 * The identity an RDS token stands for, as a store key. A JSON array, so
 * that no host or user name can make two identities look alike.
 */
export function awsRdsCacheKey(c: ResolvedAwsRdsConfig): string {
  const region = c.region ?? ['profile', c.profile?.name, c.profile?.files.config, c.profile?.files.credentials];
  return JSON.stringify(['aws-rds', asciiLowerCase(c.hostname), c.port, c.username, region, credentialIdentity(c.credentials)]);
}

export function validateCredentials(value: unknown): AwsRdsTokenConfig['credentials'] {
  if (value === undefined || typeof value === 'function') return value as AwsRdsTokenConfig['credentials'];
  if (typeof value !== 'object' || value === null) {
    throw new ConfigError('credentials', `must be { accessKeyId, secretAccessKey, sessionToken? } or a credential provider function, got ${describe(value)}`, 'pass static keys, a provider such as fromIni(), or leave it out for the default chain');
  }
  const c = value as Record<string, unknown>;
  for (const f of ['accessKeyId', 'secretAccessKey'] as const) {
    if (typeof c[f] !== 'string' || (c[f] as string).length === 0) {
      throw new ConfigError(`credentials.${f}`, 'is required and must be a non-empty string', 'pass both accessKeyId and secretAccessKey, or leave credentials out for the default chain');
    }
  }
  if (c.sessionToken !== undefined && typeof c.sessionToken !== 'string') {
    throw new ConfigError('credentials.sessionToken', 'must be a string when given', 'pass the session token of temporary credentials, or leave it out');
  }
  if (c.expiration !== undefined && !(c.expiration instanceof Date && !isNaN(c.expiration.getTime()))) {
    throw new ConfigError('credentials.expiration', 'must be a valid Date when given', 'pass a Date, or leave it out');
  }
  return value as AwsCredentials;
}

/** The `hostname` an AWS token is signed for: a bare host name or address. */
export function validateHostname(value: unknown, example = 'the RDS endpoint, such as mydb.abc123.us-east-1.rds.amazonaws.com'): string {
  return requireBareHost('hostname', value, example);
}

/**
 * Checks an {@link AwsRdsTokenConfig}; throws a {@link ConfigError} naming
 * the field. The region's sources are read from `env`; when only the AWS
 * profile can give it and neither of its files exists, that is a
 * `ConfigError` on `region` now.
 */
export function validateAwsRdsConfig(config: unknown, env: AwsRegionEnv = process.env, exists: (path: string) => boolean = existsSync): ResolvedAwsRdsConfig {
  const c = requireObject('config', config, '{ hostname, port?, username, region?, credentials? }') as unknown as AwsRdsTokenConfig;
  const hostname = validateHostname(c.hostname);
  const port = c.port === undefined ? 5432 : requirePort('port', c.port);
  const username = requireString('username', c.username, 'the database user the token logs in as');
  const r = resolveRdsRegion(c.region, hostname, env, exists);
  const credentials = validateCredentials(c.credentials);
  return { hostname, port, username, region: r.region, profile: r.region === undefined ? { name: r.profile, files: r.files } : undefined, credentials };
}

/** What {@link awsRdsRegion} reads a region from: a config's hostname, its region when known, else its profile. */
export interface AwsRegionConfig {
  readonly hostname: string;
  readonly region: string | undefined;
  readonly profile: AwsRegionProfile | undefined;
  /** The kind of endpoint `hostname` is, for messages. Default RDS. */
  readonly endpoint?: AwsEndpointKind | undefined;
}

/** Reads the profile's region; a {@link ConfigError} on `region` when it has none, naming every source. */
async function readProfileRegion(hostname: string, profile: AwsRegionProfile, d: Pick<AwsRdsDeps, 'sharedConfig'>, endpoint: AwsEndpointKind): Promise<string> {
  const where = `${profile.files.config} or ${profile.files.credentials}`;
  const loader = await d.sharedConfig();
  if (loader === undefined) {
    throw rdsRegionMissing(hostname, profile.name, "the AWS SDK's config file loader, which the AWS signer packages install, could not be loaded to read it", endpoint);
  }
  const region = await profileRegion(loader, profile.name, profile.files);
  if (region === undefined) throw rdsRegionMissing(hostname, profile.name, `no region for it in ${where}`, endpoint);
  if (!isAwsRegion(region)) {
    throw new ConfigError('region', `the region of AWS profile ${profileShown(profile.name)} in ${where} is not an AWS region name`, 'correct it in the profile, or pass region');
  }
  return region;
}

/**
 * The region of a config: the one it knows, or its profile's, read on the
 * first call and kept; read again after a failure, so a profile fixed
 * meanwhile is seen.
 */
export function awsRdsRegion(c: AwsRegionConfig, deps: Partial<Pick<AwsRdsDeps, 'sharedConfig'>> = {}): () => Promise<string> {
  if (c.region !== undefined) {
    const known = Promise.resolve(c.region);
    return () => known;
  }
  const d = { sharedConfig: defaultDeps.sharedConfig, ...deps };
  let read: Promise<string> | undefined;
  return () =>
    (read ??= readProfileRegion(c.hostname, c.profile!, d, c.endpoint ?? RDS_ENDPOINT).catch((err: unknown) => {
      read = undefined;
      throw err;
    }));
}

/**
 * The token source behind {@link awsRdsToken}: each call signs a fresh
 * token with `@aws-sdk/rds-signer`, as the AWS CLI makes it: signed over
 * the hostname in lower case, and printed with the hostname as typed.
 * Credentials are handled as {@link awsSignedSource} says (a hung default
 * chain is dropped; a token expires no later than its credentials).
 */
export function awsRdsSource(c: ResolvedAwsRdsConfig, deps: Partial<AwsRdsDeps> = {}, region: () => Promise<string> = awsRdsRegion(c, deps)): TokenSource {
  const d: AwsRdsDeps = { ...defaultDeps, ...deps };
  return awsSignedSource(
    {
      credentials: c.credentials,
      region: c.region,
      readRegion: region,
      lifetimeMs: RDS_TOKEN_LIFETIME_MS,
      // Signed over the lower-case host, as the AWS CLI and boto3 sign it.
      signer: (r, credentials) => {
        const signer = d.newSigner({ hostname: asciiLowerCase(c.hostname), port: c.port, username: c.username, region: r, ...(credentials !== undefined ? { credentials } : {}) });
        return () => signer.getAuthToken();
      },
      finish: (token) => withHostAsTyped(token, c.hostname, c.port),
    },
    d,
  );
}

/**
 * The pace of IAM logins with these tokens, per process and endpoint, when a
 * pool sets no `loginRate`. AWS advises IAM logins for workloads under about
 * 200 new connections a second per instance: at 25 a second, eight
 * processes that warm their pools at once stay under it, and a pool of 100
 * connections warms in 4 s.
 */
const RDS_LOGIN_RATE = Object.freeze({ perSecond: 25, burst: 1 });

/**
 * A provider of AWS RDS / Aurora IAM authentication tokens for PostgreSQL and
 * MySQL, signed locally with `@aws-sdk/rds-signer` (SigV4, valid 15 minutes)
 * and cached: a pool opening many connections signs about once every
 * 11 minutes instead of once per connection.
 *
 * `expiresAt` is the provider's clock at signing plus 15 minutes (or the
 * credentials' expiration, if sooner). The signer itself always uses real
 * time, so tests that move `clock` forward still get tokens a server accepts.
 * A credentials call that hangs (an unreachable instance-metadata endpoint)
 * is abandoned at `fetchTimeout` (default 30 s), and the next connection
 * tries again.
 *
 * A hostname in mixed case is signed in lower case, as the AWS CLI and
 * boto3 sign it, and the token names it as given: dbtoken's token and
 * `aws rds generate-db-auth-token`'s carry the same signature.
 *
 * Without `region`, the region comes from an RDS endpoint's hostname, then
 * `AWS_REGION`, then `AWS_DEFAULT_REGION` (which the AWS CLI reads and the
 * SDK for JavaScript does not), then the AWS profile's `region`, read on the
 * first `getToken()`. A region none of them gives is a {@link ConfigError}:
 * here when there is no AWS config file to read, else from that
 * `getToken()`.
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
 * // Through a tunnel: the region from AWS_REGION (or pass region).
 * const viaTunnel = awsRdsToken({ hostname: '127.0.0.1', username: 'app' });
 * ```
 */
export function awsRdsToken(config: AwsRdsTokenConfig, options?: TokenProviderOptions): TokenProvider {
  return awsRdsTokenIn(process.env, config, options);
}

/** {@link awsRdsToken} with the region's sources read from `env` (the CLI passes its own); `deps` for tests. */
export function awsRdsTokenIn(env: AwsRegionEnv, config: AwsRdsTokenConfig, options?: TokenProviderOptions, deps: Partial<AwsRdsDeps> = {}): TokenProvider {
  const c = validateAwsRdsConfig(config, env);
  const { opts, clock } = providerOptions(options);
  const region = awsRdsRegion(c, deps);
  return createProvider(
    awsRdsSource(c, { clock, ...deps }, region),
    { cacheKey: awsRdsCacheKey(c), target: { host: c.hostname, port: c.port, user: c.username }, ...opts, lifetime: RDS_TOKEN_LIFETIME_MS },
    { beforeGetToken: c.region === undefined ? regionFirst(region) : undefined, loginRate: RDS_LOGIN_RATE },
  );
}

/**
 * Makes `getToken()` read the profile's region before it asks for a token,
 * so that a profile without one fails the call with the region's
 * {@link ConfigError} itself, as a missing region fails `awsRdsToken()`,
 * and not as a failing token source. Once the region is known, it costs
 * nothing.
 */
export function regionFirst(region: () => Promise<string>): () => Promise<void> | undefined {
  let known = false;
  return () =>
    known
      ? undefined
      : region().then(() => {
          known = true;
        });
}
