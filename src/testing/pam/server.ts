import { createServer, type Server } from 'node:net';
import { closeServer, listen, trackSockets } from '../local-server.js';
import { pamAnswer, readPamRequest } from './wire.js';

/**
 * One PAM authentication as the verifier received it from `pam_script_auth`.
 *
 * @example
 * ```ts
 * // what verify receives when iam_alice logs in to MariaDB with a token
 * const login: PamLogin = { user: 'iam_alice', password: '<token>' };
 * ```
 */
export interface PamLogin {
  /**
   * The user being logged in (`PAM_USER`): for MariaDB, the account name.
   * @example `'iam_alice'`
   */
  readonly user: string;
  /**
   * The password (`PAM_AUTHTOK`): for dbtoken's tests, the token the client sent
   * as `mysql_clear_password`. Never recorded.
   * @example `'mydb.123.us-east-1.rds.amazonaws.com:3306/?Action=connect&...'`
   */
  readonly password: string;
}

/**
 * What the verifier decided about a login; it never records the password.
 *
 * @example
 * ```ts
 * const [first]: readonly PamLoginRecord[] = pam.binds;
 * expect(first).toEqual({ user: 'iam_alice', ok: true }); // never the password
 * ```
 */
export interface PamLoginRecord {
  /**
   * The user taken from `PAM_USER`.
   * @example `'iam_alice'`
   */
  readonly user: string;
  /**
   * Whether the login was accepted.
   * @example `true`
   */
  readonly ok: boolean;
  /**
   * Why it was refused, when the verifier said.
   * @example `'token expired'`
   */
  readonly reason?: string | undefined;
}

/**
 * What `verify` answers: a boolean, or a verdict with a reason (an
 * {@link RdsTokenVerdict} fits).
 *
 * @example
 * ```ts
 * const refused: PamVerdict = { ok: false, reason: 'token is for another user' };
 * const pam = await startPamScriptVerifier({ verify: ({ user }) => (user === 'iam_alice' ? true : refused) });
 * ```
 */
export interface PamVerdict {
  /**
   * Accept the login.
   * @example `true`
   */
  ok: boolean;
  /**
   * Why it was refused; recorded in {@link PamScriptVerifier.binds}.
   * @example `'signature does not match'`
   */
  reason?: string | undefined;
}

/**
 * Options of {@link startPamScriptVerifier}.
 *
 * @example
 * ```ts
 * const options: PamScriptVerifierOptions = {
 *   verify: ({ user, password }) => verifyRdsToken(password, { hostname: '127.0.0.1', port: 3307, username: user, region: 'us-east-1', credentials }),
 *   timeoutSeconds: 5,
 * };
 * const pam = await startPamScriptVerifier(options);
 * ```
 */
export interface PamScriptVerifierOptions {
  /**
   * Decides a login: `true`/`{ ok: true }` accepts; anything else, or a throw,
   * refuses (MariaDB then answers errno 1045).
   * @example
   * ```ts
   * verify: ({ user, password }) => password === `ok-${user}`
   * ```
   */
  verify(login: PamLogin): boolean | PamVerdict | Promise<boolean | PamVerdict>;
  /**
   * Address to listen on. The script always connects to `127.0.0.1`, so change
   * this only if you write your own script. Default `127.0.0.1`.
   * @example `'127.0.0.1'`
   */
  host?: string | undefined;
  /**
   * Port to listen on. Default 0 (any free port).
   * @example `0`
   */
  port?: number | undefined;
  /**
   * Seconds `pam_script_auth` waits for an answer before refusing, so that a
   * dead verifier cannot hang the database server. Default 10.
   * @example `10`
   */
  timeoutSeconds?: number | undefined;
}

/**
 * A running PAM verifier.
 *
 * @example
 * ```ts
 * const pam: PamScriptVerifier = await startPamScriptVerifier({ verify: ({ password }) => password === expectedToken });
 * writeFileSync(`${dir}/pam_script_auth`, pam.script, { mode: 0o755 });
 * // ... log in to MariaDB as iam_alice
 * expect(pam.binds.at(-1)?.ok).toBe(true);
 * await pam.close();
 * ```
 */
