import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, pamAnswer, readPamRequest } from '../../../src/testing/pam/wire.js';

describe('readPamRequest', () => {
  it.each([
    ['a user and a token', 'iam_alice\ndb.example:3306/?Action=connect&X-Amz-Signature=ab\n', 'iam_alice', 'db.example:3306/?Action=connect&X-Amz-Signature=ab'],
    ['an empty password', 'iam_alice\n\n', 'iam_alice', ''],
    ['an empty user', '\ntoken\n', '', 'token'],
    ['UTF-8', 'zoë\npässword\n', 'zoë', 'pässword'],
    ['a carriage return, kept as sent', 'u\r\np\r\n', 'u\r', 'p\r'],
    ['bytes after the request, ignored', 'u\np\nmore\n', 'u', 'p'],
  ])('reads %s', (_name, bytes, user, password) => {
    expect(readPamRequest(Buffer.from(bytes))).toEqual({ status: 'request', user, password });
  });

  it('is incomplete at every cut before the second newline', () => {
    const bytes = Buffer.from('iam_alice\ntoken\n');
    for (let cut = 0; cut < bytes.length; cut++) expect(readPamRequest(bytes.subarray(0, cut))).toEqual({ status: 'incomplete' });
  });

  it('stops waiting past the size limit, but takes a whole request of any size', () => {
    const long = Buffer.alloc(MAX_REQUEST_BYTES, 0x61);
    expect(readPamRequest(long)).toEqual({ status: 'incomplete' });
    expect(readPamRequest(Buffer.concat([long, Buffer.from('a')]))).toEqual({ status: 'error', reason: 'request too large' });
    const whole = readPamRequest(Buffer.concat([Buffer.from('u\n'), long, Buffer.from('\n')]));
    expect(whole.status === 'request' && whole.password.length).toBe(MAX_REQUEST_BYTES);
  });
});

describe('pamAnswer', () => {
  it.each([
    [true, 'OK\n'],
    [false, 'NO\n'],
  ])('%s is %j', (ok, line) => {
    expect(pamAnswer(ok)).toBe(line);
  });
});
