import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptPacket,
  connectClient,
  connectDataValue,
  dataPackets,
  dataPayload,
  dataTypesAnswer,
  decodeOracleNumber,
  describeMessage,
  encodeOracleNumber,
  errorMessage,
  FN,
  markerData,
  markerPacket,
  packet,
  PACKET,
  parameterMessage,
  parseConnect,
  protocolAnswer,
  readPacket,
  readRequest,
  refusePacket,
  rowDataMessage,
  rowHeaderMessage,
  statusMessage,
  TtcReader,
  TruncatedError,
  TtcWriter,
  WireError,
  type AuthCall,
  type ExecuteCall,
  type FunctionRequest,
  type ReexecuteCall,
  type TnsPacket,
  type TtcRequest,
} from '../../../src/testing/oracle/wire.js';
import { executeRequest, type RawBind } from '../../helpers/oracle-raw-client.js';

/** The request at the start of `payload` as the server reads it (no END_OF_REQUEST mark): whole, or why not, thrown. */
function parseRequest(payload: Buffer, fieldVersion: number): TtcRequest {
  const read = readRequest(payload, fieldVersion);
  if (read.status === 'complete') return read.request;
  throw read.status === 'partial' ? new TruncatedError(read.missing) : new WireError(read.problem);
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]+/g, ''), 'hex');

/** One client packet of a capture: its bytes, and the capture's own notes on what it held. */
interface Captured {
  type: number;
  dataFlags: number | undefined;
  bytes: Buffer;
  notes: string[];
}

/** Reads a capture of test/fixtures/oracle: `<- type T flags F len L [dataflags 0xD]`, hex lines, notes. */
function capture(name: string): Captured[] {
  const text = readFileSync(new URL(`../../fixtures/oracle/${name}.txt`, import.meta.url), 'utf8');
  const out: (Captured & { length: number; hex: string })[] = [];
  for (const line of text.split('\n')) {
    const head = /^<- type (\d+) flags \d+ len (\d+)(?: dataflags 0x([0-9a-f]+))?$/.exec(line);
    if (head) {
      out.push({ type: Number(head[1]), length: Number(head[2]), dataFlags: head[3] ? parseInt(head[3], 16) : undefined, bytes: Buffer.alloc(0), hex: '', notes: [] });
      continue;
    }
    const last = out.at(-1);
    if (!last) continue;
    if (/^[0-9a-f]+$/.test(line)) last.hex += line;
    else if (line.startsWith('  ')) last.notes.push(line.trim());
  }
  return out.map((c) => {
    const bytes = Buffer.from(c.hex, 'hex');
    expect(bytes.length, `a packet of ${name} is whole`).toBe(c.length);
    return { type: c.type, dataFlags: c.dataFlags, bytes, notes: c.notes };
  });
}

const VERSIONS = [
  ['6', '6.10.0', '111149056'],
  ['7', '7.0.1', '117444608'],
  ['26', '26.0.0', '436207616'],
] as const;
const CAPTURED_FIELD_VERSION = 13;

/** The packet, re-read through readPacket with the framing the client used for it. */
function framed(c: Captured, framing: 'short' | 'long'): TnsPacket {
  const read = readPacket(c.bytes, 0, framing);
  expect(read?.end).toBe(c.bytes.length);
  return read!.packet;
}

function request(c: Captured): FunctionRequest {
  const { dataFlags, payload } = dataPayload(framed(c, 'long'));
  expect(dataFlags).toBe(c.dataFlags);
  const r = parseRequest(payload, CAPTURED_FIELD_VERSION);
  expect(r.kind).toBe('function');
  return r as FunctionRequest;
}

