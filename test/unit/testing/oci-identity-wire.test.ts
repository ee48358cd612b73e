import { verify } from 'node:crypto';
import * as common from 'oci-common';
import { describe, expect, it } from 'vitest';
import {
  opcRequestId,
  parseActionPath,
  parseAuthorization,
  parseKeyId,
  parseSignatureHeader,
  parseTokenRequestBody,
  signingString,
} from '../../../src/testing/oci-identity/wire.js';
import { rsaKeyPairSync } from '../../../src/testing/key-pairs.js';

const DATE = 'Sun, 05 Jan 2014 21:31:40 GMT';

describe('parseActionPath', () => {
  it.each([
    ['/v1/actions/generateScopedAccessToken', { region: undefined }],
    ['/us-ashburn-1/v1/actions/generateScopedAccessToken', { region: 'us-ashburn-1' }],
    ['/v1/users', undefined],
    ['/a/b/v1/actions/generateScopedAccessToken', undefined],
    ['/us-ashburn-1/v1/actions/generateScopedAccessToken/', undefined],
    ['v1/actions/generateScopedAccessToken', undefined],
    ['', undefined],
  ])('%j gives %j', (path, route) => {
    expect(parseActionPath(path)).toEqual(route);
  });
});

describe('opcRequestId', () => {
  it.each([
    ['no client id', undefined, 'SERVER'],
    ['a client id', 'client-42', 'client-42/SERVER'],
    ['98 printable characters', 'x'.repeat(98), `${'x'.repeat(98)}/SERVER`],
    ['99 characters', 'x'.repeat(99), 'SERVER'],
    ['a space', 'a b', 'SERVER'],
    ['an empty id', '', 'SERVER'],
    ['a repeated header', ['a', 'b'], 'SERVER'],
  ])('%s', (_name, clientId, id) => {
    expect(opcRequestId(clientId, 'SERVER')).toBe(id);
  });
});

describe('parseSignatureHeader', () => {
  it('reads the draft-cavage example header, names in lower case', () => {
    const header = 'Signature keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="';
    const params = parseSignatureHeader(header);
    expect(params && Object.fromEntries(params)).toEqual({
      keyid: 'Test',
      algorithm: 'rsa-sha256',
      headers: '(request-target) host date',
      signature: 'qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=',
    });
  });

  it.each([
    ['spaces around names, values and commas', '  signature  version = "1" ,  keyId="k"  ', { version: '1', keyid: 'k' }],
    ['an empty value', 'Signature keyId=""', { keyid: '' }],
  ])('accepts %s', (_name, header, params) => {
    const read = parseSignatureHeader(header);
    expect(read && Object.fromEntries(read)).toEqual(params);
  });

  it.each([
    ['another scheme', 'Bearer abc'],
    ['the scheme alone', 'Signature '],
    ['no scheme', 'keyId="k"'],
    ['a repeated parameter', 'Signature keyId="a",keyId="b"'],
    ['a missing comma', 'Signature keyId="a" algorithm="rsa-sha256"'],
    ['an unquoted value', 'Signature keyId=a'],
    ['an unterminated quote', 'Signature keyId="a'],
    ['a trailing comma and junk', 'Signature keyId="a",x'],
    ['a quote inside a value', 'Signature keyId="a"b"'],
  ])('refuses %s', (_name, header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
  });
});

describe('parseAuthorization', () => {
  const good = 'Signature version="1",keyId="t/u/f",algorithm="rsa-sha256",headers="x-date (request-target) host Content-Type Content-Length x-content-sha256",signature="c2ln"';

  it('reads what oci-common sends, with the signed header names in lower case', () => {
    expect(parseAuthorization(good)).toEqual({
      ok: true,
      value: { keyId: 't/u/f', signature: 'c2ln', headers: ['x-date', '(request-target)', 'host', 'content-type', 'content-length', 'x-content-sha256'] },
    });
  });

  it('defaults the signed headers to date, as the draft says', () => {
    expect(parseAuthorization('Signature keyId="k",algorithm="RSA-SHA256",signature="s"')).toEqual({ ok: true, value: { keyId: 'k', signature: 's', headers: ['date'] } });
  });

  it.each([
    ['no header', undefined, 'the request is not signed (no authorization header)'],
    ['an empty header', '', 'the request is not signed (no authorization header)'],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'the authorization header is not an HTTP signature'],
    ['version 2', good.replace('version="1"', 'version="2"'), 'unsupported signature version'],
    ['no keyId', good.replace('keyId="t/u/f",', ''), 'the signature has no keyId'],
    ['an empty keyId', good.replace('keyId="t/u/f"', 'keyId=""'), 'the signature has no keyId'],
    ['no signature', good.replace(',signature="c2ln"', ''), 'the signature has no signature value'],
    ['hmac', good.replace('rsa-sha256', 'hmac-sha256'), 'the signature algorithm must be rsa-sha256'],
    ['no algorithm', good.replace('algorithm="rsa-sha256",', ''), 'the signature algorithm must be rsa-sha256'],
  ])('refuses %s with a fixed reason', (_name, header, reason) => {
    expect(parseAuthorization(header)).toEqual({ ok: false, reason });
  });
});

