import { existsSync } from 'node:fs';
import { validateAwsDsqlConfig } from '../sources/aws/dsql.js';
import { DSQL_ENDPOINT, profileShown, resolveRdsRegion, type AwsRegionEnv, type RdsRegion } from '../sources/aws/region.js';
import { OCI_AUTH_TYPES, type OciAuth } from '../sources/oci/auth.js';
import { isOciRegion } from '../sources/oci/region.js';
import { parseOciScope } from '../sources/oci/scope.js';
import { optional, oneOf, refuse, required, UsageError, type OptionSpecs, type OptionValues } from './args.js';
import { AWS_REGION_WORDING, DSQL_FIELDS, PROVIDER_FIELDS, withUsageErrors, wordingFor } from './explain.js';

/** The options that pick and configure a token provider, shared by `token` and `whoami`. */
export const PROVIDER_OPTIONS = {
  region: { type: 'string' },
  scope: { type: 'string' },
  auth: { type: 'string' },
  profile: { type: 'string' },
  'config-file': { type: 'string' },
  endpoint: { type: 'string' },
} as const satisfies OptionSpecs;

/** What `awsRdsToken()` gets, less the credentials (the SDK's default chain). */
export interface AwsProviderPlan {
  readonly kind: 'aws';
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  /** Known now (--region, the RDS endpoint, AWS_REGION, AWS_DEFAULT_REGION); else the AWS profile's, read with the first token. */
  readonly region: string | undefined;
  /** Where the region comes from, for --debug. */
  readonly regionFrom: string;
}

/** What `ociDbToken()` gets. */
export interface OciProviderPlan {
  readonly kind: 'oci';
  readonly scope: string;
  readonly region?: string | undefined;
  readonly auth: OciAuth;
  readonly endpoint?: string | undefined;
}

/** What `heatwaveOciToken()` gets. */
export interface HeatwaveProviderPlan {
  readonly kind: 'heatwave';
  readonly configFile?: string | undefined;
  readonly profile?: string | undefined;
}

/** What `awsDsqlToken()` gets, less the credentials (the SDK's default chain). */
export interface DsqlProviderPlan {
  readonly kind: 'dsql';
  /** The cluster endpoint the token is signed for (no port). */
  readonly hostname: string;
  /** The role to log in as; `admin` when `admin` is true. */
  readonly username: string;
  /** `DbConnectAdmin` tokens, for the admin role. */
  readonly admin: boolean;
  /** Known now (--region, the cluster endpoint, AWS_REGION, AWS_DEFAULT_REGION); else the AWS profile's, read with the first token. */
  readonly region: string | undefined;
  /** Where the region comes from, for --debug. */
  readonly regionFrom: string;
  /** Seconds; undefined for the library's default (900). */
  readonly expiresIn?: number | undefined;
}

export type ProviderPlan = AwsProviderPlan | DsqlProviderPlan | OciProviderPlan | HeatwaveProviderPlan;

const AWS_CREDENTIALS_WHY = 'does not apply to AWS tokens (the SDK reads credentials from AWS_* variables, AWS_PROFILE, SSO or the instance role)';

/** Where an AWS token's region came from, for --debug. */
function regionFrom(r: RdsRegion, endpoint: string): string {
  return r.region === undefined
    ? `AWS profile ${profileShown(r.profile)} in ${r.files.config} or ${r.files.credentials}`
    : { region: '--region', hostname: endpoint, AWS_REGION: 'AWS_REGION', AWS_DEFAULT_REGION: 'AWS_DEFAULT_REGION' }[r.from];
}

/**
 * The RDS token's options. The region is found as `awsRdsToken()` finds it:
 * `--region`, an RDS endpoint, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the
 * AWS profile (read with the first token). A usage error when none can give
 * one.
 */
