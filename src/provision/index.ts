/**
 * Pure builders for the statements and policies that set up IAM logins:
 * database mapping SQL (Oracle ADB/DBaaS, RDS PostgreSQL, RDS MySQL, MySQL
 * HeatWave, Aurora DSQL, Azure Database for PostgreSQL and MySQL, Cloud SQL),
 * IAM policies (OCI, cross-tenancy, AWS RDS, Aurora DSQL) and the `gcloud`
 * commands of Cloud SQL IAM users and their role binding.
 *
 * Every builder checks its input and throws a `ConfigError` naming the option
 * at fault. Names are written as quoted identifiers or string literals; a
 * name that could break out of its quotes is refused (MySQL, Oracle, OCI) or
 * quoted so the server reads it as data (PostgreSQL). A grant never reaches
 * more than it names: in a MySQL `db.*` grant, `_` and `%` are escaped.
 *
 * @example
 * ```ts
 * import { rdsPostgresUser } from 'dbtoken/provision';
 * rdsPostgresUser({ user: 'app' }); // ['CREATE USER "app" WITH LOGIN;', 'GRANT rds_iam TO "app";']
 * ```
 * @module dbtoken/provision
 */
export { oracleGlobalRole, oracleGlobalUser, type OracleGlobalRoleOptions, type OracleGlobalUserOptions } from './oracle.js';
export { rdsPostgresUser, type RdsPostgresUserOptions } from './postgres.js';
export { rdsMysqlUser, type MysqlGrant, type RdsMysqlUserOptions } from './mysql.js';
export {
  heatwaveGroupMapping,
  heatwaveUser,
  type HeatwaveGroupMapping,
  type HeatwaveGroupMappingOptions,
  type HeatwaveUserOptions,
} from './heatwave.js';
export {
  heatwaveAuthPolicy,
  ociCrossTenancyPolicies,
  ociDatabasePolicy,
  type OciCrossTenancyPolicies,
  type OciCrossTenancyPolicyOptions,
  type OciDatabasePolicyOptions,
  type OciDatabasePrincipalType,
  type OciDatabaseResource,
} from './oci-policy.js';
export { rdsConnectPolicy, type AwsIamPolicy, type RdsConnectPolicyOptions } from './aws-policy.js';
export { dsqlConnectPolicy, dsqlRole, type DsqlConnectPolicyOptions, type DsqlRoleOptions } from './dsql.js';
export {
  azureMysqlUser,
  azurePostgresPrincipal,
  type AzureMysqlUserOptions,
  type AzurePostgresPrincipalOptions,
} from './azure.js';
export {
  cloudSqlIamUser,
  gcpInstanceUserBinding,
  type CloudSqlIamUser,
  type CloudSqlIamUserOptions,
  type GcloudCommand,
  type GcpInstanceUserBindingOptions,
} from './gcp.js';