describe('parseKeyId', () => {
  it.each([
    ['an API key', 'ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb', { kind: 'api_key', tenancy: 'ocid1.tenancy.oc1..t', user: 'ocid1.user.oc1..u', fingerprint: 'aa:bb' }],
    ['a security token', 'ST$eyJ.a/b.c', { kind: 'security_token', token: 'eyJ.a/b.c' }],
    ['an empty security token', 'ST$', { kind: 'security_token', token: '' }],
    ['two parts', 't/u', { kind: 'api_key', problem: 'keyId is neither <tenancy>/<user>/<fingerprint> nor ST$<token>' }],
    ['four parts', 't/u/f/x', { kind: 'api_key', problem: 'keyId is neither <tenancy>/<user>/<fingerprint> nor ST$<token>' }],
    ['an empty part', 't//f', { kind: 'api_key', problem: 'keyId is neither <tenancy>/<user>/<fingerprint> nor ST$<token>' }],
  ])('%s', (_name, keyId, parsed) => {
    expect(parseKeyId(keyId)).toEqual(parsed);
  });
});

describe('signingString', () => {
  // draft-cavage-http-signatures, appendix C: POST /foo?param=value&pet=dog to example.com.
  const request = {
    method: 'POST',
    url: '/foo?param=value&pet=dog',
    headers: {
      host: 'example.com',
      date: DATE,
      'content-type': 'application/json',
      digest: 'SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=',
      'content-length': '18',
    },
  };

  it('builds the draft\'s basic signing string', () => {
    expect(signingString(['(request-target)', 'host', 'date'], request)).toEqual({
      ok: true,
      value: `(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: ${DATE}`,
    });
  });

  it('builds the draft\'s all-headers signing string, in the order given', () => {
    expect(signingString(['(request-target)', 'host', 'date', 'content-type', 'digest', 'content-length'], request)).toEqual({
      ok: true,
      value: [
        '(request-target): post /foo?param=value&pet=dog',
        'host: example.com',
        `date: ${DATE}`,
        'content-type: application/json',
        'digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=',
        'content-length: 18',
      ].join('\n'),
    });
    expect(signingString(['date', 'host'], request)).toEqual({ ok: true, value: `date: ${DATE}\nhost: example.com` });
  });

  it('joins a header sent twice with ", "', () => {
    expect(signingString(['x-a'], { ...request, headers: { 'x-a': ['1', '2'] } })).toEqual({ ok: true, value: 'x-a: 1, 2' });
  });

  it.each([
    ['a header that was not sent', ['host', 'x-date'], 'the signed header x-date is missing'],
    ['an empty header', ['empty'], 'the signed header empty is missing'],
    ['a name with a space', ['bad name'], 'the signed headers list has an invalid name'],
    ['a name with a colon', ['host:'], 'the signed headers list has an invalid name'],
    ['a name in upper case (the list is lowered first)', ['Host'], 'the signed headers list has an invalid name'],
  ])('refuses %s', (_name, headers, reason) => {
    expect(signingString(headers, { ...request, headers: { ...request.headers, empty: '' } })).toEqual({ ok: false, reason });
  });

  it('rebuilds what oci-common signed, so that its signature verifies', async () => {
    const { privateKey, publicKey } = rsaKeyPairSync(2048);
    const provider = new common.SimpleAuthenticationDetailsProvider(
      'ocid1.tenancy.oc1..t',
      'ocid1.user.oc1..u',
      'aa:bb',
      privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      null,
    );
    const body = JSON.stringify({ scope: 'urn:oracle:db::id::*', publicKey: 'pem' });
    const headers = new Headers({ 'content-type': 'application/json' });
    await new common.DefaultRequestSigner(provider).signHttpRequest({
      method: 'POST',
      uri: 'http://127.0.0.1:1234/us-ashburn-1/v1/actions/generateScopedAccessToken',
      headers,
      body,
    });
    const sent = Object.fromEntries(headers.entries());
    const auth = parseAuthorization(sent.authorization);
    expect(auth).toMatchObject({ ok: true, value: { keyId: 'ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb' } });
    if (!auth.ok) return;
    const input = signingString(auth.value.headers, {
      method: 'POST',
      url: '/us-ashburn-1/v1/actions/generateScopedAccessToken',
      headers: { host: '127.0.0.1:1234', ...sent },
    });
    expect(input.ok).toBe(true);
    if (!input.ok) return;
    expect(input.value.split('\n')[1]).toBe('(request-target): post /us-ashburn-1/v1/actions/generateScopedAccessToken');
    expect(verify('sha256', Buffer.from(input.value), publicKey, Buffer.from(auth.value.signature, 'base64'))).toBe(true);
    const tampered = signingString(auth.value.headers, { method: 'POST', url: '/v1/actions/generateScopedAccessToken', headers: { host: '127.0.0.1:1234', ...sent } });
    expect(tampered.ok && verify('sha256', Buffer.from(tampered.value), publicKey, Buffer.from(auth.value.signature, 'base64'))).toBe(false);
  });
});

describe('parseTokenRequestBody', () => {
  it.each([
    ['the two fields', '{"scope":"urn:oracle:db::id::*","publicKey":"pem"}', { scope: 'urn:oracle:db::id::*', publicKey: 'pem' }],
    ['missing fields, left to the server to refuse', '{"other":1}', { scope: undefined, publicKey: undefined }],
    ['fields of other types', '{"scope":1,"publicKey":null}', { scope: 1, publicKey: null }],
    ['bad UTF-8, made U+FFFD', Buffer.concat([Buffer.from('{"scope":"'), Buffer.from([0xff]), Buffer.from('"}')]), { scope: '\ufffd', publicKey: undefined }],
  ])('reads %s', (_name, body, details) => {
    expect(parseTokenRequestBody(Buffer.from(body))).toEqual(details);
  });

  it.each([
    ['an empty body', ''],
    ['an array', '[1,2]'],
    ['a string', '"scope"'],
    ['truncated JSON', '{"scope":"urn'],
  ])('gives undefined for %s', (_name, body) => {
    expect(parseTokenRequestBody(Buffer.from(body))).toBeUndefined();
  });
});