export function awsProviderPlan(
  values: OptionValues,
  target: { hostname: string; port: number; username: string },
  env: AwsRegionEnv,
  exists: (path: string) => boolean = existsSync,
): AwsProviderPlan {
  refuse(values, ['scope', 'auth', 'profile', 'config-file', 'endpoint'], AWS_CREDENTIALS_WHY);
  const r = withUsageErrors(() => resolveRdsRegion(optional(values, 'region'), target.hostname, env, exists), () => AWS_REGION_WORDING);
  return { kind: 'aws', ...target, region: r.region, regionFrom: regionFrom(r, 'the RDS endpoint') };
}

/**
 * The Aurora DSQL token's options, checked as `awsDsqlToken()` checks them
 * (a usage error naming the option). The region is found as for RDS, with a
 * DSQL cluster endpoint in place of an RDS one. `target.username` undefined
 * with `admin` means the admin role.
 */
export function dsqlProviderPlan(
  values: OptionValues,
  target: { hostname: string; username: string | undefined; admin: boolean; expiresIn?: number | undefined },
  env: AwsRegionEnv,
  exists: (path: string) => boolean = existsSync,
): DsqlProviderPlan {
  refuse(values, ['scope', 'auth', 'profile', 'config-file', 'endpoint'], AWS_CREDENTIALS_WHY);
  const region = optional(values, 'region');
  const config = {
    hostname: target.hostname,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.admin ? { admin: true } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(target.expiresIn !== undefined ? { expiresIn: target.expiresIn } : {}),
  };
  const c = withUsageErrors(
    () => validateAwsDsqlConfig(config, env, exists),
    (field) => (field === 'region' ? AWS_REGION_WORDING : wordingFor(field, DSQL_FIELDS)),
  );
  const r = resolveRdsRegion(region, c.hostname, env, exists, undefined, DSQL_ENDPOINT); // checked just above: no throw
  return {
    kind: 'dsql',
    hostname: c.hostname,
    username: c.username,
    admin: c.admin,
    region: c.region,
    regionFrom: regionFrom(r, 'the DSQL cluster endpoint'),
    ...(target.expiresIn !== undefined ? { expiresIn: c.expiresIn } : {}),
  };
}

/** The OCI db-token's options. */
export function ociProviderPlan(values: OptionValues): OciProviderPlan {
  const scope = required(values, 'scope', 'the db-token scope, such as urn:oracle:db::id::<compartment OCID> or urn:oracle:db::id::*');
  withUsageErrors(() => parseOciScope(scope), (field) => wordingFor(field, PROVIDER_FIELDS));
  const region = optional(values, 'region');
  if (region !== undefined && !isOciRegion(region)) {
    throw new UsageError('--region', `--region must be an OCI region such as us-ashburn-1 or eu-frankfurt-1 (got "${region}")`);
  }
  const type = oneOf('auth', optional(values, 'auth') ?? 'api_key', OCI_AUTH_TYPES);
  const configFile = optional(values, 'config-file');
  const profile = optional(values, 'profile');
  let auth: OciAuth;
  if (type === 'api_key' || type === 'security_token') {
    auth = { type, ...(configFile !== undefined ? { configFile } : {}), ...(profile !== undefined ? { profile } : {}) };
  } else {
    refuse(values, ['profile', 'config-file'], `applies only to --auth api_key or security_token (not ${type})`);
    auth = { type };
  }
  const endpoint = optional(values, 'endpoint');
  return { kind: 'oci', scope, ...(region !== undefined ? { region } : {}), auth, ...(endpoint !== undefined ? { endpoint } : {}) };
}

/** The HeatWave login's options: an OCI config profile. */
export function heatwaveProviderPlan(values: OptionValues): HeatwaveProviderPlan {
  refuse(values, ['scope', 'auth', 'region', 'endpoint'], 'does not apply to --token heatwave (it signs with the profile\'s key; use --profile and --config-file)');
  const configFile = optional(values, 'config-file');
  const profile = optional(values, 'profile');
  return { kind: 'heatwave', ...(configFile !== undefined ? { configFile } : {}), ...(profile !== undefined ? { profile } : {}) };
}
