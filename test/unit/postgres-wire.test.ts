import { describe, expect, it } from 'vitest';
import { SSL_REQUEST, authRequest, copyOutTracker, errorCode, frameLength, isCancelRequest, passwordText } from '../../adapters/postgres-wire.js';
import { authRequestFrame, errorFrame, frame } from '../helpers/fake-postgres.js';

const typed = frame;
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

describe('copyOutTracker', () => {
  const copyOut = typed('H', Buffer.from([0, 0, 1, 0, 0]));
  const data = (text: string): Buffer => typed('d', text);
  const done = typed('c', '');
  const complete = typed('C', 'COPY 2\0');
  const ready = typed('Z', 'I');
  const rowOf = (text: string): Buffer => typed('D', text);
  const whole = Buffer.concat([copyOut, data('1\n'), data('2\n'), done, complete, ready]);
  /** Feeds `bytes` cut at each of `cuts`, and returns `open` after each piece. */
  const feed = (bytes: Buffer, cuts: number[]): boolean[] => {
    const t = copyOutTracker();
    const seen: boolean[] = [];
    let from = 0;
    for (const at of [...cuts, bytes.length]) {
      t.feed(bytes.subarray(from, at));
      seen.push(t.open);
      from = at;
    }
    return seen;
  };
  it.each([
    ['no COPY at all', Buffer.concat([rowOf('x'), complete, ready]), [], [false]],
    ['a COPY whose data is still coming', Buffer.concat([copyOut, data('1\n')]), [], [true]],
    ['a whole COPY in one chunk', whole, [], [false]],
    ['a COPY that ends in the next chunk', whole, [copyOut.length + 7], [true, false]],
    ['a header split across chunks (CopyDone cut after its type byte)', whole, [whole.indexOf(done) + 1], [true, false]],
    ['every byte a chunk of its own', whole, [...Array(whole.length - 1).keys()].map((i) => i + 1), null],
    ['an ErrorResponse ends the COPY', Buffer.concat([copyOut, data('1\n'), errorFrame('57014', 'canceled')]), [], [false]],
    ['CopyBoth opens one too', typed('W', Buffer.from([0, 0, 0])), [], [true]],
    ['a body that looks like a CopyOutResponse is skipped', Buffer.concat([data('H\0\0\0\x05'), ready]), [5], [false, false]],
  ])('%s', (_name, bytes, cuts, expected) => {
    const seen = feed(bytes, cuts);
    if (expected) expect(seen).toEqual(expected);
    else {
      expect(seen.at(-1)).toBe(false);
      expect(seen[copyOut.length - 1]).toBe(true);
    }
  });
});
