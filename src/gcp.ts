/**
 * Google Cloud SQL IAM database authentication tokens, for PostgreSQL and
 * MySQL.
 *
 * @example
 * ```ts
 * import { gcpCloudSqlToken, cloudSqlServerIdentity } from 'dbtoken/gcp';
 * const token = gcpCloudSqlToken({ engine: 'postgres', hostname: '10.20.0.3' });
 * ```
 * @module dbtoken/gcp
 */
export {
  cloudSqlServerIdentity,
  gcpCloudSqlToken,
  GCP_SQL_LOGIN_SCOPE,
  type GcpAuth,
  type GcpAuthClient,
  type GcpCloudSqlTokenConfig,
} from './sources/gcp/cloud-sql.js';
export { cloudSqlUser } from './sources/gcp/users.js';
