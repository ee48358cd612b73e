/**
 * The mysql2 adapter: AWS RDS / Aurora MySQL cleartext tokens and MySQL
 * HeatWave's OCI IAM login (`authentication_oci_client`).
 *
 * @example
 * ```ts
 * import { createMysql2Pool, mysql2AuthPlugins } from 'dbtoken/mysql2';
 * ```
 * @module dbtoken/mysql2
 */
/** @ts-ignore without mysql2, its types are any */
import mysql from 'mysql2/promise';
// For the doc comment's links.
import type { DbTokenError, InsecureTransportError } from '../../src/core/errors.js';
import { createMysql2PoolWith, type Mysql2IamPoolConfig, type Mysql2Pool } from '../mysql2.js';

export {
  heatwaveAuthResponse,
  mysql2AuthPlugins,
  type Mysql2AuthPlugin,
  type Mysql2AuthPlugins,
  type Mysql2AuthPluginsOptions,
  type Mysql2IamPoolConfig,
  type Mysql2Pool,
} from '../mysql2.js';

/**
 * Creates mysql2's own promise `Pool` whose connections log in with tokens.
 *
 * - Refuses, with {@link InsecureTransportError}, options without `ssl`
 *   unless `allowInsecureTransport: true`.
 * - Takes `user`, and `host`/`port` when no `host` is given, from the
 *   provider (for example `awsRdsToken`'s `username`).
 * - Paces new logins per endpoint (`loginRate`; 25 a second by default for
 *   RDS tokens): a call that will open a connection waits for its slot
 *   first; one a free connection serves, or that waits in mysql2's queue,
 *   does not.
 * - When the server refuses a login (1045, access denied, or RDS Proxy's
 *   1040 for its rate), retries it after a jittered backoff, whether the
 *   call was `query`, `execute` or `getConnection`: with the same token for
 *   a throttle, up to 5 times; otherwise once with a fresh token (the
 *   refused one is forgotten; a newer one, fetched meanwhile, stays). At
 *   most 7 tries (docs/fleet.md).
 * - An error from the provider reaches the caller as the provider's own
 *   {@link DbTokenError} (not mysql2's `AUTH_SWITCH_PLUGIN_ERROR`).
 * - `end()` does not wait for a token: a login still waiting for one stops
 *   waiting and sends nothing, its caller gets mysql2's "Pool is closed.",
 *   and mysql2 then ends the other connections. (mysql2 itself lets a login
 *   in progress finish, and then closes it.)
 * - Those three methods and `end()` of the returned pool are wrapped for
 *   this; nothing else of mysql2's pool is changed.
 *
 * @example
 * ```ts
 * import { createMysql2Pool } from 'dbtoken/mysql2';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const pool = createMysql2Pool({
 *   token: awsRdsToken({ hostname: 'mydb.abc123.eu-west-1.rds.amazonaws.com', port: 3306, username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * const [rows] = await pool.query('select current_user()');
 * ```
 */
export function createMysql2Pool(options: Mysql2IamPoolConfig): Mysql2Pool {
  return createMysql2PoolWith(mysql, options);
}