describe.each(VERSIONS)('captured node-oracledb %s traffic decodes as the client meant it', (v, driverVersion, clientVersion) => {
  const login = capture(`login-and-queries-oracledb-${v}`);

  it('CONNECT: TNS 319, SDU 8192, large TDU 2 MiB, NA "no services", and the service name in the descriptor', () => {
    const c = parseConnect(framed(login[0]!, 'short'));
    expect(c).toMatchObject({ version: 319, minVersion: 300, sdu: 8192, tdu: 65535, largeSdu: 8192, largeTdu: 2097152, naFlags: 0x08 });
    expect(c.connectData).toHaveLength(c.connectDataLength);
    expect(connectDataValue(c.connectData!, 'SERVICE_NAME')).toBe('emupdb');
    expect(connectDataValue(c.connectData!, 'program')).toBe('node');
    expect(login[0]!.notes[0]).toContain(`cdata=${c.connectData}`);
  });

  it('protocol, then data-type negotiation, each one request ending its packet run (0x0800)', () => {
    expect(parseRequest(dataPayload(framed(login[1]!, 'long')).payload, CAPTURED_FIELD_VERSION)).toEqual({ kind: 'protocol', version: 6, driver: 'node-oracledb' });
    expect(parseRequest(dataPayload(framed(login[2]!, 'long')).payload, CAPTURED_FIELD_VERSION)).toEqual({ kind: 'data-types', charset: 873, ncharset: 873 });
    expect(login.slice(1, -1).every((c) => c.dataFlags === 0x0800)).toBe(true);
  });

  it('auth phase two: no user, LOGON | IAM_TOKEN, and the twelve pairs the capture listed, in order', () => {
    const r = request(login[3]!);
    const auth = r.call as AuthCall;
    expect(r.seq).toBe(1);
    expect(auth).toMatchObject({ fn: FN.AUTH_PHASE_TWO, user: '', mode: 0x20000001 });
    const listed = login[3]!.notes
      .map((n) => /^(\w+) \(flag (\d)\) = (".*")$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ key: m[1], flags: Number(m[2]), value: m[3]!.endsWith('[344]"') ? undefined : JSON.parse(m[3]!) }));
    expect(auth.pairs.map((p) => p.key)).toEqual(listed.map((p) => p.key));
    for (const [i, p] of listed.entries()) {
      expect(auth.pairs[i]!.flags).toBe(p.flags);
      if (p.value !== undefined) expect(auth.pairs[i]!.value).toBe(p.value);
    }
    const byKey = new Map(auth.pairs.map((p) => [p.key, p.value]));
    expect(byKey.get('SESSION_CLIENT_DRIVER_NAME')).toBe(`node-oracledb : ${driverVersion} thn`);
    expect(byKey.get('SESSION_CLIENT_VERSION')).toBe(clientVersion);
    expect(byKey.get('AUTH_HEADER')).toMatch(/^date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\n\(request-target\): emupdb\nhost: 127\.0\.0\.1:\d+$/);
    // The signature (344 base64 characters) is long enough to use the chunked form.
    expect(byKey.get('AUTH_SIGNATURE')).toMatch(/^[A-Za-z0-9+/]{342}==$/);
  });

  it('every execute, re-execute and bare call decodes to what the capture noted', () => {
    let calls = 0;
    for (const c of login.slice(4, -1)) {
      const r = request(c);
      const fnNote = c.notes.find((n) => n.startsWith('-> FUNCTION'))!;
      const [, fn, seq] = /FUNCTION (\d+) seq (\d+)/.exec(fnNote)!;
      expect(r.call.fn).toBe(Number(fn));
      expect(r.seq).toBe(Number(seq));
      const exec = c.notes.map((n) => /^EXECUTE options=0x([0-9a-f]+) cursor=(\d+) sqlLen=\d+ iters=(\d+) binds=(\d+) defines=(\d+) sql=(".*") al8i4/.exec(n)).find(Boolean);
      if (exec) {
        expect(r.call as ExecuteCall).toEqual({
          fn: FN.EXECUTE,
          options: parseInt(exec[1]!, 16),
          cursorId: Number(exec[2]),
          rows: Number(exec[3]),
          binds: Number(exec[4]),
          defines: Number(exec[5]),
          sql: JSON.parse(exec[6]!),
        });
      }
      const reexec = c.notes.map((n) => /^REEXECUTE\(78\) cursor=(\d+) iters=(\d+) flags=(\d+),(\d+)$/.exec(n)).find(Boolean);
      if (reexec) {
        expect(r.call as ReexecuteCall).toEqual({ fn: FN.REEXECUTE_AND_FETCH, cursorId: Number(reexec[1]), rows: Number(reexec[2]), flags1: Number(reexec[3]), flags2: Number(reexec[4]) });
      }
      const closed = c.notes.map((n) => /^-> piggyback CLOSE_CURSORS \[([\d,]+)\]$/.exec(n)).find(Boolean);
      expect(r.piggybacks).toEqual(closed ? [{ fn: FN.CLOSE_CURSORS, seq: r.seq - 1, cursors: closed[1]!.split(',').map(Number) }] : []);
      calls++;
    }
    expect(calls).toBe(v === '26' ? 11 : 10);
  });

  it('each request is whole by its layout alone: every shorter prefix is partial, the whole complete, flag or not', () => {
    for (const c of login.slice(1, -1)) {
      const { payload } = dataPayload(framed(c, 'long'));
      for (let n = 0; n < payload.length; n++) expect(readRequest(payload.subarray(0, n), CAPTURED_FIELD_VERSION).status, `${n} of ${payload.length} bytes`).toBe('partial');
      expect(readRequest(payload, CAPTURED_FIELD_VERSION)).toMatchObject({ status: 'complete', end: payload.length });
      // Declared ended one byte early, it is a request that cannot be read.
      expect(readRequest(payload.subarray(0, -1), CAPTURED_FIELD_VERSION, { endMarked: true }).status).toBe('partial');
    }
  });

  it('the last packet is the payload-less EOF DATA packet', () => {
    const eof = dataPayload(framed(login.at(-1)!, 'long'));
    expect(eof).toEqual({ dataFlags: 0x0040, payload: Buffer.alloc(0) });
  });

  it('a pool: a login, a query, a ping before reuse, a re-execute and a logoff', () => {
    const pool = capture(`pool-oracledb-${v}`);
    const fns = pool.slice(3, -1).map((c) => request(c).call.fn);
    expect(fns).toEqual(v === '26' ? [115, 94, 94, 147, 78, 9] : [115, 94, 147, 78, 9]);
  });
});

