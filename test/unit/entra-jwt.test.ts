import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { verifyEntraToken, type EntraJwks, type VerifyEntraTokenOptions } from 'dbtoken/testing';
import { decodeJwt, jwkThumbprint, jwksKey, parseJwks, rsaSigningJwk, signJwt, verifyRs256 } from '../../src/testing/entra/jwt.js';
import { ecKeyPairSync, rsaKeyPairSync } from '../../src/testing/key-pairs.js';

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

const issuerKey = rsaKeyPairSync(2048);
const otherKey = rsaKeyPairSync(2048);
const jwk = rsaSigningJwk(issuerKey.privateKey);
const jwks: EntraJwks = { keys: [jwk] };

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ISSUER = `https://sts.windows.net/${TENANT}/`;
const AUDIENCE = 'https://ossrdbms-aad.database.windows.net';
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const NOW_S = NOW / 1000;
const ALICE_OID = 'a11ce000-0000-4000-8000-000000000001';
const APP_OID = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const GUEST = 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com';

const userClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  aud: AUDIENCE,
  iss: ISSUER,
  iat: NOW_S - 60,
  nbf: NOW_S - 60,
  exp: NOW_S + 3540,
  tid: TENANT,
  oid: ALICE_OID,
  sub: 'pairwise-sub',
  upn: 'alice@contoso.com',
  unique_name: 'alice@contoso.com',
  name: 'Alice',
  idtyp: 'user',
  ver: '1.0',
  ...over,
});
const appClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => {
  const { upn: _u, unique_name: _n, name: _m, ...rest } = userClaims({ oid: APP_OID, sub: APP_OID, appid: '11111111-2222-4333-8444-555555555555', idtyp: 'app' });
  return { ...rest, ...over };
};

const sign = (claims: Record<string, unknown>, key: KeyObject = issuerKey.privateKey, header: Record<string, unknown> = { kid: jwk.kid }): string => signJwt(header, claims, key);

const check = (over: Partial<VerifyEntraTokenOptions> = {}): VerifyEntraTokenOptions => ({ jwks, audience: AUDIENCE, issuer: ISSUER, user: 'alice@contoso.com', now: NOW, ...over });

