import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, TokenUnavailableError, tokenProvider } from 'dbtoken';
import { heatwaveOciToken } from 'dbtoken/oci';
import { parseOciConfig, resolveOciProfile } from '../../../src/sources/oci/config-file.js';
import { ociDbSource, validateOciDbConfig } from '../../../src/sources/oci/db-token.js';
import { jwtExpiry, jwtPayload, MalformedJwtError } from '../../../src/core/jwt.js';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../../helpers/oci-files.js';

const issuer = rsaKeys();
const keys = rsaKeys();
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: unknown): string => `${b64({ alg: 'RS256' })}.${b64(claims)}.c2ln`;

describe('the OCI config parser on hostile text', () => {
  it.each([
    ['"[" and 200,000 spaces, no "]"', `[${' '.repeat(200_000)}`],
    ['"[" and 200,000 tabs and spaces, then text', `[${' \t'.repeat(100_000)}x`],
    ['a header of 200,000 "["', '['.repeat(200_000)],
    ['200,000 "=" on one line', `[A]\n${'='.repeat(200_000)}`],
  ])('%s is refused at once (linear parsing; a quadratic one would outlast the test)', (_name, text) => {
    const err = (() => {
      try {
        parseOciConfig(text, '/home/u/.oci/config');
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('configFile');
    expect((err as ConfigError).fix).not.toBe('');
  });

  it('a secret pasted as a key or profile name is never echoed in a message', () => {
    const secret = jwt({ sub: 'x', exp: 2_000_000_000, pad: 'A'.repeat(80) });
    for (const text of [`${secret} = 1\n[A]`, `[A]\n${secret}=1\n${secret}=2`, `[${secret}]\n[${secret}]`]) {
      const msg = (() => {
        try {
          parseOciConfig(text, 'config');
          return '';
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(msg).toMatch(/config:\d/);
      expect(msg).not.toContain(secret);
      expect(msg).not.toContain(secret.slice(0, 40));
    }
  });

  it('property: any text either parses or is refused with a ConfigError on configFile that echoes no value', () => {
    const secretValue = 'S3CR3T-VALUE-0123456789abcdef';
    const line = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom('[DEFAULT]', '[A]', '[ A ]', '[', ']', '[]', '[[x]]', 'key_file=~/k.pem', `pass_phrase = ${secretValue}`, `security_token_file=${secretValue}`, '# c', '; c', '=', ' = x', '\r', '\uFEFF[A]'),
      fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })).map(([k, v]) => `${k}=${v}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.join(eol);
        try {
          const config = parseOciConfig(text, 'config');
          for (const name of Object.keys(config)) {
            expect(name).not.toBe('');
            resolveOciProfile(config, name, 'config');
          }
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect(['configFile', 'profile']).toContain((e as ConfigError).field);
          expect((e as Error).message).not.toContain(secretValue);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('property: long hostile lines of a few KB parse or are refused, whatever their shape', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('[', ']', ' ', '\t', '=', 'a', '#', ';', '\uFEFF', '\r'), minLength: 1_000, maxLength: 8_000 }), (text) => {
        try {
          parseOciConfig(text, 'config');
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('JWT exp', () => {
  it.each([
    ['1e300', 1e300],
    ['just past what a Date holds', 8.64e12 + 1],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
  ])('an exp of %s is refused, not turned into an Invalid Date', (_name, exp) => {
    expect(() => jwtExpiry(jwt({ exp }))).toThrow(MalformedJwtError);
  });

  it('the largest exp a Date holds is accepted', () => {
    expect(jwtExpiry(jwt({ exp: 8.64e12 })).getTime()).toBe(8.64e15);
  });

  it('property: any string is a Date with a valid time or a MalformedJwtError, and no message contains it', () => {
    const claims = fc.record({ exp: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null), fc.bigInt().map(String)) }, { requiredKeys: [] });
    const candidate = fc.oneof(
      fc.string({ maxLength: 200 }),
      claims.map(jwt),
      fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join('.')),
      fc.jsonValue().map((v) => `${b64({})}.${Buffer.from(JSON.stringify(v)).toString('base64url')}.x`),
    );
    fc.assert(
      fc.property(candidate, (token) => {
        try {
          const d = jwtExpiry(token);
          expect(Number.isNaN(d.getTime())).toBe(false);
          expect(d.getTime()).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedJwtError);
          if (token.length > 8) expect((e as Error).message).not.toContain(token);
        }
        try {
          jwtPayload(token);
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedJwtError);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('heatwaveOciToken refuses such a token file at creation, naming security_token_file', () => {
    const token = securityToken(issuer.privateKey, { sub: 'ocid1.user.oc1..aaaaalice', exp: 1e300 });
    const { configFile } = writeProfile(tempDir(), { keys, token });
    const err = (() => {
      try {
        heatwaveOciToken({ configFile });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('security_token_file');
    expect((err as Error).message).not.toContain(token);
  });

  it('a token file that turns into one after creation fails the fetch with TokenUnavailableError carrying that cause', async () => {
    const good = securityToken(issuer.privateKey, { sub: 'ocid1.user.oc1..aaaaalice', exp: Math.floor(Date.now() / 1000) + 3600 });
    const { configFile, tokenFile } = writeProfile(tempDir(), { keys, token: good });
    const p = heatwaveOciToken({ configFile }, { retry: { attempts: 1 } });
    try {
      await p.getToken();
      writeFileSync(tokenFile!, securityToken(issuer.privateKey, { sub: 'ocid1.user.oc1..aaaaalice', exp: 1e300 }));
      p.invalidate();
      const err = await p.getToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenUnavailableError);
      expect((err as Error).cause).toBeInstanceOf(ConfigError);
      expect(((err as Error).cause as ConfigError).field).toBe('security_token_file');
    } finally {
      p.close();
    }
  });

  it('an IAM reply with such a db-token fails the fetch with TokenUnavailableError carrying a MalformedJwtError', async () => {
    const { configFile } = writeProfile(tempDir(), { keys });
    const config = validateOciDbConfig({ scope: 'urn:oracle:db::id::*', auth: { type: 'api_key', configFile }, endpoint: 'http://127.0.0.1:9' });
    const client = { generateScopedAccessToken: async () => ({ token: jwt({ exp: 1e300 }), privateKey: keys.privatePem }), close: () => {} };
    const p = tokenProvider(ociDbSource(config, { client }), { retry: { attempts: 1 } });
    try {
      const err = await p.getToken().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenUnavailableError);
      expect((err as Error).cause).toBeInstanceOf(MalformedJwtError);
    } finally {
      p.close();
    }
  });
});
