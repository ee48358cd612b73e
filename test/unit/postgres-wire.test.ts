import { describe, expect, it } from 'vitest';
import { SSL_REQUEST, authRequest, errorCode, frameLength, isCancelRequest, passwordText } from '../../adapters/postgres-wire.js';
import { authRequestFrame, errorFrame } from '../helpers/fake-postgres.js';

const typed = (type: string, body: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
};
const cancelRequest = (): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(16, 0);
  b.writeUInt32BE(80877102, 4);
  return b;
};

describe('frameLength', () => {
  it.each([
    ['a whole typed frame', typed('p', 'tok\0'), false, 9],
    ['a typed frame with the next one behind it', Buffer.concat([typed('p', 'tok\0'), typed('X', '')]), false, 9],
    ['half a typed frame', typed('p', 'token\0').subarray(0, 7), false, 0],
    ['only a type byte', Buffer.from('R'), false, 0],
    ['the SSLRequest, untyped', SSL_REQUEST, true, 8],
    ['a cancel request, untyped', cancelRequest(), true, 16],
    ['a malformed length counts as 4', Buffer.from([0x52, 0, 0, 0, 1, 9, 9]), false, 5],
  ])('%s', (_name, buf, untyped, expected) => {
    expect(frameLength(buf, untyped)).toBe(expected);
  });
});

describe('reading frames', () => {
  it.each([
    ['cleartext request', authRequestFrame(3), 3],
    ['ok', authRequestFrame(0), 0],
    ['SASL', authRequestFrame(10), 10],
    ['not an R frame', errorFrame('28000', 'no'), undefined],
    ['a truncated R frame', Buffer.from([0x52, 0, 0, 0, 4]), undefined],
  ])('authRequest: %s', (_name, frame, expected) => {
    expect(authRequest(frame)).toBe(expected);
  });

  it.each([
    ['LDAP refusal', errorFrame('28000', 'LDAP authentication failed'), '28000'],
    ['wrong password', errorFrame('28P01', 'password authentication failed'), '28P01'],
    ['no C field', typed('E', 'SFATAL\0Mgone\0\0'), undefined],
    ['a field with no closing NUL', typed('E', 'SFATAL'), undefined],
    ['not an E frame', authRequestFrame(3), undefined],
  ])('errorCode: %s', (_name, frame, expected) => {
    expect(errorCode(frame)).toBe(expected);
  });

  it.each([
    ['a password', typed('p', 'db.example:5432/?Action=connect\0'), 'db.example:5432/?Action=connect'],
    ['an empty password', typed('p', '\0'), ''],
    ['not a p frame', typed('Q', 'select 1\0'), undefined],
  ])('passwordText: %s', (_name, frame, expected) => {
    expect(passwordText(frame)).toBe(expected);
  });

  it('isCancelRequest tells a cancel from a startup', () => {
    expect(isCancelRequest(cancelRequest())).toBe(true);
    expect(isCancelRequest(SSL_REQUEST)).toBe(false);
    const startup = Buffer.alloc(16);
    startup.writeUInt32BE(16, 0);
    startup.writeUInt32BE(196608, 4);
    expect(isCancelRequest(startup)).toBe(false);
  });
});
