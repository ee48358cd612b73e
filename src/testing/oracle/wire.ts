/**
 * Internal: the Oracle Net (TNS) packets and the TTC messages that node-oracledb's thin driver exchanges
 * with a database, as pure functions: framing, the CONNECT/ACCEPT/REFUSE/DATA/MARKER packets, the
 * variable-length integers and byte strings of TTC, Oracle NUMBER, the client's requests (protocol and
 * data-type negotiation, auth phase two, execute with its bind values, re-execute, fetch, the bare
 * calls, close-cursor, schema and end-to-end piggybacks), whether a request has all arrived (read from
 * its layout, as a server must for clients that never mark a request's end), and the server's answers.
 * No sockets, no crypto and no session state: those are the
 * server's. Layouts follow what node-oracledb 6.10, 7.0 and 26.0 send and accept (`lib/thin/sqlnet`,
 * `lib/thin/protocol`). Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */

/** TNS packet types. @internal */
export const PACKET = Object.freeze({ CONNECT: 1, ACCEPT: 2, REFUSE: 4, REDIRECT: 5, DATA: 6, RESEND: 11, MARKER: 12, CONTROL: 14 });

/** DATA packet flags (the u16 after the header). @internal */
export const DATA_FLAG = Object.freeze({
  /** The client's last packet of a request (6.10 names it FAST_AUTH_END_OF_RPC, 7.x and 26 END_OF_REQUEST). */
  END_OF_REQUEST: 0x0800,
  /** A payload-less packet sent just before the client closes. */
  EOF: 0x0040,
  /** The server's last packet of a response, in end-of-request mode (7.x and 26 name it END_OF_RESPONSE). */
  END_OF_RESPONSE: 0x2000,
});

/** ACCEPT flags2 bits. @internal */
export const ACCEPT_FLAG = Object.freeze({
  /** The server ends every response with an END_OF_REQUEST message (honoured at TNS 319 and field version 24). */
  HAS_END_OF_REQUEST: 0x02000000,
});

/** The data byte of a MARKER packet. @internal */
export const MARKER = Object.freeze({ BREAK: 1, RESET: 2, INTERRUPT: 3 });

/** TTC message types. @internal */
export const MSG = Object.freeze({
  PROTOCOL: 1,
  DATA_TYPES: 2,
  FUNCTION: 3,
  ERROR: 4,
  ROW_HEADER: 6,
  ROW_DATA: 7,
  PARAMETER: 8,
  STATUS: 9,
  DESCRIBE_INFO: 16,
  PIGGYBACK: 17,
  END_OF_REQUEST: 29,
});

/** TTC function codes. @internal */
export const FN = Object.freeze({
  REEXECUTE: 4,
  FETCH: 5,
  LOGOFF: 9,
  COMMIT: 14,
  ROLLBACK: 15,
  EXECUTE: 94,
  REEXECUTE_AND_FETCH: 78,
  CLOSE_CURSORS: 105,
  AUTH_PHASE_TWO: 115,
  AUTH_PHASE_ONE: 118,
  CANCEL_CURSORS: 120,
  SET_END_TO_END_ATTR: 135,
  PING: 147,
  SET_SCHEMA: 152,
});

/** Auth mode bits of the auth request. @internal */
export const AUTH_MODE = Object.freeze({ LOGON: 0x1, IAM_TOKEN: 0x20000000 });

/** Execute option bits. @internal */
export const EXEC = Object.freeze({ PARSE: 0x1, EXECUTE: 0x20, FETCH: 0x40, DEFINE: 0x10, COMMIT: 0x100, NOT_PLSQL: 0x8000 });

/** Oracle data type numbers the emulator describes. @internal */
export const ORA_TYPE = Object.freeze({ VARCHAR: 1, NUMBER: 2, CHAR: 96 });

/** TTC field versions that change the layout of messages (the client's `TNS_CCAP_FIELD_VERSION_*`). @internal */
export const FIELD_VERSION = Object.freeze({ V12_2: 8, V12_2_EXT1: 9, V18_1_EXT1: 11, V19_1_EXT1: 13, V20_1: 14, V23_1: 17, V23_1_EXT1: 18, V23_1_EXT3: 20, V23_4: 24 });

const AL32UTF8 = 873;
const AL16UTF16 = 2000;
const CHARSET_FORM_IMPLICIT = 1;
/** Oracle's version numbers for Net: 319 is the thin driver's `TNS_VERSION_DESIRED`; 315 is the lowest it accepts. */
const TNS_VERSION_MIN_LARGE_SDU = 315;
const NA_DISABLED_FOR_CONNECTION = 0x04;
const NA_NO_SERVICES = 0x08;
const CONNECT_DATA_OFFSET = 74;
const LONG_LENGTH = 0xfe;
const NULL_LENGTH = 0xff;
const MAX_SHORT_LENGTH = 252;
const CHUNK = 65536;

/** A malformed or truncated packet or message. Its message names the field, never the bytes. @internal */
export class WireError extends Error {
  override name = 'WireError';
}

/**
 * A message that stops before its end: the bytes so far are good, the rest has not arrived (or, when the
 * client said the request ended there, never will).
 *
 * @internal
 */
export class TruncatedError extends WireError {
  override name = 'TruncatedError';
}

// ---------------------------------------------------------------------------------------------------------------
// TNS packets

/**
 * How a packet's length is written: `short` (u16 length + u16 checksum) for CONNECT and the ACCEPT or
 * REFUSE answering it, `long` (u32) for every packet after an ACCEPT of version 315 or more.
 *
 * @internal
 */
export type Framing = 'short' | 'long';

/** One TNS packet: its type, header flags and the whole packet, header included. @internal */
export interface TnsPacket {
  type: number;
  flags: number;
  bytes: Buffer;
}

/** The largest packet accepted: the client's TDU ceiling (2 MiB). */
const MAX_PACKET = 2 * 1024 * 1024;

/**
 * The packet at `offset`, with the offset just past it, or `undefined` while it is incomplete.
 * Throws {@link WireError} on a length that cannot be a packet.
 *
 * @internal
 */
