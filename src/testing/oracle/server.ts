import { createPublicKey, type KeyObject } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { createServer, type TLSSocket } from 'node:tls';
import { parseOciScope, parseOcid } from '../../sources/oci/scope.js';
import { closeServer, listen, trackSockets } from '../local-server.js';
import type { OciIdentityEmulator } from '../oci-identity/server.js';
import { Catalog, type IamPrincipal } from './catalog.js';
import { emulatorCertificates } from '../certificates.js';
import { checkLogin, tokenDigest, type SessionIdentity } from './login.js';
import { OraError, parseAdminStatement, parseSessionStatement, splitStatements, type SelectItem } from './sql.js';
import {
  acceptPacket,
  connectClient,
  connectDataValue,
  DATA_FLAG,
  dataPackets,
  dataPayload,
  dataTypesAnswer,
  describeMessage,
  errorMessage,
  EXEC,
  FN,
  MARKER,
  markerData,
  markerPacket,
  MSG,
  PACKET,
  pairMap,
  parameterMessage,
  parseConnect,
  protocolAnswer,
  readPacket,
  readRequest,
  refusePacket,
  rowDataMessage,
  rowHeaderMessage,
  statusMessage,
  WireError,
  type AuthCall,
  type Column,
  type ConnectClient,
  type EndToEndAttributes,
  type ExecuteCall,
  type FetchCall,
  type Framing,
  type FunctionRequest,
  type ReexecuteCall,
  type TnsPacket,
  type TtcRequest,
  type Value,
} from './wire.js';

/**
 * The database that {@link startOracleDbEmulator} plays: its OCIDs decide which db-token scopes cover it,
 * `service` is the service name clients connect to, and `region` is the only region whose tokens it accepts.
 *
 * @example
 * ```ts
 * const database: OracleDbEmulatorDatabase = {
 *   ocid: 'ocid1.autonomousdatabase.oc1.iad.aaaadb',
 *   compartment: 'ocid1.compartment.oc1..aaaacompartment',
 *   tenancy: 'ocid1.tenancy.oc1..aaaatenancy',
 *   service: 'g1234_mydb_high.adb.oraclecloud.com',
 *   region: 'us-ashburn-1',
 * };
 * ```
 */
export interface OracleDbEmulatorDatabase {
  /**
   * The database's OCID (an Autonomous Database, a DBaaS database or a pluggable database): what
   * `urn:oracle:db::id::<compartment>::<database>` scopes name.
   *
   * @example
   * ```ts
   * const ocid = 'ocid1.autonomousdatabase.oc1.iad.aaaadb';
   * ```
   */
  ocid: string;
  /**
   * The OCID of the compartment the database is in (the tenancy's own OCID for the root compartment):
   * what `urn:oracle:db::id::<compartment>` scopes name.
   *
   * @example
   * ```ts
   * const compartment = 'ocid1.compartment.oc1..aaaacompartment';
   * ```
   */
  compartment: string;
  /**
   * The OCID of the tenancy the database is in: what `urn:oracle:db::id::<tenancy>` scopes name, what
   * `urn:oracle:db::id::*` means for callers of that tenancy, and the tenancy of mappings that name none.
   *
   * @example
   * ```ts
   * const tenancy = 'ocid1.tenancy.oc1..aaaatenancy';
   * ```
   */
  tenancy: string;
  /**
   * The service name: the last part of the connect string, and what the signed AUTH_HEADER's
   * `(request-target)` must name. Compared in any letter case; at least two characters (node-oracledb
   * refuses one-character service names).
   *
   * @example
   * ```ts
   * const service = 'g1234_mydb_high.adb.oraclecloud.com';
   * ```
   */
  service: string;
  /**
   * The database's region: a db-token whose `region` claim names another region is refused (ORA-25707).
   *
   * @example
   * ```ts
   * const region = 'eu-frankfurt-1';
   * ```
   */
  region: string;
  /**
   * Where the database sits by name, `<tenancy name>[:<compartment name>[:<child compartment>…]]` (the
   * tenancy name alone for the root compartment): what `urn:oracle:db::path::` scopes name. A path scope
   * covers the database when it names this tenancy, and this compartment path and OCID when it names
   * them; names are compared as written. Default: none, so path-scoped db-tokens are refused (ORA-25707).
   *
   * @example
   * ```ts
   * const path = 'acme:sales'; // covered by ociScope.path({ tenancy: 'acme', compartment: 'sales' })
   * ```
   */
  path?: string | undefined;
}

/**
 * Options of {@link startOracleDbEmulator}.
 *
 * @example
 * ```ts
 * const options: OracleDbEmulatorOptions = { identity: iam, database, now: () => Date.now() + skewMs };
 * const db = await startOracleDbEmulator(options);
 * ```
 */
export interface OracleDbEmulatorOptions {
  /**
   * A running {@link startOciIdentityEmulator}: the database trusts the db-tokens it signs (its
   * `publicKey`), and reads its directory (user names and domains, groups, dynamic groups) to map a
   * token's principal to a global user.
   *
   * @example
   * ```ts
   * const iam = await startOciIdentityEmulator({ tenancies, regions: ['us-ashburn-1'] });
   * const db = await startOracleDbEmulator({ identity: iam, database });
   * ```
   */
  identity: OciIdentityEmulator;
  /**
   * The database played: its OCIDs, service name and region.
   *
   * @example
   * ```ts
   * const db = await startOracleDbEmulator({ identity: iam, database: { ocid, compartment, tenancy, service: 'mydb_high', region: 'us-ashburn-1' } });
   * ```
   */
  database: OracleDbEmulatorDatabase;
  /**
   * The database's clock, in milliseconds since the epoch: for token expiry and the AUTH_HEADER date
   * (which must be within five minutes of it). Default `Date.now`. node-oracledb refuses tokens that are
   * expired on its own clock (NJS-087) before it connects, so set this ahead of the real clock to see
   * the database refuse an expired token (ORA-25708).
   *
   * @example
   * ```ts
   * const now = () => Date.now() + 2 * 3600_000; // the database is two hours ahead
   * ```
   */
  now?: (() => number) | undefined;
  /**
   * The address to listen on. Default `127.0.0.1`. The certificate names `localhost`, `127.0.0.1` and
   * this host; {@link OracleDbEmulator.connectString} names `localhost` when it resolves to this address.
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
  /**
   * How long, in milliseconds, a client has from opening its connection to being logged in, as a
   * listener's INBOUND_CONNECT_TIMEOUT gives it: the TLS handshake, the CONNECT, the negotiation and
   * the login, all counted from the TCP connection. A client still short of a session then is dropped (one that finished TLS or got its
   * ACCEPT and went silent, one whose login was refused and stayed). A logged-in session may idle for
   * good, but once a request has begun to arrive, the rest of it must come within the same time. Default
   * 60,000 (Oracle's 60 seconds); a whole number from 1 to 2,147,483,647.
   *
   * @example
   * ```ts
   * const db = await startOracleDbEmulator({ identity: iam, database, inboundConnectTimeout: 200 });
   * ```
   */
  inboundConnectTimeout?: number | undefined;
  /**
   * Whether the ACCEPT announces end-of-request support (flags2 0x02000000), as an Oracle Database 23ai
   * listener may. node-oracledb (6.10 to 26) then reads each answer up to an explicit END_OF_REQUEST
   * message, which the emulator sends after every call's answer. Default `false`: each answer ends at
   * its end-of-call message. Either way a request is answered once it has all arrived, whether or not
   * the client marks its end.
   *
   * @example
   * ```ts
   * const db = await startOracleDbEmulator({ identity: iam, database, endOfRequest: true });
   * ```
   */
  endOfRequest?: boolean | undefined;
}

