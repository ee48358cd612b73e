import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { describe } from '../../core/validation.js';
/**
 * Pure helpers for AWS RDS endpoints and the region a token is signed for.
 */

// <name>.<id or cluster-/proxy- prefix>.<region>.rds.<partition domain>
const RDS_HOST = /^(?:[a-z0-9-]+\.)+([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)\.?$/i;

/**
 * The AWS region of an RDS or Aurora endpoint (instance, cluster, reader,
 * custom, proxy; every partition), or `undefined` when the hostname is not an
 * RDS endpoint (an IP address, a CNAME of your own, `localhost`) or not a
 * string.
 *
 * @example
 * ```ts
 * rdsRegionFromHostname('mydb.c9akciq32.eu-west-1.rds.amazonaws.com'); // 'eu-west-1'
 * rdsRegionFromHostname('db.internal.example.com');                    // undefined
 * ```
 */
export function rdsRegionFromHostname(hostname: string): string | undefined {
  if (typeof hostname !== 'string') return undefined;
  const m = RDS_HOST.exec(hostname.trim());
  return m?.[1]?.toLowerCase();
}

// <cluster id>.dsql[-fips].<region>.on.aws
const DSQL_HOST = /^[a-z0-9-]+\.dsql(?:-[a-z]+)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.on\.aws\.?$/i;

/**
 * The AWS region of an Aurora DSQL cluster endpoint
 * (`<cluster id>.dsql.<region>.on.aws`), or `undefined` when the hostname
 * is not one (an IP address, a tunnel's `localhost`, a CNAME of your own) or
 * not a string.
 *
 * @example
 * ```ts
 * dsqlRegionFromHostname('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws'); // 'us-east-1'
 * dsqlRegionFromHostname('localhost');                                         // undefined
 * ```
 */
export function dsqlRegionFromHostname(hostname: string): string | undefined {
  if (typeof hostname !== 'string') return undefined;
  const m = DSQL_HOST.exec(hostname.trim());
  return m?.[1]?.toLowerCase();
}

/** A kind of AWS endpoint whose hostname may name its region: how to read it, and what messages call such a name. */
export interface AwsEndpointKind {
  /** What a message calls such a hostname: `'an RDS endpoint'`. */
  readonly name: string;
  /** The region a hostname of this kind names, if it is one. */
  regionOf(hostname: string): string | undefined;
  /** What the service says of a token signed for another region than the one the hostname names: a `region` option that contradicts it is refused. */
  readonly otherRegion?: string | undefined;
}

/** RDS and Aurora endpoints. */
export const RDS_ENDPOINT: AwsEndpointKind = { name: 'an RDS endpoint', regionOf: rdsRegionFromHostname };

/** Aurora DSQL cluster endpoints. */
export const DSQL_ENDPOINT: AwsEndpointKind = { name: 'a DSQL cluster endpoint', regionOf: dsqlRegionFromHostname, otherRegion: 'DSQL would refuse every token' };

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** True when `region` is shaped like an AWS region name (`us-east-1`, `us-gov-west-1`). */
export function isAwsRegion(region: string): boolean {
  return typeof region === 'string' && REGION.test(region);
}

/** The ARN partition of an AWS region (`aws`, `aws-cn`, `aws-us-gov`, or one of the isolated ones). */
export function awsPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  return 'aws';
}

/**
 * `value` in quotes for a message when it is short and written only in
 * `alphabet` (lower case, as regions and hostnames are and random keys and
 * tokens are not); otherwise only its length, so a secret passed by mistake
 * never reaches a log.
 */
function shownIf(value: unknown, alphabet: RegExp, max: number): string {
  if (typeof value !== 'string') return describe(value);
  return value.length <= max && alphabet.test(value) ? `"${value}"` : `(a ${value.length}-character string, not shown)`;
}

/** Where the region of an RDS token came from, in the order they are tried. */
export type RdsRegionSource = 'region' | 'hostname' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'profile';

/** The environment variables the region is read from (`process.env` fits). */
export type AwsRegionEnv = Readonly<Record<string, string | undefined>>;

/**
 * The region as far as it is known without reading a file: the first of
 * the `region` option, an RDS endpoint's hostname, `AWS_REGION` (as the AWS
 * SDK for JavaScript reads it) and `AWS_DEFAULT_REGION` (as the AWS CLI and
 * boto3 read it); otherwise the AWS profile to read it from (`AWS_PROFILE`,
 * else `default`). An empty variable counts as unset. Throws a
 * {@link ConfigError} on `region` when the option or a variable is given but
 * is not a region name.
 */
