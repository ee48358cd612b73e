/**
 * Internal: the MySQL client/server protocol as the HeatWave emulator speaks it, as pure functions:
 * bytes in, bytes or values out, no sockets and no clock. Decoders never throw; a short or malformed
 * input gives a typed result. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { parseJsonObject, type Verdict } from '../security-token.js';

// Capability flags.
export const CLIENT_LONG_PASSWORD = 0x1;
export const CLIENT_LONG_FLAG = 0x4;
export const CLIENT_CONNECT_WITH_DB = 0x8;
export const CLIENT_PROTOCOL_41 = 0x200;
export const CLIENT_SSL = 0x800;
export const CLIENT_TRANSACTIONS = 0x2000;
export const CLIENT_SECURE_CONNECTION = 0x8000;
export const CLIENT_PLUGIN_AUTH = 0x80000;
export const CLIENT_CONNECT_ATTRS = 0x100000;
export const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;

/** What the emulator offers, TLS aside: the 4.1 protocol with plugin auth, as MySQL 8 does. */
export const SERVER_CAPABILITIES =
  CLIENT_LONG_PASSWORD |
  CLIENT_LONG_FLAG |
  CLIENT_CONNECT_WITH_DB |
  CLIENT_PROTOCOL_41 |
  CLIENT_TRANSACTIONS |
  CLIENT_SECURE_CONNECTION |
  CLIENT_PLUGIN_AUTH |
  CLIENT_CONNECT_ATTRS |
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;

export const SERVER_STATUS_IN_TRANS = 0x0001;
export const SERVER_STATUS_AUTOCOMMIT = 0x0002;
/** What the greeting and `@@version` say. */
export const SERVER_VERSION = '8.4.2-heatwave-emulator';
export const CHARSET_UTF8MB4 = 255;
export const CHARSET_BINARY = 63;

/** A frame of this length says the packet goes on in the next frame. */
export const MAX_FRAME = 0xffffff;
/** The largest joined packet accepted; a client never needs more to log in or query. */
export const MAX_PACKET = 16 * 1024 * 1024;

export const COM_QUIT = 0x01;
export const COM_QUERY = 0x03;
export const COM_PING = 0x0e;

export const TYPE_LONGLONG = 0x08;
export const TYPE_VAR_STRING = 0xfd;

export const ER_ACCESS_DENIED = 1045;
export const ER_HANDSHAKE = 1043;
export const ER_UNKNOWN_COM = 1047;
export const ER_OUT_OF_ORDER = 1156;
export const ER_PARSE = 1064;

/** One packet: its payload, with frames of 16 MB already joined. */
export interface Packet {
  /** The sequence id of its last frame: the answer's is one more. */
  seq: number;
  payload: Buffer;
}

/** What {@link readPacket} found at the start of a buffer; `used` is how many bytes the packet took. */
export type PacketRead =
  | { status: 'packet'; packet: Packet; used: number }
  | { status: 'incomplete' }
  | { status: 'error'; reason: 'packet too large' };

/** The first whole packet in `buf`, joining 16 MB frames; `incomplete` until all of it has arrived. */
export function readPacket(buf: Buffer): PacketRead {
  const parts: Buffer[] = [];
  let offset = 0;
  let total = 0;
  for (;;) {
    if (offset + 4 > buf.length) return { status: 'incomplete' };
    const len = buf.readUIntLE(offset, 3);
    const seq = buf[offset + 3]!;
    if (offset + 4 + len > buf.length) return { status: 'incomplete' };
    parts.push(buf.subarray(offset + 4, offset + 4 + len));
    offset += 4 + len;
    total += len;
    if (total > MAX_PACKET) return { status: 'error', reason: 'packet too large' };
    if (len < MAX_FRAME) {
      // A copy, so that the packet outlives the buffer it came in.
      const payload = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
      return { status: 'packet', packet: { seq, payload }, used: offset };
    }
  }
}