export function readPacket(buf: Buffer, offset: number, framing: Framing): { packet: TnsPacket; end: number } | undefined {
  if (buf.length - offset < 8) return undefined;
  const length = framing === 'long' ? buf.readUInt32BE(offset) : buf.readUInt16BE(offset);
  if (length < 8 || length > MAX_PACKET) throw new WireError(`a TNS packet length of ${length} bytes is outside 8..${MAX_PACKET}`);
  if (buf.length - offset < length) return undefined;
  const bytes = buf.subarray(offset, offset + length);
  return { packet: { type: bytes[4]!, flags: bytes[5]!, bytes }, end: offset + length };
}

/** A packet of `type` around `body` (what follows the 8-byte header). @internal */
export function packet(type: number, body: Buffer, framing: Framing, flags = 0): Buffer {
  const out = Buffer.alloc(8 + body.length);
  if (framing === 'long') out.writeUInt32BE(out.length, 0);
  else {
    if (out.length > 0xffff) throw new WireError('a short-framed packet cannot exceed 65535 bytes');
    out.writeUInt16BE(out.length, 0);
  }
  out[4] = type;
  out[5] = flags;
  body.copy(out, 8);
  return out;
}

/** The data flags and TTC payload of a DATA packet. @internal */
export function dataPayload(p: TnsPacket): { dataFlags: number; payload: Buffer } {
  if (p.type !== PACKET.DATA) throw new WireError(`packet type ${p.type} is not DATA`);
  if (p.bytes.length < 10) throw new WireError('a DATA packet is shorter than its 10-byte header');
  return { dataFlags: p.bytes.readUInt16BE(8), payload: p.bytes.subarray(10) };
}

/**
 * `payload` as DATA packets (long framing) of at most `sdu` bytes each; every packet gets `dataFlags`,
 * the last one `lastFlags`. The client stitches packets back together, so a message may span them.
 *
 * @internal
 */
export function dataPackets(payload: Buffer, sdu: number, dataFlags = 0, lastFlags = dataFlags): Buffer {
  const room = Math.max(1, sdu - 10);
  const out: Buffer[] = [];
  let at = 0;
  do {
    const part = payload.subarray(at, at + room);
    const body = Buffer.alloc(2 + part.length);
    at += part.length;
    body.writeUInt16BE(at < payload.length ? dataFlags : lastFlags, 0);
    part.copy(body, 2);
    out.push(packet(PACKET.DATA, body, 'long'));
  } while (at < payload.length);
  return Buffer.concat(out);
}

/** What a CONNECT packet asks for. @internal */
export interface ConnectRequest {
  version: number;
  minVersion: number;
  sdu: number;
  tdu: number;
  /** The 32-bit SDU and TDU the client offers once large SDUs are on. */
  largeSdu: number;
  largeTdu: number;
  /** The native-network-encryption flags; 0x08 (no services) when a token is sent over TLS. */
  naFlags: number;
  /** The length of the connect data, which the packet may not carry itself. */
  connectDataLength: number;
  /**
   * The connect descriptor, when it fits in the packet. Over 230 bytes the client sends it right after,
   * in a DATA packet of its own (short framing).
   */
  connectData: string | undefined;
}

/** Reads a CONNECT packet (`sqlnet/packet.js` `ConnectPacket`). @internal */
export function parseConnect(p: TnsPacket): ConnectRequest {
  if (p.type !== PACKET.CONNECT) throw new WireError(`packet type ${p.type} is not CONNECT`);
  const b = p.bytes;
  if (b.length < 34) throw new WireError('a CONNECT packet is shorter than its fixed fields');
  const connectDataLength = b.readUInt16BE(24);
  const offset = b.readUInt16BE(26);
  const long = b.length >= 66;
  const inline = connectDataLength > 0 && offset + connectDataLength <= b.length;
  return {
    version: b.readUInt16BE(8),
    minVersion: b.readUInt16BE(10),
    sdu: b.readUInt16BE(14),
    tdu: b.readUInt16BE(16),
    largeSdu: long ? b.readUInt32BE(58) : b.readUInt16BE(14),
    largeTdu: long ? b.readUInt32BE(62) : b.readUInt16BE(16),
    naFlags: b[33]!,
    connectDataLength,
    connectData: inline ? b.toString('latin1', offset, offset + connectDataLength) : undefined,
  };
}

/**
 * The value of `key` (such as `SERVICE_NAME`) in a connect descriptor, or `undefined`. Keys match in any
 * letter case, wherever they are nested; the first one wins.
 *
 * @internal
 */
export function connectDataValue(descriptor: string, key: string): string | undefined {
  const re = new RegExp(`\\(\\s*${key.replace(/[^A-Za-z0-9_]/g, '')}\\s*=\\s*([^()]*?)\\s*\\)`, 'i');
  return re.exec(descriptor)?.[1];
}

/** What the client says of itself in the connect data's `(CID=(PROGRAM=…)(HOST=…)(USER=…))`. @internal */
export interface ConnectClient {
  program?: string;
  host?: string;
  user?: string;
}

/**
 * The program, host and OS user of the connect data's CID section, those it gives. Only the CID is read:
 * the ADDRESS has a HOST of its own (the server's).
 *
 * @internal
 */
