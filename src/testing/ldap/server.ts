import { createServer, type Server, type Socket } from 'node:net';
import { closeServer, listen, trackSockets } from '../local-server.js';

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
  readonly reason?: string;
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
  reason?: string;
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
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
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

// BER tags used by LDAPv3 simple bind (RFC 4511).
const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const ENUMERATED = 0x0a;
const BIND_REQUEST = 0x60;
const BIND_RESPONSE = 0x61;
const UNBIND_REQUEST = 0x42;
const SIMPLE_AUTH = 0x80;
const RESULT = { success: 0, protocolError: 2, authMethodNotSupported: 7, invalidCredentials: 49, unwillingToPerform: 53 } as const;

interface Tlv {
  tag: number;
  value: Buffer;
  end: number;
}

/** Reads one BER TLV at `offset`; `undefined` when the buffer holds only part of it. */
function readTlv(buf: Buffer, offset: number): Tlv | undefined {
  if (offset + 2 > buf.length) return undefined;
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported BER length');
    if (pos + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) return undefined;
  return { tag, value: buf.subarray(pos, pos + len), end: pos + len };
}

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, value]);
}

function readInt(b: Buffer): number {
  let v = 0;
  for (const byte of b) v = v * 256 + byte;
  return v;
}

function intBytes(v: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

function bindResponse(messageId: number, code: number, diagnostic: string): Buffer {
  return tlv(
    SEQUENCE,
    Buffer.concat([
      tlv(INTEGER, intBytes(messageId)),
      tlv(BIND_RESPONSE, Buffer.concat([tlv(ENUMERATED, Buffer.from([code])), tlv(OCTET_STRING, Buffer.alloc(0)), tlv(OCTET_STRING, Buffer.from(diagnostic))])),
    ]),
  );
}

/** The value of the first RDN (`uid=alice,ou=iam` gives `alice`). */
function firstRdnValue(dn: string): string {
  const first = dn.split(',')[0] ?? '';
  const eq = first.indexOf('=');
  return eq < 0 ? first : first.slice(eq + 1);
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

  const handle = async (socket: Socket, message: Tlv): Promise<boolean> => {
    if (message.tag !== SEQUENCE) return false;
    const id = readTlv(message.value, 0);
    if (!id || id.tag !== INTEGER) return false;
    const messageId = readInt(id.value);
    const op = readTlv(message.value, id.end);
    if (!op) return false;
    if (op.tag === UNBIND_REQUEST) return false;
    if (op.tag !== BIND_REQUEST) {
      socket.write(bindResponse(messageId, RESULT.unwillingToPerform, 'only simple bind is supported'));
      return true;
    }
    const version = readTlv(op.value, 0);
    const name = version && readTlv(op.value, version.end);
    const auth = name && readTlv(op.value, name.end);
    if (!version || !name || !auth || name.tag !== OCTET_STRING) {
      socket.write(bindResponse(messageId, RESULT.protocolError, 'malformed bind request'));
      return true;
    }
    if (auth.tag !== SIMPLE_AUTH) {
      socket.write(bindResponse(messageId, RESULT.authMethodNotSupported, 'only simple bind is supported'));
      return true;
    }
    const dn = name.value.toString('utf8');
    const user = firstRdnValue(dn);
    let verdict: LdapVerdict;
    try {
      const v = await options.verify({ dn, user, password: auth.value.toString('utf8') });
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
          let message: Tlv | undefined;
          try {
            message = readTlv(buf, 0);
          } catch {
            socket.destroy();
            return;
          }
          if (!message) return;
          buf = buf.subarray(message.end);
          if (!(await handle(socket, message))) {
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