describe('RS256 JWT helpers (node:crypto only)', () => {
  it('signJwt makes a compact RS256 JWS that decodeJwt takes apart and verifyRs256 checks', () => {
    const token = signJwt({ kid: 'k1', alg: 'none' }, { a: 1, s: 'é' }, issuerKey.privateKey);
    const d = decodeJwt(token);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    // alg cannot be overridden by the header given.
    expect(d.value.header).toEqual({ typ: 'JWT', kid: 'k1', alg: 'RS256' });
    expect(d.value.payload).toEqual({ a: 1, s: 'é' });
    expect(d.value.signingInput).toBe(token.split('.').slice(0, 2).join('.'));
    expect(d.value.signature).toHaveLength(256);
    expect(verifyRs256(d.value, issuerKey.publicKey)).toBe(true);
    expect(verifyRs256(d.value, createPublicKey(issuerKey.privateKey))).toBe(true);
    expect(verifyRs256(d.value, otherKey.publicKey)).toBe(false);
    expect(verifyRs256({ ...d.value, signingInput: `${d.value.signingInput}x` }, issuerKey.publicKey)).toBe(false);
    expect(verifyRs256(d.value, ecKeyPairSync().publicKey)).toBe(false);
  });

  it('signJwt refuses keys that cannot make RS256', () => {
    expect(() => signJwt({}, {}, issuerKey.publicKey)).toThrow(TypeError);
    expect(() => signJwt({}, {}, ecKeyPairSync().privateKey)).toThrow(TypeError);
  });

  it.each([
    ['not a string', 42, 'token is not a JWT'],
    ['empty', '', 'token is not a JWT'],
    ['one part', 'abc', 'token is not a JWT'],
    ['two parts', `${b64({ alg: 'RS256' })}.${b64({})}`, 'token is not a JWT'],
    ['four parts', `${b64({ alg: 'RS256' })}.${b64({})}.c2ln.eA`, 'token is not a JWT'],
    ['an empty signature (alg none style)', `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`, 'token is not a JWT'],
    ['standard base64 characters', `${b64({ alg: 'RS256' })}.${b64({})}.ab+/`, 'token is not a JWT'],
    ['padding', `${b64({ alg: 'RS256' })}.${b64({})}.c2lnbg==`, 'token is not a JWT'],
    ['whitespace', ` ${b64({ alg: 'RS256' })}.${b64({})}.c2ln`, 'token is not a JWT'],
    ['a header that is not JSON', `${b64('not json')}.${b64({})}.c2ln`, 'token header is not a JSON object'],
    ['a header that is an array', `${b64([1])}.${b64({})}.c2ln`, 'token header is not a JSON object'],
    ['a payload that is a string', `${b64({ alg: 'RS256' })}.${b64('"x"')}.c2ln`, 'token payload is not a JSON object'],
    ['a payload that is null', `${b64({ alg: 'RS256' })}.${b64('null')}.c2ln`, 'token payload is not a JSON object'],
    ['a payload that is not UTF-8', `${b64({ alg: 'RS256' })}.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.c2ln`, 'token payload is not a JSON object'],
  ])('decodeJwt refuses %s', (_n, token, reason) => {
    expect(decodeJwt(token)).toEqual({ ok: false, reason });
  });

  it('jwkThumbprint is RFC 7638 (its section 3.1 example)', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    const key = createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' });
    expect(jwkThumbprint(key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('rsaSigningJwk gives the public key as a signing JWK named by its thumbprint, from either half', () => {
    expect(jwk).toEqual({ kty: 'RSA', use: 'sig', kid: jwkThumbprint(issuerKey.publicKey), n: expect.stringMatching(/^[A-Za-z0-9_-]{342}$/), e: 'AQAB' });
    expect(rsaSigningJwk(issuerKey.publicKey)).toEqual(jwk);
    expect(JSON.stringify(jwk)).not.toMatch(/"d"|"p"|"q"/);
    expect(() => rsaSigningJwk(ecKeyPairSync().publicKey)).toThrow(TypeError);
  });

  it.each([
    ['not an object', 'keys', 'the JWKS is not an object with a keys array'],
    ['no keys array', { keys: {} }, 'the JWKS is not an object with a keys array'],
    ['no keys', { keys: [] }, 'the JWKS has no RSA signing key'],
    ['only an EC key', { keys: [{ kty: 'EC', kid: 'e', crv: 'P-256', x: 'x', y: 'y' }] }, 'the JWKS has no RSA signing key'],
    ['only an encryption key', { keys: [{ ...jwk, use: 'enc' }] }, 'the JWKS has no RSA signing key'],
    ['only an RS512 key', { keys: [{ ...jwk, alg: 'RS512' }] }, 'the JWKS has no RSA signing key'],
    ['only a key without kid', { keys: [{ kty: 'RSA', n: jwk.n, e: jwk.e }] }, 'the JWKS has no RSA signing key'],
  ])('parseJwks refuses a document with %s', (_n, doc, reason) => {
    expect(parseJwks(doc)).toEqual({ ok: false, reason });
  });

  it('parseJwks keeps the RSA signing keys (as Entra publishes them, with x5c and issuer) and drops the rest', () => {
    const doc = { keys: [{ kty: 'EC', kid: 'e' }, { ...jwk, alg: 'RS256', x5c: ['MIIC...'], issuer: 'https://login.microsoftonline.com/x/v2.0' }, { ...jwk, kid: 'enc', use: 'enc' }] };
    expect(parseJwks(doc)).toEqual({ ok: true, value: { keys: [jwk] } });
  });

  it('jwksKey finds the key named by kid, and refuses unknown kids and weak or broken keys', () => {
    const found = jwksKey(jwks, jwk.kid);
    expect(found.ok && found.value.asymmetricKeyType).toBe('rsa');
    expect(jwksKey(jwks, 'other')).toEqual({ ok: false, reason: "no key in the JWKS has the token's kid" });
    const weak = rsaSigningJwk(rsaKeyPairSync(1024).publicKey);
    expect(jwksKey({ keys: [weak] }, weak.kid)).toEqual({ ok: false, reason: 'the JWKS key is not a usable RSA key' });
    expect(jwksKey({ keys: [{ ...jwk, n: '' }] }, jwk.kid)).toEqual({ ok: false, reason: 'the JWKS key is not a usable RSA key' });
  });
});

describe('verifyEntraToken: the checks Azure Database for PostgreSQL / MySQL make of an Entra token', () => {
  const good = sign(userClaims());
  const [gh, gp, gs] = good.split('.') as [string, string, string];
  const hmacWithPublicKey = (() => {
    const pem = issuerKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const input = `${b64({ typ: 'JWT', alg: 'HS256', kid: jwk.kid })}.${gp}`;
    return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
  })();
  const rsHeaderHmacSignature = (() => {
    const pem = issuerKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return `${gh}.${gp}.${createHmac('sha256', pem).update(`${gh}.${gp}`).digest('base64url')}`;
  })();
  const tamperedPayload = `${gh}.${b64({ ...userClaims(), oid: APP_OID })}.${gs}`;

  it('accepts a good token and says who and until when', () => {
    expect(verifyEntraToken(good, check())).toEqual({
      ok: true,
      user: 'alice@contoso.com',
      objectId: ALICE_OID,
      matchedBy: 'upn',
      expiresAt: new Date((NOW_S + 3540) * 1000),
      claims: userClaims(),
    });
  });

  it.each<[string, string, Partial<VerifyEntraTokenOptions>, string]>([
    ['expired beyond the 5 minute skew', sign(userClaims({ exp: NOW_S - 301 })), {}, 'token has expired'],
    ['expired exactly 5 minutes ago', sign(userClaims({ exp: NOW_S - 300 })), {}, 'token has expired'],
    ['expired a moment ago, with no skew allowed', sign(userClaims({ exp: NOW_S })), { clockSkewMs: 0 }, 'token has expired'],
    ['not yet valid beyond the skew', sign(userClaims({ nbf: NOW_S + 301 })), {}, 'token is not yet valid'],
    ['with a non-numeric nbf', sign(userClaims({ nbf: 'soon' })), {}, 'token is not yet valid'],
    ['without exp', sign(userClaims({ exp: undefined })), {}, 'token has no exp'],
    ['with a string exp', sign(userClaims({ exp: String(NOW_S + 60) })), {}, 'token has no exp'],
    ['for another audience', sign(userClaims({ aud: 'https://database.windows.net/' })), {}, `token audience is not ${AUDIENCE}`],
    ['for the audience with a trailing slash', sign(userClaims({ aud: `${AUDIENCE}/` })), {}, `token audience is not ${AUDIENCE}`],
    ['from another issuer', sign(userClaims({ iss: 'https://sts.windows.net/00000000-0000-4000-8000-000000000000/' })), {}, `token issuer is not ${ISSUER}`],
    ['from the v2.0 issuer of the tenant', sign(userClaims({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0` })), {}, `token issuer is not ${ISSUER}`],
    ['signed by another key under the same kid (forged)', sign(userClaims(), otherKey.privateKey), {}, 'token signature does not verify'],
    ['signed by another key under its own kid', sign(userClaims(), otherKey.privateKey, { kid: rsaSigningJwk(otherKey.publicKey).kid }), {}, "no key in the JWKS has the token's kid"],
    ['with a tampered payload', tamperedPayload, {}, 'token signature does not verify'],
    ['with the signature of another token', `${gh}.${gp}.${sign(userClaims({ oid: APP_OID })).split('.')[2]}`, {}, 'token signature does not verify'],
    ['with alg none and a signature', `${b64({ typ: 'JWT', alg: 'none', kid: jwk.kid })}.${gp}.${gs}`, {}, 'token alg is not RS256'],
    ['with alg none and no signature', `${b64({ alg: 'none' })}.${gp}.`, {}, 'token is not a JWT'],
    ['HS256, keyed with the public key (algorithm confusion)', hmacWithPublicKey, {}, 'token alg is not RS256'],
    ['an HMAC by the public key under an RS256 header', rsHeaderHmacSignature, {}, 'token signature does not verify'],
    ['with alg RS512', `${b64({ alg: 'RS512', kid: jwk.kid })}.${gp}.${gs}`, {}, 'token alg is not RS256'],
    ['without kid', sign(userClaims(), issuerKey.privateKey, {}), {}, 'token header has no kid'],
    ['malformed (not three parts)', 'eyJhbGciOiJSUzI1NiJ9.e30', {}, 'token is not a JWT'],
    ['malformed (junk)', 'not a token at all', {}, 'token is not a JWT'],
    ['malformed (payload not JSON)', `${gh}.${b64('{"oid":')}.${gs}`, {}, 'token payload is not a JSON object'],
  ])('refuses a token %s', (_n, token, over, reason) => {
    const v = verifyEntraToken(token, check(over));
    expect(v).toEqual({ ok: false, reason });
    for (const part of token.split('.')) if (part.length > 8) expect(reason).not.toContain(part);
  });

  it.each<[string, string, Partial<VerifyEntraTokenOptions>]>([
    ['expired 4 minutes ago (within the skew)', sign(userClaims({ exp: NOW_S - 240 })), {}],
    ['valid from 4 minutes ahead (within the skew)', sign(userClaims({ nbf: NOW_S + 240 })), {}],
    ['without nbf', sign(userClaims({ nbf: undefined })), {}],
    ['with the audience in an array', sign(userClaims({ aud: ['https://other', AUDIENCE] })), {}],
    ['for another audience the server expects', sign(userClaims({ aud: 'https://database.windows.net/' })), { audience: 'https://database.windows.net/' }],
  ])('accepts a token %s', (_n, token, over) => {
    expect(verifyEntraToken(token, check(over))).toMatchObject({ ok: true });
  });

  it.each<[string, Record<string, unknown>, Partial<VerifyEntraTokenOptions>, string | { matchedBy: string }]>([
    ['upn equal to the user', {}, {}, { matchedBy: 'upn' }],
    ['unique_name equal to the user (upn differs)', { upn: 'alice@old.contoso.com' }, {}, { matchedBy: 'unique_name' }],
    ['unique_name only (no upn)', { upn: undefined }, {}, { matchedBy: 'unique_name' }],
    ['upn in another case', {}, { user: 'Alice@contoso.com' }, 'token is for another user'],
    ['upn of another user', { upn: 'carol@contoso.com', unique_name: 'carol@contoso.com' }, {}, 'token is for another user'],
    ['a guest UPN with #EXT#', { upn: GUEST, unique_name: GUEST }, { user: GUEST }, { matchedBy: 'upn' }],
    ['a guest UPN, logging in with the home address', { upn: GUEST, unique_name: GUEST }, { user: 'bob@fabrikam.com' }, 'token is for another user'],
    ['a guest UPN, in another case', { upn: GUEST, unique_name: GUEST }, { user: GUEST.replace('#EXT#', '#ext#') }, 'token is for another user'],
    ['upn matching but byUpn off', {}, { byUpn: false }, 'alice@contoso.com is not a role bound to an object id'],
    ['a role bound to the oid', {}, { user: 'alice', roles: { alice: ALICE_OID } }, { matchedBy: 'oid' }],
    ['a role bound to the oid written in upper case', {}, { user: 'alice', roles: { alice: ALICE_OID.toUpperCase() } }, { matchedBy: 'oid' }],
    ['a role bound to the oid, byUpn off', {}, { user: 'alice', roles: { alice: ALICE_OID }, byUpn: false }, { matchedBy: 'oid' }],
    ['a role bound to another oid', {}, { user: 'alice', roles: { alice: APP_OID } }, 'token oid is not the object id role alice is bound to'],
    ['a role named like the upn but bound to another oid', {}, { roles: { 'alice@contoso.com': APP_OID } }, 'token oid is not the object id role alice@contoso.com is bound to'],
    ['a role bound to an oid, and a token without oid', { oid: undefined }, { user: 'alice', roles: { alice: ALICE_OID } }, 'token has no oid'],
    ['a user named like an Object.prototype member', {}, { user: 'constructor', roles: {} }, 'token is for another user'],
    ['a user named __proto__', {}, { user: '__proto__', roles: { alice: ALICE_OID } }, 'token is for another user'],
  ])('matches the user: %s', (_n, claims, over, expected) => {
    const v = verifyEntraToken(sign(userClaims(claims)), check(over));
    if (typeof expected === 'string') expect(v).toEqual({ ok: false, reason: expected });
    else expect(v).toMatchObject({ ok: true, ...expected });
  });

  it('matches an app token (no upn) only through roles', () => {
    const token = sign(appClaims());
    expect(verifyEntraToken(token, check({ user: 'app', roles: { app: APP_OID } }))).toMatchObject({ ok: true, objectId: APP_OID, matchedBy: 'oid' });
    expect(verifyEntraToken(token, check({ user: 'app' }))).toEqual({ ok: false, reason: 'token is for another user' });
  });

  it("matches a role bound to an app's client id, as MySQL's CREATE AADUSER ... IDENTIFIED BY binds it, for app-only tokens only", () => {
    const CLIENT = '11111111-2222-4333-8444-555555555555';
    for (const appidacr of ['1', '2']) {
      expect(verifyEntraToken(sign(appClaims({ appidacr })), check({ user: 'app', roles: { app: CLIENT.toUpperCase() } }))).toMatchObject({ ok: true, objectId: APP_OID, matchedBy: 'appid' });
    }
    // A user's token carries the appid of the client it signed in with (Azure CLI's): that is not the user.
    const viaCli = sign(userClaims({ appid: CLIENT, appidacr: '0' }));
    expect(verifyEntraToken(viaCli, check({ user: 'app', roles: { app: CLIENT } }))).toEqual({ ok: false, reason: 'token oid is not the object id role app is bound to' });
    // Without appidacr, an appid is not taken as the caller's.
    expect(verifyEntraToken(sign(appClaims()), check({ user: 'app', roles: { app: CLIENT } }))).toEqual({ ok: false, reason: 'token oid is not the object id role app is bound to' });
  });

  it('never accepts a token with any one character changed', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.constantFrom(...alphabet), (at, c) => {
        fc.pre(good[at] !== c);
        const mutated = good.slice(0, at) + c + good.slice(at + 1);
        const v = verifyEntraToken(mutated, check());
        // Changing the unused low bits of the last base64url character can decode to the same bytes.
        if (v.ok) return Buffer.from(mutated.split('.')[2] ?? '', 'base64url').equals(Buffer.from(gs, 'base64url')) && mutated.split('.').slice(0, 2).join('.') === `${gh}.${gp}`;
        return !v.reason.includes(gs) && !v.reason.includes(gp);
      }),
      { numRuns: 300 },
    );
  });

  it.each<[string, Partial<VerifyEntraTokenOptions>, string]>([
    ['jwks that is not a JWKS', { jwks: { keys: 'x' } as never }, 'jwks'],
    ['jwks without RSA keys', { jwks: { keys: [] } }, 'jwks'],
    ['an empty audience', { audience: '' }, 'audience'],
    ['no issuer', { issuer: undefined as never }, 'issuer'],
    ['a user that is not a string', { user: 5 as never }, 'user'],
    ['a role bound to something not a GUID', { roles: { app: 'app-object' } }, 'roles.app'],
    ['roles that are not an object', { roles: ['x'] as never }, 'roles'],
    ['byUpn that is not boolean', { byUpn: 'yes' as never }, 'byUpn'],
    ['more than 5 minutes of skew', { clockSkewMs: 300_001 }, 'clockSkewMs'],
    ['a negative skew', { clockSkewMs: -1 }, 'clockSkewMs'],
    ['a now that is not a number', { now: 'today' as never }, 'now'],
  ])('throws a ConfigError for %s', (_n, over, field) => {
    let err: unknown;
    try {
      verifyEntraToken(good, check(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });
});
