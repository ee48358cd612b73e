/**
 * The node-oracledb adapter: OCI IAM db-tokens for Autonomous Database and
 * DBaaS, through the driver's `accessToken` callback.
 *
 * @example
 * ```ts
 * import { createOracledbPool, oracledbAccessToken } from 'dbtoken/oracledb';
 * ```
 * @module dbtoken/oracledb
 */
/** @ts-ignore without @types/oracledb, its types are any */
import oracledb from 'oracledb';
// For the doc comment's links.
import type { ConfigError, InsecureTransportError } from '../../src/core/errors.js';
import { createOracledbPoolWith, type OracledbIamPoolAttributes } from '../oracledb.js';

export {
  oracledbAccessToken,
  type OracledbAccessToken,
  type OracledbIamPoolAttributes,
  type OracledbPool,
} from '../oracledb.js';

/**
 * Creates node-oracledb's own pool whose connections log in with OCI IAM
 * db-tokens (`externalAuth: true`, `homogeneous: true` and the `accessToken`
 * callback are set for you). The pool is created without network traffic;
 * the first token is fetched now, so a provider that cannot give one rejects
 * with its own `DbTokenError`, as `pool.getConnection()` does later where
 * node-oracledb would say NJS-168.
 *
 * Refuses, with {@link InsecureTransportError}, a connect string that is not
 * TCPS unless `allowInsecureTransport: true`. The string is read the way the
 * driver reads it (quotes, case, nesting, `ADDRESS_LIST`, `DESCRIPTION_LIST`,
 * Easy Connect and its `?` parameters): Easy Connect strings need `tcps://`;
 * descriptors need `PROTOCOL=TCPS` on every address (an address without one
 * is TCP); a tnsnames.ora alias is looked up in `configDir` (or `TNS_ADMIN`),
 * following absolute `IFILE` includes. A connect string or tnsnames.ora entry
 * the driver would not read the same way is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { createOracledbPool } from 'dbtoken/oracledb';
 * import { ociDbToken, ociScope } from 'dbtoken/oci';
 * const pool = await createOracledbPool({
 *   token: ociDbToken({ scope: ociScope.database(compartmentOcid, adbOcid) }),
 *   connectString: 'tcps://adb.eu-frankfurt-1.oraclecloud.com:1522/g1234_mydb_high.adb.oraclecloud.com?ssl_server_dn_match=true',
 * });
 * const conn = await pool.getConnection();
 * ```
 */
export function createOracledbPool(options: OracledbIamPoolAttributes): Promise<oracledb.Pool> {
  return createOracledbPoolWith(oracledb, options);
}
