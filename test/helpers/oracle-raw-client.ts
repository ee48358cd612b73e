// A bare-bones Oracle Net client over TLS, for the emulator tests no driver can provoke: a client that
// never marks the end of its requests, splits them across packets, pipelines them, sends bytes that are
// no request, or goes silent. It lays out its requests as node-oracledb does (lib/thin/protocol/messages)
// and reads the emulator's answers with the emulator's own wire primitives.
import { sign } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import {
  DATA_FLAG,
  dataPayload,
  decodeOracleNumber,
  MSG,
  packet,
  PACKET,
  readPacket,
  TruncatedError,
  TtcReader,
  TtcWriter,
  type Framing,
  type TnsPacket,
} from '../../src/testing/oracle/wire.js';

/** The emulator's TTC field version: requests carry a token number in their header from 18 on. */
export const FIELD_VERSION = 24;

/** The CONNECT packet of `descriptor` (short framing), and, when the descriptor is over 230 bytes, the descriptor on its own. */
export function connectPacket(descriptor: string): { connect: Buffer; rest: Buffer | undefined } {
  const data = Buffer.from(descriptor, 'latin1');
  const inline = data.length <= 230;
  const body = Buffer.alloc(66 + (inline ? data.length : 0));
  body.writeUInt16BE(319, 0); // version
  body.writeUInt16BE(300, 2); // lowest version
  body.writeUInt16BE(0x0001, 4); // options
  body.writeUInt16BE(8192, 6); // SDU
  body.writeUInt16BE(65535, 8); // TDU
  body.writeUInt16BE(0x130e, 10); // NT characteristics
  body.writeUInt16BE(1, 14); // "one"
  body.writeUInt16BE(data.length, 16);
  body.writeUInt16BE(74, 18); // where the descriptor starts
  body[24] = 0x08; // NA flags: no services
  body[25] = 0x08;
  body.writeUInt32BE(8192, 50); // large SDU
  body.writeUInt32BE(2097152, 54); // large TDU
  if (inline) data.copy(body, 66);
  return { connect: packet(PACKET.CONNECT, body, 'short'), rest: inline ? undefined : data };
}

/** A DATA packet around `payload`; `framing` is short only before the ACCEPT. */
export function dataPacket(payload: Buffer, flags = 0, framing: Framing = 'long'): Buffer {
  const body = Buffer.alloc(2 + payload.length);
  body.writeUInt16BE(flags, 0);
  payload.copy(body, 2);
  return packet(PACKET.DATA, body, framing);
}

export function protocolRequest(): Buffer {
  return Buffer.concat([Buffer.from([MSG.PROTOCOL, 6, 0]), Buffer.from('raw-client\0', 'latin1')]);
}

/** Data-type negotiation: charsets, compile and runtime capabilities, and a short list of types. */
export function dataTypesRequest(): Buffer {
  const compileCaps = Buffer.alloc(53);
  compileCaps[0] = 6;
  compileCaps[7] = FIELD_VERSION;
  const w = new TtcWriter().u8(MSG.DATA_TYPES).u16le(873).u16le(873).u8(3).bytesWithLength(compileCaps).bytesWithLength(Buffer.alloc(7));
  for (const type of [1, 2, 96]) w.u16be(type).u16be(type).u16be(1).u16be(0);
  return w.u16be(0).toBuffer();
}

/** A function header: message type, function code, sequence number, and the token number of field version 18 on. */
function header(w: TtcWriter, fn: number, seq: number, fieldVersion: number): TtcWriter {
  w.u8(MSG.FUNCTION).u8(fn).u8(seq);
  return fieldVersion >= 18 ? w.ub(0) : w;
}

/**
 * Auth phase two for a db-token with its private key: the pairs node-oracledb sends, less those
 * `leaveOut` names, with AUTH_HEADER signed as the driver signs it. `peer` is the server as the client
 * sees it (`ip:port`).
 */
export function authRequest(o: { token: string; privateKey: string; service: string; peer: string; leaveOut?: readonly string[]; seq?: number }): Buffer {
  const authHeader = `date: ${new Date().toUTCString()}\n(request-target): ${o.service}\nhost: ${o.peer}`;
  const pairs: [string, string, number][] = [
    ['AUTH_TERMINAL', 'unknown', 0],
    ['AUTH_PROGRAM_NM', 'raw-client', 0],
    ['AUTH_MACHINE', 'raw-machine', 0],
    ['AUTH_PID', '1', 0],
    ['AUTH_SID', 'raw-os-user', 0],
    ['AUTH_TOKEN', o.token, 0],
    ['SESSION_CLIENT_CHARSET', '873', 0],
    ['SESSION_CLIENT_DRIVER_NAME', 'raw-client : 1.0 thn', 0],
    ['AUTH_HEADER', authHeader, 0],
    ['AUTH_SIGNATURE', sign('sha256', Buffer.from(authHeader), o.privateKey).toString('base64'), 0],
  ];
  const sent = pairs.filter(([k]) => !(o.leaveOut ?? []).includes(k));
  const w = header(new TtcWriter(), 115, o.seq ?? 1, FIELD_VERSION).u8(0).ub(0).ub(0x20000001).u8(1).ub(sent.length).u8(1).u8(1);
  for (const [k, v, flags] of sent) w.keyValue(k, v, flags);
  return w.toBuffer();
}

