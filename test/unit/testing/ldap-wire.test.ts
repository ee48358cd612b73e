import { describe, expect, it } from 'vitest';
import {
  BIND_REQUEST,
  BIND_RESPONSE,
  bindResponse,
  encodeTlv,
  ENUMERATED,
  firstRdnValue,
  INTEGER,
  intBytes,
  OCTET_STRING,
  readInt,
  readLdapMessage,
  readTlv,
  RESULT,
  SEQUENCE,
  SIMPLE_AUTH,
  UNBIND_REQUEST,
} from '../../../src/testing/ldap/wire.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** An LDAPMessage around `op`, as a client would send it. */
function message(messageId: number, op: Buffer): Buffer {
  return encodeTlv(SEQUENCE, Buffer.concat([encodeTlv(INTEGER, intBytes(messageId)), op]));
}

/** A version-3 BindRequest with the given name and authentication element. */
function bindRequest(dn: string, auth: Buffer): Buffer {
  return encodeTlv(BIND_REQUEST, Buffer.concat([encodeTlv(INTEGER, hex('03')), encodeTlv(OCTET_STRING, Buffer.from(dn)), auth]));
}

describe('BER elements', () => {
  it.each([
    ['short form', 5, '05'],
    ['the longest short form', 127, '7f'],
    ['one length byte', 128, '8180'],
    ['one length byte, full', 255, '81ff'],
    ['two length bytes', 300, '82012c'],
    ['three length bytes (a large token)', 70_000, '83011170'],
  ])('%s: %i bytes', (_name, size, length) => {
    const value = Buffer.alloc(size, 0x61);
    const encoded = encodeTlv(OCTET_STRING, value);
    expect(encoded.subarray(0, 1 + length.length / 2).toString('hex')).toBe(`04${length}`);
    expect(readTlv(Buffer.concat([encoded, hex('ffff')]), 0)).toEqual({ status: 'ok', tlv: { tag: OCTET_STRING, value, end: encoded.length } });
  });

  it('reads at an offset', () => {
    expect(readTlv(hex('0000 0a0131'), 2)).toEqual({ status: 'ok', tlv: { tag: ENUMERATED, value: hex('31'), end: 5 } });
  });

  it('is incomplete at every cut of an element', () => {
    const encoded = encodeTlv(OCTET_STRING, Buffer.alloc(300, 0x61));
    for (let cut = 0; cut < encoded.length; cut++) expect(readTlv(encoded.subarray(0, cut), 0)).toEqual({ status: 'incomplete' });
  });

  it.each([
    ['the indefinite form', '3080'],
    ['a 5-byte length', '30850000000001'],
  ])('refuses %s', (_name, bytes) => {
    expect(readTlv(hex(bytes), 0)).toEqual({ status: 'error', reason: 'unsupported BER length' });
  });

  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '0080'],
    [255, '00ff'],
    [256, '0100'],
    [0x7fffffff, '7fffffff'],
    [0x80000000, '0080000000'],
  ])('INTEGER %i is %s, and reads back', (n, bytes) => {
    expect(intBytes(n).toString('hex')).toBe(bytes);
    expect(readInt(hex(bytes))).toBe(n);
  });
});

