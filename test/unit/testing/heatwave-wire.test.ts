import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authSwitchRequest,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  columnDefinition,
  encodePacket,
  eofPacket,
  errPacket,
  greeting,
  isSslRequest,
  lenencInt,
  lenencString,
  MAX_FRAME,
  MAX_PACKET,
  newNonce,
  NONCE_LENGTH,
  okPacket,
  parseCommand,
  parseHandshakeResponse,
  parseOciAuthReply,
  readLenencInt,
  readPacket,
  SERVER_CAPABILITIES,
  textResultSet,
  toScramble,
} from '../../../src/testing/heatwave/wire.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('length-encoded integers', () => {
  it.each([
    [0, '00'],
    [250, 'fa'],
    [251, 'fc fb00'],
    [0xffff, 'fc ffff'],
    [0x10000, 'fd 000001'],
    [0xffffff, 'fd ffffff'],
    [0x1000000, 'fe 0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'fe ffffffffffff1f00'],
  ])('%i is %s, and reads back', (n, bytes) => {
    expect(lenencInt(n).equals(hex(bytes))).toBe(true);
    expect(readLenencInt(Buffer.concat([hex(bytes), hex('aa')]))).toEqual({ status: 'ok', value: n, end: hex(bytes).length });
  });

  it('reads at an offset', () => {
    expect(readLenencInt(hex('0000 fc 3412'), 2)).toEqual({ status: 'ok', value: 0x1234, end: 5 });
  });

  it.each([
    ['nothing', ''],
    ['a 2-byte form cut short', 'fc 01'],
    ['a 3-byte form cut short', 'fd 0102'],
    ['an 8-byte form cut short', 'fe 01020304050607'],
  ])('%s is incomplete', (_name, bytes) => {
    expect(readLenencInt(hex(bytes))).toEqual({ status: 'incomplete' });
  });

  it.each([
    ['0xFB (NULL)', 'fb', 'bad length-encoded integer'],
    ['0xFF', 'ff', 'bad length-encoded integer'],
    ['a value past 2^53', 'fe 0000000000002000', 'length too large'],
  ])('%s is an error', (_name, bytes, reason) => {
    expect(readLenencInt(hex(bytes))).toEqual({ status: 'error', reason });
  });

  it('prefixes strings with their UTF-8 length', () => {
    expect(lenencString('héllo').toString('hex')).toBe(`06${Buffer.from('héllo').toString('hex')}`);
    expect(lenencString(Buffer.alloc(300, 0x61)).subarray(0, 3).toString('hex')).toBe('fc2c01');
    expect(lenencString('').toString('hex')).toBe('00');
  });
});

describe('packets', () => {
  it('frames a payload with its 3-byte length and sequence id', () => {
    expect(encodePacket(3, hex('0e')).toString('hex')).toBe('010000030e');
    expect(encodePacket(256 + 7, Buffer.alloc(0)).toString('hex')).toBe('00000007');
  });

  // A packet's seq is its last frame's, so that the answer's is seq + 1.
  it.each([
    ['empty', 0, 9],
    ['small', 5, 9],
    ['just under a frame', MAX_FRAME - 1, 9],
    ['exactly a frame (an empty frame follows)', MAX_FRAME, 10],
    ['two-frame, of the largest size accepted,', MAX_PACKET, 10],
  ])('round-trips a %s payload', (_name, size, lastSeq) => {
    const payload = Buffer.alloc(size, 0x5a);
    const wire = encodePacket(9, payload);
    const read = readPacket(Buffer.concat([wire, hex('01000000ff')]));
    expect(read.status).toBe('packet');
    if (read.status !== 'packet') return;
    expect(read.packet.seq).toBe(lastSeq);
    expect(read.packet.payload.equals(payload)).toBe(true);
    expect(read.used).toBe(wire.length);
  });

  it('is incomplete at every cut of a packet, and whole once all bytes are there', () => {
    const wire = encodePacket(1, Buffer.from('SELECT 1'));
    for (let cut = 0; cut < wire.length; cut++) expect(readPacket(wire.subarray(0, cut))).toEqual({ status: 'incomplete' });
    expect(readPacket(wire)).toMatchObject({ status: 'packet', used: wire.length });
  });

  it('reads coalesced packets one at a time', () => {
    const both = Buffer.concat([encodePacket(0, hex('01')), encodePacket(1, hex('0203'))]);
    const first = readPacket(both);
    expect(first).toMatchObject({ status: 'packet', packet: { seq: 0, payload: hex('01') }, used: 5 });
    expect(readPacket(both.subarray(5))).toMatchObject({ status: 'packet', packet: { seq: 1, payload: hex('0203') }, used: 6 });
  });

  it('copies the payload, so later writes to the buffer do not change it', () => {
    const wire = encodePacket(0, hex('aabb'));
    const read = readPacket(wire);
    wire.fill(0);
    expect(read).toMatchObject({ status: 'packet', packet: { payload: hex('aabb') } });
  });

  it('refuses a packet over 16 MB instead of buffering on', () => {
    const read = readPacket(encodePacket(0, Buffer.alloc(MAX_PACKET + 1)));
    // Only the status and reason: a failing diff of a 16 MB payload would not fit in memory.
    expect(read.status === 'error' ? read.reason : read.status).toBe('packet too large');
  });
});