it('26.0 without TZ_EX asks for DBTIMEZONE itself, without the fetch option and with no prefetch', () => {
  const login = capture('login-and-queries-oracledb-26');
  expect(request(login[4]!).call).toEqual({ fn: FN.EXECUTE, options: 0x8021, cursorId: 0, rows: 0, binds: 0, defines: 0, sql: 'SELECT DBTIMEZONE FROM DUAL' });
});

describe('TNS framing', () => {
  it('reads a short-framed packet, a long-framed one, and waits for the rest of either', () => {
    const short = packet(PACKET.ACCEPT, Buffer.from([1, 2]), 'short');
    expect(short).toEqual(hex('000a 0000 02 00 0000 0102'));
    expect(readPacket(short, 0, 'short')).toEqual({ packet: { type: 2, flags: 0, bytes: short }, end: 10 });
    const long = packet(PACKET.DATA, Buffer.from([0, 0, 9]), 'long', 0x20);
    expect(long).toEqual(hex('0000000b 06 20 0000 0000 09'));
    const two = Buffer.concat([long, long]);
    expect(readPacket(two, 11, 'long')?.end).toBe(22);
    expect(readPacket(long.subarray(0, 10), 0, 'long')).toBeUndefined();
    expect(readPacket(long.subarray(0, 5), 0, 'long')).toBeUndefined();
  });

  it('refuses a length that cannot be a packet', () => {
    expect(() => readPacket(hex('0004 0000 06 00 0000'), 0, 'short')).toThrow(WireError);
    expect(() => readPacket(hex('7fffffff 06 00 0000'), 0, 'long')).toThrow(WireError);
  });

  it('ACCEPT: version 319, SDU/TDU in both places, NA "disabled, no services", no compression, no flags2', () => {
    expect(acceptPacket({ version: 319, sdu: 8192, tdu: 2097152 })).toEqual(
      hex('002d 0000 02 00 0000 | 013f 0001 2000 ffff 0100 0000 002d 04 08 0000 0000 0000 0000 | 00002000 00200000 00 00000000'),
    );
    // Announcing end-of-request support is flags2 0x02000000 and nothing else.
    expect(acceptPacket({ version: 319, sdu: 8192, tdu: 2097152, endOfRequest: true })).toEqual(
      hex('002d 0000 02 00 0000 | 013f 0001 2000 ffff 0100 0000 002d 04 08 0000 0000 0000 0000 | 00002000 00200000 00 02000000'),
    );
    expect(() => acceptPacket({ version: 314, sdu: 8192, tdu: 8192 })).toThrow(WireError);
  });

  it('REFUSE carries (ERR=<code>) where the client looks for it', () => {
    const p = refusePacket(12514);
    const r = readPacket(p, 0, 'short')!.packet;
    expect(r.type).toBe(PACKET.REFUSE);
    const length = p.readUInt16BE(10);
    expect(p.toString('latin1', 12, 12 + length)).toMatch(/^\(DESCRIPTION=.*\(ERR=12514\)/);
    expect(12 + length).toBe(p.length);
  });

  it('splits a long answer into DATA packets no larger than the SDU, and MARKER carries one data byte', () => {
    const payload = Buffer.alloc(10_000, 7);
    const out = dataPackets(payload, 4096);
    const parts: Buffer[] = [];
    for (let at = 0; at < out.length; ) {
      const r = readPacket(out, at, 'long')!;
      expect(r.packet.bytes.length).toBeLessThanOrEqual(4096);
      parts.push(dataPayload(r.packet).payload);
      at = r.end;
    }
    expect(parts).toHaveLength(3);
    expect(Buffer.concat(parts)).toEqual(payload);
    expect(dataPackets(Buffer.alloc(0), 8192)).toEqual(hex('0000000a 06 00 0000 0000'));
    // The last packet alone may carry other flags (END_OF_RESPONSE).
    const flagged = dataPackets(payload, 4096, 0, 0x2000);
    const flags: number[] = [];
    for (let at = 0; at < flagged.length; ) {
      const r = readPacket(flagged, at, 'long')!;
      flags.push(dataPayload(r.packet).dataFlags);
      at = r.end;
    }
    expect(flags).toEqual([0, 0, 0x2000]);
    const reset = markerPacket(2);
    expect(reset).toEqual(hex('0000000b 0c 00 0000 01 00 02'));
    expect(markerData(readPacket(reset, 0, 'long')!.packet)).toBe(2);
  });
});

describe('TTC integers and byte strings', () => {
  it.each([
    [0, '00'],
    [1, '01 01'],
    [255, '01 ff'],
    [1403, '02 05 7b'],
    [0x8061, '02 80 61'],
    [0x10000, '04 00 01 00 00'],
    [0x20000001, '04 20 00 00 01'],
    [2 ** 32, '08 00 00 00 01 00 00 00 00'],
  ])('%i is written as %s', (n, bytes) => {
    expect(new TtcWriter().ub(n).toBuffer()).toEqual(hex(bytes));
  });

  it('unsigned integers read back for every width they fit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const r = new TtcReader(new TtcWriter().ub(n).toBuffer());
        expect(r.ub4()).toBe(n);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('signed: the length byte marks the sign', () => {
    expect(new TtcWriter().sb(-5).toBuffer()).toEqual(hex('81 05'));
    expect(() => new TtcReader(hex('81 05')).ub2()).toThrow(/negative/);
    expect(() => new TtcReader(hex('04 00 00 00 01')).ub2()).toThrow(/at most 2/);
  });

  it('byte strings: short up to 252 bytes, chunked beyond, NULL as 0 or 255', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 140_000 }), (bytes) => {
        const b = Buffer.from(bytes);
        const w = new TtcWriter().bytesWithLength(b).toBuffer();
        expect(w[0]).toBe(b.length <= 252 ? b.length : 0xfe);
        const r = new TtcReader(w);
        expect(r.bytesWithLength()).toEqual(b);
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 30 },
    );
    expect(new TtcReader(hex('ff')).bytesWithLength()).toBeNull();
    expect(new TtcWriter().str(null).toBuffer()).toEqual(hex('00'));
    expect(() => new TtcReader(hex('05 6162')).str()).toThrow(WireError);
  });

  it('a key/value pair: lengths, bytes, and flags', () => {
    const b = new TtcWriter().keyValue('AUTH_VERSION_NO', '387584000').toBuffer();
    expect(new TtcReader(b).keyValue()).toEqual({ key: 'AUTH_VERSION_NO', value: '387584000', flags: 0 });
    expect(new TtcReader(new TtcWriter().keyValue('K', '', 1).toBuffer()).keyValue()).toEqual({ key: 'K', value: '', flags: 1 });
  });
});

