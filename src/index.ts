/**
 * dbtoken: short-lived cloud IAM tokens for Node.js database pools.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const pool = await createIamPool({
 *   driver: 'pg',
 *   token: awsRdsToken({ hostname: 'mydb.abc123.us-east-1.rds.amazonaws.com', username: 'app' }),
 *   ssl: { ca: rdsCaBundle },
 * });
 * ```
 * @module dbtoken
 */
export { ConfigError, DbTokenError, FetchTimeoutError, InsecureTransportError, isDbTokenError, ProviderClosedError, TokenUnavailableError } from './core/errors.js';
export type { DbToken } from './core/token.js';
export { MAX_CACHED_TOKENS } from './core/store.js';
export { tokenMetrics, TOKEN_METRICS, type MetricAttributes, type MetricsMeter, type MetricsObserver, type TokenMetrics, type TokenMetricsOptions } from './core/metrics.js';
export {
  loginRetried,
  loginThrottled,
  tokenProvider,
  type ConnectionLifetime,
  type LoginRate,
  type TokenEvent,
  type TokenStatus,
  type TokenLogger,
  type TokenProvider,
  type TokenProviderOptions,
  type TokenSource,
  type TokenTarget,
} from './core/provider.js';
export { createIamPool, type IamPoolDriver, type IamPools, type IamPoolOptions, type Mysql2IamPoolOptions, type OracledbIamPoolOptions, type PgIamPoolOptions, type PostgresIamPoolOptions } from '../adapters/create-iam-pool.js';