describe('server packets', () => {
  it('OK: no rows, no insert id, autocommit, no warnings', () => {
    expect(okPacket().toString('hex')).toBe('00000002000000');
  });

  it('EOF: no warnings, autocommit', () => {
    expect(eofPacket().toString('hex')).toBe('fe00000200');
  });

  it.each([
    ['autocommit off', 0x0000, '00000000000000', 'fe00000000'],
    ['in a transaction, autocommit on', 0x0003, '00000003000000', 'fe00000300'],
  ])('OK and EOF carry the session status: %s', (_name, status, ok, eof) => {
    expect(okPacket(status).toString('hex')).toBe(ok);
    expect(eofPacket(status).toString('hex')).toBe(eof);
  });

  it('ERR: code, #SQLSTATE and message', () => {
    expect(errPacket(1045, '28000', 'Access denied').toString('hex')).toBe(`ff1504233238303030${Buffer.from('Access denied').toString('hex')}`);
  });

  it('AuthSwitchRequest: 0xFE, the plugin name, NUL, then the data as it is', () => {
    const nonce = hex('00fe4100');
    expect(authSwitchRequest('authentication_oci_client', nonce).toString('hex')).toBe(
      `fe${Buffer.from('authentication_oci_client\0').toString('hex')}00fe4100`,
    );
  });

  it('greeting: HandshakeV10 with the salt split 8 + 12 and the capabilities split low + high', () => {
    const salt = Buffer.from('abcdefghijklmnopqrst');
    const g = greeting({ serverVersion: '8.4.2', connectionId: 0x01020304, capabilities: 0x3baa0d, salt, authPlugin: 'mysql_native_password' });
    expect(g.toString('hex')).toBe(
      [
        '0a',
        Buffer.from('8.4.2\0').toString('hex'),
        '04030201', // connection id
        Buffer.from('abcdefgh').toString('hex'),
        '00',
        '0daa', // capabilities, low half
        'ff', // utf8mb4
        '0200', // autocommit
        '3b00', // capabilities, high half
        '15', // salt length + 1
        '00'.repeat(10),
        Buffer.from('ijklmnopqrst\0').toString('hex'),
        Buffer.from('mysql_native_password\0').toString('hex'),
      ].join(''),
    );
  });

  it('scramble bytes are 7-bit, never NUL or $, and keep their length', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const s = toScramble(all);
    expect(s.length).toBe(256);
    for (const b of s) {
      expect(b).toBeLessThan(0x80);
      expect(b).not.toBe(0x00);
      expect(b).not.toBe(0x24);
    }
    expect([s[0x00], s[0x24], s[0x80], s[0xa4], s[0x41]]).toEqual([0x01, 0x25, 0x01, 0x25, 0x41]);
    expect(all[0x24]).toBe(0x24); // the input is left alone
  });

  it.each([
    ['all NUL', 0x00, 0x01],
    ['all $', 0x24, 0x25],
    ['all 0x80 (NUL once the top bit goes)', 0x80, 0x01],
    ['all 0xA4 ($ once the top bit goes)', 0xa4, 0x25],
    ['all 0xFF', 0xff, 0x7f],
    ['all A', 0x41, 0x41],
  ])('a nonce from random bytes that are %s', (_name, byte, expected) => {
    const sizes: number[] = [];
    const nonce = newNonce((size) => {
      sizes.push(size);
      return Buffer.alloc(size, byte);
    });
    expect(sizes).toEqual([NONCE_LENGTH]);
    expect(nonce).toEqual(Buffer.alloc(NONCE_LENGTH, expected));
  });

  it('nonces are 32 bytes of 1..127 without $: never a NUL for Connector/Python to strip', () => {
    expect(NONCE_LENGTH).toBe(32);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const nonce = newNonce(randomBytes);
      expect(nonce.length).toBe(32);
      for (const b of nonce) seen.add(b);
    }
    // Every byte value a MySQL scramble may hold turns up, and no other.
    const allowed = Array.from({ length: 127 }, (_, i) => i + 1).filter((b) => b !== 0x24);
    expect([...seen].sort((a, b) => a - b)).toEqual(allowed);
  });
});