/**
 * One login attempt as the emulator saw it, with its verdict. It never holds the token, the signature
 * or any key: only what a test asserts on.
 *
 * @example
 * ```ts
 * expect(db.logins.at(-1)).toMatchObject({
 *   ok: false, errorNum: 25708, code: 'ORA-25708', reason: 'db-token has expired', principal: aliceOcid,
 * });
 * ```
 */
export interface OracleDbLogin {
  /**
   * When the login was checked, on the emulator's clock.
   *
   * @example
   * ```ts
   * expect(db.logins[0]!.at.getTime()).toBeLessThanOrEqual(Date.now());
   * ```
   */
  readonly at: Date;
  /**
   * Whether the login succeeded.
   *
   * @example
   * ```ts
   * expect(db.logins.map((l) => l.ok)).toEqual([true, false]);
   * ```
   */
  readonly ok: boolean;
  /**
   * The ORA number of a refusal: 25707, 25708, 25711 or 1017.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.errorNum).toBe(1017);
   * ```
   */
  readonly errorNum?: number | undefined;
  /**
   * `ORA-nnnnn` of a refusal, as the driver's `err.code` has it, except that node-oracledb relabels
   * ORA-25708 as NJS-087 (keeping `err.errorNum` 25708 and the ORA text in the message).
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.code).toBe('ORA-25707');
   * ```
   */
  readonly code?: string | undefined;
  /**
   * Why it was refused: a fixed phrase such as `the db-token was issued in eu-frankfurt-1, not the
   * database's region us-ashburn-1`. The client only sees Oracle's terse text.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.reason).toBe('no global user or role maps this principal');
   * ```
   */
  readonly reason?: string | undefined;
  /**
   * The token's `sub`: the principal's OCID, once the token was read.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.principal).toBe('ocid1.user.oc1..aaaaalice');
   * ```
   */
  readonly principal?: string | undefined;
  /**
   * The principal's tenancy (the token's `tenant`, or `res_tenant`).
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.tenancy).toBe(otherTenancyOcid); // a cross-tenancy login
   * ```
   */
  readonly tenancy?: string | undefined;
  /**
   * The token's scope URN.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.scope).toBe(ociScope.database(compartment, dbOcid));
   * ```
   */
  readonly scope?: string | undefined;
  /**
   * The region whose IAM issued the token (its `region` claim).
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.region).toBe('eu-frankfurt-1');
   * ```
   */
  readonly region?: string | undefined;
  /**
   * The token's `jti`: tells tokens apart (across a rollover, say) without holding them.
   *
   * @example
   * ```ts
   * expect(new Set(db.logins.map((l) => l.tokenId)).size).toBeGreaterThan(1);
   * ```
   */
  readonly tokenId?: string | undefined;
  /**
   * The token's expiry.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)!.expiresAt!.getTime()).toBeGreaterThan(Date.now());
   * ```
   */
  readonly expiresAt?: Date | undefined;
  /**
   * The global user logged in as (a successful login).
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.user).toBe('SALES_APP');
   * ```
   */
  readonly user?: string | undefined;
  /**
   * The mapping that matched, as written in `IDENTIFIED GLOBALLY AS '…'`.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.mapping).toBe('IAM_GROUP_NAME=db_users');
   * ```
   */
  readonly mapping?: string | undefined;
  /**
   * The global roles the principal's groups brought (`CREATE ROLE … IDENTIFIED GLOBALLY`).
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.globalRoles).toEqual(['EXPORT_ROLE']);
   * ```
   */
  readonly globalRoles?: readonly string[] | undefined;
  /**
   * The driver as it named itself (`SESSION_CLIENT_DRIVER_NAME`), such as `node-oracledb : 6.10.0 thn`.
   *
   * @example
   * ```ts
   * expect(db.logins.at(-1)?.driver).toMatch(/^node-oracledb : 26\./);
   * ```
   */
  readonly driver?: string | undefined;
  /**
   * The session opened, by the id of {@link OracleDbSession}.
   *
   * @example
   * ```ts
   * const session = db.sessions.find((s) => s.id === db.logins.at(-1)?.sessionId);
   * ```
   */
  readonly sessionId?: number | undefined;
}

/**
 * One session (a logged-in connection) and what it did: a snapshot taken when read.
 *
 * @example
 * ```ts
 * const [session] = db.sessions;
 * expect(session).toMatchObject({ user: 'SALES_APP', open: false, loggedOff: true, calls: { ping: 1 } });
 * ```
 */
export interface OracleDbSession {
  /**
   * The session id (also `AUTH_SESSION_ID` and `SYS_CONTEXT('USERENV','SID')`).
   *
   * @example
   * ```ts
   * expect(db.sessions.map((s) => s.id)).toEqual([1, 2]);
   * ```
   */
  readonly id: number;
  /**
   * The global user.
   *
   * @example
   * ```ts
   * expect(db.sessions[0]?.user).toBe('SALES_APP');
   * ```
   */
  readonly user: string;
  /**
   * The principal's OCID.
   *
   * @example
   * ```ts
   * expect(db.sessions[0]?.principal).toBe(aliceOcid);
   * ```
   */
  readonly principal: string;
  /**
   * Whether its connection is still open.
   *
   * @example
   * ```ts
   * await pool.close(0);
   * expect(db.sessions.every((s) => !s.open)).toBe(true);
   * ```
   */
  readonly open: boolean;
  /**
   * Whether the client logged off (rather than dropping the connection).
   *
   * @example
   * ```ts
   * await conn.close();
   * expect(db.sessions.at(-1)?.loggedOff).toBe(true);
   * ```
   */
  readonly loggedOff: boolean;
  /**
   * How many of each call the session made.
   *
   * @example
   * ```ts
   * expect(db.sessions[0]?.calls).toEqual({ execute: 2, fetch: 0, ping: 1, commit: 0, rollback: 0 });
   * ```
   */
  readonly calls: Readonly<Record<'execute' | 'fetch' | 'ping' | 'commit' | 'rollback', number>>;
}