describe('requests', () => {
  it('decodes an anonymous simple bind (RFC 4511 bytes)', () => {
    const bytes = hex('300c 020101 6007 020103 0400 8000');
    expect(readLdapMessage(bytes)).toEqual({ status: 'message', request: { op: 'bind', messageId: 1, dn: '', password: '' }, used: 14 });
  });

  it('decodes a bind with a DN and a token as password', () => {
    const dn = 'uid=iam_alice,ou=iam,dc=test';
    const token = `db.example:5432/?Action=connect&X-Amz-Signature=${'ab'.repeat(600)}`;
    const bytes = message(7, bindRequest(dn, encodeTlv(SIMPLE_AUTH, Buffer.from(token))));
    expect(readLdapMessage(bytes)).toEqual({ status: 'message', request: { op: 'bind', messageId: 7, dn, password: token }, used: bytes.length });
  });

  it('decodes UTF-8 in the DN and password', () => {
    const bytes = message(2, bindRequest('uid=zoë', encodeTlv(SIMPLE_AUTH, Buffer.from('pässword'))));
    expect(readLdapMessage(bytes)).toMatchObject({ request: { dn: 'uid=zoë', password: 'pässword' } });
  });

  it('decodes an Unbind (RFC 4511 bytes)', () => {
    expect(readLdapMessage(hex('3005 020102 4200'))).toEqual({ status: 'message', request: { op: 'unbind', messageId: 2 }, used: 7 });
  });

  it('reads pipelined messages one at a time', () => {
    const bind = message(1, bindRequest('uid=a', encodeTlv(SIMPLE_AUTH, Buffer.from('t'))));
    const unbind = message(2, encodeTlv(UNBIND_REQUEST, Buffer.alloc(0)));
    const both = Buffer.concat([bind, unbind]);
    const first = readLdapMessage(both);
    expect(first).toMatchObject({ status: 'message', request: { op: 'bind' }, used: bind.length });
    expect(readLdapMessage(both.subarray(bind.length))).toEqual({ status: 'message', request: { op: 'unbind', messageId: 2 }, used: unbind.length });
  });

  it('is incomplete at every cut of a bind', () => {
    const bytes = message(1, bindRequest('uid=iam_alice,ou=iam,dc=test', encodeTlv(SIMPLE_AUTH, Buffer.alloc(200, 0x74))));
    for (let cut = 0; cut < bytes.length; cut++) expect(readLdapMessage(bytes.subarray(0, cut))).toEqual({ status: 'incomplete' });
  });

  it('is an error when the message length is not one LDAP allows', () => {
    expect(readLdapMessage(hex('3080 020101 4200 0000'))).toEqual({ status: 'error', reason: 'unsupported BER length' });
  });

  it.each([
    ['a SASL bind', message(3, bindRequest('', encodeTlv(0xa3, encodeTlv(OCTET_STRING, Buffer.from('PLAIN'))))), { op: 'unsupported-auth', messageId: 3 }],
    ['a bind without authentication', message(4, encodeTlv(BIND_REQUEST, Buffer.concat([encodeTlv(INTEGER, hex('03')), encodeTlv(OCTET_STRING, Buffer.from('uid=a'))]))), { op: 'malformed-bind', messageId: 4 }],
    ['a bind whose name is not an OCTET STRING', message(5, encodeTlv(BIND_REQUEST, Buffer.concat([encodeTlv(INTEGER, hex('03')), encodeTlv(INTEGER, hex('01')), encodeTlv(SIMPLE_AUTH, Buffer.alloc(0))]))), { op: 'malformed-bind', messageId: 5 }],
    ['a bind with a bad length inside', message(6, encodeTlv(BIND_REQUEST, hex('020103 0485'))), { op: 'malformed-bind', messageId: 6 }],
    ['an empty bind', message(6, encodeTlv(BIND_REQUEST, Buffer.alloc(0))), { op: 'malformed-bind', messageId: 6 }],
    ['a SearchRequest', message(8, encodeTlv(0x63, Buffer.alloc(0))), { op: 'other', messageId: 8, tag: 0x63 }],
    ['a message that is not a SEQUENCE', encodeTlv(OCTET_STRING, Buffer.from('hello')), { op: 'invalid' }],
    ['a message without an INTEGER id', encodeTlv(SEQUENCE, encodeTlv(OCTET_STRING, hex('01'))), { op: 'invalid' }],
    ['a message without an operation', encodeTlv(SEQUENCE, encodeTlv(INTEGER, hex('01'))), { op: 'invalid' }],
    ['a message whose id has a bad length', encodeTlv(SEQUENCE, hex('0280')), { op: 'invalid' }],
    ['an empty SEQUENCE', encodeTlv(SEQUENCE, Buffer.alloc(0)), { op: 'invalid' }],
  ])('classifies %s', (_name, bytes, request) => {
    expect(readLdapMessage(bytes)).toEqual({ status: 'message', request, used: bytes.length });
  });
});

describe('BindResponse', () => {
  it('success (RFC 4511 bytes)', () => {
    expect(bindResponse(1, RESULT.success, '').toString('hex')).toBe('300c02010161070a010004000400');
  });

  it('invalidCredentials with a diagnostic, read back field by field', () => {
    const bytes = bindResponse(300, RESULT.invalidCredentials, 'invalid credentials');
    const envelope = readTlv(bytes, 0);
    expect(envelope).toMatchObject({ status: 'ok', tlv: { tag: SEQUENCE, end: bytes.length } });
    if (envelope.status !== 'ok') return;
    const id = readTlv(envelope.tlv.value, 0);
    expect(id).toMatchObject({ status: 'ok', tlv: { tag: INTEGER, value: hex('012c') } });
    if (id.status !== 'ok') return;
    const op = readTlv(envelope.tlv.value, id.tlv.end);
    expect(op).toMatchObject({ status: 'ok', tlv: { tag: BIND_RESPONSE, end: envelope.tlv.value.length } });
    if (op.status !== 'ok') return;
    const fields: Buffer[] = [];
    for (let at = 0; at < op.tlv.value.length; ) {
      const f = readTlv(op.tlv.value, at);
      if (f.status !== 'ok') throw new Error(`bad field at ${at}`);
      fields.push(encodeTlv(f.tlv.tag, f.tlv.value));
      at = f.tlv.end;
    }
    expect(fields.map((f) => f.toString('hex'))).toEqual(['0a0131', '0400', `0413${Buffer.from('invalid credentials').toString('hex')}`]);
  });

  it.each([
    ['success', 0, '00'],
    ['protocolError', 2, '02'],
    ['authMethodNotSupported', 7, '07'],
    ['invalidCredentials', 49, '31'],
    ['unwillingToPerform', 53, '35'],
  ] as const)('%s is result code %i', (name, code, byte) => {
    expect(RESULT[name]).toBe(code);
    expect(bindResponse(9, RESULT[name], '').subarray(7, 10).toString('hex')).toBe(`0a01${byte}`);
  });
});

describe('firstRdnValue', () => {
  it.each([
    ['uid=iam_alice,ou=iam,dc=test', 'iam_alice'],
    ['cn=bob', 'bob'],
    ['uid=a=b,ou=x', 'a=b'],
    ['plain', 'plain'],
    ['', ''],
    ['uid=,ou=iam', ''],
  ])('%j gives %j', (dn, user) => {
    expect(firstRdnValue(dn)).toBe(user);
  });
});
