/**
 * The postgres.js (`postgres`) adapter.
 *
 * @example
 * ```ts
 * import { createPostgresJs, postgresPassword } from 'dbtoken/postgres';
 * ```
 * @module dbtoken/postgres
 */
/** @ts-ignore without postgres.js, its types are any */
import postgres from 'postgres';
// For the doc comment's links.
import type { InsecureTransportError } from '../../src/core/errors.js';
import { createPostgresJsWith, type PostgresJsIamOptions, type PostgresJsSql } from '../postgres.js';

export {
  postgresPassword,
  type PostgresJsIamOptions,
  type PostgresJsSql,
  type PostgresPasswordOptions,
} from '../postgres.js';

/**
 * Creates postgres.js's own `sql`, whose connections log in with IAM tokens.
 *
 * - Refuses, with {@link InsecureTransportError}, `ssl` unset, `false`,
 *   `'prefer'` or `'allow'` (also as `sslmode` in `url`), unless
 *   `allowInsecureTransport: true`. `'require'` encrypts without checking the
 *   server's certificate; `ssl: { ca }` or `'verify-full'` checks it.
 * - Takes `user`, and `host`/`port` when neither `host`, `url` nor `path` is
 *   given, from the token provider. Refuses another user, another port on
 *   the token's host, and more than one host (a token is made for one).
 * - Each new connection waits for its login slot (`loginRate`; 25 a second
 *   by default for RDS tokens), then gets a token from the provider. When
 *   the server refuses it (SQLSTATE 28000 or 28P01), the connection logs in
 *   again after a jittered backoff, before postgres.js sees an error: with
 *   the same token for a throttle, up to 5 times, otherwise once with a
 *   fresh one; at most 7 tries, so a refused user cannot set off a retry
 *   storm (docs/fleet.md).
 * - An error from the provider fails the query that opened the connection
 *   as the provider's own `DbTokenError` (for example `TokenUnavailableError`).
 *
 * It does this through postgres.js's `socket` option: the adapter opens
 * TCP and TLS itself, as postgres.js would, and gives postgres.js
 * `ssl: false` over the encrypted socket. A `socket` of your own still
 * works: TLS then goes over it.
 *
 * @example
 * ```ts
 * import { createPostgresJs } from 'dbtoken/postgres';
 * import { awsRdsToken } from 'dbtoken/aws';
 * const sql = createPostgresJs({
 *   token: awsRdsToken({ hostname: 'mydb.abc123.eu-west-1.rds.amazonaws.com', username: 'app' }),
 *   database: 'orders',
 *   ssl: { ca: rdsCaBundle },
 * });
 * const [row] = await sql`select session_user`;
 * ```
 */
export function createPostgresJs<T extends Record<string, postgres.PostgresType> = {}>(options: PostgresJsIamOptions<T>): PostgresJsSql<T> {
  return createPostgresJsWith(postgres, options);
}