/** One bind's type (an Oracle type number) and whether it is a PL/SQL array. */
export interface RawBind {
  type: number;
  array?: boolean;
}

/**
 * A full execute of `sql` as node-oracledb writes it (`messages/execute.js`), with bind metadata and
 * `rows` of raw bind values (each a ROW_DATA message, given as hex).
 */
export function executeRequest(o: { sql: string; query: boolean; seq?: number; fieldVersion?: number; execs?: number; binds?: readonly RawBind[]; rows?: readonly string[] }): Buffer {
  const fieldVersion = o.fieldVersion ?? FIELD_VERSION;
  const binds = o.binds ?? [];
  const w = header(new TtcWriter(), 94, o.seq ?? 2, fieldVersion);
  w.ub(o.query ? 0x8061 : 0x8021).ub(0).u8(1).ub(Buffer.byteLength(o.sql)).u8(1).ub(13).u8(0).u8(0).u8(0);
  w.ub(o.query ? 2 : 0).ub(0x7fffffff).u8(binds.length > 0 ? 1 : 0).ub(binds.length).raw([0, 0, 0, 0, 0]).u8(0).ub(0).ub(0);
  w.u8(0).u8(1).u8(0).ub(0).u8(0).ub(0).ub(0).u8(0).ub(0).u8(0);
  if (fieldVersion >= 8) w.u8(0).ub(0).u8(0).ub(0).u8(0);
  if (fieldVersion >= 9) w.u8(0).ub(0);
  w.str(o.sql);
  for (const v of [1, o.query ? 0 : (o.execs ?? 1), 0, 0, 0, 0, 0, o.query ? 1 : 0, 0, 0, 0, 0, 0]) w.ub(v);
  for (const b of binds) {
    const text = b.type !== 2 && b.type !== 113 && b.type !== 102;
    w.u8(b.type).u8(b.array ? 0x41 : 0x01).u8(0).u8(0).ub(4000).ub(b.array ? 10 : 0).ub(0).ub(0).ub(0).ub(text ? 873 : 0).u8(text ? 1 : 0).ub(0);
    if (fieldVersion >= 8) w.ub(0);
  }
  for (const row of o.rows ?? []) w.raw(Buffer.from(row.replace(/\s+/g, ''), 'hex'));
  return w.toBuffer();
}

/** A call with no arguments: ping (147), commit (14), rollback (15), logoff (9). */
export function bareCall(fn: number, seq: number): Buffer {
  return header(new TtcWriter(), fn, seq, FIELD_VERSION).toBuffer();
}

/** What an answer held: its rows (strings, decimal strings for NUMBER, null), session parameters, and its end-of-call error number. */
export interface Answer {
  kind: 'protocol' | 'data-types' | 'call';
  parameters: Map<string, string>;
  columns: string[];
  rows: (string | null)[][];
  errorNum: number;
  message: string | undefined;
  /** The answer ended with an END_OF_REQUEST message. */
  endOfRequest: boolean;
}