/** `payload` framed with its length and sequence id, split into 16 MB frames as the protocol requires. */
export function encodePacket(seq: number, payload: Buffer): Buffer {
  const frames: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const len = Math.min(payload.length - offset, MAX_FRAME);
    const head = Buffer.alloc(4);
    head.writeUIntLE(len, 0, 3);
    head[3] = seq & 0xff;
    frames.push(head, payload.subarray(offset, offset + len));
    offset += len;
    seq += 1;
    if (len < MAX_FRAME) return Buffer.concat(frames);
  }
}

/** Reads the fields of a payload, failing with a RangeError when it runs short; the exported decoders catch it. */
class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new RangeError('short packet');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u32(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  nulString(): Buffer {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new RangeError('missing NUL');
    const out = this.buf.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  lenencInt(): number {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.bytes(2).readUInt16LE(0);
    if (first === 0xfd) return this.bytes(3).readUIntLE(0, 3);
    if (first === 0xfe) {
      const big = this.bytes(8).readBigUInt64LE(0);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedError('length too large');
      return Number(big);
    }
    throw new MalformedError('bad length-encoded integer');
  }
}

/** Bytes that are there but wrong, as opposed to a RangeError for bytes that are missing. */
class MalformedError extends Error {}

/** What {@link readLenencInt} found: the value and the offset after it. */
export type LenencRead = { status: 'ok'; value: number; end: number } | { status: 'incomplete' } | { status: 'error'; reason: string };

/** The length-encoded integer at `offset`. `0xFB` (NULL in a row) and `0xFF` are not integers. */
export function readLenencInt(buf: Buffer, offset = 0): LenencRead {
  const c = new Cursor(buf);
  c.pos = offset;
  try {
    const value = c.lenencInt();
    return { status: 'ok', value, end: c.pos };
  } catch (err) {
    return err instanceof MalformedError ? { status: 'error', reason: err.message } : { status: 'incomplete' };
  }
}

/** `n` as a length-encoded integer, in its shortest form. */
export function lenencInt(n: number): Buffer {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = 0xfc;
    b.writeUInt16LE(n, 1);
    return b;
  }
  if (n < 0x1000000) {
    const b = Buffer.alloc(4);
    b[0] = 0xfd;
    b.writeUIntLE(n, 1, 3);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

/** A length-encoded string (text as UTF-8). */
export function lenencString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([lenencInt(b.length), b]);
}

/** An OK packet with no rows affected, no insert id, and the session's status flags (default: autocommit on). */
export function okPacket(status = SERVER_STATUS_AUTOCOMMIT): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16LE(status, 0);
  return Buffer.concat([Buffer.from([0x00, 0x00, 0x00]), tail]);
}

/** An EOF packet: clients without CLIENT_DEPRECATE_EOF expect one after the columns and after the rows. */
export function eofPacket(status = SERVER_STATUS_AUTOCOMMIT): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0xfe;
  b.writeUInt16LE(status, 3);
  return b;
}

/** An ERR packet in the 4.1 form, with its SQLSTATE. */
export function errPacket(code: number, sqlState: string, message: string): Buffer {
  const head = Buffer.alloc(9);
  head[0] = 0xff;
  head.writeUInt16LE(code, 1);
  head.write(`#${sqlState}`, 3, 'latin1');
  return Buffer.concat([head, Buffer.from(message, 'utf8')]);
}

/** Random bytes made fit for a scramble: 7-bit, without NUL (it ends the field) or `$`, as a MySQL server makes them. */
export function toScramble(random: Buffer): Buffer {
  const b = Buffer.from(random);
  for (let i = 0; i < b.length; i++) {
    let c = b[i]! & 0x7f;
    if (c === 0 || c === 0x24) c += 1;
    b[i] = c;
  }
  return b;
}

/** The length of the nonce the emulator sends by default in the AuthSwitchRequest. */
export const NONCE_LENGTH = 32;