export function connectClient(descriptor: string): ConnectClient {
  const start = /\(\s*CID\s*=/i.exec(descriptor);
  if (!start) return {};
  let depth = 0;
  let end = start.index;
  for (; end < descriptor.length; end++) {
    if (descriptor[end] === '(') depth++;
    else if (descriptor[end] === ')' && --depth === 0) break;
  }
  const cid = descriptor.slice(start.index, end + 1);
  const out: ConnectClient = {};
  for (const [key, field] of [
    ['PROGRAM', 'program'],
    ['HOST', 'host'],
    ['USER', 'user'],
  ] as const) {
    const value = connectDataValue(cid, key);
    if (value) out[field] = value;
  }
  return out;
}

/**
 * The ACCEPT packet (short framing). Version 319 with SDU/TDU echoed back; NA flags "disabled for this
 * connection, no services", so the client skips native network encryption (the session is TLS);
 * compression off; no fast-auth flag. Without `endOfRequest` a response ends at ERROR or STATUS; with it,
 * flags2 announces end-of-request support and the client waits for an END_OF_REQUEST message instead.
 *
 * @internal
 */
export function acceptPacket(o: { version: number; sdu: number; tdu: number; endOfRequest?: boolean }): Buffer {
  if (o.version < TNS_VERSION_MIN_LARGE_SDU) throw new WireError('the emulator only speaks TNS 315 and later');
  const body = Buffer.alloc(45 - 8);
  body.writeUInt16BE(o.version, 0);
  body.writeUInt16BE(0x0001, 2); // options
  body.writeUInt16BE(Math.min(o.sdu, 0xffff), 4);
  body.writeUInt16BE(Math.min(o.tdu, 0xffff), 6);
  body.writeUInt16BE(0x0100, 8); // "one", byte order
  body.writeUInt16BE(0, 10); // accept data length
  body.writeUInt16BE(45, 12); // accept data offset
  body[14] = NA_DISABLED_FOR_CONNECTION;
  body[15] = NA_NO_SERVICES;
  body.writeUInt32BE(o.sdu, 24);
  body.writeUInt32BE(o.tdu, 28);
  body[32] = 0; // compression off
  body.writeUInt32BE(o.endOfRequest ? ACCEPT_FLAG.HAS_END_OF_REQUEST : 0, 33); // flags2
  return packet(PACKET.ACCEPT, body, 'short');
}

/**
 * A REFUSE packet (short framing) whose descriptor carries `(ERR=<code>)`: 12514 makes the client say the
 * service is unknown (NJS-518).
 *
 * @internal
 */
export function refusePacket(code: number): Buffer {
  const data = Buffer.from(`(DESCRIPTION=(TMP=)(VSNNUM=0)(ERR=${code})(ERROR_STACK=(ERROR=(CODE=${code})(EMFI=4))))`, 'latin1');
  const body = Buffer.alloc(4 + data.length);
  body[0] = 0x22; // user reason
  body[1] = 0; // system reason
  body.writeUInt16BE(data.length, 2);
  data.copy(body, 4);
  return packet(PACKET.REFUSE, body, 'short');
}

/** A one-byte MARKER packet (long framing): break, reset or interrupt. @internal */
export function markerPacket(data: number): Buffer {
  return packet(PACKET.MARKER, Buffer.from([1, 0, data]), 'long');
}

/** The data byte of a MARKER packet. @internal */
export function markerData(p: TnsPacket): number {
  if (p.type !== PACKET.MARKER || p.bytes.length < 11) throw new WireError('not a one-byte MARKER packet');
  return p.bytes[10]!;
}

// ---------------------------------------------------------------------------------------------------------------
// TTC primitives

/**
 * Reads TTC fields off a payload. Every read throws {@link WireError} when the payload ends first.
 *
 * @internal
 */
export class TtcReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) throw new TruncatedError(`the message ends inside ${what}`);
  }

  u8(what = 'a byte'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  bytes(n: number, what = 'a byte string'): Buffer {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u16be(what = 'a u16'): number {
    return this.bytes(2, what).readUInt16BE(0);
  }

  u16le(what = 'a u16'): number {
    return this.bytes(2, what).readUInt16LE(0);
  }

  /** A TTC variable-length unsigned integer of at most `max` bytes (UB2: 2, UB4: 4, UB8: 8). */
  ub(max: 2 | 4 | 8, what = `a UB${max}`): number {
    const size = this.u8(what);
    if (size === 0) return 0;
    if (size & 0x80) throw new WireError(`${what} is negative`);
    if (size > max) throw new WireError(`${what} is ${size} bytes long (at most ${max})`);
    const b = this.bytes(size, what);
    let v = 0;
    for (const byte of b) v = v * 256 + byte;
    return v;
  }

  ub2(what?: string): number {
    return this.ub(2, what);
  }

  ub4(what?: string): number {
    return this.ub(4, what);
  }

  ub8(what?: string): number {
    return this.ub(8, what);
  }

  /** Bytes with a length: a short length byte, or 0xFE then UB4-sized chunks ended by a zero chunk. `null` for 0 or 0xFF. */
  bytesWithLength(what = 'a byte string'): Buffer | null {
    const n = this.u8(what);
    if (n === 0 || n === NULL_LENGTH) return null;
    if (n !== LONG_LENGTH) return this.bytes(n, what);
    const parts: Buffer[] = [];
    for (;;) {
      const size = this.ub4(what);
      if (size === 0) break;
      parts.push(this.bytes(size, what));
    }
    return Buffer.concat(parts);
  }

  str(what?: string): string | null {
    const b = this.bytesWithLength(what);
    return b === null ? null : b.toString('utf8');
  }

  /** A key/value pair of auth and parameter messages: UB4 length + bytes, twice, then UB4 flags. */
  keyValue(): KeyValue {
    this.ub4('a key length');
    const key = this.str('a key') ?? '';
    const valueLength = this.ub4('a value length');
    const value = valueLength > 0 ? (this.str('a value') ?? '') : '';
    const flags = this.ub4('key/value flags');
    return { key, value, flags };
  }
}

/** One key/value pair of an auth request or a PARAMETER message. @internal */
export interface KeyValue {
  key: string;
  value: string;
  flags: number;
}

/**
 * Writes TTC fields. Integers are written in the fewest bytes, as the client writes them.
 *
 * @internal
 */
export class TtcWriter {
  private readonly parts: Buffer[] = [];

  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  raw(b: Buffer | readonly number[]): this {
    this.parts.push(Buffer.from(b as Buffer));
    return this;
  }

  u16be(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v, 0);
    return this.raw(b);
  }

  u16le(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v, 0);
    return this.raw(b);
  }

  u32be(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0, 0);
    return this.raw(b);
  }

  /** A variable-length unsigned integer (UB2/UB4/UB8). */
  ub(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new WireError(`${v} is not an unsigned integer`);
    if (v === 0) return this.u8(0);
    const bytes: number[] = [];
    for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
    const size = bytes.length <= 1 ? 1 : bytes.length <= 2 ? 2 : bytes.length <= 4 ? 4 : 8;
    while (bytes.length < size) bytes.unshift(0);
    return this.u8(size).raw(bytes);
  }

  /** A variable-length signed integer (SB2/SB4): the length byte's 0x80 bit marks a negative value. */
  sb(v: number): this {
    if (v >= 0) return this.ub(v);
    const w = new TtcWriter().ub(-v).toBuffer();
    return this.u8(w[0]! | 0x80).raw(w.subarray(1));
  }

  bytesWithLength(b: Buffer | null): this {
    if (b === null) return this.u8(0);
    if (b.length <= MAX_SHORT_LENGTH) return this.u8(b.length).raw(b);
    this.u8(LONG_LENGTH);
    for (let at = 0; at < b.length; at += CHUNK) {
      const part = b.subarray(at, at + CHUNK);
      this.ub(part.length).raw(part);
    }
    return this.ub(0);
  }

  str(s: string | null): this {
    return this.bytesWithLength(s === null ? null : Buffer.from(s, 'utf8'));
  }

  keyValue(key: string, value: string, flags = 0): this {
    const k = Buffer.from(key, 'utf8');
    const v = Buffer.from(value, 'utf8');
    this.ub(k.length).bytesWithLength(k).ub(v.length);
    if (v.length > 0) this.bytesWithLength(v);
    return this.ub(flags);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Oracle NUMBER

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Oracle's NUMBER bytes for a decimal (`'12.5'`, `'-1'`, or a finite JS number): an exponent byte, then
 * base-100 digits. Positive: exponent `193 + e`, digits + 1. Negative: exponent `62 - e`, `101 - digit`,
 * and a 102 terminator when there are fewer than 20 digits. Zero is the single byte 0x80.
 *
 * @internal
 */
export function encodeOracleNumber(value: number | string): Buffer {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const m = DECIMAL.exec(text);
  if (!m) throw new WireError('not a plain decimal number');
  const negative = m[1] === '-';
  let int = m[2]!.replace(/^0+/, '');
  let frac = (m[3] ?? '').replace(/0+$/, '');
  if (int === '' && frac === '') return Buffer.from([0x80]);
  if (int.length % 2) int = `0${int}`;
  if (frac.length % 2) frac = `${frac}0`;
  const pairs = (s: string): number[] => (s.match(/../g) ?? []).map(Number);
  let digits = [...pairs(int), ...pairs(frac)];
  // e: the power of 100 of the first digit pair, minus one.
  let exponent = int.length / 2 - 1;
  while (digits[0] === 0) {
    digits.shift();
    exponent -= 1;
  }
  while (digits.at(-1) === 0) digits.pop();
  if (digits.length > 20) throw new WireError('more than 40 significant digits');
  if (exponent < -65 || exponent > 62) throw new WireError('out of the range of Oracle NUMBER');
  if (!negative) return Buffer.from([193 + exponent, ...digits.map((d) => d + 1)]);
  digits = digits.map((d) => 101 - d);
  return Buffer.from([62 - exponent, ...digits, ...(digits.length < 20 ? [102] : [])]);
}

/** `n` as a plain decimal string, without exponent notation. */
function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new WireError('not a finite number');
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // Small or large magnitudes print with an exponent; spell them out.
  return n.toFixed(Math.min(100, Math.max(0, -Math.floor(Math.log10(Math.abs(n))) + 20))).replace(/\.?0+$/, '');
}