/** Reads one answer of the emulator (at {@link FIELD_VERSION}); throws {@link TruncatedError} while it has not all arrived. */
export function decodeAnswer(payload: Buffer, endOfRequestMode = false): Answer & { end: number } {
  const r = new TtcReader(payload);
  const out: Answer = { kind: 'call', parameters: new Map(), columns: [], rows: [], errorNum: 0, message: undefined, endOfRequest: false };
  const types: number[] = [];
  const first = payload[0];
  if (first === MSG.PROTOCOL || first === MSG.DATA_TYPES) {
    // The emulator sends these alone; they end their answer in either mode.
    return { ...out, kind: first === MSG.PROTOCOL ? 'protocol' : 'data-types', end: payload.length };
  }
  for (;;) {
    const type = r.u8('the message type');
    if (type === MSG.PARAMETER) {
      const n = r.ub2();
      for (let i = 0; i < n; i++) {
        const kv = r.keyValue();
        out.parameters.set(kv.key, kv.value);
      }
    } else if (type === MSG.DESCRIBE_INFO) {
      r.u8();
      r.ub4();
      const n = r.ub4();
      if (n > 0) r.u8();
      for (let i = 0; i < n; i++) {
        types.push(r.u8());
        r.bytes(3);
        r.ub4();
        r.ub4();
        r.ub8();
        r.ub4();
        r.ub2();
        r.ub2();
        r.u8();
        r.ub4();
        r.ub4(); // oaccolid
        r.bytes(2);
        r.ub4();
        out.columns.push(r.str() ?? '');
        r.ub4();
        r.ub4();
        r.ub2();
        r.ub4();
        r.ub4(); // domain
        r.ub4();
        r.ub4(); // annotations
        r.ub4(); // vector
        r.bytes(2);
      }
      for (let i = 0; i < 6; i++) r.ub4();
    } else if (type === MSG.ROW_HEADER) {
      r.u8();
      r.ub2();
      r.ub4();
      r.ub4();
      r.ub2();
      if (r.ub4() > 0) r.bytesWithLength();
      if (r.ub4() > 0) r.bytesWithLength();
    } else if (type === MSG.ROW_DATA) {
      out.rows.push(types.map((t) => {
        const b = r.bytesWithLength();
        return b === null ? null : t === 2 ? decodeOracleNumber(b) : b.toString('utf8');
      }));
    } else if (type === MSG.ERROR) {
      r.ub4();
      r.ub2();
      r.ub4();
      r.ub2();
      r.ub2();
      r.ub2();
      r.ub2();
      r.ub2();
      r.bytes(6);
      r.ub4();
      r.ub2();
      r.u8();
      r.ub4();
      r.ub2();
      r.ub4();
      r.bytes(2);
      r.ub2();
      r.ub4();
      r.ub4();
      r.ub2();
      r.ub4();
      r.ub2();
      out.errorNum = r.ub4();
      r.ub8();
      r.ub4();
      r.ub4();
      if (out.errorNum !== 0) out.message = (r.str() ?? '').trim();
      if (!endOfRequestMode) break;
    } else if (type === MSG.STATUS) {
      r.ub4();
      r.ub2();
      if (!endOfRequestMode) break;
    } else if (type === MSG.END_OF_REQUEST) {
      out.endOfRequest = true;
      break;
    } else {
      throw new Error(`message type ${type} in an answer`);
    }
  }
  return { ...out, end: r.pos };
}

/** A TLS connection to the emulator that trusts its CA and checks the certificate names `localhost`. */
export class RawClient {
  /** Every DATA packet's flags, in the order they arrived. */
  readonly dataFlags: number[] = [];
  /** Resolves when the connection closes, whoever closed it. */
  readonly closed: Promise<void>;
  framing: Framing = 'short';
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private answers = Buffer.alloc(0);
  private ended = false;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static open(port: number, ca: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next packet the emulator sends. */
  async packet(): Promise<TnsPacket> {
    for (;;) {
      const read = readPacket(this.buffer, 0, this.framing);
      if (read) {
        this.buffer = this.buffer.subarray(read.end);
        const copy = Buffer.from(read.packet.bytes);
        return { type: copy[4]!, flags: copy[5]!, bytes: copy };
      }
      if (this.ended) throw new Error('the emulator closed the connection');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Sends a CONNECT (and the descriptor after it when it is long) and returns the ACCEPT or REFUSE. */
  async connect(descriptor: string, split = 1): Promise<TnsPacket> {
    const { connect: c, rest } = connectPacket(descriptor);
    this.write(c);
    if (rest) {
      const size = Math.ceil(rest.length / split);
      for (let at = 0; at < rest.length; at += size) this.write(dataPacket(rest.subarray(at, at + size), 0, 'short'));
    }
    const answer = await this.packet();
    if (answer.type === PACKET.ACCEPT) this.framing = 'long';
    return answer;
  }

  /** The next whole answer, however many DATA packets it spans. */
  async answer(endOfRequestMode = false): Promise<Answer> {
    for (;;) {
      if (this.answers.length > 0) {
        try {
          const a = decodeAnswer(this.answers, endOfRequestMode);
          this.answers = this.answers.subarray(a.end);
          return a;
        } catch (err) {
          if (!(err instanceof TruncatedError)) throw err;
        }
      }
      const p = await this.packet();
      if (p.type !== PACKET.DATA) throw new Error(`a packet of type ${p.type} in an answer`);
      const { dataFlags, payload } = dataPayload(p);
      this.dataFlags.push(dataFlags);
      this.answers = Buffer.concat([this.answers, payload]);
    }
  }

  /** Sends `payload` as one DATA packet (no END_OF_REQUEST unless asked) and returns the answer. */
  async call(payload: Buffer, flags = 0): Promise<Answer> {
    this.write(dataPacket(payload, flags));
    return this.answer();
  }

  /** CONNECT, negotiation and login, none of it marked END_OF_REQUEST. */
  async login(o: { descriptor: string; token: string; privateKey: string; service: string; leaveOut?: readonly string[] }): Promise<Answer> {
    const accept = await this.connect(o.descriptor);
    if (accept.type !== PACKET.ACCEPT) throw new Error(`the CONNECT got a packet of type ${accept.type}`);
    await this.call(protocolRequest());
    await this.call(dataTypesRequest());
    return this.call(authRequest({ ...o, peer: `${this.socket.remoteAddress}:${this.socket.remotePort}` }));
  }

  close(): void {
    this.socket.destroy();
  }
}

export { DATA_FLAG };