/**
 * A nonce for `authentication_oci_client`, made of `random(NONCE_LENGTH)` bytes the way MySQL makes its
 * scrambles ({@link toScramble}): no byte is NUL. It matters: Connector/Python's pure-Python protocol drops
 * one trailing NUL from the AuthSwitchRequest data before signing, so a nonce ending in 0x00 would fail
 * about one login in 256 for a reason no real server shows.
 */
export function newNonce(random: (size: number) => Buffer): Buffer {
  return toScramble(random(NONCE_LENGTH));
}

/** What the server says about itself in {@link greeting}. */
export interface Greeting {
  serverVersion: string;
  connectionId: number;
  capabilities: number;
  /** The scramble, 20 bytes from {@link toScramble}: 8 go in the first part, the rest in the second. */
  salt: Buffer;
  /** The plugin the client should answer the scramble with. */
  authPlugin: string;
}

/** The HandshakeV10 packet that opens every connection. */
export function greeting(g: Greeting): Buffer {
  const caps = Buffer.alloc(4);
  caps.writeUInt32LE(g.capabilities >>> 0, 0);
  const id = Buffer.alloc(4);
  id.writeUInt32LE(g.connectionId >>> 0, 0);
  const status = Buffer.alloc(2);
  status.writeUInt16LE(SERVER_STATUS_AUTOCOMMIT, 0);
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from(`${g.serverVersion}\0`, 'latin1'),
    id,
    g.salt.subarray(0, 8),
    Buffer.from([0]),
    caps.subarray(0, 2),
    Buffer.from([CHARSET_UTF8MB4]),
    status,
    caps.subarray(2, 4),
    Buffer.from([g.salt.length + 1]),
    Buffer.alloc(10),
    g.salt.subarray(8),
    Buffer.from([0]),
    Buffer.from(`${g.authPlugin}\0`, 'latin1'),
  ]);
}

/** Whether a client's first packet is an SSLRequest (a HandshakeResponse cut short after the charset and filler). */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === 32 && (payload.readUInt32LE(0) & CLIENT_SSL) !== 0;
}

/** The fields of a HandshakeResponse41 that the emulator uses. */
export interface HandshakeResponse {
  /** The client's flags, less those the server did not offer. */
  flags: number;
  user: string;
  authResponse: Buffer;
  database?: string | undefined;
  authPlugin?: string | undefined;
}

/**
 * Decodes a HandshakeResponse41, reading only the fields that both sides' `serverCapabilities` allow.
 * Connection attributes, if any, are left unread.
 */
