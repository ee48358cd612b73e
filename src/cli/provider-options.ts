import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { validateAwsDsqlConfig } from '../sources/aws/dsql.js';
import { validateAzureEntraConfig } from '../sources/azure/entra.js';
import { validateGcpCloudSqlConfig } from '../sources/gcp/cloud-sql.js';
import { expandHome } from '../sources/oci/config-file.js';
import { DSQL_ENDPOINT, profileShown, resolveRdsRegion, type AwsRegionEnv, type RdsRegion } from '../sources/aws/region.js';
import { OCI_AUTH_TYPES, type OciAuth } from '../sources/oci/auth.js';
import { isOciRegion } from '../sources/oci/region.js';
import { parseOciScope } from '../sources/oci/scope.js';
import { optional, oneOf, refuse, required, UsageError, type OptionSpecs, type OptionValues } from './args.js';
import { AWS_REGION_WORDING, configErrorLine, DSQL_FIELDS, GCP_FIELDS, PROVIDER_FIELDS, withUsageErrors, wordingFor } from './explain.js';

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

/** What `azureEntraToken()` gets; the credential is a DefaultAzureCredential the CLI makes. */
export interface AzureProviderPlan {
  readonly kind: 'azure';
  /** The database user; undefined: read from the first token (whoami), or not needed (token azure). */
  readonly username: string | undefined;
  /** Without `username`, read the user from the first token (its upn), as a pool needs it; `token azure` needs none. */
  readonly userFromToken: boolean;
  /** AZURE_AUTHORITY_HOST, when it names a host outside Microsoft's clouds: instance discovery is turned off for it. */
  readonly customAuthority: string | undefined;
}

/** What `gcpCloudSqlToken()` gets. */
export interface GcpProviderPlan {
  readonly kind: 'gcp';
  readonly engine: 'postgres' | 'mysql';
  /** A service account key file (absolute); undefined: application default credentials. */
  readonly keyFile: string | undefined;
  /** The database user; undefined: Cloud SQL's name for the principal, learnt with the first token. */
  readonly username: string | undefined;
  /** Without `username`, learn the user with the first token, as a pool needs it; `token gcp` needs none. */
  readonly userFromToken: boolean;
}

export type ProviderPlan = AwsProviderPlan | DsqlProviderPlan | OciProviderPlan | HeatwaveProviderPlan | AzureProviderPlan | GcpProviderPlan;

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

/** Microsoft's own Entra ID authority hosts (public and sovereign clouds), where instance discovery works. */
const MICROSOFT_AUTHORITY = /(?:^|\.)(?:microsoftonline\.(?:com|us|de|cn)|microsoft\.com|windows\.net|chinacloudapi\.cn|usgovcloudapi\.net|cloudgovapi\.us)$/i;

/**
 * `AZURE_AUTHORITY_HOST` when it names a host outside Microsoft's clouds (a
 * private cloud, Azure Stack, an emulator). MSAL would first ask
 * login.microsoftonline.com to validate such a host (instance discovery),
 * which can only fail; the CLI turns discovery off for it, as
 * `disableInstanceDiscovery: true` does, and uses the host as given. There
 * is no environment variable for that option.
 */
export function customAzureAuthority(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env.AZURE_AUTHORITY_HOST?.trim();
  if (value === undefined || value === '') return undefined;
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return undefined; // @azure/identity reports it
  }
  return MICROSOFT_AUTHORITY.test(host) ? undefined : value;
}

const NOT_FOR = (what: string, why: string): string => `does not apply to ${what} (${why})`;
const AZURE_WHY = NOT_FOR('Azure tokens', 'DefaultAzureCredential reads AZURE_* variables, a managed or workload identity, or az login');
const GCP_WHY = NOT_FOR('Google Cloud tokens', 'they come from application default credentials, or a key with --key-file');

/** The Entra ID token's options: the user (optional), checked as `azureEntraToken()` checks it. */
export function azureProviderPlan(values: OptionValues, target: { username: string | undefined; userFromToken: boolean }, env: Readonly<Record<string, string | undefined>>): AzureProviderPlan {
  refuse(values, ['region', 'scope', 'auth', 'profile', 'config-file', 'endpoint', 'key-file'], AZURE_WHY);
  const c = withUsageErrors(
    () => validateAzureEntraConfig(target.username !== undefined ? { username: target.username } : {}),
    (field) => (field === 'username' ? { option: '--user' } : wordingFor(field, PROVIDER_FIELDS)),
  );
  return { kind: 'azure', username: c.username, userFromToken: target.userFromToken, customAuthority: customAzureAuthority(env) };
}

/**
 * The Cloud SQL token's options, checked as `gcpCloudSqlToken()` checks
 * them: the engine, the user (optional) and `--key-file`, which must exist.
 */
export function gcpProviderPlan(
  values: OptionValues,
  target: { engine: 'postgres' | 'mysql'; username: string | undefined; userFromToken: boolean },
  exists: (path: string) => boolean = existsSync,
): GcpProviderPlan {
  refuse(values, ['region', 'scope', 'auth', 'profile', 'config-file', 'endpoint'], GCP_WHY);
  const given = optional(values, 'key-file');
  const keyFile = given === undefined ? undefined : resolve(expandHome(given, homedir()));
  if (keyFile !== undefined && !exists(keyFile)) throw new UsageError('--key-file', `--key-file ${keyFile} does not exist: give the path of a service account key (JSON)`);
  try {
    validateGcpCloudSqlConfig({ engine: target.engine, ...(target.username !== undefined ? { username: target.username } : {}), ...(keyFile !== undefined ? { auth: { keyFile } } : {}) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const option = wordingFor(err.field, GCP_FIELDS)?.option ?? err.field;
    // The library's fix names its own option (`leave username out`): the CLI's is --user.
    throw new UsageError(option, configErrorLine(new ConfigError(err.field, err.problem, err.fix.replace(/\busername\b/g, '--user')), { option }));
  }
  return { kind: 'gcp', engine: target.engine, keyFile, username: target.username, userFromToken: target.userFromToken };
}
