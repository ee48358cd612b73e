/**
 * AWS RDS and Aurora IAM authentication tokens, and Aurora DSQL's.
 *
 * @example
 * ```ts
 * import { awsRdsToken, awsDsqlToken } from 'dbtoken/aws';
 * const token = awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' });
 * const dsql = awsDsqlToken({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', username: 'app' });
 * ```
 * @module dbtoken/aws
 */
export { awsRdsToken, RDS_TOKEN_LIFETIME_MS, type AwsCredentials, type AwsCredentialsProvider, type AwsRdsTokenConfig } from './sources/aws/rds.js';
export { awsDsqlToken, DSQL_CONNECTION_LIFETIME, DSQL_TOKEN_EXPIRES_IN_S, type AwsDsqlTokenConfig } from './sources/aws/dsql.js';
export { dsqlRegionFromHostname, rdsRegionFromHostname } from './sources/aws/region.js';
