/**
 * Internal: the Oracle Net (TNS) packets and the TTC messages that node-oracledb's thin driver exchanges
 * with a database, as pure functions: framing, the CONNECT/ACCEPT/REFUSE/DATA/MARKER packets, the
 * variable-length integers and byte strings of TTC, Oracle NUMBER, the client's requests (protocol and
 * data-type negotiation, auth phase two, execute, re-execute, fetch, the bare calls, close-cursor
 * piggybacks) and the server's answers. No sockets, no crypto and no session state: those are the
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
 * `payload` as DATA packets (long framing) of at most `sdu` bytes each; every packet gets `dataFlags`.
 * The client stitches packets back together, so a message may span them.
 *
 * @internal
 */
export function dataPackets(payload: Buffer, sdu: number, dataFlags = 0): Buffer {
  const room = Math.max(1, sdu - 10);
  const out: Buffer[] = [];
  let at = 0;
  do {
    const part = payload.subarray(at, at + room);
    const body = Buffer.alloc(2 + part.length);
    body.writeUInt16BE(dataFlags, 0);
    part.copy(body, 2);
    out.push(packet(PACKET.DATA, body, 'long'));
    at += part.length;
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

/**
 * The ACCEPT packet (short framing). Version 319 with SDU/TDU echoed back; NA flags "disabled for this
 * connection, no services", so the client skips native network encryption (the session is TLS);
 * compression off; no fast-auth or end-of-request flags, so each request gets its own round trip and a
 * response ends at ERROR or STATUS.
 *
 * @internal
 */
export function acceptPacket(o: { version: number; sdu: number; tdu: number }): Buffer {
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
  body.writeUInt32BE(0, 33); // flags2
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
    if (this.remaining < n) throw new WireError(`the message ends inside ${what}`);
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

/** A piggyback message sent ahead of a function; the server answers none of them. @internal */
export type Piggyback = { fn: typeof FN.CLOSE_CURSORS; seq: number; cursors: number[] } | { fn: typeof FN.SET_SCHEMA; seq: number; schema: string } | { fn: number; seq: number; skipped: true };

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

const KNOWN_FUNCTIONS = new Set<number>([FN.REEXECUTE, FN.FETCH, FN.LOGOFF, FN.COMMIT, FN.ROLLBACK, FN.EXECUTE, FN.REEXECUTE_AND_FETCH, FN.AUTH_PHASE_TWO, FN.AUTH_PHASE_ONE, FN.PING]);

/**
 * Reads one request (the payload of a DATA packet, or of several stitched together). `fieldVersion` is the
 * negotiated TTC field version: from 18 on, every function and piggyback header carries a UB8 token number.
 * Throws {@link WireError} on a message it cannot read.
 *
 * @internal
 */
export function parseRequest(payload: Buffer, fieldVersion: number): TtcRequest {
  const r = new TtcReader(payload);
  const type = r.u8('the message type');
  if (type === MSG.PROTOCOL) {
    const version = r.u8('the protocol version');
    r.u8('the protocol array terminator');
    const end = payload.indexOf(0, r.pos);
    const driver = payload.toString('utf8', r.pos, end < 0 ? payload.length : end);
    return { kind: 'protocol', version, driver };
  }
  if (type === MSG.DATA_TYPES) {
    return { kind: 'data-types', charset: r.u16le('the charset'), ncharset: r.u16le('the national charset') };
  }
  if (type !== MSG.FUNCTION && type !== MSG.PIGGYBACK) throw new WireError(`TTC message type ${type} is not a request`);
  r.pos = 0;
  const piggybacks: Piggyback[] = [];
  while (payload[r.pos] === MSG.PIGGYBACK) piggybacks.push(readPiggyback(r, payload, fieldVersion));
  if (r.u8('the message type') !== MSG.FUNCTION) throw new WireError('a piggyback is not followed by a function');
  const fn = r.u8('the function code');
  const seq = r.u8('the sequence number');
  if (fieldVersion >= FIELD_VERSION.V23_1_EXT1) r.ub8('the token number');
  return { kind: 'function', seq, piggybacks, call: readCall(r, fn, fieldVersion) };
}

function readPiggyback(r: TtcReader, payload: Buffer, fieldVersion: number): Piggyback {
  const start = r.pos;
  r.u8();
  const fn = r.u8('the piggyback function');
  const seq = r.u8('the piggyback sequence number');
  if (fieldVersion >= FIELD_VERSION.V23_1_EXT1) r.ub8('the token number');
  if (fn === FN.CLOSE_CURSORS) {
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
  // Other piggybacks (end-to-end attributes, LOB frees, …) vary by driver version and carry nothing the
  // emulator needs: resume at the function that follows, whose sequence number is this one's plus one.
  // Another piggyback may come first; it takes the next sequence number in turn.
  const next = (seq + 1) % 256;
  for (let at = r.pos; at + 2 < payload.length; at++) {
    const type = payload[at];
    const follows = type === MSG.PIGGYBACK || (type === MSG.FUNCTION && KNOWN_FUNCTIONS.has(payload[at + 1]!));
    if (follows && payload[at + 2] === next) {
      r.pos = at;
      return { fn, seq, skipped: true };
    }
  }
  r.pos = start;
  throw new WireError(`piggyback function ${fn} is not followed by a function the emulator knows`);
}

function readCall(r: TtcReader, fn: number, fieldVersion: number): FunctionRequest['call'] {
  switch (fn) {
    case FN.AUTH_PHASE_TWO:
    case FN.AUTH_PHASE_ONE:
      return readAuth(r, fn);
    case FN.EXECUTE:
      return readExecute(r, fieldVersion);
    case FN.REEXECUTE:
    case FN.REEXECUTE_AND_FETCH:
      return { fn, cursorId: r.ub4('the cursor id'), rows: r.ub4('the iterations'), flags1: r.ub4('the execute flags'), flags2: r.ub4('the execute flags') };
    case FN.FETCH:
      return { fn, cursorId: r.ub4('the cursor id'), rows: r.ub4('the rows wanted') };
    default:
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

function readExecute(r: TtcReader, fieldVersion: number): ExecuteCall {
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
  r.u8('the defines pointer');
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
  for (let i = 0; i < al8i4Length; i++) r.ub4('an al8i4 entry');
  return { fn: FN.EXECUTE, options, cursorId, sql, rows, binds, defines };
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