/**
 * A running Oracle Database emulator.
 *
 * @example
 * ```ts
 * const db: OracleDbEmulator = await startOracleDbEmulator({ identity: iam, database });
 * await db.admin(`CREATE USER app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app;`);
 * const conn = await oracledb.getConnection({ connectString: db.connectString, walletContent: db.wallet, externalAuth: true, accessToken });
 * await db.close();
 * ```
 */
export interface OracleDbEmulator {
  /**
   * A `tcps://` Easy Connect string: `tcps://<host>:<port>/<service>`, with {@link OracleDbEmulator.host},
   * a name the server certificate carries, so that clients that match the certificate against the host
   * name (`ssl_server_dn_match`) accept it.
   *
   * @example
   * ```ts
   * expect(db.connectString).toBe(`tcps://localhost:${db.port}/${db.service}`);
   * ```
   */
  readonly connectString: string;
  /**
   * The host name clients connect to: `localhost` when it resolves to the address listened on (the
   * default `127.0.0.1`), else the `host` option as given. The certificate names it.
   *
   * @example
   * ```ts
   * expect(db.host).toBe('localhost');
   * ```
   */
  readonly host: string;
  /**
   * The port it listens on.
   *
   * @example
   * ```ts
   * const descriptor = `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=${db.host})(PORT=${db.port}))(CONNECT_DATA=(SERVICE_NAME=${db.service})))`;
   * ```
   */
  readonly port: number;
  /**
   * The service name.
   *
   * @example
   * ```ts
   * expect(db.service).toBe('mydb_high');
   * ```
   */
  readonly service: string;
  /**
   * The PEM certificate of the CA that signed the server's certificate (which names `localhost`,
   * `127.0.0.1` and the host). Trust it in another process with `NODE_EXTRA_CA_CERTS=<file holding it>`;
   * in this process use {@link OracleDbEmulator.wallet}.
   *
   * @example
   * ```ts
   * writeFileSync(caFile, db.ca);
   * spawn(process.execPath, ['app.js'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
   * ```
   */
  readonly ca: string;
  /**
   * A PEM for node-oracledb's `walletContent`: a client certificate and its key (the driver loads the
   * wallet as certificate, key and CA alike, so it needs both), then the CA. Passing it makes the
   * driver trust the emulator with no file and no environment variable.
   *
   * @example
   * ```ts
   * const pool = await createOracledbPool({ token, connectString: db.connectString, walletContent: db.wallet });
   * ```
   */
  readonly wallet: string;
  /**
   * Runs provisioning statements as ADMIN, one or several separated by `;`: `CREATE USER <user>
   * IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=…' | 'IAM_PRINCIPAL_NAME=…' | 'IAM_PRINCIPAL_OCID=…'` (with
   * the cross-tenancy `<tenancy ocid>:` and `<domain>/` prefixes), `CREATE ROLE <role> [IDENTIFIED
   * GLOBALLY AS 'IAM_GROUP_NAME=…']`, `GRANT` and `REVOKE` of system privileges and roles, `DROP USER`
   * and `DROP ROLE`. The output of `dbtoken sql oracle` runs as it is. Rejects with an error carrying
   * Oracle's `errorNum` and `code` (ORA-01920 for a user that exists, ORA-00900 for another kind of
   * statement); the statements before it stay applied.
   *
   * @example
   * ```ts
   * await db.admin(`
   *   CREATE USER sales_app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users';
   *   GRANT CREATE SESSION TO sales_app;
   * `);
   * ```
   */
  admin(sql: string): Promise<void>;
  /**
   * Every login attempt so far, in order.
   *
   * @example
   * ```ts
   * expect(db.logins.map((l) => l.code ?? 'ok')).toEqual(['ok', 'ORA-25707']);
   * ```
   */
  readonly logins: readonly OracleDbLogin[];
  /**
   * Every session so far, in order, as a snapshot.
   *
   * @example
   * ```ts
   * expect(db.sessions.filter((s) => s.open)).toHaveLength(2);
   * ```
   */
  readonly sessions: readonly OracleDbSession[];
  /**
   * Revokes one db-token: later logins with it are refused with ORA-25707 (sessions it opened stay).
   * Only the token's `jti` (or a digest) is kept.
   *
   * @example
   * ```ts
   * db.revoke((await provider.getToken()).token);
   * ```
   */
  revoke(token: string): void;
  /**
   * Stops listening and drops every connection; resolves once closed. Calling it again is harmless.
   *
   * @example
   * ```ts
   * await db.close();
   * ```
   */
  close(): Promise<void>;
}

/*
 * What the emulator announces: a current Autonomous Database, Oracle AI Database 26ai (release 23.26.1)
 * "for Oracle Cloud and Engineered Systems", at TTC field version 24 (23.4 and later). It does not turn
 * on the optional fast-auth and end-of-request modes of 23ai servers, nor TZ_EX: node-oracledb 26 then
 * asks for DBTIMEZONE itself, which the emulator answers (+00:00, as Autonomous Database runs in UTC).
 */
const VERSION = [23, 26, 1, 0, 0] as const;
const VERSION_TEXT = `Oracle AI Database 26ai Enterprise Edition Release ${VERSION.join('.')} - for Oracle Cloud and Engineered Systems`;
/** AUTH_VERSION_NO in the 18c+ layout: major<<24 | release<<16 | update<<12 | port release<<4 | port update. */
const VERSION_NUMBER = ((VERSION[0] << 24) | (VERSION[1] << 16) | (VERSION[2] << 12) | (VERSION[3] << 4) | VERSION[4]) >>> 0;
const FIELD_VERSION = 24;
const BANNER = 'x86_64/Linux 2.4.xx';
const DB_TIME_ZONE = '+00:00';
const TNS_VERSION = 319;
const MIN_TNS_VERSION = 315;

/** The NLS settings an Autonomous Database reports. */
const LANGUAGE = 'AMERICAN_AMERICA.AL32UTF8';

interface Cursor {
  id: number;
  items: SelectItem[] | undefined;
  columns: Column[];
  rows: Value[][];
  sent: number;
}

interface SessionState {
  database: OracleDbEmulatorDatabase;
  /** The database name the session reports (AUTH_DBNAME, DB_NAME). */
  dbName: string;
  record: { id: number; user: string; principal: string; open: boolean; loggedOff: boolean; calls: Record<'execute' | 'fetch' | 'ping' | 'commit' | 'rollback', number> };
  identity: SessionIdentity;
  /** The user's number (USER_ID in the dictionary), given in the order users first log in. */
  userId: number;
  schema: string;
  client: { machine: string; osUser: string; program: string; terminal: string; address: string };
  /** What the application set through end-to-end attributes; MODULE starts as the program. */
  attributes: Required<EndToEndAttributes>;
  cursors: Map<number, Cursor>;
  nextCursor: number;
}