export function pickRdsRegion(
  region: unknown,
  hostname: string,
  env: AwsRegionEnv,
  endpoint: AwsEndpointKind = RDS_ENDPOINT,
): { readonly region: string; readonly from: Exclude<RdsRegionSource, 'profile'> } | { readonly region: undefined; readonly from: 'profile'; readonly profile: string } {
  if (region !== undefined) {
    if (typeof region !== 'string' || region.trim() === '') {
      throw new ConfigError('region', `must be an AWS region name (got ${describe(region)})`, "pass a region such as 'us-east-1'");
    }
    if (!isAwsRegion(region)) throw new ConfigError('region', `${shownIf(region, /^[a-z0-9-]+$/, 32)} is not an AWS region name`, "pass a region such as 'us-east-1'");
    const named = endpoint.otherRegion === undefined ? undefined : endpoint.regionOf(hostname);
    if (named !== undefined && named !== region) {
      throw new ConfigError('region', `is "${region}", but ${endpoint.name} is in ${named}: ${endpoint.otherRegion}`, `leave region out (it is read from the endpoint), or pass '${named}'`);
    }
    return { region, from: 'region' };
  }
  const inferred = endpoint.regionOf(hostname);
  if (inferred !== undefined) return { region: inferred, from: 'hostname' };
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const raw = env[name];
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (value === '') continue;
    if (!isAwsRegion(value)) {
      throw new ConfigError('region', `${name} is set to ${shownIf(value, /^[a-z0-9-]+$/, 32)}, which is not an AWS region name`, `set ${name} to a region such as us-east-1, or pass region`);
    }
    return { region: value, from: name };
  }
  return { region: undefined, from: 'profile', profile: env.AWS_PROFILE || 'default' };
}

/** The AWS shared config and credentials files. */
export interface AwsSharedFiles {
  readonly config: string;
  readonly credentials: string;
}

/**
 * The files the AWS SDK reads profiles from, found as it finds them:
 * `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, else `.aws/config`
 * and `.aws/credentials` in the home folder (`HOME`, `USERPROFILE`,
 * `HOMEDRIVE` + `HOMEPATH`, else the OS's), a leading `~/` expanded.
 */
export function awsSharedFiles(env: AwsRegionEnv, osHome: () => string = homedir): AwsSharedFiles {
  const home = (): string => env.HOME || env.USERPROFILE || (env.HOMEPATH ? `${env.HOMEDRIVE ?? `C:${sep}`}${env.HOMEPATH}` : osHome());
  const expand = (path: string): string => (path.startsWith('~/') ? join(home(), path.slice(2)) : path);
  return {
    config: expand(env.AWS_CONFIG_FILE || join(home(), '.aws', 'config')),
    credentials: expand(env.AWS_SHARED_CREDENTIALS_FILE || join(home(), '.aws', 'credentials')),
  };
}

/** An AWS profile's name as a message shows it. */
export function profileShown(profile: string): string {
  return shownIf(profile, /^[A-Za-z0-9._@+-]+$/, 64);
}

/**
 * The {@link ConfigError} for a region that none of the sources gives, each
 * named; `why` says what the profile lacked.
 */
export function rdsRegionMissing(hostname: string, profile: string, why: string, endpoint: AwsEndpointKind = RDS_ENDPOINT): ConfigError {
  return new ConfigError(
    'region',
    `cannot be inferred from hostname ${shownIf(hostname, /^[a-z0-9.:-]+$/, 253)} (not ${endpoint.name}), AWS_REGION, AWS_DEFAULT_REGION or the region of AWS profile ${profileShown(profile)} (${why})`,
    "pass region, for example region: 'us-east-1', or set AWS_REGION",
  );
}

/** The region of an RDS token, or the profile that is left to read it from. */
export type RdsRegion =
  | { readonly region: string; readonly from: Exclude<RdsRegionSource, 'profile'> }
  | { readonly region: undefined; readonly from: 'profile'; readonly profile: string; readonly files: AwsSharedFiles };

/**
 * {@link pickRdsRegion}, and when only the profile is left, its files. When
 * neither file exists the profile cannot give a region either: that is a
 * {@link ConfigError} now, naming every source. The library and the CLI
 * share it.
 */
export function resolveRdsRegion(
  region: unknown,
  hostname: string,
  env: AwsRegionEnv,
  exists: (path: string) => boolean,
  osHome?: () => string,
  endpoint: AwsEndpointKind = RDS_ENDPOINT,
): RdsRegion {
  const pick = pickRdsRegion(region, hostname, env, endpoint);
  if (pick.region !== undefined) return pick;
  const files = awsSharedFiles(env, osHome);
  if (!exists(files.config) && !exists(files.credentials)) {
    throw rdsRegionMissing(hostname, pick.profile, `no AWS config file at ${files.config} or ${files.credentials}`, endpoint);
  }
  return { ...pick, files };
}