describe('client packets', () => {
  // mysql2 3.24.6's HandshakeResponse41 for user iam_alice, password pw, database app, against a greeting with
  // salt 'abcdefghijklmnopqrst': lenenc auth data, database, plugin name, then connection attributes.
  const MYSQL2_HANDSHAKE = hex(
    'cff3ba0800000000e0000000000000000000000000000000000000000000000069616d5f616c696365001412909d72d875523f8c9d6da44cbd3a6c1ce794db' +
      '617070006d7973716c5f6e61746976655f70617373776f726400310c5f636c69656e745f6e616d650c4e6f64652d4d7953514c2d320f5f636c69656e745f' +
      '76657273696f6e06332e32342e36',
  );

  /** A HandshakeResponse41 with the given flags and fields, for the cases mysql2 does not send. */
  function handshake(flags: number, user: string, auth: Buffer, tail: Buffer = Buffer.alloc(0)): Buffer {
    const head = Buffer.alloc(32);
    head.writeUInt32LE(flags >>> 0, 0);
    head[8] = 255;
    let authField: Buffer;
    if (flags & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) authField = lenencString(auth);
    else if (flags & CLIENT_SECURE_CONNECTION) authField = Buffer.concat([Buffer.from([auth.length]), auth]);
    else authField = Buffer.concat([auth, hex('00')]);
    return Buffer.concat([head, Buffer.from(`${user}\0`), authField, tail]);
  }

  it('decodes what mysql2 sends', () => {
    const parsed = parseHandshakeResponse(MYSQL2_HANDSHAKE, SERVER_CAPABILITIES);
    expect(parsed).toEqual({
      ok: true,
      value: {
        flags: 0x08baf3cf & SERVER_CAPABILITIES,
        user: 'iam_alice',
        authResponse: hex('12909d72d875523f8c9d6da44cbd3a6c1ce794db'),
        database: 'app',
        authPlugin: 'mysql_native_password',
      },
    });
  });

  it.each([
    ['lenenc auth data', CLIENT_PROTOCOL_41 | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_SECURE_CONNECTION],
    ['1-byte length auth data', CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION],
    ['NUL-ended auth data', CLIENT_PROTOCOL_41],
  ])('decodes %s', (_name, flags) => {
    const parsed = parseHandshakeResponse(handshake(flags, 'bob', Buffer.from('secret')), SERVER_CAPABILITIES);
    expect(parsed).toEqual({ ok: true, value: { flags, user: 'bob', authResponse: Buffer.from('secret') } });
  });

  it('reads the database and plugin only when both sides offer them', () => {
    const tail = Buffer.from('db\0plugin\0');
    const flags = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_CONNECT_WITH_DB | CLIENT_PLUGIN_AUTH;
    expect(parseHandshakeResponse(handshake(flags, 'u', Buffer.alloc(0), tail), SERVER_CAPABILITIES)).toMatchObject({ ok: true, value: { database: 'db', authPlugin: 'plugin' } });
    const noDb = parseHandshakeResponse(handshake(flags, 'u', Buffer.alloc(0), tail), SERVER_CAPABILITIES & ~CLIENT_CONNECT_WITH_DB);
    expect(noDb).toMatchObject({ ok: true, value: { authPlugin: 'db' } });
    expect(noDb.ok && noDb.value.database).toBe(undefined);
  });

  it('refuses a client without protocol 4.1', () => {
    const parsed = parseHandshakeResponse(handshake(CLIENT_SECURE_CONNECTION, 'u', Buffer.alloc(0)), SERVER_CAPABILITIES);
    expect(parsed).toEqual({ ok: false, reason: 'the client does not speak protocol 4.1' });
  });

  it('gives a reason, never an exception, for every truncation of a real handshake', () => {
    // Cut before the user name's NUL, every prefix lacks a field; past it, only the auth data can run short.
    const authEnd = MYSQL2_HANDSHAKE.indexOf('app\0', 0, 'latin1');
    for (let cut = 0; cut < authEnd; cut++) {
      const parsed = parseHandshakeResponse(MYSQL2_HANDSHAKE.subarray(0, cut), SERVER_CAPABILITIES);
      expect(parsed.ok, `cut at ${cut}`).toBe(false);
      if (!parsed.ok) expect(['short packet', 'missing NUL']).toContain(parsed.reason);
    }
  });

  it('gives a reason for a database or plugin name without its NUL', () => {
    const flags = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_CONNECT_WITH_DB;
    expect(parseHandshakeResponse(handshake(flags, 'u', Buffer.alloc(0), Buffer.from('db')), SERVER_CAPABILITIES)).toEqual({ ok: false, reason: 'missing NUL' });
  });

  it('gives a reason for a bad length-encoded auth length', () => {
    const flags = CLIENT_PROTOCOL_41 | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
    const payload = Buffer.concat([handshake(flags, 'u', Buffer.alloc(0)).subarray(0, 34), hex('ff')]);
    expect(parseHandshakeResponse(payload, SERVER_CAPABILITIES)).toEqual({ ok: false, reason: 'bad length-encoded integer' });
  });

  it.each([
    ['an SSLRequest', Buffer.concat([hex('00080000'), Buffer.alloc(28)]), true],
    ['32 bytes without CLIENT_SSL', Buffer.alloc(32), false],
    ['a longer packet with CLIENT_SSL', Buffer.concat([hex('00080000'), Buffer.alloc(40)]), false],
    ['a short packet', hex('000800'), false],
  ])('tells %s apart', (_name, payload, ssl) => {
    expect(isSslRequest(payload)).toBe(ssl);
  });

  it('CLIENT_SSL is the bit an SSLRequest sets, and the emulator offers it only with TLS', () => {
    expect(CLIENT_SSL).toBe(0x800);
    expect(SERVER_CAPABILITIES & CLIENT_SSL).toBe(0);
    // LONG_PASSWORD, LONG_FLAG, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, PLUGIN_AUTH,
    // CONNECT_ATTRS, PLUGIN_AUTH_LENENC_CLIENT_DATA
    expect(SERVER_CAPABILITIES).toBe(0x38a20d);
  });

  it.each([
    ['COM_QUIT', hex('01'), { kind: 'quit' }],
    ['COM_PING', hex('0e'), { kind: 'ping' }],
    ['COM_QUERY', Buffer.concat([hex('03'), Buffer.from('SELECT USER()')]), { kind: 'query', sql: 'SELECT USER()' }],
    ['an empty COM_QUERY', hex('03'), { kind: 'query', sql: '' }],
    ['COM_INIT_DB', Buffer.concat([hex('02'), Buffer.from('app')]), { kind: 'unknown', code: 2 }],
    ['an empty payload', Buffer.alloc(0), { kind: 'unknown', code: undefined }],
  ])('decodes %s', (_name, payload, command) => {
    expect(parseCommand(payload)).toEqual(command);
  });
});