/** The decimal string of Oracle NUMBER bytes (the inverse of {@link encodeOracleNumber}). @internal */
export function decodeOracleNumber(b: Buffer): string {
  if (b.length === 0) throw new WireError('an empty NUMBER');
  const first = b[0]!;
  if (first === 0x80 && b.length === 1) return '0';
  const negative = (first & 0x80) === 0;
  let exponent: number;
  let digits: number[];
  if (negative) {
    exponent = 62 - first;
    digits = [...b.subarray(1)];
    if (digits.at(-1) === 102) digits.pop();
    digits = digits.map((d) => 101 - d);
  } else {
    exponent = first - 193;
    digits = [...b.subarray(1)].map((d) => d - 1);
  }
  // Digit pair i is worth 100^(exponent - i).
  let int = '';
  let frac = '';
  digits.forEach((d, i) => {
    const pair = String(d).padStart(2, '0');
    if (exponent - i >= 0) int += pair;
    else frac += pair;
  });
  for (let i = digits.length; i <= exponent; i++) int += '00';
  if (exponent < -1) frac = '00'.repeat(-exponent - 1) + frac;
  int = int.replace(/^0+/, '') || '0';
  frac = frac.replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Client requests

/** The client's protocol negotiation: its driver name (`node-oracledb`). @internal */
export interface ProtocolRequest {
  kind: 'protocol';
  version: number;
  driver: string;
}

/** The client's data-type negotiation. The emulator reads only its charsets. @internal */
export interface DataTypesRequest {
  kind: 'data-types';
  charset: number;
  ncharset: number;
}

/**
 * The session attributes a SET_END_TO_END_ATTR piggyback sets (`connection.module`, `action`,
 * `clientId`, `clientInfo`, `dbOp`, `ecid`): only those the client changed are present; `null` clears one.
 *
 * @internal
 */
export interface EndToEndAttributes {
  clientIdentifier?: string | null;
  module?: string | null;
  action?: string | null;
  ecid?: string | null;
  clientInfo?: string | null;
  dbOp?: string | null;
}

/** A piggyback message sent ahead of a function; the server answers none of them. @internal */
export type Piggyback =
  | { fn: typeof FN.CLOSE_CURSORS | typeof FN.CANCEL_CURSORS; seq: number; cursors: number[] }
  | { fn: typeof FN.SET_SCHEMA; seq: number; schema: string }
  | { fn: typeof FN.SET_END_TO_END_ATTR; seq: number; attributes: EndToEndAttributes }
  | { fn: number; seq: number; skipped: true };

/** Auth phase two (function 115): the user (none with `externalAuth`), the mode and the key/value pairs. @internal */
export interface AuthCall {
  fn: typeof FN.AUTH_PHASE_TWO | typeof FN.AUTH_PHASE_ONE;
  user: string;
  mode: number;
  pairs: KeyValue[];
}

/** A full execute (function 94). @internal */
export interface ExecuteCall {
  fn: typeof FN.EXECUTE;
  options: number;
  /** 0 for a statement not yet parsed on this connection. */
  cursorId: number;
  /** The SQL text, sent with a new cursor (and with DDL). */
  sql: string | undefined;
  /** How many rows to send with the answer (prefetch on a first execute, fetch size otherwise). */
  rows: number;
  binds: number;
  defines: number;
}

/** A re-execute of a cursor already parsed (function 78 for queries, 4 otherwise). @internal */
export interface ReexecuteCall {
  fn: typeof FN.REEXECUTE_AND_FETCH | typeof FN.REEXECUTE;
  cursorId: number;
  rows: number;
  flags1: number;
  flags2: number;
}

/** A fetch of more rows of an open cursor (function 5). @internal */
export interface FetchCall {
  fn: typeof FN.FETCH;
  cursorId: number;
  rows: number;
}

/** A call with no arguments (ping, commit, rollback, logoff), or one the emulator does not read. @internal */
export interface BareCall {
  fn: number;
}

/** A function call, with the piggybacks that came before it. @internal */
export interface FunctionRequest {
  kind: 'function';
  seq: number;
  piggybacks: Piggyback[];
  call: AuthCall | ExecuteCall | ReexecuteCall | FetchCall | BareCall;
}

/** Any request the client sends in DATA packets. @internal */
export type TtcRequest = ProtocolRequest | DataTypesRequest | FunctionRequest;

/** Functions whose body the emulator reads: a piggyback it steps over must be followed by one of them. */
const KNOWN_FUNCTIONS = new Set<number>([FN.REEXECUTE, FN.FETCH, FN.LOGOFF, FN.COMMIT, FN.ROLLBACK, FN.EXECUTE, FN.REEXECUTE_AND_FETCH, FN.AUTH_PHASE_TWO, FN.AUTH_PHASE_ONE, FN.PING]);
/** Functions that carry nothing after their header. */
const BARE_FUNCTIONS = new Set<number>([FN.LOGOFF, FN.COMMIT, FN.ROLLBACK, FN.PING]);

/**
 * How far a request has arrived: `complete` with the offset just past it (a pipelining client may have
 * sent the next one behind it); `partial` while it stops before its end, with the field it stops in;
 * `malformed` when it cannot be a request at all.
 *
 * @internal
 */
export type RequestRead = { status: 'complete'; request: TtcRequest; end: number } | { status: 'partial'; missing: string } | { status: 'malformed'; problem: string };

/** What {@link readRequest} knows besides the bytes. @internal */
export interface ReadOptions {
  /**
   * The client marked the end of its request here (data flag END_OF_REQUEST). Bind values that stop
   * short are then taken as they are (a DML statement's RETURNING binds send none), instead of waited for.
   */
  endMarked?: boolean | undefined;
}

/**
 * Reads the request at the start of `payload` (the payloads of the DATA packets received so far, in
 * order), deciding by its layout alone whether it has all arrived: a server must answer a client that
 * never sets END_OF_REQUEST. `fieldVersion` is the negotiated TTC field version (0 before negotiation):
 * from 18 on, every function and piggyback header carries a UB8 token number.
 *
 * A function the emulator does not read, and bind values of types it does not model (objects, JSON,
 * vectors), run to the end of what has arrived.
 *
 * @internal
 */
export function readRequest(payload: Buffer, fieldVersion: number, options: ReadOptions = {}): RequestRead {
  const r = new TtcReader(payload);
  try {
    const request = readOne(r, fieldVersion, options.endMarked === true);
    return { status: 'complete', request, end: r.pos };
  } catch (err) {
    if (err instanceof TruncatedError) return { status: 'partial', missing: err.message };
    if (err instanceof WireError) return { status: 'malformed', problem: err.message };
    throw err;
  }
}

function readOne(r: TtcReader, fieldVersion: number, endMarked: boolean): TtcRequest {
  const payload = r.buf;
  const type = r.u8('the message type');
  if (type === MSG.PROTOCOL) {
    const version = r.u8('the protocol version');
    r.u8('the protocol array terminator');
    const end = payload.indexOf(0, r.pos);
    if (end < 0) throw new TruncatedError('the message ends inside the driver name');
    const driver = payload.toString('utf8', r.pos, end);
    r.pos = end + 1;
    return { kind: 'protocol', version, driver };
  }
  if (type === MSG.DATA_TYPES) return readDataTypes(r);
  if (type !== MSG.FUNCTION && type !== MSG.PIGGYBACK) throw new WireError(`TTC message type ${type} is not a request`);
  r.pos -= 1;
  const piggybacks: Piggyback[] = [];
  while (r.remaining > 0 && payload[r.pos] === MSG.PIGGYBACK) piggybacks.push(readPiggyback(r, fieldVersion));
  if (r.u8('the message type') !== MSG.FUNCTION) throw new WireError('a piggyback is not followed by a function');
  const fn = r.u8('the function code');
  const seq = r.u8('the sequence number');
  if (fieldVersion >= FIELD_VERSION.V23_1_EXT1) r.ub8('the token number');
  return { kind: 'function', seq, piggybacks, call: readCall(r, fn, fieldVersion, endMarked) };
}

/** Charsets, flags, compile and runtime capabilities, the client's time zone (TZ_EX), and the type list. */
function readDataTypes(r: TtcReader): DataTypesRequest {
  const charset = r.u16le('the charset');
  const ncharset = r.u16le('the national charset');
  r.u8('the encoding flags');
  r.bytesWithLength('the compile capabilities');
  const runtimeCaps = r.bytesWithLength('the runtime capabilities');
  // 26.0 adds its time zone when it keeps TZ_EX in its runtime capabilities.
  if (runtimeCaps !== null && runtimeCaps.length > RCAP_TZ && runtimeCaps[RCAP_TZ]! & RCAP_TZ_EX) r.bytes(11, 'the client time zone');
  for (;;) {
    const dataType = r.u16be('a data type');
    if (dataType === 0) break;
    const conversion = r.u16be('a data type conversion');
    if (conversion !== 0) r.bytes(4, 'a data type representation');
  }
  return { kind: 'data-types', charset, ncharset };
}

const RCAP_TZ = 1;
const RCAP_TZ_EX = 0x01;

function readPiggyback(r: TtcReader, fieldVersion: number): Piggyback {
  const payload = r.buf;
  r.u8();
  const fn = r.u8('the piggyback function');
  const seq = r.u8('the piggyback sequence number');
  if (fieldVersion >= FIELD_VERSION.V23_1_EXT1) r.ub8('the token number');
  if (fn === FN.CLOSE_CURSORS || fn === FN.CANCEL_CURSORS) {
    r.u8('the cursor list pointer');
    const count = r.ub4('the cursor count');
    const cursors: number[] = [];
    for (let i = 0; i < count; i++) cursors.push(r.ub4('a cursor id'));
    return { fn, seq, cursors };
  }
  if (fn === FN.SET_SCHEMA) {
    r.u8('the schema pointer');
    r.ub4('the schema length');
    return { fn, seq, schema: r.str('the schema') ?? '' };
  }
  if (fn === FN.SET_END_TO_END_ATTR) return { fn, seq, attributes: readEndToEnd(r) };
  // Other piggybacks (LOB frees, session state, …) vary by driver version and carry nothing the emulator
  // needs: resume at the function that follows, whose sequence number is this one's plus one. Another
  // piggyback may come first; it takes the next sequence number in turn. Until that function has arrived,
  // the message is not whole.
  const next = (seq + 1) % 256;
  for (let at = r.pos; at + 2 < payload.length; at++) {
    const type = payload[at];
    const follows = type === MSG.PIGGYBACK || (type === MSG.FUNCTION && KNOWN_FUNCTIONS.has(payload[at + 1]!));
    if (follows && payload[at + 2] === next) {
      r.pos = at;
      return { fn, seq, skipped: true };
    }
  }
  throw new TruncatedError(`piggyback function ${fn} is not followed by a function the emulator knows`);
}

/** End-to-end attribute bits of SET_END_TO_END_ATTR. */
const END_TO_END = { clientIdentifier: 0x0001, module: 0x0008, action: 0x0010, ecid: 0x0020, clientInfo: 0x0100, dbOp: 0x0200 } as const;

/**
 * SET_END_TO_END_ATTR: flags naming the attributes changed, then (pointer, length) slots for client
 * identifier, module, action, ECID, an unused pair, client info, another unused pair and DBOP, then the
 * text of each slot with a pointer and a length, in slot order.
 */
function readEndToEnd(r: TtcReader): EndToEndAttributes {
  r.u8('a pointer');
  r.u8('a pointer');
  const flags = r.ub4('the end-to-end flags');
  const slot = (what: string) => ({ what, present: r.u8(`the ${what} pointer`) !== 0, length: r.ub4(`the ${what} length`) });
  const slots = [slot('client identifier'), slot('module'), slot('action'), slot('ECID')];
  r.u8('a count');
  r.ub4('a count');
  slots.push(slot('client info'), slot('extended client info'));
  r.u8('a count');
  r.ub4('a count');
  slots.push(slot('DBOP'));
  const text = slots.map((s) => (s.present && s.length > 0 ? r.str(`the ${s.what}`) : null));
  const [clientIdentifier, module, action, ecid, clientInfo, , dbOp] = text;
  const out: EndToEndAttributes = {};
  const values = { clientIdentifier, module, action, ecid, clientInfo, dbOp };
  for (const [key, bit] of Object.entries(END_TO_END) as [keyof EndToEndAttributes, number][]) if (flags & bit) out[key] = values[key] || null;
  return out;
}

function readCall(r: TtcReader, fn: number, fieldVersion: number, endMarked: boolean): FunctionRequest['call'] {
  switch (fn) {
    case FN.AUTH_PHASE_TWO:
    case FN.AUTH_PHASE_ONE:
      return readAuth(r, fn);
    case FN.EXECUTE:
      return readExecute(r, fieldVersion, endMarked);
    case FN.REEXECUTE:
    case FN.REEXECUTE_AND_FETCH: {
      const call = { fn, cursorId: r.ub4('the cursor id'), rows: r.ub4('the iterations'), flags1: r.ub4('the execute flags'), flags2: r.ub4('the execute flags') };
      // Bind values of the cursor's binds would follow; the emulator keeps no cursor with binds, and no
      // request starts with ROW_DATA, so they run to the end of what has arrived.
      if (r.remaining > 0 && r.buf[r.pos] === MSG.ROW_DATA) r.pos = r.buf.length;
      return call;
    }
    case FN.FETCH:
      return { fn, cursorId: r.ub4('the cursor id'), rows: r.ub4('the rows wanted') };
    default:
      if (!BARE_FUNCTIONS.has(fn)) r.pos = r.buf.length;
      return { fn };
  }
}

function readAuth(r: TtcReader, fn: typeof FN.AUTH_PHASE_TWO | typeof FN.AUTH_PHASE_ONE): AuthCall {
  const hasUser = r.u8('the user pointer');
  const userLength = r.ub4('the user length');
  const mode = r.ub4('the auth mode');
  r.u8('the pairs pointer');
  const count = r.ub4('the pair count');
  r.u8('a pointer');
  r.u8('a pointer');
  const user = hasUser && userLength > 0 ? (r.str('the user') ?? '') : '';
  const pairs: KeyValue[] = [];
  for (let i = 0; i < count; i++) pairs.push(r.keyValue());
  return { fn, user, mode, pairs };
}

function readExecute(r: TtcReader, fieldVersion: number, endMarked: boolean): ExecuteCall {
  const options = r.ub4('the execute options');
  const cursorId = r.ub4('the cursor id');
  const hasSql = r.u8('the SQL pointer');
  r.ub4('the SQL length');
  r.u8('the al8i4 pointer');
  const al8i4Length = r.ub4('the al8i4 length');
  r.u8('the al8o4 pointer');
  r.u8('the al8o4l pointer');
  r.u8('the prefetch buffer size');
  const rows = r.ub4('the prefetch rows');
  r.ub4('the maximum long size');
  r.u8('the binds pointer');
  const binds = r.ub4('the bind count');
  for (let i = 0; i < 5; i++) r.u8('a pointer');
  const hasDefines = r.u8('the defines pointer');
  const defines = r.ub4('the define count');
  r.ub4('the registration id');
  r.u8('a pointer');
  r.u8('a pointer');
  r.u8('a pointer');
  r.ub4('al8blv');
  r.u8('a pointer');
  r.ub4('al8dnaml');
  r.ub4('the registration id');
  r.u8('a pointer');
  r.ub4('al8pidmlrcbl');
  r.u8('a pointer');
  if (fieldVersion >= FIELD_VERSION.V12_2) {
    r.u8('a pointer');
    r.ub4('the SQL signature length');
    r.u8('a pointer');
    r.ub4('the SQL id size');
    r.u8('a pointer');
    if (fieldVersion >= FIELD_VERSION.V12_2_EXT1) {
      r.u8('a pointer');
      r.ub4('the chunk id count');
    }
  }
  const sql = hasSql ? (r.str('the SQL text') ?? '') : undefined;
  const al8i4: number[] = [];
  for (let i = 0; i < al8i4Length; i++) al8i4.push(r.ub4('an al8i4 entry'));
  if (hasDefines && defines > 0) {
    // A re-describe with the client's own column types: their metadata, and no values.
    for (let i = 0; i < defines; i++) readBindMetadata(r, fieldVersion);
  } else if (binds > 0) {
    const start = r.pos;
    try {
      readBinds(r, binds, al8i4[7] === 1 ? 1 : (al8i4[1] ?? 0), fieldVersion);
    } catch (err) {
      if (!(err instanceof TruncatedError) || !endMarked || r.pos === start) throw err;
      r.pos = r.buf.length;
    }
  }
  return { fn: FN.EXECUTE, options, cursorId, sql, rows, binds, defines };
}

/** Oracle type numbers of bind values sent as bytes with a length. */
const BYTES_TYPES = new Set([1, 2, 3, 8, 11, 12, 23, 24, 96, 100, 101, 104, 180, 181, 182, 183, 208, 231]);
const LOB_TYPES = new Set([112, 113, 114]);
const CURSOR_TYPE = 102;
const BOOLEAN_TYPE = 252;
/** The escape that starts a NULL BOOLEAN value. */
const ESCAPE = 253;
const BIND_ARRAY = 0x40;

/** The metadata of one bind (or define): its type and whether it is a PL/SQL array. */
function readBindMetadata(r: TtcReader, fieldVersion: number): { type: number; array: boolean } {
  const type = r.u8('a bind type');
  const flags = r.u8('the bind flags');
  r.u8('the bind precision');
  r.u8('the bind scale');
  r.ub4('the bind buffer size');
  r.ub4('the bind array size');
  r.ub8('the bind continuation flags');
  if (r.ub4('the bind type OID length') > 0) r.bytesWithLength('the bind type OID');
  r.ub2('the bind type version');
  r.ub2('the bind charset');
  r.u8('the bind charset form');
  r.ub4('the bind LOB prefetch length');
  if (fieldVersion >= FIELD_VERSION.V12_2) r.ub4('the bind oaccolid');
  return { type, array: (flags & BIND_ARRAY) !== 0 };
}

/** The bind metadata, then `rows` ROW_DATA messages of values. */
function readBinds(r: TtcReader, count: number, rows: number, fieldVersion: number): void {
  const binds = Array.from({ length: count }, () => readBindMetadata(r, fieldVersion));
  if (binds.some((b) => !BYTES_TYPES.has(b.type) && !LOB_TYPES.has(b.type) && b.type !== CURSOR_TYPE && b.type !== BOOLEAN_TYPE)) {
    r.pos = r.buf.length;
    return;
  }
  for (let row = 0; row < rows; row++) {
    if (r.u8('the bind values') !== MSG.ROW_DATA) throw new WireError('bind values do not start with ROW_DATA');
    for (const b of binds) {
      const n = b.array ? r.ub4('the array length') : 1;
      for (let i = 0; i < n; i++) skipBindValue(r, b.type);
    }
  }
}

function skipBindValue(r: TtcReader, type: number): void {
  if (LOB_TYPES.has(type)) {
    if (r.ub4('a LOB locator length') > 0) r.bytesWithLength('a LOB locator');
  } else if (type === CURSOR_TYPE) {
    if (r.ub4('a cursor count') > 0) r.ub4('a cursor id');
  } else if (type === BOOLEAN_TYPE && r.remaining > 0 && r.buf[r.pos] === ESCAPE) {
    r.bytes(2, 'a NULL boolean');
  } else {
    r.bytesWithLength('a bind value');
  }
}

/** The auth pairs as a map (the last of a repeated key wins). @internal */
export function pairMap(pairs: readonly KeyValue[]): Map<string, string> {
  return new Map(pairs.map((p) => [p.key, p.value]));
}

// ---------------------------------------------------------------------------------------------------------------
// Server answers

/** What {@link protocolAnswer} announces. @internal */
export interface ServerIdentity {
  /** The protocol banner, at most 47 bytes. */
  banner: string;
  /** The TTC field version: the client lowers its own (24 at most) to this. */
  fieldVersion: number;
}

/**
 * The answer to protocol negotiation: version 6, the banner, AL32UTF8 with AL16UTF16 as the national
 * charset (in the FDO block, where the client looks for it), 53 bytes of compile capabilities whose only
 * meaningful byte is the field version (index 7), and 7 bytes of runtime capabilities, all zero: no 32K
 * strings (so every column stays at most 4000 bytes) and no TZ_EX (26.0 then queries DBTIMEZONE itself).
 *
 * @internal
 */
export function protocolAnswer(id: ServerIdentity): Buffer {
  const banner = Buffer.from(id.banner, 'latin1');
  if (banner.length > 47) throw new WireError('the banner is longer than 47 bytes');
  const fdo = Buffer.alloc(11);
  fdo.writeUInt16BE(AL16UTF16, 9);
  const compileCaps = Buffer.alloc(53);
  compileCaps[0] = 6;
  compileCaps[7] = id.fieldVersion;
  return new TtcWriter()
    .u8(MSG.PROTOCOL)
    .u8(6)
    .u8(0)
    .raw(banner)
    .u8(0)
    .u16le(AL32UTF8)
    .u8(0)
    .u16le(0)
    .u16be(fdo.length)
    .raw(fdo)
    .bytesWithLength(compileCaps)
    .bytesWithLength(Buffer.alloc(7))
    .toBuffer();
}

/** The answer to data-type negotiation: an empty list, which the client takes as "as you asked". @internal */
export function dataTypesAnswer(): Buffer {
  return Buffer.from([MSG.DATA_TYPES, 0, 0]);
}

/** A PARAMETER message of key/value pairs (the session data after a login). @internal */
export function parameterMessage(pairs: ReadonlyArray<readonly [string, string]>): Buffer {
  const w = new TtcWriter().u8(MSG.PARAMETER).ub(pairs.length);
  for (const [k, v] of pairs) w.keyValue(k, v);
  return w.toBuffer();
}

/** The end of a call: its error (0 for none), the cursor it concerns and the rows so far. @internal */
export interface CallEnd {
  /** The ORA number; 0 for success. */
  number: number;
  /** `ORA-nnnnn: text`, without the trailing newline. Only sent with a non-zero number. */
  message?: string | undefined;
  cursorId?: number | undefined;
  rowCount?: number | undefined;
  /** End-of-call status bits; 0x02 would tell the client a transaction is open. */
  callStatus?: number | undefined;
}

/**
 * The ERROR message that ends every call (`messages/base.js` `processErrorInfo`): with number 0 it is a
 * plain end of call; with 1403 after a query it means "no more rows"; any other number reaches the
 * application as `ORA-nnnnn`.
 *
 * @internal
 */
export function errorMessage(end: CallEnd, fieldVersion: number): Buffer {
  const w = new TtcWriter()
    .u8(MSG.ERROR)
    .ub(end.callStatus ?? 0)
    .ub(0) // end-to-end sequence
    .ub(0) // current row
    .ub(end.number <= 0xffff ? end.number : 0)
    .ub(0)
    .ub(0) // array element errors
    .ub(end.cursorId ?? 0)
    .sb(0) // error position
    .raw([0, 0, 0, 0, 0, 0]) // sql type, fatal, flags, cursor options, UPI parameter, warning flag
    .ub(0)
    .ub(0)
    .u8(0)
    .ub(0)
    .ub(0) // rowid
    .ub(0) // OS error
    .u8(0) // statement error
    .u8(0) // call number
    .ub(0) // padding
    .ub(0) // success iterations
    .ub(0) // oerrdd
    .ub(0) // batch error codes
    .ub(0) // batch error offsets
    .ub(0) // batch error messages
    .ub(end.number)
    .ub(end.rowCount ?? 0);
  if (fieldVersion >= FIELD_VERSION.V20_1) w.ub(0).ub(0); // sql type, server checksum
  if (end.number !== 0) w.str(`${end.message ?? `ORA-${String(end.number).padStart(5, '0')}`}\n`);
  return w.toBuffer();
}

/** A STATUS message: the end of a call without error information. @internal */
export function statusMessage(callStatus = 0): Buffer {
  return new TtcWriter().u8(MSG.STATUS).ub(callStatus).ub(0).toBuffer();
}

/** One column of a result, as the emulator describes it. @internal */
export interface Column {
  /** The column name as the client shows it (`USER`, `1`, an alias). */
  name: string;
  type: 'varchar' | 'char' | 'number';
  /** The byte length of a VARCHAR2/CHAR column, 1..4000. NUMBER columns are 22 bytes. */
  size?: number | undefined;
}

/** A value of a row: text for VARCHAR2/CHAR, a number or decimal string for NUMBER, or null. @internal */
export type Value = string | number | null;

/**
 * The DESCRIBE_INFO message of a query's columns (`processDescribeInfo`, `processColumnInfo`), with the
 * per-column fields that `fieldVersion` adds. NUMBER columns are described as Oracle describes an
 * expression: precision 0, scale -127.
 *
 * @internal
 */
export function describeMessage(columns: readonly Column[], fieldVersion: number): Buffer {
  const w = new TtcWriter()
    .u8(MSG.DESCRIBE_INFO)
    .u8(0) // chunked prefix: none
    .ub(columns.reduce((n, c) => n + columnSize(c), 0))
    .ub(columns.length);
  if (columns.length > 0) w.u8(0);
  columns.forEach((c, i) => {
    const size = columnSize(c);
    const text = c.type !== 'number';
    w.u8(c.type === 'number' ? ORA_TYPE.NUMBER : c.type === 'char' ? ORA_TYPE.CHAR : ORA_TYPE.VARCHAR)
      .u8(0) // flags
      .u8(0) // precision
      .u8(text ? 0 : 0x81) // scale
      .ub(size)
      .ub(0) // max array elements
      .ub(0) // cont flags
      .ub(0) // OID
      .ub(0) // version
      .ub(text ? AL32UTF8 : 0)
      .u8(text ? CHARSET_FORM_IMPLICIT : 0)
      .ub(size);
    if (fieldVersion >= FIELD_VERSION.V12_2) w.ub(0); // oaccolid
    const name = Buffer.from(c.name, 'utf8');
    w.u8(1) // nullable
      .u8(0) // v7 name length
      .ub(name.length)
      .bytesWithLength(name)
      .ub(0) // schema
      .ub(0) // type name
      .ub(i + 1) // position
      .ub(0); // UDS flags
    if (fieldVersion >= FIELD_VERSION.V23_1) w.ub(0).ub(0); // domain schema, domain name
    if (fieldVersion >= FIELD_VERSION.V23_1_EXT3) w.ub(0); // annotations
    if (fieldVersion >= FIELD_VERSION.V23_4) w.ub(0).u8(0).u8(0); // vector dimensions, format, flags
  });
  return w
    .ub(0) // current date
    .ub(0)
    .ub(0)
    .ub(0)
    .ub(0) // dcbflag, dcbmdbz, dcbmnpr, dcbmxpr
    .ub(0)
    .toBuffer();
}

function columnSize(c: Column): number {
  if (c.type === 'number') return 22;
  const size = c.size ?? 4000;
  if (!Number.isInteger(size) || size < 1 || size > 4000) throw new WireError(`column ${c.name} has size ${size}, outside 1..4000`);
  return size;
}

/** A ROW_HEADER message with no bit vector: every value of the next row is sent. @internal */
export function rowHeaderMessage(): Buffer {
  return Buffer.from([MSG.ROW_HEADER, 0, 0, 0, 0, 0, 0, 0]);
}

/** A ROW_DATA message: the values in column order, each as bytes with a length. @internal */
export function rowDataMessage(columns: readonly Column[], values: readonly Value[]): Buffer {
  if (values.length !== columns.length) throw new WireError('a row needs one value per column');
  const w = new TtcWriter().u8(MSG.ROW_DATA);
  columns.forEach((c, i) => {
    const v = values[i];
    if (v === null || v === undefined) w.u8(0);
    else if (c.type === 'number') w.bytesWithLength(encodeOracleNumber(v));
    else {
      const b = Buffer.from(String(v), 'utf8');
      if (b.length > columnSize(c)) throw new WireError(`a value of column ${c.name} is longer than the column`);
      w.bytesWithLength(b);
    }
  });
  return w.toBuffer();
}
