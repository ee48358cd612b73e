import type { AwsRegionEnv } from '../../sources/aws/region.js';
import { COMMON_OPTIONS, flag, listOf, oneOf, optional, outputOptions, parseOptions, port, refuse, required, UsageError, type OptionValues, type OutputOptions } from '../args.js';
import {
  awsProviderPlan,
  azureProviderPlan,
  dsqlProviderPlan,
  gcpProviderPlan,
  ociProviderPlan,
  PROVIDER_OPTIONS,
  type AwsProviderPlan,
  type AzureProviderPlan,
  type DsqlProviderPlan,
  type GcpProviderPlan,
  type OciProviderPlan,
} from '../provider-options.js';

export interface TokenAwsOptions extends OutputOptions {
  readonly provider: AwsProviderPlan;
}

export interface TokenDsqlOptions extends OutputOptions {
  readonly provider: DsqlProviderPlan;
}

export interface TokenOciOptions extends OutputOptions {
  readonly provider: OciProviderPlan;
  /** Where to write `token` and `oci_db_key.pem`; undefined means `~/.oci/db-token`. */
  readonly out: string | undefined;
}

const TOKEN_AWS_OPTIONS = { ...COMMON_OPTIONS, ...PROVIDER_OPTIONS, host: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' } } as const;
const TOKEN_DSQL_OPTIONS = {
  ...COMMON_OPTIONS,
  ...PROVIDER_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  admin: { type: 'boolean' },
  'expires-in': { type: 'string' },
} as const;
const TOKEN_OCI_OPTIONS = { ...COMMON_OPTIONS, ...PROVIDER_OPTIONS, out: { type: 'string' } } as const;
const TOKEN_AZURE_OPTIONS = { ...COMMON_OPTIONS, ...PROVIDER_OPTIONS, user: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } } as const;
const TOKEN_GCP_OPTIONS = { ...COMMON_OPTIONS, ...PROVIDER_OPTIONS, engine: { type: 'string' }, 'key-file': { type: 'string' }, user: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } } as const;

export interface TokenAzureOptions extends OutputOptions {
  readonly provider: AzureProviderPlan;
}

export interface TokenGcpOptions extends OutputOptions {
  readonly provider: GcpProviderPlan;
}

/** The Cloud SQL engines, as --engine takes them. */
export const GCP_ENGINES = ['postgres', 'mysql'] as const;

/** Why `token azure` and `token gcp` take no host or port: their tokens are not bound to one server. */
const NO_SERVER = 'does not apply: the token is not bound to a server (it is the password of any server that trusts the identity); give --host to dbtoken whoami';

/** `dbtoken token aws` arguments. The port is required, as `aws rds generate-db-auth-token` requires it: a token is signed for one port. */
export function tokenAwsOptions(argv: readonly string[], env: AwsRegionEnv): TokenAwsOptions {
  const values = parseOptions(argv, TOKEN_AWS_OPTIONS);
  const hostname = required(values, 'host', 'the endpoint the client connects to, such as mydb.abc123.us-east-1.rds.amazonaws.com');
  const p = port('port', required(values, 'port', 'the port the client connects to (5432 for PostgreSQL, 3306 for MySQL)'));
  const username = required(values, 'user', 'the database user the token logs in as');
  return { provider: awsProviderPlan(values, { hostname, port: p, username }, env), ...outputOptions(values) };
}

/**
 * The DSQL role to log in as: `--user <role>`, or `--admin` for the admin
 * role. `username` is undefined with `--admin`.
 */
export function dsqlRoleOptions(values: OptionValues): { username: string | undefined; admin: boolean } {
  const admin = flag(values, 'admin');
  const user = optional(values, 'user');
  if (admin && user !== undefined) {
    throw new UsageError('--admin', '--admin and --user cannot be given together: --admin logs in as the admin role (DbConnectAdmin tokens), --user as another role');
  }
  if (!admin && user === undefined) {
    throw new UsageError('--user', '--user or --admin is required: the database role to log in as (one mapped to your IAM identity with AWS IAM GRANT), or --admin for the admin role');
  }
  return { username: user, admin };
}

/** `--expires-in <seconds>`: a whole number; its range is awsDsqlToken()'s to check. */
export function expiresInOption(values: OptionValues): number | undefined {
  const v = optional(values, 'expires-in');
  if (v === undefined) return undefined;
  if (!/^\d{1,7}$/.test(v)) throw new UsageError('--expires-in', `--expires-in must be a whole number of seconds from 60 to 604800 (got "${v}")`);
  return Number(v);
}

/** `dbtoken token dsql` arguments. No port: a DSQL token is signed for the cluster endpoint alone. */
export function tokenDsqlOptions(argv: readonly string[], env: AwsRegionEnv): TokenDsqlOptions {
  const values = parseOptions(argv, TOKEN_DSQL_OPTIONS);
  refuse(values, ['port'], 'does not apply to DSQL tokens: they are signed for the cluster endpoint without a port, and log in on any port that reaches it');
  const hostname = required(values, 'host', 'the cluster endpoint, such as abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws');
  const role = dsqlRoleOptions(values);
  const expiresIn = expiresInOption(values);
  return { provider: dsqlProviderPlan(values, { hostname, ...role, expiresIn }, env), ...outputOptions(values) };
}

/** `dbtoken token oci` arguments. */
export function tokenOciOptions(argv: readonly string[]): TokenOciOptions {
  const values = parseOptions(argv, TOKEN_OCI_OPTIONS);
  return { provider: ociProviderPlan(values), out: optional(values, 'out'), ...outputOptions(values) };
}

/**
 * `dbtoken token azure` arguments. The credential is DefaultAzureCredential
 * (environment variables, workload or managed identity, az login); --user
 * is optional, and only shown with --json.
 */
export function tokenAzureOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): TokenAzureOptions {
  const values = parseOptions(argv, TOKEN_AZURE_OPTIONS);
  refuse(values, ['host', 'port'], NO_SERVER);
  return { provider: azureProviderPlan(values, { username: optional(values, 'user'), userFromToken: false }, env), ...outputOptions(values) };
}

/** `dbtoken token gcp` arguments: --engine (it names the user Cloud SQL gives the principal), and --key-file or application default credentials. */
export function tokenGcpOptions(argv: readonly string[]): TokenGcpOptions {
  const values = parseOptions(argv, TOKEN_GCP_OPTIONS);
  refuse(values, ['host', 'port'], NO_SERVER);
  const engine = oneOf('engine', required(values, 'engine', `the instance's engine, ${listOf(GCP_ENGINES)}: it decides the database user Cloud SQL names the principal`), GCP_ENGINES);
  return { provider: gcpProviderPlan(values, { engine, username: optional(values, 'user'), userFromToken: false }), ...outputOptions(values) };
}