describe('the authentication_oci_client reply', () => {
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

  it.each([
    ['an API-key reply', json({ fingerprint: 'aa:bb', signature: 'c2ln', token: '' }), { fingerprint: 'aa:bb', signature: 'c2ln', token: '' }],
    ['a reply without token', json({ fingerprint: 'aa:bb', signature: 'c2ln' }), { fingerprint: 'aa:bb', signature: 'c2ln', token: '' }],
    ['a security-token reply', json({ fingerprint: 'f', signature: 's', token: 'a.b.c' }), { fingerprint: 'f', signature: 's', token: 'a.b.c' }],
    ['a token read from a file ending in \\n', json({ fingerprint: 'f', signature: 's', token: 'a.b.c\n' }), { fingerprint: 'f', signature: 's', token: 'a.b.c' }],
    ['a token read from a file ending in \\r\\n', json({ fingerprint: 'f', signature: 's', token: 'a.b.c\r\n' }), { fingerprint: 'f', signature: 's', token: 'a.b.c' }],
    ['a token with blanks around it', json({ fingerprint: 'f', signature: 's', token: ' \t a.b.c \n\n' }), { fingerprint: 'f', signature: 's', token: 'a.b.c' }],
    ['a token file holding only a newline', json({ fingerprint: 'f', signature: 's', token: '\n' }), { fingerprint: 'f', signature: 's', token: '' }],
    ['a token with whitespace inside (kept)', json({ fingerprint: 'f', signature: 's', token: 'a.b\n.c\n' }), { fingerprint: 'f', signature: 's', token: 'a.b\n.c' }],
  ])('decodes %s', (_name, reply, value) => {
    expect(parseOciAuthReply(reply)).toEqual({ ok: true, value });
  });

  it.each([
    ['a NUL-ended reply', Buffer.concat([json({ fingerprint: 'f', signature: 's' }), hex('00')]), 'reply ends with a NUL byte'],
    ['an empty reply', Buffer.alloc(0), 'reply is not a JSON object'],
    ['a JSON array', json(['f', 's']), 'reply is not a JSON object'],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"fingerprint":"'), hex('ff'), Buffer.from('","signature":"s"}')]), 'reply is not a JSON object'],
    ['truncated JSON', json({ fingerprint: 'f', signature: 's' }).subarray(0, 10), 'reply is not a JSON object'],
    ['no fingerprint', json({ signature: 's' }), 'reply has no fingerprint'],
    ['a numeric signature', json({ fingerprint: 'f', signature: 1 }), 'reply has no signature'],
    ['a non-string token', json({ fingerprint: 'f', signature: 's', token: null }), 'reply token is not a string'],
  ])('refuses %s with a fixed reason', (_name, reply, reason) => {
    expect(parseOciAuthReply(reply)).toEqual({ ok: false, reason });
  });
});