function checkDatabase(database: unknown): OracleDbEmulatorDatabase {
  if (typeof database !== 'object' || database === null) throw new TypeError('database must be { ocid, compartment, tenancy, service, region }');
  const d = database as Record<string, unknown>;
  for (const field of ['ocid', 'compartment', 'tenancy', 'service', 'region']) {
    if (typeof d[field] !== 'string' || d[field] === '') throw new TypeError(`database.${field} is required`);
  }
  const types: Record<string, string[]> = { ocid: ['autonomousdatabase', 'database', 'pluggabledatabase'], compartment: ['compartment', 'tenancy'], tenancy: ['tenancy'] };
  for (const [field, allowed] of Object.entries(types)) {
    const parsed = parseOcid(d[field] as string);
    if (!parsed || !allowed.includes(parsed.type)) throw new TypeError(`database.${field} must be an OCID of a ${allowed.join(' or ')}`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.$#-]+$/.test(d.service as string)) throw new TypeError('database.service must be a service name of two or more characters (letters, digits, _ . $ # -)');
  if (d.path !== undefined && (typeof d.path !== 'string' || d.path !== d.path.trim() || !isPlace(d.path))) {
    throw new TypeError("database.path must be '<tenancy name>[:<compartment name>…]', such as 'acme:sales'");
  }
  return {
    ocid: d.ocid as string,
    compartment: d.compartment as string,
    tenancy: d.tenancy as string,
    service: d.service as string,
    region: d.region as string,
    ...(d.path !== undefined ? { path: d.path as string } : {}),
  };
}

/** Whether `path` is a tenancy name and compartment names, as a path scope writes them. */
function isPlace(path: string): boolean {
  try {
    const parsed = parseOciScope(`urn:oracle:db::path::${path}`);
    return parsed.kind === 'path' && parsed.database === undefined;
  } catch {
    return false;
  }
}

/** The PDB-like name of a service, as AUTH_DBNAME and DB_NAME give it: `g1234_mydb_high.adb…` → `G1234_MYDB`. */
function databaseName(service: string): string {
  return service.split('.')[0]!.replace(/_(high|medium|low|tp|tpurgent)$/i, '').toUpperCase();
}

/** The end of a call: its error number (0 for none) and text, the cursor, the rows so far. */
function endOfCall(number = 0, extra: { message?: string; cursorId?: number; rowCount?: number } = {}): Buffer {
  return errorMessage({ number, ...extra }, FIELD_VERSION);
}

function oraAnswer(err: OraError, cursorId = 0): Buffer {
  return endOfCall(err.errorNum, { message: err.message, cursorId });
}

/** The value of a select-list expression in this session. */
function evaluate(s: SessionState, item: SelectItem): { column: Column; value: Value } {
  const e = item.expression;
  // SYS_CONTEXT returns at most 256 bytes unless asked for more: longer values are cut, as Oracle cuts them.
  const text = (value: string | null, size = 256): { column: Column; value: Value } => ({
    column: { name: item.name, type: 'varchar', size },
    value: value === null ? null : Buffer.from(value, 'utf8').subarray(0, size).toString('utf8').replace(/\uFFFD$/, ''),
  });
  switch (e.kind) {
    case 'number':
      return { column: { name: item.name, type: 'number' }, value: e.value };
    case 'string':
      return { column: { name: item.name, type: 'char', size: Math.max(1, Buffer.byteLength(e.value)) }, value: e.value === '' ? null : e.value };
    case 'user':
      return text(s.identity.user, 128);
    case 'dbtimezone':
      return text(DB_TIME_ZONE, 6);
    case 'sessiontimezone':
      return text(DB_TIME_ZONE, 75);
    case 'dummy':
      return text('X', 1);
    case 'sys-context':
      return text(e.namespace === 'USERENV' ? userenv(s, e.attribute) : null, e.length);
  }
}

/*
 * SYS_CONTEXT('USERENV', …) for an IAM token login: the mapped user is the session user and schema,
 * AUTHENTICATED_IDENTITY is the IAM identity (a user's name; an instance or resource principal has
 * none, so its OCID), ENTERPRISE_IDENTITY the principal's OCID, AUTHENTICATION_METHOD TOKEN_GLOBAL.
 * Every parameter of the SQL Language Reference's USERENV table answers: what the application set
 * (CLIENT_IDENTIFIER, CLIENT_INFO, MODULE, ACTION), what the client said of itself (HOST, OS_USER,
 * TERMINAL, CLIENT_PROGRAM_NAME), a database's values for the rest, and NULL where a session of this
 * kind has none (AUTHENTICATION_DATA, which holds only certificates; PROXY_USER; the fine-grained
 * auditing ones). Any other name is ORA-02003, as Oracle gives it.
 */
function userenv(s: SessionState, attribute: string): string | null {
  const domain = s.database.service.includes('.') ? s.database.service.slice(s.database.service.indexOf('.') + 1) : null;
  const values: Record<string, string | null> = {
    ACTION: s.attributes.action,
    AUDITED_CURSORID: null,
    AUTHENTICATED_IDENTITY: s.identity.identity,
    AUTHENTICATION_DATA: null,
    AUTHENTICATION_METHOD: 'TOKEN_GLOBAL',
    BG_JOB_ID: null,
    CDB_DOMAIN: null,
    CDB_NAME: s.dbName,
    CLIENT_IDENTIFIER: s.attributes.clientIdentifier,
    CLIENT_INFO: s.attributes.clientInfo,
    CLIENT_PROGRAM_NAME: s.client.program,
    CLOUD_SERVICE: s.database.ocid.startsWith('ocid1.autonomousdatabase.') ? 'OLTP' : null,
    CON_ID: '3',
    CON_NAME: s.dbName,
    CURRENT_BIND: null,
    CURRENT_EDITION_ID: String(EDITION_ID),
    CURRENT_EDITION_NAME: 'ORA$BASE',
    CURRENT_SCHEMA: s.schema,
    CURRENT_SCHEMAID: s.schema === s.identity.user ? String(s.userId) : null,
    CURRENT_SQL: null,
    CURRENT_SQL_LENGTH: null,
    CURRENT_USER: s.identity.user,
    CURRENT_USERID: String(s.userId),
    DATABASE_ROLE: 'PRIMARY',
    DB_DOMAIN: domain,
    DB_NAME: s.dbName,
    DB_SUPPLEMENTAL_LOG_LEVEL: null,
    DB_UNIQUE_NAME: s.dbName,
    DBLINK_INFO: null,
    DRAIN_STATUS: 'NONE',
    ENTERPRISE_IDENTITY: s.identity.principal,
    ENTRYID: '0',
    FG_JOB_ID: '0',
    GLOBAL_CONTEXT_MEMORY: '0',
    GLOBAL_UID: null,
    HOST: s.client.machine,
    IDENTIFICATION_TYPE: s.identity.exclusive ? 'GLOBAL EXCLUSIVE' : 'GLOBAL SHARED',
    INSTANCE: '1',
    INSTANCE_NAME: `${s.dbName.toLowerCase()}1`,
    IP_ADDRESS: s.client.address.replace(/^::ffff:/, ''),
    IS_APPLICATION_PDB: 'NO',
    IS_APPLICATION_ROOT: 'NO',
    IS_DG_ROLLING_UPGRADE: 'FALSE',
    ISDBA: 'FALSE',
    LANG: 'US',
    LANGUAGE,
    LDAP_SERVER_TYPE: null,
    MODULE: s.attributes.module,
    NETWORK_PROTOCOL: 'tcps',
    NLS_CALENDAR: 'GREGORIAN',
    NLS_CURRENCY: '$',
    NLS_DATE_FORMAT: 'DD-MON-RR',
    NLS_DATE_LANGUAGE: 'AMERICAN',
    NLS_SORT: 'BINARY',
    NLS_TERRITORY: 'AMERICA',
    ORACLE_HOME: '/u01/app/oracle/product/23.0.0.0/dbhome_1',
    OS_USER: s.client.osUser,
    PLATFORM_SLASH: '/',
    POLICY_INVOKER: null,
    PROXY_ENTERPRISE_IDENTITY: null,
    PROXY_USER: null,
    PROXY_USERID: null,
    SCHEDULER_JOB: 'N',
    SERVER_HOST: hostname(),
    SERVICE_NAME: s.database.service,
    SESSION_DEFAULT_COLLATION: 'USING_NLS_COMP',
    SESSION_EDITION_ID: String(EDITION_ID),
    SESSION_EDITION_NAME: 'ORA$BASE',
    SESSION_USER: s.identity.user,
    SESSION_USERID: String(s.userId),
    SESSIONID: String(s.record.id),
    SID: String(s.record.id),
    STATEMENTID: null,
    TERMINAL: s.client.terminal,
    UNIFIED_AUDIT_SESSIONID: String(AUDIT_SESSION_BASE + s.record.id),
  };
  // CURRENT_SQL1 to CURRENT_SQL7 hold the rest of a long statement under fine-grained auditing only.
  if (/^CURRENT_SQL[1-7]$/.test(attribute)) return null;
  if (!Object.hasOwn(values, attribute)) throw new OraError(2003, 'invalid USERENV parameter');
  return values[attribute] ?? null;
}

/** The object number of the ORA$BASE edition, and where unified-audit session ids start. */
const EDITION_ID = 134;
const AUDIT_SESSION_BASE = 3_000_000_000;

/** Runs a cursor's select list again: the describe and all the rows, none sent yet. */
function runCursor(s: SessionState, cursor: Cursor): void {
  if (!cursor.items) {
    cursor.rows = [];
    cursor.sent = 0;
    return;
  }
  const evaluated = cursor.items.map((item) => evaluate(s, item));
  cursor.columns = evaluated.map((e) => e.column);
  cursor.rows = [evaluated.map((e) => e.value)];
  cursor.sent = 0;
}

/** The describe (if asked), up to `want` rows, and the end of call: 1403 once every row is sent. */
function rowsAnswer(cursor: Cursor, want: number, describe: boolean): Buffer {
  const parts: Buffer[] = [];
  if (describe && cursor.items) parts.push(describeMessage(cursor.columns, FIELD_VERSION));
  const batch = cursor.rows.slice(cursor.sent, cursor.sent + want);
  for (const row of batch) parts.push(rowHeaderMessage(), rowDataMessage(cursor.columns, row));
  cursor.sent += batch.length;
  if (!cursor.items) parts.push(endOfCall(0, { cursorId: cursor.id }));
  else if (cursor.sent >= cursor.rows.length && want > 0) parts.push(endOfCall(1403, { message: 'ORA-01403: no data found', cursorId: cursor.id, rowCount: cursor.sent }));
  else parts.push(endOfCall(0, { cursorId: cursor.id, rowCount: cursor.sent }));
  return Buffer.concat(parts);
}

/** A full execute: a new statement (parsed now), or one whose cursor the client names again. */
function execute(s: SessionState, call: ExecuteCall): Buffer {
  s.record.calls.execute++;
  let cursor: Cursor | undefined;
  if (call.sql !== undefined) {
    const statement = parseSessionStatement(call.sql);
    // The statements the emulator runs have no placeholders, so no cursor it keeps ever has binds.
    if (call.binds > 0 && statement.kind === 'no-op') {
      throw statement.verb === 'ALTER SESSION' ? new OraError(1027, 'bind variables not allowed for data definition operations') : new OraError(1036, 'illegal variable name/number');
    }
    cursor = { id: s.nextCursor, items: statement.kind === 'select' ? statement.items : undefined, columns: [], rows: [], sent: 0 };
  } else {
    cursor = s.cursors.get(call.cursorId);
    if (!cursor) throw new OraError(1001, 'invalid cursor');
  }
  runCursor(s, cursor);
  const answer = rowsAnswer(cursor, call.options & EXEC.FETCH ? call.rows : 0, true);
  if (cursor.id === s.nextCursor) s.nextCursor++;
  s.cursors.set(cursor.id, cursor);
  return answer;
}

function reexecute(s: SessionState, call: ReexecuteCall): Buffer {
  s.record.calls.execute++;
  const cursor = s.cursors.get(call.cursorId);
  if (!cursor) throw new OraError(1001, 'invalid cursor');
  runCursor(s, cursor);
  // The describe again: the thin client accepts it, and every execute then answers alike.
  return rowsAnswer(cursor, call.fn === FN.REEXECUTE_AND_FETCH ? call.rows : 0, true);
}

function fetchRows(s: SessionState, call: FetchCall): Buffer {
  s.record.calls.fetch++;
  const cursor = s.cursors.get(call.cursorId);
  if (!cursor) throw new OraError(1001, 'invalid cursor');
  return rowsAnswer(cursor, call.rows, false);
}

function answerCall(s: SessionState, r: FunctionRequest): Buffer {
  for (const p of r.piggybacks) {
    if ('cursors' in p && p.fn === FN.CLOSE_CURSORS) for (const id of p.cursors) s.cursors.delete(id);
    if ('schema' in p) s.schema = p.schema;
    if ('attributes' in p) Object.assign(s.attributes, p.attributes);
  }
  const c = r.call;
  try {
    switch (c.fn) {
      case FN.EXECUTE:
        return execute(s, c as ExecuteCall);
      case FN.REEXECUTE:
      case FN.REEXECUTE_AND_FETCH:
        return reexecute(s, c as ReexecuteCall);
      case FN.FETCH:
        return fetchRows(s, c as FetchCall);
      case FN.PING:
        s.record.calls.ping++;
        return statusMessage();
      case FN.COMMIT:
        s.record.calls.commit++;
        return statusMessage();
      case FN.ROLLBACK:
        s.record.calls.rollback++;
        return statusMessage();
      case FN.LOGOFF:
        s.record.loggedOff = true;
        return statusMessage();
      default:
        return oraAnswer(new OraError(3115, 'unsupported network datatype or representation'));
    }
  } catch (err) {
    return oraAnswer(asOraError(err));
  }
}

/**
 * An error met while answering, as the ORA error the client gets on a session that goes on: Oracle's own,
 * or ORA-03001 for a value or call the emulator cannot answer. (Not ORA-00600: drivers take that one as
 * the end of the connection.)
 */
function asOraError(err: unknown): OraError {
  if (err instanceof OraError) return err;
  // A wire error says what it could not read; any other names only its kind (a bug in the emulator), never its text.
  const detail = err instanceof WireError ? `: ${err.message}` : err instanceof Error ? `: ${err.name}` : '';
  return new OraError(3001, `unimplemented feature (the emulator cannot answer this${detail})`);
}

/**
 * Starts a local Oracle Database that node-oracledb (thin mode, 6.10 to 26) logs in to over TCPS with
 * OCI IAM db-tokens, and that checks each login as Autonomous Database does:
 *
 * - the token is a JWT signed by `identity`'s key, not revoked, and not expired on `now` (ORA-25707,
 *   ORA-25708);
 * - its scope covers this database (`*` for callers of its tenancy, the tenancy, the compartment, or the
 *   compartment and database, from any tenancy; or a path scope that matches `database.path`) and its
 *   `region` claim is the database's (ORA-25707);
 * - AUTH_SIGNATURE verifies AUTH_HEADER with the token's `jwk`, and the header's `date` is within five
 *   minutes of `now` and its `(request-target)` is this service (ORA-25711);
 * - the principal maps to a global user created with {@link OracleDbEmulator.admin}, by OCID, by name or
 *   through a group or dynamic group read from `identity`'s directory, and that user has CREATE SESSION
 *   directly or through a role (ORA-01017).
 *
 * Sessions then answer `SELECT … FROM DUAL` over number and string literals, `USER`, `DBTIMEZONE` and
 * `SYS_CONTEXT('USERENV', …)`, which gives the identity Oracle reports for an IAM token login:
 * CURRENT_SCHEMA and SESSION_USER are the mapped user, AUTHENTICATED_IDENTITY the IAM user name (the
 * OCID for an instance or resource principal), AUTHENTICATION_METHOD `TOKEN_GLOBAL`, ENTERPRISE_IDENTITY
 * the principal's OCID, and IDENTIFICATION_TYPE `GLOBAL EXCLUSIVE` or `GLOBAL SHARED` (Oracle Database
 * Security Guide, "Authenticating and Authorizing IAM Users for Oracle DBaaS Databases"; SQL Language
 * Reference, SYS_CONTEXT). Ping, commit, rollback, statement caching and logoff work; pools work.
 * `ALTER SESSION SET …`, `COMMIT` and `ROLLBACK` as SQL are accepted and do nothing. Any other statement
 * is refused with Oracle's error (ORA-00942 for a table, ORA-00900 for another kind of statement), and
 * the session goes on. It is a protocol emulator, not a SQL engine: there are no tables.
 *
 * It serves any correct client, not only node-oracledb's habits: a request is answered once its layout
 * says it has all arrived, whether or not the client marks its end; one it cannot read is ORA-03137 on a
 * session that goes on; bytes that are not Oracle Net are dropped at the first packet's type byte; and
 * a client not logged in within `inboundConnectTimeout` is dropped, as a listener drops it.
 *
 * The client must trust its CA: pass {@link OracleDbEmulator.wallet} as `walletContent`, or
 * {@link OracleDbEmulator.ca} through `NODE_EXTRA_CA_CERTS`. Keys and certificates live in memory only.
 *
 * @example
 * ```ts
 * import oracledb from 'oracledb';
 * import { ociDbToken, ociScope } from 'dbtoken/oci';
 * import { createOracledbPool } from 'dbtoken/oracledb';
 * import { startOciIdentityEmulator, startOracleDbEmulator } from 'dbtoken/testing';
 *
 * const iam = await startOciIdentityEmulator({
 *   tenancies: [{ ocid: tenancy, users: [{ ocid: alice, name: 'alice', groups: ['db_users'], apiKeys: [apiKey] }] }],
 * });
 * const db = await startOracleDbEmulator({
 *   identity: iam,
 *   database: { ocid: adb, compartment, tenancy, service: 'mydb_high', region: 'us-ashburn-1' },
 * });
 * await db.admin(`CREATE USER app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app;`);
 * const pool = await createOracledbPool({
 *   token: ociDbToken({ scope: ociScope.database(compartment, adb), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1') }),
 *   connectString: db.connectString,
 *   walletContent: db.wallet,
 * });
 * const conn = await pool.getConnection();
 * const { rows } = await conn.execute("select sys_context('userenv','authentication_method') from dual"); // [['TOKEN_GLOBAL']]
 * ```
 */
export async function startOracleDbEmulator(options: OracleDbEmulatorOptions): Promise<OracleDbEmulator> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be { identity, database }');
  const identity = options.identity;
  if (!identity || typeof identity.publicKey !== 'string' || typeof identity.principal !== 'function') {
    throw new TypeError('identity must be a running startOciIdentityEmulator()');
  }
  const database = checkDatabase(options.database);
  const inboundConnectTimeout = checkTimeout(options.inboundConnectTimeout);
  const endOfRequest = options.endOfRequest === true;
  const issuer: KeyObject = createPublicKey(identity.publicKey);
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const names = [...new Set(['localhost', '127.0.0.1', host])];
  const certificates = emulatorCertificates(names, 'dbtoken Oracle Database emulator');
  const catalog = new Catalog(database.tenancy);
  const revoked = new Set<string>();
  const logins: OracleDbLogin[] = [];
  const sessions: SessionState['record'][] = [];
  const userIds = new Map<string, number>();
  const dbName = databaseName(database.service);
  let nextSession = 1;

  const directory = (ocid: string): IamPrincipal | undefined => {
    const p = identity.principal(ocid);
    if (!p) return undefined;
    return { ocid: p.ocid, tenancy: p.tenancy, ...(p.name !== undefined ? { name: p.name } : {}), ...(p.domain !== undefined ? { domain: p.domain } : {}), groups: p.groups };
  };

  const serve = (socket: TLSSocket): void => {
    let buffer: Buffer = Buffer.alloc(0);
    let framing: Framing = 'short';
    let phase: 'connect' | 'connect-data' | 'negotiate' | 'auth' | 'session' | 'refused' = 'connect';
    let connectVersion = TNS_VERSION;
    let sdu = 8192;
    let tdu = 65535;
    let connectDataLength = 0;
    let connectData = '';
    let client: ConnectClient = {};
    /** The bytes of a request that has begun to arrive. */
    let request: Buffer = Buffer.alloc(0);
    let session: SessionState | undefined;

    // Until it is logged in, a client has inboundConnectTimeout in all; after that, only a request it has
    // begun is timed. Either way the timer never keeps the process alive.
    let deadline: NodeJS.Timeout | undefined;
    const startDeadline = (ms = inboundConnectTimeout): void => {
      deadline = setTimeout(() => socket.destroy(), ms);
      deadline.unref();
    };
    const stopDeadline = (): void => {
      clearTimeout(deadline);
      deadline = undefined;
    };
    // The TLS handshake has used part of the time already.
    const since = arrivals.get(`${socket.remoteAddress}:${socket.remotePort}`) ?? performance.now();
    startDeadline(Math.max(1, Math.round(inboundConnectTimeout - (performance.now() - since))));

    /** A protocol or data-type answer; these end their response by themselves in either mode. */
    const sendNegotiation = (payload: Buffer): void => {
      if (!socket.destroyed) socket.write(dataPackets(payload, sdu));
    };
    /** A call's answer, with the END_OF_REQUEST message that ends it when the ACCEPT announced one. */
    const send = (payload: Buffer): void => {
      if (socket.destroyed) return;
      if (!endOfRequest) socket.write(dataPackets(payload, sdu));
      else socket.write(dataPackets(Buffer.concat([payload, END_OF_REQUEST]), sdu, 0, DATA_FLAG.END_OF_RESPONSE));
    };

    const accept = (descriptor: string): void => {
      const service = connectDataValue(descriptor, 'SERVICE_NAME');
      if (service === undefined || service.toLowerCase() !== database.service.toLowerCase()) {
        socket.end(refusePacket(12514));
        return;
      }
      client = connectClient(descriptor);
      socket.write(acceptPacket({ version: connectVersion, sdu, tdu, endOfRequest }));
      framing = 'long';
      phase = 'negotiate';
    };

    const login = (call: AuthCall): void => {
      const pairs = pairMap(call.pairs);
      const nowMs = now();
      const verdict = checkLogin({ fn: call.fn, mode: call.mode, user: call.user, pairs }, { nowMs, issuer, database, directory, catalog, revoked: (id) => id !== '' && revoked.has(id) });
      const t = verdict.token;
      const base = {
        at: new Date(nowMs),
        ...(t.principal !== undefined ? { principal: t.principal } : {}),
        ...(t.tenancy !== undefined ? { tenancy: t.tenancy } : {}),
        ...(t.scope !== undefined ? { scope: t.scope } : {}),
        ...(t.region !== undefined ? { region: t.region } : {}),
        ...(t.jti !== undefined ? { tokenId: t.jti } : {}),
        ...(t.expiresAt !== undefined ? { expiresAt: t.expiresAt } : {}),
        ...(pairs.has('SESSION_CLIENT_DRIVER_NAME') ? { driver: pairs.get('SESSION_CLIENT_DRIVER_NAME')! } : {}),
      };
      if (!verdict.ok) {
        logins.push(Object.freeze({ ...base, ok: false, errorNum: verdict.error.errorNum, code: verdict.error.code, reason: verdict.reason }));
        phase = 'refused';
        send(oraAnswer(verdict.error));
        return;
      }
      const id = nextSession++;
      const record = { id, user: verdict.session.user, principal: verdict.session.principal, open: true, loggedOff: false, calls: { execute: 0, fetch: 0, ping: 0, commit: 0, rollback: 0 } };
      sessions.push(record);
      if (!userIds.has(verdict.session.user)) userIds.set(verdict.session.user, FIRST_USER_ID + userIds.size);
      // The login message names the client; the connect data's CID stands in for what it leaves out.
      const said = (key: string): string | undefined => pairs.get(key) || undefined;
      const program = said('AUTH_PROGRAM_NM') ?? client.program ?? '';
      session = {
        database,
        dbName,
        record,
        identity: verdict.session,
        userId: userIds.get(verdict.session.user)!,
        schema: verdict.session.user,
        client: {
          machine: said('AUTH_MACHINE') ?? client.host ?? '',
          osUser: said('AUTH_SID') ?? client.user ?? '',
          program,
          terminal: said('AUTH_TERMINAL') ?? '',
          address: socket.remoteAddress ?? '',
        },
        attributes: { clientIdentifier: null, module: program || null, action: null, ecid: null, clientInfo: null, dbOp: null },
        cursors: new Map(),
        nextCursor: 1,
      };
      logins.push(
        Object.freeze({ ...base, ok: true, user: verdict.session.user, mapping: verdict.session.mapping, globalRoles: Object.freeze([...verdict.session.globalRoles]), sessionId: id }),
      );
      phase = 'session';
      stopDeadline();
      const domain = database.service.includes('.') ? database.service.slice(database.service.indexOf('.') + 1) : '';
      send(
        Buffer.concat([
          parameterMessage([
            ['AUTH_VERSION_STRING', VERSION_TEXT],
            ['AUTH_VERSION_SQL', '25'],
            ['AUTH_XACTION_TRAITS', '3'],
            ['AUTH_VERSION_NO', String(VERSION_NUMBER)],
            ['AUTH_SESSION_ID', String(id)],
            ['AUTH_SERIAL_NUM', String(1000 + id)],
            ['AUTH_SC_SERVICE_NAME', database.service],
            ['AUTH_SC_DB_DOMAIN', domain],
            ['AUTH_SC_DBUNIQUE_NAME', dbName],
            ['AUTH_SC_REAL_DBUNIQUE_NAME', dbName],
            ['AUTH_INSTANCENAME', `${dbName.toLowerCase()}1`],
            ['AUTH_DBNAME', dbName],
            ['AUTH_MAX_OPEN_CURSORS', '1000'],
            ['AUTH_MAX_IDEN_LENGTH', '128'],
          ]),
          endOfCall(),
        ]),
      );
    };

    const handleRequest = (r: TtcRequest): void => {
      if (r.kind === 'protocol') return sendNegotiation(protocolAnswer({ banner: BANNER, fieldVersion: FIELD_VERSION }));
      if (r.kind === 'data-types') {
        if (phase === 'negotiate') phase = 'auth';
        return sendNegotiation(dataTypesAnswer());
      }
      if (phase === 'auth' && (r.call.fn === FN.AUTH_PHASE_TWO || r.call.fn === FN.AUTH_PHASE_ONE)) return login(r.call as AuthCall);
      if (phase === 'session' && session) return send(answerCall(session, r));
      // Anything before a login, or after a refused one.
      send(oraAnswer(new OraError(1012, 'not logged on')));
    };

    /**
     * A DATA packet's payload joins the request under way. Each request is answered as soon as its
     * layout says it has all arrived, whether or not the client marked its end; one that stops short
     * waits for more, unless the client said it ended there.
     */
    const takeData = (dataFlags: number, payload: Buffer): void => {
      request = request.length === 0 ? payload : Buffer.concat([request, payload]);
      const endMarked = (dataFlags & DATA_FLAG.END_OF_REQUEST) !== 0;
      while (request.length > 0 && !socket.destroyed) {
        const read = readRequest(request, phase === 'negotiate' ? 0 : FIELD_VERSION, { endMarked });
        if (read.status === 'partial' && !endMarked) return;
        if (read.status !== 'complete') {
          request = Buffer.alloc(0);
          send(oraAnswer(malformed(read.status === 'partial' ? read.missing : read.problem)));
          return;
        }
        request = request.subarray(read.end);
        try {
          handleRequest(read.request);
        } catch (err) {
          send(oraAnswer(asOraError(err)));
        }
      }
    };

    const handlePacket = (p: TnsPacket): void => {
      if (phase === 'connect') {
        const c = parseConnect(p);
        if (c.version < MIN_TNS_VERSION) {
          socket.end(refusePacket(12618)); // TNS:versions are incompatible
          return;
        }
        connectVersion = Math.min(c.version, TNS_VERSION);
        sdu = Math.min(Math.max(c.largeSdu, 512), 2097152);
        tdu = Math.min(Math.max(c.largeTdu, 255), 2097152);
        if (c.connectData !== undefined) accept(c.connectData);
        else {
          connectDataLength = c.connectDataLength;
          phase = 'connect-data';
        }
        return;
      }
      if (phase === 'connect-data') {
        // The descriptor follows in DATA packets of its own; the CONNECT said how long it is.
        connectData += dataPayload(p).payload.toString('latin1');
        if (connectData.length >= connectDataLength) accept(connectData.slice(0, connectDataLength));
        return;
      }
      if (p.type === PACKET.MARKER) {
        // A break or interrupt: the call is over already, so reset and report it cancelled.
        const data = markerData(p);
        if (data === MARKER.BREAK || data === MARKER.INTERRUPT) {
          request = Buffer.alloc(0);
          socket.write(markerPacket(MARKER.RESET));
          send(oraAnswer(new OraError(1013, 'user requested cancel of current operation')));
        }
        return;
      }
      if (p.type !== PACKET.DATA) throw new WireError(`unexpected TNS packet type ${p.type}`);
      const { dataFlags, payload } = dataPayload(p);
      if (dataFlags & DATA_FLAG.EOF) {
        socket.end();
        return;
      }
      takeData(dataFlags, payload);
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      try {
        // Bytes that are not TNS (an HTTP request, say) are refused at their first packet's type byte,
        // before any length they seem to declare is waited for.
        if (phase === 'connect' && buffer.length > PACKET_TYPE_OFFSET && buffer[PACKET_TYPE_OFFSET] !== PACKET.CONNECT) throw new WireError('the first packet is not a CONNECT');
        for (;;) {
          const read = readPacket(buffer, 0, framing);
          if (!read) break;
          buffer = buffer.subarray(read.end);
          handlePacket(read.packet);
          if (socket.destroyed) return;
        }
      } catch {
        // A client that does not speak the protocol: drop it, as a listener would.
        socket.destroy();
        return;
      }
      // A session's request that has begun must go on arriving; an idle session is left alone.
      if (phase === 'session') {
        const waiting = buffer.length > 0 || request.length > 0;
        if (waiting && deadline === undefined) startDeadline();
        else if (!waiting) stopDeadline();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      stopDeadline();
      if (session) session.record.open = false;
    });
  };

  const server = createServer({ key: certificates.serverKey, cert: certificates.serverCert, minVersion: 'TLSv1.2', handshakeTimeout: inboundConnectTimeout }, serve);
  const sockets = trackSockets(server);
  // When each connection arrived, by its peer address: inboundConnectTimeout counts from there.
  const arrivals = new Map<string, number>();
  server.on('connection', (raw: Socket) => {
    const peer = `${raw.remoteAddress}:${raw.remotePort}`;
    arrivals.set(peer, performance.now());
    raw.once('close', () => arrivals.delete(peer));
  });
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  const port = await listen(server, host, options.port ?? 0);
  const advertised = (await resolvesTo('localhost', host)) ? 'localhost' : host;

  let closing: Promise<void> | undefined;
  return {
    connectString: `tcps://${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}/${database.service}`,
    host: advertised,
    port,
    service: database.service,
    ca: certificates.ca,
    wallet: certificates.wallet,
    admin: async (sql: string) => {
      if (typeof sql !== 'string') throw new TypeError('admin takes SQL text');
      for (const statement of splitStatements(sql)) catalog.apply(parseAdminStatement(statement));
    },
    logins,
    get sessions() {
      return sessions.map((s) => Object.freeze({ ...s, calls: Object.freeze({ ...s.calls }) }));
    },
    revoke: (token: string) => {
      if (typeof token !== 'string' || token === '') throw new TypeError('revoke takes a db-token');
      const parts = token.split('.');
      let jti: unknown;
      try {
        jti = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')).jti;
      } catch {
        jti = undefined;
      }
      revoked.add(typeof jti === 'string' && jti !== '' ? jti : tokenDigest(token));
    },
    close: () => (closing ??= closeServer(server, sockets)),
  };
}

/** Where a TNS packet header holds the packet type. */
const PACKET_TYPE_OFFSET = 4;
/** The END_OF_REQUEST message that ends an answer in end-of-request mode. */
const END_OF_REQUEST = Buffer.from([MSG.END_OF_REQUEST]);
/** The USER_ID the first global user gets; later ones count up from it. */
const FIRST_USER_ID = 131;

/** ORA-03137, Oracle's answer to a request it cannot read. */
function malformed(problem: string): OraError {
  return new OraError(3137, `malformed TTC packet from client rejected: [${problem}]`);
}

function checkTimeout(value: unknown): number {
  if (value === undefined) return 60_000;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new TypeError('inboundConnectTimeout must be a whole number of milliseconds from 1 to 2147483647');
  }
  return value;
}

/** Whether `name` resolves to `address` (among its addresses). */
async function resolvesTo(name: string, address: string): Promise<boolean> {
  if (name === address) return true;
  try {
    const found = await lookup(name, { all: true });
    return found.some((a) => a.address === address);
  } catch {
    return false;
  }
}
