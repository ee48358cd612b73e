import { startVerifyingMariaDb, type PamLogin, type VerifiedLogin } from 'dbtoken/testing';
import { REGION, staticKeys, temporaryKeys } from './aws.js';

export interface IamMariadb {
  host: string;
  port: number;
  ca: string;
  /** The PAM service its token logins use: `IDENTIFIED VIA pam USING '<pamService>'` stands in for RDS's AWSAuthenticationPlugin. */
  pamService: string;
  /** Root logs in over this socket without a password (the `mariadb` client, `--socket`). */
  socketPath: string;
  /** The logins the server's PAM verifier was asked about. */
  verifier: { readonly binds: readonly VerifiedLogin[] };
  revoked: Set<string>;
  /** Runs before the verifier checks a login; a test may hold a login here until it lets it go. */
  beforeVerify: ((login: PamLogin) => void | Promise<void>) | undefined;
  admin(sql: string, values?: unknown[]): Promise<any[]>;
  stop(): Promise<void>;
}

/**
 * The project's MariaDB for the adapters' tests: a {@link startVerifyingMariaDb} whose PAM logins
 * (iam_alice, iam_bob with REQUIRE SSL; iam_plain without; each with every privilege) are RDS tokens
 * for 127.0.0.1:<port> signed with the test keys, unless revoked, sent as mysql_clear_password exactly
 * as RDS MySQL asks for them.
 */
export async function startIamMariadb(): Promise<IamMariadb> {
  const revoked = new Set<string>();
  let db: IamMariadb | undefined;
  const server = await startVerifyingMariaDb({
    users: ['iam_alice', 'iam_bob'],
    insecureUsers: ['iam_plain'],
    region: REGION,
    credentials: [staticKeys, temporaryKeys],
    maxConnections: 500,
    verify: async (token, user, checkRds) => {
      await db?.beforeVerify?.({ user, password: token });
      if (revoked.has(token)) return { ok: false, reason: 'revoked' };
      return checkRds();
    },
  });
  for (const user of ['iam_alice', 'iam_bob', 'iam_plain']) await server.admin(`GRANT ALL ON *.* TO '${user}'@'%'`);
  db = {
    host: server.host,
    port: server.port,
    ca: server.ca,
    pamService: server.pamService,
    socketPath: server.socketPath,
    verifier: { binds: server.logins },
    revoked,
    beforeVerify: undefined,
    admin: (sql, values) => server.admin(sql, values),
    stop: () => server.close(),
  };
  return db;
}
