import { constants, createHash, createPrivateKey, createPublicKey, randomBytes, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { emulatorCertificates } from '../certificates.js';
import { closeServer, listen, trackSockets } from '../local-server.js';
import { isObject, STANDARD_BASE64, verifySecurityToken } from '../security-token.js';
import {
  authSwitchRequest,
  CLIENT_SSL,
  encodePacket,
  ER_ACCESS_DENIED,
  ER_HANDSHAKE,
  ER_OUT_OF_ORDER,
  ER_UNKNOWN_COM,
  errPacket,
  greeting,
  isSslRequest,
  newNonce,
  okPacket,
  parseCommand,
  parseHandshakeResponse,
  parseOciAuthReply,
  readPacket,
  SERVER_CAPABILITIES,
  SERVER_VERSION,
  textResultSet,
  toScramble,
  type Packet,
} from './wire.js';
import { newSession, runStatement, sessionStatus } from './sql.js';

/**
 * One API signing key registered on an OCI IAM user.
 *
 * @example
 * ```ts
 * const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
 * const apiKey: HeatwaveApiKey = { fingerprint: ociKeyFingerprint(pem), publicKey: pem };
 * ```
 */
export interface HeatwaveApiKey {
  /**
   * The key's OCI fingerprint: MD5 over the DER SPKI, colon-separated lowercase hex.
   * It must match `publicKey` ({@link startHeatwaveEmulator} checks); {@link ociKeyFingerprint} computes it.
   *
   * @example
   * ```ts
   * const fingerprint = ociKeyFingerprint(publicKeyPem); // 'a1:b2:…' (16 pairs)
   * ```
   */
  fingerprint: string;
  /**
   * The public key, as PEM (SPKI `BEGIN PUBLIC KEY`, or PKCS#1 `BEGIN RSA PUBLIC KEY`). It must be RSA.
   *
   * @example
   * ```ts
   * const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * const apiKey = { fingerprint: ociKeyFingerprint(publicKey.export({ type: 'spki', format: 'pem' }) as string),
   *                  publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string };
   * ```
   */
  publicKey: string;
}

/**
 * An OCI IAM user, as far as the emulator's "OCI IAM" knows it.
 *
 * @example
 * ```ts
 * const bob: HeatwaveIamUser = {
 *   ocid: 'ocid1.user.oc1..bob',
 *   groups: ['ocid1.group.oc1..dbusers'],
 *   apiKeys: [{ fingerprint, publicKey: publicKeyPem }],
 * };
 * ```
 */
export interface HeatwaveIamUser {
  /**
   * The user's OCID. A security token's `sub` names it; a direct MySQL account's `iamUser` points at it.
   *
   * @example
   * ```ts
   * const alice = { ocid: 'ocid1.user.oc1..alice' };
   * ```
   */
  ocid: string;
  /**
   * The OCIDs of the IAM groups the user belongs to; the anonymous account's `groupMapping` looks at them.
   * Default none.
   *
   * @example
   * ```ts
   * const bob = { ocid: 'ocid1.user.oc1..bob', groups: ['ocid1.group.oc1..dbusers'] };
   * ```
   */
  groups?: string[] | undefined;
  /**
   * The user's API signing keys; a login without a security token is found by the fingerprint of one of them.
   * Default none (such a user can still log in with a security token).
   *
   * @example
   * ```ts
   * const alice = { ocid: 'ocid1.user.oc1..alice', apiKeys: [{ fingerprint, publicKey: publicKeyPem }] };
   * ```
   */
  apiKeys?: HeatwaveApiKey[] | undefined;
}

/**
 * A MySQL account mapped to one IAM user, as made by
 * `CREATE USER 'iam_alice'@'%' IDENTIFIED WITH authentication_oci AS '<user OCID>'`.
 * `CURRENT_USER()` is `<name>@%`, and equals `USER()` up to the host part.
 *
 * @example
 * ```ts
 * // CREATE USER 'iam_alice'@'%' IDENTIFIED WITH authentication_oci AS 'ocid1.user.oc1..alice'
 * const account: HeatwaveDirectUser = { name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' };
 * ```
 */
export interface HeatwaveDirectUser {
  /**
   * The MySQL account name that the client logs in as.
   *
   * @example
   * ```ts
   * const account = { name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' };
   * ```
   */
  name: string;
  /**
   * The OCID of the only IAM user allowed to log in to this account.
   *
   * @example
   * ```ts
   * const account = { name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' };
   * ```
   */
  iamUser: string;
}

/**
 * The anonymous account with a group mapping, as made by
 * `CREATE USER ''@'%' IDENTIFIED WITH authentication_oci AS '{"groupMapping": {"<group OCID>": "dbproxy"}}'`
 * plus `GRANT PROXY ON 'dbproxy'@'%' TO ''@'%'`. Any login name without an account of its own lands here;
 * the IAM user must be in one of the mapped groups, and `CURRENT_USER()` becomes `<proxy>@%`.
 *
 * @example
 * ```ts
 * // CREATE USER ''@'%' IDENTIFIED WITH authentication_oci AS '{"groupMapping": {"ocid1.group.oc1..dbusers": "dbproxy"}}'
 * const anonymous: HeatwaveGroupMappingUser = { name: '', groupMapping: { 'ocid1.group.oc1..dbusers': 'dbproxy' } };
 * ```
 */
export interface HeatwaveGroupMappingUser {
  /**
   * Always `''`: only the anonymous account carries a group mapping.
   *
   * @example
   * ```ts
   * const anonymous = { name: '', groupMapping: { 'ocid1.group.oc1..dbusers': 'dbproxy' } } as const;
   * ```
   */
  name: '';
  /**
   * Group OCID to proxy account name. The first group (in this object's order) that the IAM user
   * belongs to decides the proxy account.
   *
   * @example
   * ```ts
   * const groupMapping = { 'ocid1.group.oc1..dbusers': 'dbproxy', 'ocid1.group.oc1..admins': 'dbadmin' };
   * ```
   */
  groupMapping: Record<string, string>;
}

/**
 * A MySQL account that uses `authentication_oci`.
 *
 * @example
 * ```ts
 * const mysqlUsers: HeatwaveMysqlUser[] = [
 *   { name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' },
 *   { name: '', groupMapping: { 'ocid1.group.oc1..dbusers': 'dbproxy' } },
 * ];
 * ```
 */
export type HeatwaveMysqlUser = HeatwaveDirectUser | HeatwaveGroupMappingUser;

/**
 * Certificate and key for the emulator's TLS, in place of the ones it makes for itself.
 *
 * @example
 * ```ts
 * const tls: HeatwaveTlsOptions = { key: readFileSync('server.key', 'utf8'), cert: readFileSync('server.crt', 'utf8') };
 * const emulator = await startHeatwaveEmulator({ iamUsers, mysqlUsers, tls }); // clients pass ssl: { ca: emulator.ca }
 * ```
 */
export interface HeatwaveTlsOptions {
  /**
   * The server's private key, PEM.
   *
   * @example
   * ```ts
   * const tls = { key: readFileSync('server.key', 'utf8'), cert: readFileSync('server.crt', 'utf8') };
   * ```
   */
  key: string;
  /**
   * The server's certificate chain, PEM. Give the client its CA (`ssl: { ca }` in mysql2).
   *
   * @example
   * ```ts
   * const tls = { key: readFileSync('server.key', 'utf8'), cert: readFileSync('server.crt', 'utf8') };
   * ```
   */
  cert: string;
  /**
   * The PEM certificate of the CA that signed `cert`, handed back as {@link HeatwaveEmulator.ca}.
   * Default `cert` itself, which is right for a self-signed certificate.
   *
   * @example
   * ```ts
   * const tls = { key: serverKeyPem, cert: serverCertPem, ca: readFileSync('ca.crt', 'utf8') };
   * ```
   */
  ca?: string | undefined;
}

/**
 * Options of {@link startHeatwaveEmulator}.
 *
 * @example
 * ```ts
 * const options: HeatwaveEmulatorOptions = {
 *   iamUsers: [{ ocid: 'ocid1.user.oc1..alice', apiKeys: [{ fingerprint, publicKey: publicKeyPem }] }],
 *   mysqlUsers: [{ name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' }],
 *   tls: { key: serverKeyPem, cert: serverCertPem },
 * };
 * const emulator = await startHeatwaveEmulator(options);
 * ```
 */
export interface HeatwaveEmulatorOptions {
  /**
   * What OCI IAM knows: users, their groups and their API keys. A security token's subject must be one of them.
   *
   * @example
   * ```ts
   * const iamUsers = [{ ocid: 'ocid1.user.oc1..alice', apiKeys: [{ fingerprint, publicKey }] }];
   * ```
   */
  iamUsers: HeatwaveIamUser[];
  /**
   * The PEM public key that signs security tokens (RS256 JWTs with `sub`, `exp` and `jwk`, like
   * `oci session authenticate` makes). Without it, every login that carries a token is refused.
   *
   * @example
   * ```ts
   * const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * const tokenIssuerPublicKey = issuer.publicKey.export({ type: 'spki', format: 'pem' }) as string;
   * ```
   */
  tokenIssuerPublicKey?: string | undefined;
  /**
   * The MySQL accounts that use `authentication_oci`: directly mapped ones, and at most one anonymous
   * account with a group mapping.
   *
   * @example
   * ```ts
   * const mysqlUsers = [
   *   { name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' },
   *   { name: '', groupMapping: { 'ocid1.group.oc1..dbusers': 'dbproxy' } },
   * ] as const;
   * ```
   */
  mysqlUsers: readonly HeatwaveMysqlUser[];
  /**
   * The server's TLS. The greeting advertises CLIENT_SSL, and an SSLRequest upgrades the connection;
   * clients that do not ask for TLS are still served in plain text, as MySQL does unless a user
   * `REQUIRE SSL`. Default: a certificate for `localhost`, `127.0.0.1` and `host`, signed by a CA the
   * emulator makes in memory at start and hands back as {@link HeatwaveEmulator.ca}. Give a certificate
   * and key to use them instead, or `false` for a server that offers no TLS at all.
   *
   * @example
   * ```ts
   * const tls = { key: keyPem, cert: certPem };   // or false: the greeting does not offer TLS
   * ```
   */
  tls?: HeatwaveTlsOptions | false | undefined;
  /**
   * The clock, in milliseconds since the epoch, for security-token expiry. Default `Date.now`.
   *
   * @example
   * ```ts
   * let clock = Date.parse('2030-01-01T00:00:00Z');
   * const now = () => clock;
   * ```
   */
  now?: (() => number) | undefined;
  /**
   * Makes each connection's nonce. Default: 32 random bytes made 7-bit, with no NUL and no `$`, as a MySQL
   * server makes its scrambles. Lets a test send nonces with `0x00` or `0xFE` bytes, or an empty one (which
   * the emulator always refuses after reading the reply).
   *
   * @example
   * ```ts
   * const nonce = () => Buffer.from([0x00, 0xfe, 0x41, 0x00]);
   * ```
   */
  nonce?: (() => Buffer) | undefined;
  /**
   * The address to listen on. Default `127.0.0.1`.
   *
   * @example
   * ```ts
   * const host = '127.0.0.1';
   * ```
   */
  host?: string | undefined;
  /**
   * The port to listen on. Default 0 (any free port).
   *
   * @example
   * ```ts
   * const port = 0;
   * ```
   */
  port?: number | undefined;
}

/**
 * One login attempt as the emulator saw it. It never holds the token or signature in a printable field:
 * `reply` is there for byte-level checks but is not enumerable, so printing a record, `JSON.stringify`
 * and assertion diffs leave it out.
 *
 * @example
 * ```ts
 * const login: HeatwaveLogin | undefined = emulator.logins.at(-1);
 * expect(login).toMatchObject({
 *   user: 'bob', account: '', ok: true, method: 'api-key',
 *   principal: 'ocid1.user.oc1..bob', currentUser: 'dbproxy@%', tls: true,
 * });
 * ```
 */
export interface HeatwaveLogin {
  /**
   * The login name the client gave.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.user).toBe('iam_alice');
   * ```
   */
  readonly user: string;
  /**
   * The client's address, as it appears in `USER()`.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.clientHost).toBe('127.0.0.1');
   * ```
   */
  readonly clientHost: string;
  /**
   * The account the login name matched: the name itself, or `''` for the anonymous account; absent when none did.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.account).toBe('');
   * ```
   */
  readonly account?: string | undefined;
  /**
   * Whether the login was accepted.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.ok).toBe(true);
   * ```
   */
  readonly ok: boolean;
  /**
   * Why it was refused. A fixed phrase; it never quotes the token, the signature or the reply.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.reason).toBe('signature does not verify');
   * ```
   */
  readonly reason?: string | undefined;
  /**
   * How the client proved its identity, once the reply was understood.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.method).toBe('security-token');
   * ```
   */
  readonly method?: 'api-key' | 'security-token' | undefined;
  /**
   * The IAM user's OCID, once the fingerprint or token named one.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.principal).toBe('ocid1.user.oc1..alice');
   * ```
   */
  readonly principal?: string | undefined;
  /**
   * `CURRENT_USER()` of the session, on success: `<account>@%`, or `<proxy>@%` through a group mapping.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.currentUser).toBe('dbproxy@%');
   * ```
   */
  readonly currentUser?: string | undefined;
  /**
   * Whether the connection had been upgraded to TLS.
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.tls).toBe(true);
   * ```
   */
  readonly tls: boolean;
  /**
   * The nonce sent in the AuthSwitchRequest (empty when no account matched, so none was sent).
   *
   * @example
   * ```ts
   * expect(emulator.logins.at(-1)?.nonce.length).toBe(32);
   * ```
   */
  readonly nonce: Buffer;
  /**
   * The client's reply packet, byte for byte (empty when none came). Not enumerable: read it explicitly.
   *
   * @example
   * ```ts
   * const reply = emulator.logins.at(-1)!.reply;
   * expect(reply.at(-1)).not.toBe(0x00);
   * ```
   */
  readonly reply: Buffer;
}

/**
 * A running HeatWave emulator.
 *
 * @example
 * ```ts
 * const emulator: HeatwaveEmulator = await startHeatwaveEmulator({ iamUsers, mysqlUsers });
 * const conn = await mysql.createConnection({ host: emulator.host, port: emulator.port, user: 'iam_alice', authPlugins });
 * expect(emulator.logins.at(-1)?.ok).toBe(true);
 * await conn.end();
 * await emulator.close();
 * ```
 */
export interface HeatwaveEmulator {
  /**
   * The address it listens on.
   *
   * @example
   * ```ts
   * await mysql.createConnection({ host: emulator.host, port: emulator.port, user: 'iam_alice', authPlugins });
   * ```
   */
  readonly host: string;
  /**
   * The port it listens on.
   *
   * @example
   * ```ts
   * await mysql.createConnection({ host: emulator.host, port: emulator.port, user: 'iam_alice', authPlugins });
   * ```
   */
  readonly port: number;
  /**
   * The PEM certificate that a client trusts to verify the emulator's TLS: the CA the emulator made for
   * its own certificate (which names `localhost`, `127.0.0.1` and the host), or, with
   * {@link HeatwaveEmulatorOptions.tls}, that option's `ca` (default its `cert`). `undefined` with `tls: false`.
   *
   * @example
   * ```ts
   * const conn = await mysql.createConnection({ host: emulator.host, port: emulator.port, user: 'iam_alice', ssl: { ca: emulator.ca }, authPlugins });
   * ```
   */
  readonly ca: string | undefined;
  /**
   * Every login attempt so far, in order, with its verdict.
   *
   * @example
   * ```ts
   * expect(emulator.logins.map((l) => l.ok)).toEqual([true, false]);
   * ```
   */
  readonly logins: readonly HeatwaveLogin[];
  /**
   * Drops open connections and stops listening; resolves once the server is closed.
   *
   * @example
   * ```ts
   * await emulator.close();
   * ```
   */
  close(): Promise<void>;
}

const OCI_PLUGIN = 'authentication_oci_client';

class ConnectionClosed extends Error {}

/** Collects bytes and hands out whole MySQL packets, however the bytes were split or coalesced. */
class PacketReader {
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;
  private waiter: { resolve: (p: Packet) => void; reject: (e: Error) => void } | undefined;

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.pump();
  }

  /** Removes and returns the bytes not yet read as packets (for the TLS upgrade). */
  take(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  next(): Promise<Packet> {
    return new Promise<Packet>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const read = readPacket(this.buf);
    if (read.status === 'packet') {
      this.buf = this.buf.subarray(read.used);
      this.waiter = undefined;
      waiter.resolve(read.packet);
    } else if (read.status === 'error') {
      this.waiter = undefined;
      waiter.reject(new Error(read.reason));
    } else if (this.closed) {
      this.waiter = undefined;
      waiter.reject(new ConnectionClosed('connection closed'));
    }
  }
}

/**
 * The OCI fingerprint of a public key: MD5 over its DER SubjectPublicKeyInfo, as colon-separated
 * lowercase hex. This is what the OCI console shows for an API key and what `fingerprint` in
 * `~/.oci/config` holds. A private key (PEM or KeyObject) gives its public key's fingerprint.
 *
 * @example
 * ```ts
 * import { ociKeyFingerprint } from 'dbtoken/testing';
 * const fingerprint = ociKeyFingerprint(readFileSync('oci_api_key_public.pem', 'utf8'));
 * // 'c8:6f:…:3e', the same as `openssl rsa -pubout -outform DER -in key.pem | openssl md5 -c`
 * ```
 */
export function ociKeyFingerprint(publicKeyPem: string | KeyObject): string {
  const key = typeof publicKeyPem !== 'string' && publicKeyPem.type === 'public' ? publicKeyPem : createPublicKey(publicKeyPem);
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
}

function rsaPublicKey(key: string | KeyObject, what: string): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  } catch (err) {
    throw new TypeError(`${what} is not a usable public key`, { cause: err });
  }
  if (k.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} must be an RSA key, not ${k.asymmetricKeyType ?? 'unknown'}`);
  return k;
}
type Method = NonNullable<HeatwaveLogin['method']>;

/** What {@link startHeatwaveEmulator} decided about one reply. */
type LoginVerdict =
  | { ok: true; method: Method; principal: string; currentUser: string }
  | { ok: false; reason: string; method?: Method; principal?: string };

type Account = { kind: 'direct'; name: string; iamUser: string } | { kind: 'groups'; name: ''; groupMapping: Record<string, string> };

/**
 * Starts a MySQL-protocol server that logs users in the way MySQL HeatWave does for OCI IAM
 * (`authentication_oci`), so that a client's `authentication_oci_client` plugin can be tested
 * without OCI. It greets with `mysql_native_password`, switches every login to
 * `authentication_oci_client` with a nonce, checks the JSON reply (`fingerprint`, `signature`
 * over the nonce, and the security `token` when there is one) against {@link HeatwaveEmulatorOptions.iamUsers},
 * maps the IAM user to a MySQL account, and answers OK or ERR 1045 (SQLSTATE 28000).
 *
 * It offers TLS as MySQL does, with a certificate signed by a CA of its own ({@link HeatwaveEmulator.ca})
 * unless {@link HeatwaveEmulatorOptions.tls} says otherwise, and serves clients that do not ask for TLS too.
 *
 * Once logged in, a session answers what clients send around a login, as MySQL 8.4 does:
 * `SELECT USER(), CURRENT_USER()` (also `CURRENT_USER` without parentheses, `SESSION_USER()`,
 * `SYSTEM_USER()`, integer literals such as `SELECT 1`, `@@[session.|global.]` system variables such as
 * `@@session.autocommit`, `@@version` or `@@sql_mode`, and aliases; as on MySQL, an alias that is a
 * reserved word, such as `current_user`, must be quoted); `SET` of session variables,
 * `SET NAMES … [COLLATE …]` and `SET CHARACTER SET …` (what MySQL Connector/Python sends after logging
 * in), with MySQL's errors for unknown variables and bad values; `BEGIN`, `START TRANSACTION`, `COMMIT`
 * and `ROLLBACK`, with the status flags that go with them; `SHOW SESSION STATUS LIKE 'Ssl_cipher'` (the
 * cipher over TLS, else ''); COM_PING and COM_QUIT. Any other query gets ERR 1064. Nothing is logged, and
 * no record holds a token or signature where printing it would show them.
 *
 * @example
 * ```ts
 * import crypto from 'node:crypto';
 * import mysql from 'mysql2/promise';
 * import { ociKeyFingerprint, startHeatwaveEmulator } from 'dbtoken/testing';
 *
 * const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
 * const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
 * const fingerprint = ociKeyFingerprint(pem);
 * const emulator = await startHeatwaveEmulator({
 *   iamUsers: [{ ocid: 'ocid1.user.oc1..alice', apiKeys: [{ fingerprint, publicKey: pem }] }],
 *   mysqlUsers: [{ name: 'iam_alice', iamUser: 'ocid1.user.oc1..alice' }],
 * });
 * const conn = await mysql.createConnection({
 *   host: emulator.host,
 *   port: emulator.port,
 *   user: 'iam_alice',
 *   ssl: { ca: emulator.ca },
 *   authPlugins: {
 *     authentication_oci_client: () => (nonce: Buffer) =>
 *       Buffer.from(JSON.stringify({ fingerprint, signature: crypto.sign('sha256', nonce, privateKey).toString('base64'), token: '' })),
 *   },
 * });
 * const [rows] = await conn.query('SELECT USER(), CURRENT_USER()'); // [{ 'USER()': 'iam_alice@127.0.0.1', 'CURRENT_USER()': 'iam_alice@%' }]
 * await conn.end();
 * await emulator.close();
 * ```
 */
export async function startHeatwaveEmulator(options: HeatwaveEmulatorOptions): Promise<HeatwaveEmulator> {
  // Check the setup up front, so that a typo fails the test's setup rather than its logins.
  const apiKeys = new Map<string, { principal: string; key: KeyObject }>();
  const iamUsers = new Map<string, HeatwaveIamUser>();
  for (const user of options.iamUsers) {
    if (typeof user.ocid !== 'string' || user.ocid === '') throw new TypeError('every iamUsers entry needs an ocid');
    if (iamUsers.has(user.ocid)) throw new TypeError(`iamUsers lists ${user.ocid} twice`);
    iamUsers.set(user.ocid, user);
    for (const apiKey of user.apiKeys ?? []) {
      const key = rsaPublicKey(apiKey.publicKey, `the API key ${apiKey.fingerprint} of ${user.ocid}`);
      const actual = ociKeyFingerprint(key);
      const given = apiKey.fingerprint.toLowerCase();
      if (given !== actual) throw new TypeError(`the API key of ${user.ocid} has fingerprint ${actual}, not ${apiKey.fingerprint}`);
      if (apiKeys.has(actual)) throw new TypeError(`the API key ${actual} is registered twice`);
      apiKeys.set(actual, { principal: user.ocid, key });
    }
  }
  const issuer = options.tokenIssuerPublicKey !== undefined ? rsaPublicKey(options.tokenIssuerPublicKey, 'tokenIssuerPublicKey') : undefined;
  const accounts = new Map<string, Account>();
  for (const u of options.mysqlUsers) {
    if (accounts.has(u.name)) throw new TypeError(`mysqlUsers lists the account '${u.name}' twice`);
    if ('iamUser' in u && typeof u.iamUser === 'string') {
      accounts.set(u.name, { kind: 'direct', name: u.name, iamUser: u.iamUser });
    } else if ('groupMapping' in u && isObject(u.groupMapping)) {
      if (u.name !== '') throw new TypeError('only the anonymous account (name \'\') can have a groupMapping');
      accounts.set('', { kind: 'groups', name: '', groupMapping: u.groupMapping });
    } else {
      throw new TypeError(`mysqlUsers entry '${String((u as { name?: unknown }).name)}' needs iamUser or groupMapping`);
    }
  }
  const now = options.now ?? Date.now;
  const makeNonce = options.nonce ?? (() => newNonce(randomBytes));
  const host = options.host ?? '127.0.0.1';
  const tlsOptions = serverTls(options.tls, host);
  const secureContext = tlsOptions ? secureContextOf(tlsOptions) : undefined;
  const capabilities = SERVER_CAPABILITIES | (secureContext ? CLIENT_SSL : 0);

  const logins: HeatwaveLogin[] = [];
  const server: Server = createServer();
  const sockets = trackSockets(server);
  let nextConnectionId = 1;

  const record = (entry: Omit<HeatwaveLogin, 'reply'>, reply: Buffer): void => {
    const rec = { ...entry } as HeatwaveLogin;
    Object.defineProperty(rec, 'reply', { value: Buffer.from(reply), enumerable: false, writable: false });
    logins.push(Object.freeze(rec));
  };

  /** Decides a login; never throws. */
  const authenticate = (account: Account, nonce: Buffer, reply: Buffer): LoginVerdict => {
    if (nonce.length === 0) {
      return { ok: false, reason: reply.length === 0 ? 'empty nonce (the client sent an empty reply)' : 'empty nonce (the client sent a non-empty reply)' };
    }
    if (reply.length === 0) return { ok: false, reason: 'empty reply' };
    const parsed = parseOciAuthReply(reply);
    if (!parsed.ok) return parsed;
    const { fingerprint, signature, token } = parsed.value;
    let method: Method;
    let principal: string;
    let key: KeyObject;
    if (token !== '') {
      method = 'security-token';
      if (!issuer) return { ok: false, reason: 'security tokens are not accepted (no tokenIssuerPublicKey)', method };
      const checked = verifySecurityToken(token, issuer, now());
      if (!checked.ok) return { ...checked, method };
      principal = checked.value.principal;
      key = checked.value.key;
      if (fingerprint.toLowerCase() !== ociKeyFingerprint(key)) return { ok: false, reason: 'fingerprint does not match the security token key', method, principal };
      if (!iamUsers.has(principal)) return { ok: false, reason: 'token subject is not a known IAM user', method, principal };
    } else {
      method = 'api-key';
      const found = apiKeys.get(fingerprint.toLowerCase());
      if (!found) return { ok: false, reason: 'unknown fingerprint', method };
      principal = found.principal;
      key = found.key;
    }
    if (!STANDARD_BASE64.test(signature)) return { ok: false, reason: 'signature is not standard base64', method, principal };
    let verified = false;
    try {
      verified = verifySignature('sha256', nonce, { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
    } catch {
      verified = false;
    }
    if (!verified) return { ok: false, reason: 'signature does not verify', method, principal };
    if (account.kind === 'direct') {
      if (account.iamUser !== principal) return { ok: false, reason: 'the IAM user is not mapped to this account', method, principal };
      return { ok: true, method, principal, currentUser: `${account.name}@%` };
    }
    const groups = new Set(iamUsers.get(principal)?.groups ?? []);
    for (const [group, proxy] of Object.entries(account.groupMapping)) {
      if (groups.has(group)) return { ok: true, method, principal, currentUser: `${proxy}@%` };
    }
    return { ok: false, reason: 'none of the IAM user\'s groups is mapped', method, principal };
  };

  const serve = async (raw: Socket): Promise<void> => {
    const reader = new PacketReader();
    const onData = (chunk: Buffer): void => reader.push(chunk);
    raw.on('data', onData);
    raw.on('end', () => reader.close());
    raw.on('close', () => reader.close());
    let out: Socket = raw;
    let secure = false;
    const clientHost = (raw.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const send = (seq: number, payload: Buffer): void => {
      if (!out.destroyed) out.write(encodePacket(seq, payload));
    };
    const fail = (seq: number, code: number, sqlState: string, message: string): void => {
      if (!out.destroyed) out.end(encodePacket(seq, errPacket(code, sqlState, message)));
    };

    // 1. Greeting.
    const connectionId = nextConnectionId++;
    send(0, greeting({ serverVersion: SERVER_VERSION, connectionId, capabilities, salt: toScramble(randomBytes(20)), authPlugin: 'mysql_native_password' }));

    // 2. SSLRequest (optional) and HandshakeResponse41.
    let packet = await reader.next();
    let expectedSeq = 1;
    if (packet.seq !== expectedSeq) return fail(packet.seq + 1, ER_OUT_OF_ORDER, '08S01', 'Got packets out of order');
    if (isSslRequest(packet.payload)) {
      if (!secureContext) return void raw.destroy();
      raw.off('data', onData);
      raw.pause();
      const rest = reader.take();
      if (rest.length > 0) raw.unshift(rest);
      const secured = new TLSSocket(raw, { isServer: true, secureContext });
      sockets.add(secured);
      secured.on('data', onData);
      secured.on('end', () => reader.close());
      secured.on('close', () => {
        sockets.delete(secured);
        reader.close();
      });
      secured.on('error', () => secured.destroy());
      out = secured;
      secure = true;
      packet = await reader.next();
      expectedSeq = 2;
      if (packet.seq !== expectedSeq) return fail(packet.seq + 1, ER_OUT_OF_ORDER, '08S01', 'Got packets out of order');
    }
    const handshake = parseHandshakeResponse(packet.payload, capabilities);
    if (!handshake.ok) return fail(packet.seq + 1, ER_HANDSHAKE, '08S01', 'Bad handshake');
    const { user } = handshake.value;
    let seq = packet.seq + 1;
    const denied = (): void => fail(seq, ER_ACCESS_DENIED, '28000', `Access denied for user '${user}'@'${clientHost}' (using password: YES)`);

    // 3. The account: the exact name, else the anonymous one.
    const account = accounts.get(user) ?? accounts.get('');
    if (!account) {
      record({ user, clientHost, ok: false, reason: 'no such account', tls: secure, nonce: Buffer.alloc(0) }, Buffer.alloc(0));
      return denied();
    }

    // 4. AuthSwitchRequest with the nonce.
    const nonce = Buffer.from(makeNonce());
    send(seq, authSwitchRequest(OCI_PLUGIN, nonce));
    seq += 1;

    // 5. The reply.
    const base = { user, clientHost, account: account.name, tls: secure, nonce: Buffer.from(nonce) };
    let reply: Buffer;
    try {
      const p = await reader.next();
      if (p.seq !== seq) {
        record({ ...base, ok: false, reason: 'packets out of order' }, p.payload);
        return fail(p.seq + 1, ER_OUT_OF_ORDER, '08S01', 'Got packets out of order');
      }
      reply = p.payload;
      seq = p.seq + 1;
    } catch (err) {
      record({ ...base, ok: false, reason: 'connection closed before the reply' }, Buffer.alloc(0));
      throw err;
    }

    // 6-9. Identify, verify, authorize, answer.
    const verdict = authenticate(account, nonce, reply);
    if (!verdict.ok) {
      record(
        {
          ...base,
          ok: false,
          reason: verdict.reason,
          ...(verdict.method ? { method: verdict.method } : {}),
          ...(verdict.principal ? { principal: verdict.principal } : {}),
        },
        reply,
      );
      return denied();
    }
    const { method, principal, currentUser } = verdict;
    record({ ...base, ok: true, method, principal, currentUser }, reply);
    send(seq, okPacket());
    let session = newSession({ user: `${user}@${clientHost}`, currentUser, cipher: out instanceof TLSSocket ? (out.getCipher()?.name ?? '') : '' });

    // 10. Commands.
    for (;;) {
      const cmd = await reader.next();
      if (cmd.seq !== 0) return fail(cmd.seq + 1, ER_OUT_OF_ORDER, '08S01', 'Got packets out of order');
      const command = parseCommand(cmd.payload);
      if (command.kind === 'quit') return void out.end();
      if (command.kind === 'ping') {
        send(1, okPacket(sessionStatus(session)));
      } else if (command.kind === 'query') {
        const { reply, session: after } = runStatement(command.sql, session);
        session = after;
        if (reply.kind === 'error') send(1, errPacket(reply.error.code, reply.error.sqlState, reply.error.message));
        else if (reply.kind === 'ok') send(1, okPacket(sessionStatus(session)));
        else textResultSet(reply.columns, reply.row, sessionStatus(session)).forEach((payload, i) => send(i + 1, payload));
      } else {
        send(1, errPacket(ER_UNKNOWN_COM, '08S01', 'Unknown command'));
      }
    }
  };

  server.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    serve(socket).catch(() => socket.destroy());
  });
  const port = await listen(server, host, options.port ?? 0);
  return { host, port, ca: tlsOptions?.ca, logins, close: () => closeServer(server, sockets) };
}

/** The key, certificate and CA the emulator serves TLS with: the ones given, or its own; none for `false`. */
function serverTls(tls: HeatwaveTlsOptions | false | undefined, host: string): { key: string; cert: string; ca: string } | undefined {
  if (tls === false) return undefined;
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null || typeof tls.key !== 'string' || typeof tls.cert !== 'string') {
      throw new TypeError('tls must be { key, cert, ca? } as PEM strings, or false');
    }
    return { key: tls.key, cert: tls.cert, ca: tls.ca ?? tls.cert };
  }
  const made = emulatorCertificates([...new Set(['localhost', '127.0.0.1', host])], 'dbtoken HeatWave emulator');
  return { key: made.serverKey, cert: made.serverCert, ca: made.ca };
}

/** One TLS context for every connection; a key or certificate that TLS cannot use fails the start. */
function secureContextOf(tls: { key: string; cert: string }): SecureContext {
  let matches = false;
  let context: SecureContext;
  try {
    context = createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
    matches = new X509Certificate(tls.cert).checkPrivateKey(createPrivateKey(tls.key));
  } catch (err) {
    throw new TypeError('tls.key and tls.cert are not a usable PEM key and certificate', { cause: err });
  }
  if (!matches) throw new TypeError('tls.key is not the key of the certificate in tls.cert');
  return context;
}