export interface PamScriptVerifier {
  /**
   * The address it listens on.
   * @example `'127.0.0.1'`
   */
  readonly host: string;
  /**
   * The port it listens on (already written into {@link PamScriptVerifier.script}).
   * @example `40123`
   */
  readonly port: number;
  /**
   * Every login so far, with its verdict (no passwords).
   * @example `[{ user: 'iam_alice', ok: true }, { user: 'iam_alice', ok: false, reason: 'expired' }]`
   */
  readonly binds: readonly PamLoginRecord[];
  /**
   * A bash script to install as pam_script's `pam_script_auth` (mode 0755): it
   * sends `$PAM_USER` and `$PAM_AUTHTOK` to this verifier and exits 0 only when
   * the answer is `OK`.
   * @example
   * ```ts
   * writeFileSync(`${dir}/pam_script_auth`, verifier.script, { mode: 0o755 });
   * ```
   */
  readonly script: string;
  /**
   * Stops listening and drops open connections.
   * @example
   * ```ts
   * await verifier.close();
   * ```
   */
  close(): Promise<void>;
}

function bashScript(port: number, timeoutSeconds: number): string {
  // Only bash builtins touch the token (printf, read), so it never appears in a
  // process's argv (`ps`). A refused or dead verifier means exit 1: refuse.
  return [
    '#!/bin/bash',
    '# pam_script_auth written by dbtoken/testing startPamScriptVerifier:',
    `# asks the verifier at 127.0.0.1:${port} whether PAM_AUTHTOK is good for PAM_USER.`,
    `exec 3<>/dev/tcp/127.0.0.1/${port} || exit 1`,
    `printf '%s\\n%s\\n' "$PAM_USER" "$PAM_AUTHTOK" >&3 || exit 1`,
    `IFS= read -r -t ${timeoutSeconds} answer <&3 || exit 1`,
    'exec 3<&-',
    '[ "$answer" = OK ] && exit 0',
    'exit 1',
    '',
  ].join('\n');
}

/**
 * A tiny TCP verifier for PAM logins, so that a real MariaDB using the `pam`
 * plugin (with `pam_script.so`) hands each login's cleartext password (an IAM
 * token) to `verify` in your test process.
 *
 * Protocol: the client sends `<user>\n<password>\n`; the verifier answers
 * `OK\n` or `NO\n` and closes. {@link PamScriptVerifier.script} is a ready
 * `pam_script_auth` that speaks it through bash's `/dev/tcp`.
 *
 * In `/etc/pam.d/<service>`:
 * `auth required pam_script.so dir=<folder holding pam_script_auth>` and
 * `account required pam_permit.so`; then in MariaDB
 * `CREATE USER iam_alice@'%' IDENTIFIED VIA pam USING '<service>' REQUIRE SSL`.
 *
 * @example
 * ```ts
 * import { startPamScriptVerifier, verifyRdsToken } from 'dbtoken/testing';
 * const pam = await startPamScriptVerifier({
 *   verify: ({ user, password }) =>
 *     verifyRdsToken(password, { hostname: '127.0.0.1', port: 3307, username: user, region: 'us-east-1', credentials }),
 * });
 * writeFileSync(`${dir}/pam_script_auth`, pam.script, { mode: 0o755 });
 * // ... start MariaDB with --plugin-load-add=auth_pam_v1 --pam-use-cleartext-plugin=ON
 * await pam.close();
 * ```
 */
export async function startPamScriptVerifier(options: PamScriptVerifierOptions): Promise<PamScriptVerifier> {
  const binds: PamLoginRecord[] = [];
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new RangeError('timeoutSeconds must be a positive integer');

  const decide = async (login: PamLogin): Promise<PamVerdict> => {
    try {
      const v = await options.verify(login);
      return typeof v === 'boolean' ? { ok: v } : { ok: v?.ok === true, ...(v?.reason !== undefined ? { reason: v.reason } : {}) };
    } catch {
      return { ok: false, reason: 'verifier threw' };
    }
  };

  const server: Server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(timeoutSeconds * 1000, () => socket.destroy());
    let buf = Buffer.alloc(0);
    let done = false;
    socket.on('data', (chunk) => {
      if (done) return;
      buf = Buffer.concat([buf, chunk]);
      const read = readPamRequest(buf);
      if (read.status === 'incomplete') return;
      done = true;
      buf = Buffer.alloc(0);
      if (read.status === 'error') {
        socket.end(pamAnswer(false));
        return;
      }
      const { user, password } = read;
      void decide({ user, password }).then((verdict) => {
        binds.push({ user, ...verdict });
        if (!socket.destroyed) socket.end(pamAnswer(verdict.ok));
      });
    });
  });
  const sockets = trackSockets(server);
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  return { host, port, binds, script: bashScript(port, timeoutSeconds), close: () => closeServer(server, sockets) };
}
