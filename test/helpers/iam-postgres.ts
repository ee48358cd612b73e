import { startVerifyingPostgres, type VerifiedLogin } from 'dbtoken/testing';
import { REGION, staticKeys, temporaryKeys } from './aws.js';

export const STATIC_PASSWORD = 'static-password-for-baseline';

export interface IamPostgres {
  host: string;
  port: number;
  ca: string;
  /** The logins the server's LDAP verifier was asked about. */
  ldap: { readonly binds: readonly VerifiedLogin[] };
  /** Tokens the verifier refuses from now on, as if revoked. */
  revoked: Set<string>;
  /** Shift the verifier's idea of "now" (ms). */
  setClockOffset(ms: number): void;
  admin(sql: string): Promise<{ rows: any[] }>;
  stop(): Promise<void>;
}

/**
 * The project's PostgreSQL for the adapters' tests: a {@link startVerifyingPostgres} whose logins
 * (iam_alice, iam_bob and any member of rds_iam over TLS, as on RDS; iam_plain with or without TLS;
 * static_user with a fixed password) are RDS tokens for 127.0.0.1:<port> signed with the test keys,
 * unless revoked. The tests connect to the `postgres` database.
 */
export async function startIamPostgres(): Promise<IamPostgres> {
  const revoked = new Set<string>();
  let offset = 0;
  const server = await startVerifyingPostgres({
    users: ['iam_alice', 'iam_bob', 'static_user'],
    insecureUsers: ['iam_plain'],
    region: REGION,
    credentials: [staticKeys, temporaryKeys],
    database: 'postgres',
    maxConnections: 300,
    now: () => Date.now() + offset,
    verify: (token, user, checkRds) => {
      if (user === 'static_user') return { ok: token === STATIC_PASSWORD, reason: 'wrong static password' };
      if (revoked.has(token)) return { ok: false, reason: 'revoked' };
      return checkRds();
    },
  });
  return {
    host: server.host,
    port: server.port,
    ca: server.ca,
    ldap: { binds: server.logins },
    revoked,
    setClockOffset: (ms) => {
      offset = ms;
    },
    admin: async (sql) => ({ rows: await server.admin(sql) }),
    stop: () => server.close(),
  };
}
