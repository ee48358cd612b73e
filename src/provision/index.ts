/**
 * Pure builders for the statements and policies that set up IAM logins:
 * database mapping SQL (Oracle ADB/DBaaS, RDS PostgreSQL, RDS MySQL, MySQL
 * HeatWave) and IAM policies (OCI, cross-tenancy, AWS).
 *
 * @example
 * ```ts
 * import { rdsPostgresUser } from 'dbtoken/provision';
 * rdsPostgresUser({ user: 'app' }); // ['CREATE USER "app" WITH LOGIN;', 'GRANT rds_iam TO "app";']
 * ```
 * @module dbtoken/provision
 */
export {};
