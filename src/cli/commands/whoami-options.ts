import type { AwsRegionEnv } from '../../sources/aws/region.js';
import { COMMON_OPTIONS, flag, listOf, oneOf, optional, outputOptions, parseOptions, port, refuse, required, UsageError, type OptionValues, type OutputOptions } from '../args.js';
import { cloudSqlServerIdentity } from '../../sources/gcp/cloud-sql.js';
import { GCP_FIELDS, withUsageErrors } from '../explain.js';
import { awsProviderPlan, azureProviderPlan, dsqlProviderPlan, gcpProviderPlan, heatwaveProviderPlan, ociProviderPlan, PROVIDER_OPTIONS, type ProviderPlan } from '../provider-options.js';
import { dsqlRoleOptions } from './token-options.js';

export const DRIVERS = ['pg', 'mysql2', 'oracledb'] as const;
export type Driver = (typeof DRIVERS)[number];
export const TOKEN_KINDS = ['aws', 'dsql', 'oci', 'heatwave', 'azure', 'gcp'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Which tokens each driver's servers accept. */
const TOKENS_FOR: Record<Driver, readonly TokenKind[]> = { pg: ['aws', 'dsql', 'azure', 'gcp'], mysql2: ['aws', 'heatwave', 'azure', 'gcp'], oracledb: ['oci'] };
/** Tokens that name their user (Azure's upn, Cloud SQL's principal): --user is optional with them. */
const USER_FROM_TOKEN: readonly TokenKind[] = ['azure', 'gcp'];
const DEFAULT_PORT = { pg: 5432, mysql2: 3306 } as const;

/** A PostgreSQL or MySQL server reached by host and port. */
export interface NetworkConnectionPlan {
  readonly kind: 'network';
  readonly host: string;
  readonly port: number;
  /** Undefined for a token that names its user (azure, gcp): the pool reads it from the first token. */
  readonly user: string | undefined;
  readonly database?: string | undefined;
  /** A PEM file of CA certificates to trust; without it, Node's own CA store. */
  readonly sslCa?: string | undefined;
  /** No TLS at all (`allowInsecureTransport`): local testing only. */
  readonly insecure: boolean;
  /** `verify-full` checks the certificate chain and that it names the host; `verify-ca` the chain only. */
  readonly sslMode: SslMode;
  /** A Cloud SQL instance connection name: the certificate must name it (`cloudSqlServerIdentity`) instead of --host. */
  readonly instance?: string | undefined;
}

export const SSL_MODES = ['verify-full', 'verify-ca'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** An Oracle Database reached by connect string. */
export interface OracleConnectionPlan {
  readonly kind: 'oracle';
  readonly connectString: string;
  readonly configDir?: string | undefined;
  readonly insecure: boolean;
}

export interface WhoamiOptions extends OutputOptions {
  readonly driver: Driver;
  readonly connection: NetworkConnectionPlan | OracleConnectionPlan;
  readonly provider: ProviderPlan;
}

const WHOAMI_OPTIONS = {
  ...COMMON_OPTIONS,
  ...PROVIDER_OPTIONS,
  driver: { type: 'string' },
  token: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  database: { type: 'string' },
  'ssl-ca': { type: 'string' },
  'ssl-mode': { type: 'string' },
  insecure: { type: 'boolean' },
  admin: { type: 'boolean' },
  'connect-string': { type: 'string' },
  'config-dir': { type: 'string' },
  'key-file': { type: 'string' },
  instance: { type: 'string' },
} as const;

/** `dbtoken whoami` arguments; `env` holds the AWS region's variables. */
export function whoamiOptions(argv: readonly string[], env: AwsRegionEnv): WhoamiOptions {
  const values = parseOptions(argv, WHOAMI_OPTIONS);
  const driver = oneOf('driver', required(values, 'driver', listOf(DRIVERS)), DRIVERS);
  const kind = oneOf('token', required(values, 'token', `where the token comes from: ${listOf(TOKEN_KINDS)}`), TOKEN_KINDS);
  if (!TOKENS_FOR[driver].includes(kind)) {
    throw new UsageError('--token', `--token ${kind} does not work with --driver ${driver}; use --token ${listOf(TOKENS_FOR[driver])}`);
  }
  const insecure = flag(values, 'insecure');
  if (kind !== 'dsql') refuse(values, ['admin'], 'applies only to --token dsql (the admin role of an Aurora DSQL cluster)');
  if (kind !== 'gcp') refuse(values, ['key-file', 'instance'], 'applies only to --token gcp (Cloud SQL)');
  let connection: NetworkConnectionPlan | OracleConnectionPlan;
  if (driver === 'oracledb') {
    refuse(values, ['host', 'port', 'user', 'database', 'ssl-ca', 'ssl-mode'], 'does not apply to --driver oracledb: give --connect-string (the db-token names the user)');
    const connectString = required(values, 'connect-string', 'a tcps:// Easy Connect string, a descriptor, or a tnsnames.ora alias (with --config-dir)');
    const configDir = optional(values, 'config-dir');
    connection = { kind: 'oracle', connectString, ...(configDir !== undefined ? { configDir } : {}), insecure };
  } else {
    refuse(values, ['connect-string', 'config-dir'], 'applies only to --driver oracledb');
    const host = required(values, 'host', 'the server to connect to');
    const p = values.port === undefined ? DEFAULT_PORT[driver] : port('port', required(values, 'port', ''));
    const role = kind === 'dsql' ? dsqlRoleOptions(values) : undefined;
    const user =
      role !== undefined ? (role.username ?? 'admin') : USER_FROM_TOKEN.includes(kind) ? optional(values, 'user') : required(values, 'user', 'the database user to log in as');
    // DSQL has one database, postgres.
    const database = optional(values, 'database') ?? (kind === 'dsql' ? 'postgres' : undefined);
    const sslCa = optional(values, 'ssl-ca');
    const mode = optional(values, 'ssl-mode');
    if (insecure && (sslCa !== undefined || mode !== undefined)) {
      throw new UsageError('--insecure', `--insecure turns TLS off, so ${sslCa !== undefined ? '--ssl-ca' : '--ssl-mode'} would not be used; give one or the other`);
    }
    const sslMode = mode === undefined ? 'verify-full' : oneOf('ssl-mode', mode, SSL_MODES);
    const instance = cloudSqlInstance(values, driver, insecure, sslMode);
    connection = {
      kind: 'network',
      host,
      port: p,
      user,
      ...(database !== undefined ? { database } : {}),
      ...(sslCa !== undefined ? { sslCa } : {}),
      insecure,
      sslMode,
      ...(instance !== undefined ? { instance } : {}),
    };
  }
  let provider: ProviderPlan;
  if (kind === 'aws') provider = awsProviderPlan(values, connectionTarget(connection as NetworkConnectionPlan), env);
  else if (kind === 'dsql') {
    // The token names the host the client dials, without the port; --user admin is the admin role too, as for awsDsqlToken().
    const c = connection as NetworkConnectionPlan;
    provider = dsqlProviderPlan(values, { hostname: c.host, username: flag(values, 'admin') ? undefined : c.user, admin: flag(values, 'admin') }, env);
  } else if (kind === 'azure') {
    provider = azureProviderPlan(values, { username: (connection as NetworkConnectionPlan).user, userFromToken: true }, env);
  } else if (kind === 'gcp') {
    const engine = driver === 'pg' ? 'postgres' : 'mysql';
    provider = gcpProviderPlan(values, { engine, username: (connection as NetworkConnectionPlan).user, userFromToken: true });
  } else provider = kind === 'oci' ? ociProviderPlan(values) : heatwaveProviderPlan(values);
  return { driver, connection, provider, ...outputOptions(values) };
}

function connectionTarget(c: NetworkConnectionPlan): { hostname: string; port: number; username: string } {
  return { hostname: c.host, port: c.port, username: c.user! }; // required for --token aws
}

/**
 * `--instance project:region:instance` (--token gcp): Cloud SQL's
 * certificate names the instance, not the address dialed, so it is checked
 * for the instance's name instead. pg only: mysql2 takes no
 * checkServerIdentity.
 */
function cloudSqlInstance(values: OptionValues, driver: Driver, insecure: boolean, sslMode: SslMode): string | undefined {
  const instance = optional(values, 'instance');
  if (instance === undefined) return undefined;
  if (insecure) throw new UsageError('--insecure', '--insecure turns TLS off, so --instance (which checks the certificate) would not be used; give one or the other');
  if (driver !== 'pg') {
    throw new UsageError('--instance', "--instance works with --driver pg only: mysql2 cannot check a certificate for a Cloud SQL instance's name; use --ssl-mode verify-ca with the instance's server CA as --ssl-ca");
  }
  if (sslMode === 'verify-ca') throw new UsageError('--ssl-mode', '--ssl-mode verify-ca checks no name, so --instance would not be used; give one or the other');
  withUsageErrors(() => cloudSqlServerIdentity(instance), (field) => (field === 'instance' ? (GCP_FIELDS.instance as { option: string; fix?: string }) : undefined));
  return instance;
}
