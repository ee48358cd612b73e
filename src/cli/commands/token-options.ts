import type { AwsRegionEnv } from '../../sources/aws/region.js';
import { COMMON_OPTIONS, optional, outputOptions, parseOptions, port, required, type OutputOptions } from '../args.js';
import { awsProviderPlan, ociProviderPlan, PROVIDER_OPTIONS, type AwsProviderPlan, type OciProviderPlan } from '../provider-options.js';

export interface TokenAwsOptions extends OutputOptions {
  readonly provider: AwsProviderPlan;
}

export interface TokenOciOptions extends OutputOptions {
  readonly provider: OciProviderPlan;
  /** Where to write `token` and `oci_db_key.pem`; undefined means `~/.oci/db-token`. */
  readonly out: string | undefined;
}

const TOKEN_AWS_OPTIONS = { ...COMMON_OPTIONS, ...PROVIDER_OPTIONS, host: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' } } as const;
const TOKEN_OCI_OPTIONS = { ...COMMON_OPTIONS, ...PROVIDER_OPTIONS, out: { type: 'string' } } as const;

/** `dbtoken token aws` arguments. The port is required, as `aws rds generate-db-auth-token` requires it: a token is signed for one port. */
export function tokenAwsOptions(argv: readonly string[], env: AwsRegionEnv): TokenAwsOptions {
  const values = parseOptions(argv, TOKEN_AWS_OPTIONS);
  const hostname = required(values, 'host', 'the endpoint the client connects to, such as mydb.abc123.us-east-1.rds.amazonaws.com');
  const p = port('port', required(values, 'port', 'the port the client connects to (5432 for PostgreSQL, 3306 for MySQL)'));
  const username = required(values, 'user', 'the database user the token logs in as');
  return { provider: awsProviderPlan(values, { hostname, port: p, username }, env), ...outputOptions(values) };
}

/** `dbtoken token oci` arguments. */
export function tokenOciOptions(argv: readonly string[]): TokenOciOptions {
  const values = parseOptions(argv, TOKEN_OCI_OPTIONS);
  return { provider: ociProviderPlan(values), out: optional(values, 'out'), ...outputOptions(values) };
}
