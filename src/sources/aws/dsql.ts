import { existsSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { createProvider, providerOptions, type ConnectionLifetime, type TokenProvider, type TokenProviderOptions } from '../../core/provider.js';
import { describe, requireObject, requireString } from '../../core/validation.js';
import { awsRdsRegion, credentialIdentity, regionFirst, validateCredentials, validateHostname, type AwsCredentials, type AwsCredentialsProvider, type AwsRegionProfile } from './rds.js';
import { asciiLowerCase, withHostAsTyped } from './rds-host.js';
import { DSQL_ENDPOINT, dsqlRegionFromHostname, resolveRdsRegion, type AwsRegionEnv } from './region.js';
import { awsSignedSource } from './signed-source.js';
import { loadDsqlSigner } from './signers.js';

/**
 * Options of {@link awsDsqlToken}.
 *
 * @example
 * ```ts
 * const config: AwsDsqlTokenConfig = {
 *   hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', // region us-east-1 is read from it
 *   username: 'app', // a role granted to this IAM identity with AWS IAM GRANT
 * };
 * const token = awsDsqlToken(config);
 * ```
 */
export interface AwsDsqlTokenConfig {
  /**
   * The cluster endpoint the token is signed for, without scheme or port
   * (`<cluster id>.dsql.<region>.on.aws`). A pool may dial another host that
   * reaches it (a tunnel, PrivateLink): give that host to the pool.
   */
  hostname: string;
  /**
   * The database role to log in as: one you made with `CREATE ROLE ... WITH
   * LOGIN` and granted to the IAM identity with `AWS IAM GRANT`. Required
   * unless `admin` is `true`; `'admin'` means `admin: true`.
   */
  username?: string | undefined;
  /**
   * `true` for the built-in `admin` role: tokens for the `DbConnectAdmin`
   * action, which IAM allows separately from `DbConnect`. Default: `true`
   * when `username` is `'admin'`, else `false`.
   */
  admin?: boolean | undefined;
  /**
   * The cluster's region. Default, in this order: the region in a cluster
   * endpoint's hostname; `AWS_REGION`; `AWS_DEFAULT_REGION`; the `region` of
   * the AWS profile, read on the first `getToken()` (as for
   * {@link awsRdsToken}).
   */
  region?: string | undefined;
  /**
   * Static credentials or a provider function. Default: the SDK's default
   * chain (environment, SSO, profile, web identity, ECS, IMDS).
   */
  credentials?: AwsCredentials | AwsCredentialsProvider | undefined;
  /**
   * How long a token is accepted after signing, in seconds: 60 to 604,800
   * (7 days). Default 900. A connection lives on after its token expires, so
   * a longer token only means fewer signatures. A token lives no longer than
   * its credentials: with the SDK's default chain, whose credentials' expiry
   * dbtoken cannot see, dbtoken takes it to live at most 15 minutes.
   */
  expiresIn?: number | undefined;
}

/**
 * Aurora DSQL's default token lifetime (`expiresIn`), in seconds.
 *
 * @example
 * ```ts
 * import { DSQL_TOKEN_EXPIRES_IN_S } from 'dbtoken/aws';
 * DSQL_TOKEN_EXPIRES_IN_S; // 900
 * ```
 */
export const DSQL_TOKEN_EXPIRES_IN_S = 900;

/** How long a token signed with the SDK's default chain is taken to live at most: its credentials' expiry is unseen. */
const DEFAULT_CHAIN_LIFETIME_MS = 15 * 60_000;

/** The longest `expiresIn` a SigV4 presigned token may have: 7 days. */
const MAX_EXPIRES_IN_S = 604_800;

/** Below a minute, a token would be refreshed almost as soon as it is signed. */
const MIN_EXPIRES_IN_S = 60;

/**
 * How long Aurora DSQL lets a connection live: one hour. Pools made with
 * {@link awsDsqlToken} recycle a connection at 55 minutes, as AWS's own
 * connectors do, so no connection is cut off in the middle of a query.
 *
 * @example
 * ```ts
 * import { DSQL_CONNECTION_LIFETIME } from 'dbtoken/aws';
 * DSQL_CONNECTION_LIFETIME; // { maxMs: 3600000, recycleMs: 3300000 }
 * ```
 */
export const DSQL_CONNECTION_LIFETIME: ConnectionLifetime = Object.freeze({ maxMs: 60 * 60_000, recycleMs: 55 * 60_000 });

/** An {@link AwsDsqlTokenConfig} after validation. */
export interface ResolvedAwsDsqlConfig {
  readonly hostname: string;
  readonly username: string;
  readonly admin: boolean;
  readonly region: string | undefined;
  readonly profile: AwsRegionProfile | undefined;
  readonly credentials: AwsCredentials | AwsCredentialsProvider | undefined;
  readonly expiresIn: number;
}

/** What a DSQL token source makes its signer with: `@aws-sdk/dsql-signer`'s `DsqlSignerConfig`, as it uses it. */
export interface DsqlSignerOptions {
  hostname: string;
  region: string;
  expiresIn: number;
  credentials?: AwsCredentials | AwsCredentialsProvider;
}

/** The two methods of `@aws-sdk/dsql-signer`'s `DsqlSigner` a source calls. */
export interface DsqlTokenSigner {
  getDbConnectAuthToken(): Promise<string>;
  getDbConnectAdminAuthToken(): Promise<string>;
}

/** The I/O a DSQL token source uses; tests swap it. */
export interface AwsDsqlDeps {
  /** Makes an `@aws-sdk/dsql-signer` `DsqlSigner` (or anything with its two methods). */
  newSigner(config: DsqlSignerOptions): DsqlTokenSigner;
  /** Real time (ms), to measure what is left of the credentials. */
  now(): number;
  /** The provider's clock (ms), in which `expiresAt` is expressed. */
  clock(): number;
}

const defaultDeps: AwsDsqlDeps = {
  newSigner: (config) => {
    let signer: Promise<DsqlTokenSigner> | undefined;
    const load = (): Promise<DsqlTokenSigner> => (signer ??= loadDsqlSigner().then((Signer) => new Signer(config)));
    return { getDbConnectAuthToken: async () => (await load()).getDbConnectAuthToken(), getDbConnectAdminAuthToken: async () => (await load()).getDbConnectAdminAuthToken() };
  },
  now: () => Date.now(),
  clock: () => Date.now(),
};

/**
 * Checks an {@link AwsDsqlTokenConfig}; throws a {@link ConfigError} naming
 * the field. The region's sources are read from `env`, as for RDS.
 */
export function validateAwsDsqlConfig(config: unknown, env: AwsRegionEnv = process.env, exists: (path: string) => boolean = existsSync): ResolvedAwsDsqlConfig {
  const c = requireObject('config', config, '{ hostname, username?, admin?, region?, credentials?, expiresIn? }') as unknown as AwsDsqlTokenConfig & { port?: unknown };
  const hostname = validateHostname(c.hostname, 'the cluster endpoint, such as abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws');
  if (c.port !== undefined) {
    throw new ConfigError('port', 'is not an option of awsDsqlToken: a DSQL token is signed for the cluster endpoint without a port', 'leave it out, and give the port you dial to the pool');
  }
  if (c.admin !== undefined && typeof c.admin !== 'boolean') throw new ConfigError('admin', `must be true or false, got ${describe(c.admin)}`, 'pass admin: true for the admin role, or leave it out');
  let username: string;
  let admin: boolean;
  if (c.username === undefined) {
    if (c.admin !== true) {
      throw new ConfigError('username', 'is required: the database role to log in as (one granted to your IAM identity with AWS IAM GRANT)', "pass username, or admin: true to log in as the admin role");
    }
    username = 'admin';
    admin = true;
  } else {
    username = requireString('username', c.username, 'the database role to log in as');
    if (/[\0\s]/.test(username) || Buffer.byteLength(username) > 63) {
      throw new ConfigError('username', 'must be a role name without spaces or NUL, at most 63 bytes', 'pass the name given to CREATE ROLE');
    }
    admin = c.admin ?? username === 'admin';
    if (admin && username !== 'admin') {
      throw new ConfigError('admin', `is true, but username is not "admin": DbConnectAdmin tokens log in only as the admin role`, "leave admin out to log in as this role, or pass username: 'admin'");
    }
    if (!admin && username === 'admin') {
      throw new ConfigError('admin', 'is false, but the admin role logs in only with DbConnectAdmin tokens', 'leave admin out, or pass admin: true');
    }
  }
  let expiresIn = DSQL_TOKEN_EXPIRES_IN_S;
  if (c.expiresIn !== undefined) {
    if (typeof c.expiresIn !== 'number' || !Number.isInteger(c.expiresIn) || c.expiresIn < MIN_EXPIRES_IN_S || c.expiresIn > MAX_EXPIRES_IN_S) {
      throw new ConfigError('expiresIn', `must be a whole number of seconds from ${MIN_EXPIRES_IN_S} to ${MAX_EXPIRES_IN_S} (7 days), got ${describe(c.expiresIn)}`, `pass seconds, such as 900 (the default); it is not milliseconds`);
    }
    expiresIn = c.expiresIn;
  }
  const r = resolveRdsRegion(c.region, hostname, env, exists, undefined, DSQL_ENDPOINT);
  const credentials = validateCredentials(c.credentials);
  return { hostname, username, admin, region: r.region, profile: r.region === undefined ? { name: r.profile, files: r.files } : undefined, credentials, expiresIn };
}

/** The identity a DSQL token stands for, as a store key: a JSON array, so no name can make two alike. */
export function awsDsqlCacheKey(c: ResolvedAwsDsqlConfig): string {
  const region = c.region ?? ['profile', c.profile?.name, c.profile?.files.config, c.profile?.files.credentials];
  return JSON.stringify(['aws-dsql', asciiLowerCase(c.hostname), c.username, c.admin, c.expiresIn, region, credentialIdentity(c.credentials)]);
}

/**
 * A provider of Aurora DSQL IAM authentication tokens, signed locally with
 * `@aws-sdk/dsql-signer` (SigV4 presigned, action `DbConnect`, or
 * `DbConnectAdmin` for the `admin` role) and cached: one signature serves
 * every connection until it is refreshed ahead of expiry.
 *
 * DSQL speaks PostgreSQL over TLS only: use it with `pg` or `postgres`
 * (database `postgres`). DSQL closes a connection after one hour, so pools
 * made with this provider recycle each connection at 55 minutes (pg's
 * `maxLifetimeSeconds`, postgres.js's `max_lifetime`) and refuse a setting
 * past the hour. A session outlives its token.
 *
 * `expiresAt` is the provider's clock at signing plus `expiresIn` (or the
 * credentials' expiration, if sooner). The region comes from the cluster
 * endpoint's hostname when not given, then `AWS_REGION`,
 * `AWS_DEFAULT_REGION` and the AWS profile, as for {@link awsRdsToken}.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsDsqlToken } from 'dbtoken/aws';
 * const pool = await createIamPool({
 *   driver: 'pg',
 *   token: awsDsqlToken({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', username: 'app' }),
 *   database: 'postgres',
 *   ssl: true, // DSQL's certificate chains to public roots
 * });
 * const admin = awsDsqlToken({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', admin: true });
 * ```
 */
export function awsDsqlToken(config: AwsDsqlTokenConfig, options?: TokenProviderOptions): TokenProvider {
  return awsDsqlTokenIn(process.env, config, options);
}

/** {@link awsDsqlToken} with the region's sources read from `env` (the CLI passes its own); `deps` for tests. */
export function awsDsqlTokenIn(env: AwsRegionEnv, config: AwsDsqlTokenConfig, options?: TokenProviderOptions, deps: Partial<AwsDsqlDeps> = {}): TokenProvider {
  const c = validateAwsDsqlConfig(config, env);
  const { opts, clock } = providerOptions(options);
  const d: AwsDsqlDeps = { ...defaultDeps, clock, ...deps };
  const region = awsRdsRegion({ ...c, endpoint: DSQL_ENDPOINT });
  const host = asciiLowerCase(c.hostname);
  const source = awsSignedSource(
    {
      credentials: c.credentials,
      region: c.region,
      readRegion: region,
      lifetimeMs: c.expiresIn * 1000,
      // The default chain's credentials may be temporary (a role's), and their expiry does not reach us: a
      // token signed with them is taken to live no longer than an RDS token, 15 minutes.
      defaultChainLifetimeMs: DEFAULT_CHAIN_LIFETIME_MS,
      signer: (r, credentials) => {
        const signer = d.newSigner({ hostname: host, region: r, expiresIn: c.expiresIn, ...(credentials !== undefined ? { credentials } : {}) });
        return c.admin ? () => signer.getDbConnectAdminAuthToken() : () => signer.getDbConnectAuthToken();
      },
      // Signed over the lower-case host and printed with the host as typed, as botocore makes it; the prefix is not signed.
      finish: (token) => withHostAsTyped(token, c.hostname),
    },
    d,
  );
  return createProvider(
    source,
    // No port: a DSQL token is signed for the host alone, and logs in on any port that reaches it (a tunnel's).
    { cacheKey: awsDsqlCacheKey(c), target: { host: c.hostname, user: c.username }, ...opts, lifetime: c.expiresIn * 1000 },
    { beforeGetToken: c.region === undefined ? regionFirst(region) : undefined, connectionLifetime: DSQL_CONNECTION_LIFETIME },
  );
}

