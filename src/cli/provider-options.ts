import { isAwsRegion, rdsRegionFromHostname } from '../sources/aws/region.js';
import { ConfigError } from '../core/errors.js';
import type { OciAuth } from '../sources/oci/db-token.js';
import { isOciRegion } from '../sources/oci/region.js';
import { parseOciScope } from '../sources/oci/scope.js';
import { optional, oneOf, refuse, required, UsageError, type OptionSpecs, type OptionValues } from './args.js';

/** The options that pick and configure a token provider, shared by `token` and `whoami`. */
export const PROVIDER_OPTIONS = {
  region: { type: 'string' },
  scope: { type: 'string' },
  auth: { type: 'string' },
  profile: { type: 'string' },
  'config-file': { type: 'string' },
  endpoint: { type: 'string' },
} as const satisfies OptionSpecs;

export const OCI_AUTH_TYPES = ['api_key', 'security_token', 'instance_principal', 'resource_principal', 'oke_workload_identity'] as const;

/** What `awsRdsToken()` gets, less the credentials (the SDK's default chain). */
export interface AwsProviderPlan {
  readonly kind: 'aws';
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string;
}

/** What `ociDbToken()` gets. */
export interface OciProviderPlan {
  readonly kind: 'oci';
  readonly scope: string;
  readonly region?: string;
  readonly auth: OciAuth;
  readonly endpoint?: string;
}

/** What `heatwaveOciToken()` gets. */
export interface HeatwaveProviderPlan {
  readonly kind: 'heatwave';
  readonly configFile?: string;
  readonly profile?: string;
}

export type ProviderPlan = AwsProviderPlan | OciProviderPlan | HeatwaveProviderPlan;

/** The RDS token's options: `--region` is needed unless the host is an RDS endpoint. */
export function awsProviderPlan(values: OptionValues, target: { hostname: string; port: number; username: string }): AwsProviderPlan {
  refuse(values, ['scope', 'auth', 'profile', 'config-file', 'endpoint'], 'does not apply to AWS tokens (the SDK reads credentials from AWS_* variables, AWS_PROFILE, SSO or the instance role)');
  const region = optional(values, 'region') ?? rdsRegionFromHostname(target.hostname);
  if (region === undefined) {
    throw new UsageError('--region', `--region is required: "${target.hostname}" is not an RDS endpoint, so its region cannot be read from it (for example --region us-east-1)`);
  }
  if (!isAwsRegion(region)) throw new UsageError('--region', `--region must be an AWS region such as us-east-1 (got "${region}")`);
  return { kind: 'aws', ...target, region };
}

/** The OCI db-token's options. */
export function ociProviderPlan(values: OptionValues): OciProviderPlan {
  const scope = required(values, 'scope', 'the db-token scope, such as urn:oracle:db::id::<compartment OCID> or urn:oracle:db::id::*');
  try {
    parseOciScope(scope);
  } catch (err) {
    if (err instanceof ConfigError) {
      const why = err.message.replace(/^scope: /, '').replace(/; build it with ociScope.*$/, '');
      throw new UsageError('--scope', `--scope ${why}; write it as urn:oracle:db::id::*, urn:oracle:db::id::<tenancy or compartment OCID>, or urn:oracle:db::id::<compartment OCID>::<database OCID>`);
    }
    throw err;
  }
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
