import { createServer, type Server, type Socket } from 'node:net';
import { closeServer, listen, trackSockets } from '../local-server.js';
import { bindResponse, firstRdnValue, readLdapMessage, RESULT, type LdapRequest } from './wire.js';

/**
 * One simple bind as the LDAP server saw it.
 *
 * @example
 * ```ts
 * // what verify receives with ldapprefix="uid=" ldapsuffix=",ou=iam,dc=test"
 * const bind: LdapBind = { dn: 'uid=iam_alice,ou=iam,dc=test', user: 'iam_alice', password: '<token>' };
 * ```
 */
export interface LdapBind {
  /** The bind DN, for example `uid=iam_alice,ou=iam,dc=test`. */
  readonly dn: string;
  /** The `uid` (or first RDN value) of the DN. */
  readonly user: string;
  /** The password: for dbtoken's tests, the token the database passed on. */
  readonly password: string;
}

/**
 * What the server decided about a bind; it never records the password.
 *
 * @example
 * ```ts
 * expect(ldap.binds).toEqual([
 *   { dn: 'uid=iam_alice,ou=iam,dc=test', user: 'iam_alice', ok: true },
 *   { dn: 'uid=iam_alice,ou=iam,dc=test', user: 'iam_alice', ok: false, reason: 'token expired' },
 * ]);
 * ```
 */
export interface LdapBindRecord {
  /** The bind DN. */
  readonly dn: string;
  /** The user taken from the DN. */
  readonly user: string;
  /** Whether the bind was accepted. */
  readonly ok: boolean;
  /** Why it was refused, when the verifier said. */
  readonly reason?: string | undefined;
}

/**
 * What `verify` answers: a boolean, or a verdict with a reason (an {@link RdsTokenVerdict} fits).
 *
 * @example
 * ```ts
 * const refused: LdapVerdict = { ok: false, reason: 'token is for another user' };
 * const ldap = await startLdapVerifier({ verify: ({ user }) => (user === 'iam_alice' ? true : refused) });
 * ```
 */
export interface LdapVerdict {
  /** Accept the bind. */
  ok: boolean;
  /** Why it was refused; recorded in {@link LdapVerifier.binds}. */
  reason?: string | undefined;
}

/**
 * Options of {@link startLdapVerifier}.
 *
 * @example
 * ```ts
 * const options: LdapVerifierOptions = {
 *   verify: ({ user, password }) => verifyRdsToken(password, { hostname: '127.0.0.1', port: 5433, username: user, region: 'us-east-1', credentials }),
 *   port: 0,
 * };
 * const ldap = await startLdapVerifier(options);
 * ```
 */
export interface LdapVerifierOptions {
  /** Decides a bind: `true`/`{ ok: true }` accepts, anything else refuses with invalidCredentials (49). */
  verify(bind: LdapBind): boolean | LdapVerdict | Promise<boolean | LdapVerdict>;
  /** Default `127.0.0.1`. */
  host?: string | undefined;
  /** Default 0 (any free port). */
  port?: number | undefined;
}

/**
 * A running LDAP bind verifier.
 *
 * @example
 * ```ts
 * const ldap: LdapVerifier = await startLdapVerifier({ verify: ({ password }) => password === expectedToken });
 * // pg_hba.conf: ... ldap ldapserver=${ldap.host} ldapport=${ldap.port} ldapprefix="uid=" ldapsuffix=",ou=iam,dc=test"
 * expect(ldap.binds.map((b) => b.ok)).toEqual([true]);
 * await ldap.close();
 * ```
 */
export interface LdapVerifier {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on: give it to PostgreSQL as `ldapport`. */
  readonly port: number;
  /** Every bind so far, with its verdict (no passwords). */
  readonly binds: readonly LdapBindRecord[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * A minimal LDAP server that answers simple binds, so that a real PostgreSQL
 * configured with `ldap` authentication hands each login's password (an IAM
 * token) to `verify`. It answers BindRequest with success or
 * invalidCredentials (49) and closes on Unbind; nothing else.
 *
 * In `pg_hba.conf`:
 * `hostssl all iam_alice 127.0.0.1/32 ldap ldapserver=127.0.0.1 ldapport=<port> ldapprefix="uid=" ldapsuffix=",ou=iam,dc=test"`
 *
 * @example
 * ```ts
 * import { startLdapVerifier, verifyRdsToken } from 'dbtoken/testing';
 * const ldap = await startLdapVerifier({
 *   verify: ({ user, password }) =>
 *     verifyRdsToken(password, { hostname: '127.0.0.1', port: 5433, username: user, region: 'us-east-1', credentials }),
 * });
 * // ... start PostgreSQL with ldapport=${ldap.port}
 * await ldap.close();
 * ```
 */
export async function startLdapVerifier(options: LdapVerifierOptions): Promise<LdapVerifier> {
  const binds: LdapBindRecord[] = [];

  /** Answers one request; false when the connection should end (Unbind, or not an LDAP message). */
  const handle = async (socket: Socket, request: LdapRequest): Promise<boolean> => {
    if (request.op === 'invalid' || request.op === 'unbind') return false;
    const { messageId } = request;
    if (request.op === 'other') {
      socket.write(bindResponse(messageId, RESULT.unwillingToPerform, 'only simple bind is supported'));
      return true;
    }
    if (request.op === 'malformed-bind') {
      socket.write(bindResponse(messageId, RESULT.protocolError, 'malformed bind request'));
      return true;
    }
    if (request.op === 'unsupported-auth') {
      socket.write(bindResponse(messageId, RESULT.authMethodNotSupported, 'only simple bind is supported'));
      return true;
    }
    const { dn, password } = request;
    const user = firstRdnValue(dn);
    let verdict: LdapVerdict;
    try {
      const v = await options.verify({ dn, user, password });
      verdict = typeof v === 'boolean' ? { ok: v } : { ok: v.ok === true, ...(v.reason !== undefined ? { reason: v.reason } : {}) };
    } catch {
      verdict = { ok: false, reason: 'verifier threw' };
    }
    binds.push({ dn, user, ...verdict });
    socket.write(
      verdict.ok ? bindResponse(messageId, RESULT.success, '') : bindResponse(messageId, RESULT.invalidCredentials, 'invalid credentials'),
    );
    return true;
  };

  const server: Server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    let busy = Promise.resolve();
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      busy = busy.then(async () => {
        for (;;) {
          const read = readLdapMessage(buf);
          if (read.status === 'error') {
            socket.destroy();
            return;
          }
          if (read.status === 'incomplete') return;
          buf = buf.subarray(read.used);
          if (!(await handle(socket, read.request))) {
            socket.end();
            return;
          }
        }
      });
    });
  });
  const sockets = trackSockets(server);
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  return { host, port, binds, close: () => closeServer(server, sockets) };
}
