import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { expandHome, parseOciConfig, resolveOciProfile } from '../../src/sources/oci/config-file.js';
import { jwtExpiry, jwtPayload, MalformedJwtError } from '../../src/core/jwt.js';

const F = '/home/u/.oci/config';

describe('parseOciConfig', () => {
  it.each([
    ['a minimal profile', '[DEFAULT]\nuser=ocid1.user.oc1..a\n', { DEFAULT: { user: ['ocid1.user.oc1..a', 2] } }],
    ['spaces around = and indentation', '[DEFAULT]\n  key_file  =  ~/.oci/key.pem  \n', { DEFAULT: { key_file: ['~/.oci/key.pem', 2] } }],
    ['comments and blank lines', '# c\n; c\n\n[A]\n# inside\nregion=us-ashburn-1\n', { A: { region: ['us-ashburn-1', 6] } }],
    ['CRLF line endings and a BOM', '\uFEFF[A]\r\nfingerprint=aa:bb\r\n', { A: { fingerprint: ['aa:bb', 2] } }],
    ['= inside a value', '[A]\npass_phrase=a=b=c\n', { A: { pass_phrase: ['a=b=c', 2] } }],
    ['an empty value', '[A]\npass_phrase=\n', { A: { pass_phrase: ['', 2] } }],
    ['spaces inside the header', '[ heatwave ]\nuser=x\n', { heatwave: { user: ['x', 2] } }],
    ['several profiles', '[DEFAULT]\na=1\n[B]\nb=2\n', { DEFAULT: { a: ['1', 2] }, B: { b: ['2', 4] } }],
  ])('%s', (_n, text, expected) => {
    const parsed = parseOciConfig(text, F);
    const simple = Object.fromEntries(
      Object.entries(parsed).map(([name, p]) => [name, Object.fromEntries(Object.entries(p.entries).map(([k, e]) => [k, [e.value, e.line]]))]),
    );
    expect(simple).toEqual(expected);
  });

  it.each([
    ['a key before any profile', 'user=x\n[A]\n', `${F}:1: "user" comes before any [PROFILE] header`],
    ['a line without =', '[A]\nuser x\n', `${F}:2: expected "key = value"`],
    ['an unterminated header', '[A\nuser=x\n', `${F}:1: malformed profile header`],
    ['an empty header', '[]\n', `${F}:1: malformed profile header`],
    ['a profile defined twice', '[A]\n[A]\n', `${F}:2: profile [A] is defined twice (first at line 1)`],
    ['a key set twice', '[A]\nuser=1\nuser=2\n', `${F}:3: "user" is set twice in one profile (first at line 2)`],
    ['a line starting with =', '[A]\n=x\n', `${F}:2: expected "key = value"`],
  ])('refuses %s, naming file and line', (_n, text, message) => {
    let err: unknown;
    try {
      parseOciConfig(text, F);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('configFile');
    expect((err as Error).message).toContain(message);
  });
});

describe('resolveOciProfile', () => {
  const cfg = parseOciConfig('[DEFAULT]\nregion=us-ashburn-1\nkey_file=a\n[P]\nkey_file=b\n', F);
  it('inherits DEFAULT entries and lets the profile override them', () => {
    const p = resolveOciProfile(cfg, 'P', F);
    expect(p.entries.region?.value).toBe('us-ashburn-1');
    expect(p.entries.key_file).toEqual({ value: 'b', line: 5 });
    expect(p.line).toBe(4);
  });
  it('names the profiles that exist when one is missing', () => {
    expect(() => resolveOciProfile(cfg, 'NOPE', F)).toThrow(/profile \[NOPE\] not found in \/home\/u\/.oci\/config \(it has \[DEFAULT\], \[P\]\)/);
  });
});

describe('expandHome', () => {
  it.each([
    ['~', '/home/u'],
    ['~/.oci/key.pem', '/home/u/.oci/key.pem'],
    ['/abs/key.pem', '/abs/key.pem'],
    ['rel/key.pem', 'rel/key.pem'],
    ['~other/key.pem', '~other/key.pem'],
  ])('%s -> %s', (input, out) => {
    expect(expandHome(input, '/home/u/')).toBe(out);
  });
});

describe('jwt', () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = (payload: unknown) => `${b64({ alg: 'RS256' })}.${b64(payload)}.c2ln`;
  it.each([
    ['exp in seconds', jwt({ exp: 1_800_000_000 }), new Date(1_800_000_000_000)],
    ['exp with other claims', jwt({ sub: 'ocid1.user', exp: 1, jwk: {} }), new Date(1000)],
  ])('reads %s', (_n, token, date) => {
    expect(jwtExpiry(token)).toEqual(date);
  });
  it.each([
    ['two parts', 'a.b'],
    ['non-base64url characters', 'a.b+c.d'],
    ['a payload that is not JSON', `x.${Buffer.from('nope').toString('base64url')}.y`],
    ['a payload that is an array', jwt([1])],
    ['no exp', jwt({ sub: 'x' })],
    ['a string exp', jwt({ exp: '1800000000' })],
    ['an empty payload part', 'a..c'],
  ])('refuses %s', (_n, token) => {
    expect(() => jwtExpiry(token)).toThrow(MalformedJwtError);
  });
  it('reads the payload', () => {
    expect(jwtPayload(jwt({ a: 1 }))).toEqual({ a: 1 });
  });
});