export function parseHandshakeResponse(payload: Buffer, serverCapabilities: number): Verdict<HandshakeResponse> {
  try {
    const c = new Cursor(payload);
    const flags = c.u32() & serverCapabilities;
    if (!(flags & CLIENT_PROTOCOL_41)) return { ok: false, reason: 'the client does not speak protocol 4.1' };
    c.bytes(4 + 1 + 23); // max packet size, charset, filler
    const user = c.nulString().toString('utf8');
    let authResponse: Buffer;
    if (flags & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) authResponse = c.bytes(c.lenencInt());
    else if (flags & CLIENT_SECURE_CONNECTION) authResponse = c.bytes(c.u8());
    else authResponse = c.nulString();
    const value: HandshakeResponse = { flags, user, authResponse: Buffer.from(authResponse) };
    if (flags & CLIENT_CONNECT_WITH_DB && !c.done) value.database = c.nulString().toString('utf8');
    if (flags & CLIENT_PLUGIN_AUTH && !c.done) value.authPlugin = c.nulString().toString('latin1');
    return { ok: true, value };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** An AuthSwitchRequest: the client is to answer `data` with `plugin`. */
export function authSwitchRequest(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${plugin}\0`, 'latin1'), data]);
}

/** What `authentication_oci_client` sends back for the nonce. */
export interface OciAuthReply {
  fingerprint: string;
  /** Standard base64 of the RSA-SHA256 signature over the nonce, as the client sent it (not yet checked). */
  signature: string;
  /**
   * The security token, or `''` for an API-key login. Whitespace around it is dropped: MySQL's C plugin and
   * dbtoken trim the `security_token_file` they read, while Connector/Python sends the file as it is, so a
   * token file ending in a newline must log in all the same. Whitespace inside the token is kept (and the
   * token then fails its checks).
   */
  token: string;
}

/** Decodes the client plugin's JSON reply; the reasons are fixed phrases that never quote the reply. */
export function parseOciAuthReply(reply: Buffer): Verdict<OciAuthReply> {
  if (reply[reply.length - 1] === 0x00) return { ok: false, reason: 'reply ends with a NUL byte' };
  const obj = parseJsonObject(reply);
  if (!obj) return { ok: false, reason: 'reply is not a JSON object' };
  if (typeof obj.fingerprint !== 'string') return { ok: false, reason: 'reply has no fingerprint' };
  if (typeof obj.signature !== 'string') return { ok: false, reason: 'reply has no signature' };
  if (obj.token !== undefined && typeof obj.token !== 'string') return { ok: false, reason: 'reply token is not a string' };
  return { ok: true, value: { fingerprint: obj.fingerprint, signature: obj.signature, token: (obj.token ?? '').trim() } };
}

/** A command packet after login. */
export type Command = { kind: 'quit' } | { kind: 'ping' } | { kind: 'query'; sql: string } | { kind: 'unknown'; code: number | undefined };

/** Decodes a command packet's payload (its sequence id is the caller's to check). */
export function parseCommand(payload: Buffer): Command {
  const code = payload[0];
  if (code === COM_QUIT) return { kind: 'quit' };
  if (code === COM_PING) return { kind: 'ping' };
  if (code === COM_QUERY) return { kind: 'query', sql: payload.subarray(1).toString('utf8') };
  return { kind: 'unknown', code };
}

/** A result column: its name, whether it holds text or an integer, its display width, and whether it may be NULL. */
export interface ColumnSpec {
  name: string;
  kind: 'string' | 'integer';
  length: number;
  /** Default false: the column is flagged NOT_NULL. */
  nullable?: boolean | undefined;
}

/** A ColumnDefinition41 packet for a column of no table, as `SELECT USER()` or `SELECT 1` gives. */
export function columnDefinition(col: ColumnSpec): Buffer {
  const fixed = Buffer.alloc(13);
  fixed[0] = 0x0c;
  if (col.kind === 'string') {
    fixed.writeUInt16LE(CHARSET_UTF8MB4, 1);
    fixed.writeUInt32LE(col.length, 3);
    fixed[7] = TYPE_VAR_STRING;
    fixed.writeUInt16LE(col.nullable ? 0 : 0x0001, 8); // NOT_NULL
    fixed[10] = 0x1f;
  } else {
    fixed.writeUInt16LE(CHARSET_BINARY, 1);
    fixed.writeUInt32LE(col.length, 3);
    fixed[7] = TYPE_LONGLONG;
    fixed.writeUInt16LE(col.nullable ? 0x8080 : 0x8081, 8); // [NOT_NULL |] BINARY | NUM
    fixed[10] = 0;
  }
  return Buffer.concat([
    lenencString('def'),
    lenencString(''),
    lenencString(''),
    lenencString(''),
    lenencString(col.name),
    lenencString(''),
    fixed,
  ]);
}

/**
 * The payloads of a text result set with one row, in the order they are sent (sequence ids 1, 2, …):
 * column count, column definitions, EOF, the row (a NULL is the byte 0xFB), EOF with the session's status.
 */
export function textResultSet(columns: readonly ColumnSpec[], row: readonly (string | null)[], status = SERVER_STATUS_AUTOCOMMIT): Buffer[] {
  const values = row.map((v) => (v === null ? Buffer.from([0xfb]) : lenencString(v)));
  return [lenencInt(columns.length), ...columns.map(columnDefinition), eofPacket(status), Buffer.concat(values), eofPacket(status)];
}
