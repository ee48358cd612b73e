/**
 * AWS RDS and Aurora IAM authentication tokens.
 *
 * @example
 * ```ts
 * import { awsRdsToken } from 'dbtoken/aws';
 * const token = awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' });
 * ```
 * @module dbtoken/aws
 */
export { awsRdsToken, RDS_TOKEN_LIFETIME_MS, type AwsCredentials, type AwsCredentialsProvider, type AwsRdsTokenConfig } from './sources/aws/rds.js';
export { rdsRegionFromHostname } from './sources/aws/region.js';