describe('Oracle NUMBER', () => {
  it.each([
    ['0', '80'],
    ['1', 'c1 02'],
    ['100', 'c2 02'],
    ['12.5', 'c1 0d 33'],
    ['0.05', 'c0 06'],
    ['-1', '3e 64 66'],
    ['-12.5', '3e 59 33 66'],
    ['123456789', 'c5 02 18 2e 44 5a'],
  ])('%s is %s', (n, bytes) => {
    expect(encodeOracleNumber(n)).toEqual(hex(bytes));
    expect(decodeOracleNumber(hex(bytes))).toBe(n);
  });

  it('any decimal of up to 38 digits reads back as the same value', () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^[1-9]\d{0,18}$/), fc.stringMatching(/^\d{0,18}$/))
      .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac.replace(/0+$/, '') ? `.${frac.replace(/0+$/, '')}` : ''}`);
    fc.assert(fc.property(decimal, (d) => decodeOracleNumber(encodeOracleNumber(d)) === d));
    fc.assert(fc.property(fc.integer(), (i) => decodeOracleNumber(encodeOracleNumber(i)) === String(i)));
  });

  it('refuses what is not a plain decimal', () => {
    for (const bad of ['1e5', 'abc', '', NaN, Infinity]) expect(() => encodeOracleNumber(bad as string)).toThrow(WireError);
  });
});

describe('server answers', () => {
  const FV = 24;

  it('protocol: banner, AL32UTF8, AL16UTF16 where the client reads it, and the field version at compile caps[7]', () => {
    const b = protocolAnswer({ banner: 'x86_64/Linux 2.4.xx', fieldVersion: FV });
    const r = new TtcReader(b);
    expect([r.u8(), r.u8(), r.u8()]).toEqual([1, 6, 0]);
    const nul = b.indexOf(0, 3);
    expect(b.toString('latin1', 3, nul)).toBe('x86_64/Linux 2.4.xx');
    r.pos = nul + 1;
    expect(r.u16le()).toBe(873);
    expect([r.u8(), r.u16le()]).toEqual([0, 0]);
    const fdo = r.bytes(r.u16be());
    const ix = 6 + fdo[5]! + fdo[6]!;
    expect((fdo[ix + 3]! << 8) + fdo[ix + 4]!).toBe(2000);
    const compile = r.bytesWithLength()!;
    expect(compile).toHaveLength(53);
    expect(compile[7]).toBe(FV);
    expect(r.bytesWithLength()).toEqual(Buffer.alloc(7)); // runtime caps: no 32K strings, no TZ_EX
    expect(() => protocolAnswer({ banner: 'x'.repeat(48), fieldVersion: FV })).toThrow(WireError);
    expect(dataTypesAnswer()).toEqual(hex('02 0000'));
  });

  it('the end-of-call ERROR message that ends a one-row query (field version 13)', () => {
    expect(errorMessage({ number: 1403, message: 'ORA-01403: no data found', cursorId: 3, rowCount: 1 }, 13)).toEqual(
      Buffer.concat([
        hex('04 00 00 00 02 05 7b 00 00 01 03 00 000000000000 0000000000 000000000000000000 02 05 7b 01 01'),
        hex('19'),
        Buffer.from('ORA-01403: no data found\n'),
      ]),
    );
    // From field version 14 on, two more UB4s precede the text.
    const missing = { number: 942, message: 'ORA-00942: table or view does not exist' };
    expect(errorMessage(missing, 20).length - errorMessage(missing, 13).length).toBe(2);
    expect(errorMessage({ number: 0 }, FV).at(-1)).toBe(0); // no text without an error
    expect(statusMessage()).toEqual(hex('09 00 00'));
  });

  it('PARAMETER: a count, then key/value pairs', () => {
    const b = parameterMessage([
      ['AUTH_VERSION_NO', '387584000'],
      ['AUTH_SESSION_ID', '7'],
    ]);
    const r = new TtcReader(b);
    expect(r.u8()).toBe(8);
    expect(r.ub2()).toBe(2);
    expect([r.keyValue(), r.keyValue()]).toEqual([
      { key: 'AUTH_VERSION_NO', value: '387584000', flags: 0 },
      { key: 'AUTH_SESSION_ID', value: '7', flags: 0 },
    ]);
  });

  it('DESCRIBE of `select 1 from dual` at field version 13, growing with the field version', () => {
    const one = describeMessage([{ name: '1', type: 'number' }], 13);
    expect(one).toEqual(hex('10 00 01 16 01 01 00 | 02 00 00 81 01 16 00 00 00 00 00 00 01 16 00 01 00 01 01 01 31 00 00 01 01 00 | 00 00 00 00 00 00'));
    const at24 = describeMessage([{ name: '1', type: 'number' }], 24);
    expect(at24.length - one.length).toBe(2 + 1 + 3); // domain (2 UB4), annotations, vector fields
    const text = describeMessage([{ name: 'USER', type: 'varchar', size: 128 }], 13);
    expect(text.subarray(7, 21)).toEqual(hex('01 00 00 00 01 80 00 00 00 00 02 03 69 01'));
    expect(() => describeMessage([{ name: 'X', type: 'varchar', size: 4001 }], 13)).toThrow(WireError);
  });

  it('ROW_HEADER then ROW_DATA: each value as bytes with a length, NULL as 0', () => {
    expect(rowHeaderMessage()).toEqual(hex('06 00 00 00 00 00 00 00'));
    const columns = [
      { name: 'N', type: 'number', size: 22 },
      { name: 'S', type: 'varchar', size: 10 },
      { name: 'Z', type: 'varchar', size: 10 },
    ] as const;
    expect(rowDataMessage(columns, [-12.5, 'EMU', null])).toEqual(hex('07 04 3e 59 33 66 03 454d55 00'));
    expect(() => rowDataMessage(columns, [1])).toThrow(WireError);
    expect(() => rowDataMessage(columns, [1, 'x'.repeat(11), null])).toThrow(WireError);
  });
});

describe('requests the captures do not hold', () => {
  it('an unknown piggyback is stepped over to the function after it; a close-cursors list and a schema are read', () => {
    const sessionState = hex('11 b0 05 00 00 04 10 00 00 00 00 01 6d'); // SESSION_STATE, whatever it holds
    const close = hex('11 69 06 01 01 02 01 07 01 09');
    const schema = new TtcWriter().raw(hex('11 98 07 01')).ub(3).str('APP').toBuffer();
    const ping = hex('03 93 08');
    const r = parseRequest(Buffer.concat([sessionState, close, schema, ping]), 13) as FunctionRequest;
    expect(r).toEqual({
      kind: 'function',
      seq: 8,
      call: { fn: FN.PING },
      piggybacks: [
        { fn: 176, seq: 5, skipped: true },
        { fn: FN.CLOSE_CURSORS, seq: 6, cursors: [7, 9] },
        { fn: FN.SET_SCHEMA, seq: 7, schema: 'APP' },
      ],
    });
  });

  it('SET_END_TO_END_ATTR: the attributes the flags name, a changed one without text being cleared', () => {
    // Client identifier "abc", module "md", action cleared (a pointer, no length), client info "i", as node-oracledb lays them out.
    const endToEnd = (flags: number) =>
      Buffer.concat([hex('11 87 05 00 00'), new TtcWriter().ub(flags).toBuffer(), hex('01 01 03  01 01 02  01 00  00 00 | 00 00 | 01 01 01  00 00 | 00 00 | 00 00 | 03 616263 02 6d64 01 69'), hex('03 93 06')]);
    const r = parseRequest(endToEnd(0x19), 13) as FunctionRequest; // CLIENT_IDENTIFIER | MODULE | ACTION: client info is sent, not flagged
    expect(r).toMatchObject({ seq: 6, call: { fn: FN.PING } });
    expect(r.piggybacks).toEqual([{ fn: FN.SET_END_TO_END_ATTR, seq: 5, attributes: { clientIdentifier: 'abc', module: 'md', action: null } }]);
    const all = parseRequest(endToEnd(0x119), 13) as FunctionRequest;
    expect(all.piggybacks[0]).toMatchObject({ attributes: { clientIdentifier: 'abc', module: 'md', action: null, clientInfo: 'i' } });
  });

  it('from field version 18 on, headers carry a token number', () => {
    expect(parseRequest(hex('03 93 0a 00'), 18)).toEqual({ kind: 'function', seq: 10, piggybacks: [], call: { fn: FN.PING } });
    expect(parseRequest(hex('03 05 0b 00 01 03 01 64'), 24)).toEqual({ kind: 'function', seq: 11, piggybacks: [], call: { fn: FN.FETCH, cursorId: 3, rows: 100 } });
  });

  it('refuses what is not a request, or stops short', () => {
    expect(() => parseRequest(hex('04 00'), 13)).toThrow(WireError);
    expect(() => parseRequest(hex('03 5e 02 02 80'), 13)).toThrow(TruncatedError);
    expect(() => parseRequest(hex('11 b0 05 00 00'), 13)).toThrow(/not followed/);
  });

  it('a CONNECT whose descriptor is over 230 bytes carries only its length', () => {
    const body = Buffer.alloc(66);
    body.writeUInt16BE(319, 0);
    body.writeUInt16BE(300, 2);
    body.writeUInt16BE(8192, 6);
    body.writeUInt16BE(65535, 8);
    body.writeUInt16BE(300, 16);
    body.writeUInt16BE(74, 18);
    body[25] = 8;
    const c = parseConnect(readPacket(packet(PACKET.CONNECT, body, 'short'), 0, 'short')!.packet);
    expect(c).toMatchObject({ connectDataLength: 300, connectData: undefined });
  });
});

/** An execute of `sql` as node-oracledb lays it out, at the captures' field version 13. */
function executeWithBinds(o: { sql: string; query: boolean; execs?: number; binds: RawBind[]; rows: string[] }): Buffer {
  return executeRequest({ ...o, fieldVersion: 13, seq: 4 });
}

describe('a request is answered when its layout says it is whole', () => {
  it('a pipelining client\'s requests one behind the other: each ends where the next begins', () => {
    expect(readRequest(hex('03 93 01 03 0e 02'), 13)).toMatchObject({ status: 'complete', request: { call: { fn: FN.PING } }, end: 3 });
    expect(readRequest(hex('03 0e 02'), 13)).toMatchObject({ status: 'complete', request: { call: { fn: FN.COMMIT } }, end: 3 });
  });

  it.each([
    ['a message type that is no request', '04 00', 'malformed'],
    ['a UB4 five bytes long', '03 05 03 05 01 02 03 04 05 01 01', 'malformed'],
    ['a negative UB4', '03 05 03 81 01 01 01', 'malformed'],
    ['a piggyback followed by something else', '11 69 03 01 01 01 01 07 04 00', 'malformed'],
    ['an empty payload', '', 'partial'],
    ['a protocol request before its driver name ends', '01 06 00 6e 6f 64 65', 'partial'],
    ['an unknown piggyback whose function has not arrived', '11 b0 05 00 00 04 10', 'partial'],
    ['a fetch without its row count', '03 05 03 01 02', 'partial'],
  ])('%s: %s', (_name, bytes, status) => {
    expect(readRequest(hex(bytes), 13).status).toBe(status);
  });

  it('a function the emulator does not read runs to the end of what has arrived; a bare call ends at its header', () => {
    expect(readRequest(hex('03 a3 05 01 02 03'), 13)).toMatchObject({ status: 'complete', request: { call: { fn: 163 } }, end: 6 });
    expect(readRequest(hex('03 09 05 03 93 06'), 13)).toMatchObject({ status: 'complete', request: { call: { fn: FN.LOGOFF } }, end: 3 });
  });

  it('a re-execute ends after its four numbers, unless bind values follow it', () => {
    expect(readRequest(hex('03 4e 05 01 03 01 02 01 20 00 | 03 93 06'), 13)).toMatchObject({ status: 'complete', end: 10 });
    expect(readRequest(hex('03 04 05 01 03 01 01 00 00 | 07 02 c1 02'), 13)).toMatchObject({ status: 'complete', end: 13 });
  });

  it('data types: the client\'s time zone is there when its runtime capabilities keep TZ_EX', () => {
    const request = (runtime: string, tz: string) => hex(`02 6903 6903 03 | 02 06 00 | 07 ${runtime} | ${tz} | 0001 0001 0001 0000 | 0002 0000 | 0000`);
    expect(readRequest(request('00 00 00 00 00 00 00', ''), 0)).toMatchObject({ status: 'complete', request: { kind: 'data-types', charset: 873, ncharset: 873 } });
    const tz = '80000000 3c 3c 8000000000';
    const withTz = request('00 01 00 00 00 00 00', tz);
    expect(readRequest(withTz, 0)).toMatchObject({ status: 'complete', end: withTz.length });
    expect(readRequest(request('00 00 00 00 00 00 00', tz), 0).status).not.toBe('complete');
  });

  describe('bind values, as node-oracledb sends them after the statement', () => {
    const rows = {
      number: '07 02 c1 06',
      text: '07 05 68656c6c6f',
      nulls: '07 00 00',
      bool: '07 fd 01 02 01 01',
      lob: '07 01 03 03 616263',
      cursor: '07 01 00',
      array: '07 01 03 02 c1 02 02 c1 03 00',
    };
    it.each([
      ['a number in a query', { sql: 'select :1 from dual', query: true, binds: [{ type: 2 }], rows: [rows.number] }],
      ['text', { sql: 'select :1 from dual', query: true, binds: [{ type: 1 }], rows: [rows.text] }],
      ['two NULLs of a PL/SQL block', { sql: 'begin :a := :b; end;', query: false, binds: [{ type: 2 }, { type: 1 }], rows: [rows.nulls] }],
      ['a NULL boolean, then true', { sql: 'begin :a := :b; end;', query: false, binds: [{ type: 252 }, { type: 252 }], rows: [rows.bool] }],
      ['a LOB locator', { sql: 'insert into t values (:1)', query: false, binds: [{ type: 113 }], rows: [rows.lob] }],
      ['a REF CURSOR', { sql: 'begin open :c for select 1 from dual; end;', query: false, binds: [{ type: 102 }], rows: [rows.cursor] }],
      ['a PL/SQL array of three', { sql: 'begin p(:a); end;', query: false, binds: [{ type: 2, array: true }], rows: [rows.array] }],
      ['executeMany: three rows', { sql: 'insert into t values (:1)', query: false, execs: 3, binds: [{ type: 2 }], rows: [rows.number, rows.number, rows.number] }],
    ])('%s', (_name, o) => {
      const whole = executeWithBinds(o);
      const read = readRequest(whole, 13);
      expect(read).toMatchObject({ status: 'complete', end: whole.length, request: { call: { fn: FN.EXECUTE, sql: o.sql, binds: o.binds.length } } });
      for (let n = 0; n < whole.length; n++) expect(readRequest(whole.subarray(0, n), 13).status, `${n} of ${whole.length}`).toBe('partial');
    });

    it('values that stop short are waited for, or taken as they are when the client marked the end (RETURNING binds send none)', () => {
      const header = executeWithBinds({ sql: 'insert into t values (1) returning id into :id', query: false, binds: [{ type: 2 }], rows: [] });
      expect(readRequest(header, 13).status).toBe('partial');
      expect(readRequest(header, 13, { endMarked: true })).toMatchObject({ status: 'complete', end: header.length });
    });

    it('values that do not start with ROW_DATA cannot be read', () => {
      const wrong = executeWithBinds({ sql: 'select :1 from dual', query: true, binds: [{ type: 2 }], rows: ['06 02 c1 06'] });
      expect(readRequest(wrong, 13).status).toBe('malformed');
    });

    it('values of types the emulator does not model (an object) run to the end of what has arrived', () => {
      const object = executeWithBinds({ sql: 'begin p(:o); end;', query: false, binds: [{ type: 109 }], rows: ['07 00 00 00 00 00 01 01'] });
      expect(readRequest(object, 13)).toMatchObject({ status: 'complete', end: object.length });
    });
  });
});

describe('connect data', () => {
  it.each([
    ['node-oracledb\'s descriptor', '(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=127.0.0.1)(PORT=2484))(CONNECT_DATA=(SERVICE_NAME=emupdb)(CID=(PROGRAM=node)(HOST=vm)(USER=root))(CONNECTION_ID=x)))', { program: 'node', host: 'vm', user: 'root' }],
    ['in any letter case and spacing, in any order', '(description=(connect_data=(cid = (user = app )(program=/usr/bin/node))(service_name=s))(address=(host=db)))', { program: '/usr/bin/node', user: 'app' }],
    ['no CID: the ADDRESS host is the server, not the client', '(DESCRIPTION=(ADDRESS=(HOST=db.example.com))(CONNECT_DATA=(SERVICE_NAME=s)))', {}],
    ['a CID cut short', '(DESCRIPTION=(CONNECT_DATA=(CID=(PROGRAM=x)(HOST=', { program: 'x' }],
  ])('the CID of %s', (_name, descriptor, expected) => {
    expect(connectClient(descriptor)).toEqual(expected);
  });
});
