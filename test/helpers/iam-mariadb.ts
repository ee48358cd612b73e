import { startPamScriptVerifier, type PamLogin, type PamScriptVerifier } from 'dbtoken/testing';
// @ts-expect-error plain JS helper shared with the demo and the bench
import { startMariadb } from '../../scripts/servers/mariadb.mjs';
import { localRdsCheck } from './aws.js';

export interface IamMariadb {
  host: string;
  port: number;
  ca: string;
  /** The PAM service its token logins use: `IDENTIFIED VIA pam USING '<pamService>'` stands in for RDS's AWSAuthenticationPlugin. */
  pamService: string;
  /** Root logs in over this socket without a password (the `mariadb` client, `--socket`). */
  socketPath: string;
  verifier: PamScriptVerifier;
  revoked: Set<string>;
  /** Runs before the verifier checks a login; a test may hold a login here until it lets it go. */
  beforeVerify: ((login: PamLogin) => void | Promise<void>) | undefined;
  admin(sql: string): Promise<any[]>;
  stop(): Promise<void>;
}

/**
 * A private MariaDB whose PAM logins (iam_alice, iam_bob with REQUIRE SSL;
 * iam_plain without) hand the cleartext token to an in-process RDS-token
 * verifier for 127.0.0.1:<port>, exactly as RDS MySQL asks for
 * mysql_clear_password.
 */
export async function startIamMariadb(): Promise<IamMariadb> {
  const revoked = new Set<string>();
  let port = 0;
  const check = localRdsCheck(() => port, revoked);
  let db: IamMariadb | undefined;
  const verifier = await startPamScriptVerifier({
    verify: async (login) => {
      await db?.beforeVerify?.(login);
      return check(login);
    },
  });
  const server = await startMariadb({ verifierScript: verifier.script, pamUsers: ['iam_alice', 'iam_bob'], plainPamUsers: ['iam_plain'] });
  port = server.port;
  db = {
    host: server.host,
    port: server.port,
    ca: server.ca,
    pamService: server.pamService,
    socketPath: server.socketPath,
    verifier,
    revoked,
    beforeVerify: undefined,
    admin: server.admin,
    async stop() {
      await server.stop();
      await verifier.close();
    },
  };
  return db;
}