describe('result sets', () => {
  it('a string column definition', () => {
    expect(columnDefinition({ name: 'USER()', kind: 'string', length: 1152 }).toString('hex')).toBe(
      [
        '03646566', // catalog 'def'
        '00', // schema
        '00', // table
        '00', // org_table
        '06' + Buffer.from('USER()').toString('hex'),
        '00', // org_name
        '0c', // length of the fixed fields
        'ff00', // utf8mb4
        '80040000', // display width 1152
        'fd', // VAR_STRING
        '0100', // NOT_NULL
        '1f', // decimals
        '0000',
      ].join(''),
    );
  });

  it('an integer column definition', () => {
    const def = columnDefinition({ name: '1', kind: 'integer', length: 1 });
    expect(def.subarray(-13).toString('hex')).toBe('0c3f000100000008818000' + '0000');
  });

  it.each([
    // charset, length 21, type, flags (no NOT_NULL), decimals, filler
    ['string', '0cff00' + '15000000' + 'fd' + '0000' + '1f' + '0000'],
    ['integer', '0c3f00' + '15000000' + '08' + '8080' + '00' + '0000'],
  ] as const)('a nullable %s column is not flagged NOT_NULL', (kind, fixed) => {
    expect(columnDefinition({ name: '@@x', kind, length: 21, nullable: true }).subarray(-13).toString('hex')).toBe(fixed);
  });

  it('a NULL value is the byte 0xFB, and both EOFs carry the status given', () => {
    const payloads = textResultSet([{ name: 'a', kind: 'string', length: 4, nullable: true }, { name: 'b', kind: 'integer', length: 1 }], [null, '0'], 0x0000);
    expect(payloads[4]!.toString('hex')).toBe('fb0130');
    expect(payloads[3]!.equals(eofPacket(0))).toBe(true);
    expect(payloads[5]!.equals(eofPacket(0))).toBe(true);
  });

  it('one row: column count, definitions, EOF, the row as length-encoded strings, EOF', () => {
    const columns = [
      { name: 'USER()', kind: 'string', length: 1152 },
      { name: 'n', kind: 'integer', length: 2 },
    ] as const;
    const payloads = textResultSet(columns, ['iam_alice@127.0.0.1', '42']);
    expect(payloads).toHaveLength(6);
    expect(payloads[0]!.toString('hex')).toBe('02');
    expect(payloads[1]!.equals(columnDefinition(columns[0]))).toBe(true);
    expect(payloads[2]!.equals(columnDefinition(columns[1]))).toBe(true);
    expect(payloads[3]!.equals(eofPacket())).toBe(true);
    expect(payloads[4]!.toString('hex')).toBe(`13${Buffer.from('iam_alice@127.0.0.1').toString('hex')}023432`);
    expect(payloads[5]!.equals(eofPacket())).toBe(true);
  });
});
