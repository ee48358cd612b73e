import { startLdapVerifier, type LdapVerifier } from 'dbtoken/testing';
// @ts-expect-error plain JS helper shared with the demo and the bench
import { startPostgres } from '../../scripts/servers/postgres.mjs';
import { localRdsCheck } from './aws.js';

export const STATIC_PASSWORD = 'static-password-for-baseline';

export interface IamPostgres {
  host: string;
  port: number;
  ca: string;
  ldap: LdapVerifier;
  /** Tokens the verifier refuses from now on, as if revoked. */
  revoked: Set<string>;
  /** Shift the verifier's idea of "now" (ms). */
  setClockOffset(ms: number): void;
  admin(sql: string): Promise<{ rows: any[] }>;
  stop(): Promise<void>;
}

/**
 * A private PostgreSQL whose `ldap` logins (users iam_alice, iam_bob and any
 * member of rds_iam over TLS, as on RDS; iam_plain without TLS; static_user
 * with a fixed password) are decided by an in-process LDAP server that
 * verifies RDS tokens for 127.0.0.1:<port>.
 */
export async function startIamPostgres(): Promise<IamPostgres> {
  const revoked = new Set<string>();
  let offset = 0;
  let port = 0;
  const check = localRdsCheck(() => port, revoked, () => offset);
  const ldap = await startLdapVerifier({
    verify: ({ user, password }) => {
      if (user === 'static_user') return { ok: password === STATIC_PASSWORD, reason: 'wrong static password' };
      return check({ user, password });
    },
  });
  const server = await startPostgres({ ldapPort: ldap.port, ldapUsers: ['iam_alice', 'iam_bob', 'static_user'], ldapGroups: ['rds_iam'], plainLdapUsers: ['iam_plain'] });
  port = server.port;
  return {
    host: server.host,
    port: server.port,
    ca: server.ca,
    ldap,
    revoked,
    setClockOffset: (ms) => {
      offset = ms;
    },
    admin: server.admin,
    async stop() {
      await server.stop();
      await ldap.close();
    },
  };
}
