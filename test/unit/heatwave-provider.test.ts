import { createPublicKey, verify } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, TokenUnavailableError } from 'dbtoken';
import { heatwaveOciToken, NEVER } from 'dbtoken/oci';
import { heatwaveAuthResponse } from 'dbtoken/mysql2';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../helpers/oci-files.js';

const issuer = rsaKeys();
const keys = rsaKeys();
const hour = () => Math.floor(Date.now() / 1000) + 3600;

describe('heatwaveOciToken', () => {
  it('an API-key-only profile: empty token, the key as PKCS#8, the fingerprint, never expires', async () => {
    const dir = tempDir();
    const { configFile } = writeProfile(dir, { keys });
    const p = heatwaveOciToken({ configFile });
    const t = await p.getToken();
    expect(t.token).toBe('');
    expect(t.fingerprint).toBe(keys.fingerprint);
    expect(t.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(t.expiresAt).toEqual(NEVER);
    expect(inspect(t)).not.toContain('PRIVATE KEY');
    p.close();
  });

  it('a security-token profile: expiresAt is the token exp; the reply signs the nonce with the key', async () => {
    const dir = tempDir();
    const exp = hour();
    const token = securityToken(issuer.privateKey, { sub: 'ocid1.user.oc1..aaaaalice', exp });
    const { configFile } = writeProfile(dir, { keys, token: `${token}\n`, profile: 'session' });
    const p = heatwaveOciToken({ configFile, profile: 'session' });
    const t = await p.getToken();
    expect(t.token).toBe(token);
    expect(t.expiresAt.getTime()).toBe(exp * 1000);
    const nonce = Buffer.from([0x00, 0xfe, 0x01, 0xff, 0x0a]);
    const reply = heatwaveAuthResponse(nonce, t);
    expect(reply.at(-1)).not.toBe(0);
    const json = JSON.parse(reply.toString('utf8'));
    expect(Object.keys(json).sort()).toEqual(['fingerprint', 'signature', 'token']);
    expect(json.token).toBe(token);
    expect(verify('sha256', nonce, createPublicKey(keys.publicPem), Buffer.from(json.signature, 'base64'))).toBe(true);
    expect(heatwaveAuthResponse(Buffer.alloc(0), t)).toHaveLength(0);
    p.close();
  });

  it('picks up a token file rewritten by `oci session refresh`', async () => {
    const dir = tempDir();
    const first = securityToken(issuer.privateKey, { sub: 'ocid1.user.oc1..a', exp: hour() });
    const { configFile, tokenFile } = writeProfile(dir, { keys, token: first });
    const p = heatwaveOciToken({ configFile });
    expect((await p.getToken()).token).toBe(first);
    const second = securityToken(issuer.privateKey, { sub: 'ocid1.user.oc1..a', exp: hour() + 600 });
    writeFileSync(tokenFile!, second);
    let got = first;
    for (let i = 0; i < 100 && got === first; i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = (await p.getToken()).token;
    }
    expect(got).toBe(second);
    p.close();
  });

  it('a token that expires while in use is refused at the next fetch with a clear cause', async () => {
    const dir = tempDir();
    let now = Date.now();
    const { configFile } = writeProfile(dir, { keys, token: securityToken(issuer.privateKey, { sub: 'x', exp: Math.floor(now / 1000) + 120 }) });
    const p = heatwaveOciToken({ configFile }, { clock: () => now, retry: { attempts: 1 } });
    await p.getToken();
    now += 10 * 60_000;
    const err = await p.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).cause).toBeInstanceOf(ConfigError);
    expect(((err as Error).cause as Error).message).toMatch(/expired at .*oci session refresh --profile DEFAULT/);
    p.close();
  });

  it('a new token file after the old token expired and logins failed is used by the next call, without waiting out the rest', async () => {
    const dir = tempDir();
    let now = Date.now();
    const { configFile, tokenFile } = writeProfile(dir, { keys, token: securityToken(issuer.privateKey, { sub: 'x', exp: Math.floor(now / 1000) + 120 }) });
    const p = heatwaveOciToken({ configFile }, { clock: () => now });
    await p.getToken();
    now += 10 * 60_000; // expired: the fetch fails for a reason retrying cannot fix, and the identity rests
    expect(await p.getToken().catch((e: unknown) => e)).toBeInstanceOf(TokenUnavailableError);
    expect((await p.getToken().catch((e: unknown) => e) as Error).message).toMatch(/tries again in \d+ s/);
    const fresh = securityToken(issuer.privateKey, { sub: 'x', exp: Math.floor(now / 1000) + 3600 });
    writeFileSync(tokenFile!, fresh); // as `oci session authenticate` does
    expect((await p.getToken()).token).toBe(fresh); // at once: no watcher event is awaited
    expect(p.status()).toMatchObject({ failing: false });
    p.close();
  });

  it('a token file deleted, then rewritten in two steps, never discards the cached token that is still valid; status() reports the gap', async () => {
    const dir = tempDir();
    const first = securityToken(issuer.privateKey, { sub: 'x', exp: hour() });
    const { configFile, tokenFile } = writeProfile(dir, { keys, token: first });
    const p = heatwaveOciToken({ configFile });
    expect((await p.getToken()).token).toBe(first);
    rmSync(tokenFile!);
    expect((await p.getToken()).token).toBe(first);
    expect(p.status()).toMatchObject({ failing: true, lastErrorCode: 'ERR_DBTOKEN_CONFIG', expiresAt: expect.any(Date) });
    writeFileSync(tokenFile!, ''); // replaced non-atomically: empty first
    expect((await p.getToken()).token).toBe(first);
    const second = securityToken(issuer.privateKey, { sub: 'x', exp: hour() + 600 });
    writeFileSync(tokenFile!, second);
    expect((await p.getToken()).token).toBe(second);
    expect(p.status()).toMatchObject({ failing: false, lastErrorCode: undefined });
    p.close();
  });

  it('reads an encrypted key with pass_phrase', async () => {
    const dir = tempDir();
    const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    const { configFile } = writeProfile(dir, { keys, keyPem: pem, extra: 'pass_phrase=pw' });
    const p = heatwaveOciToken({ configFile });
    expect((await p.getToken()).privateKey).toBe(keys.privatePem);
    p.close();
  });
});

describe('heatwaveOciToken: broken profiles fail at once with a ConfigError naming the file and line', () => {
  const dir = tempDir();
  const expiredToken = securityToken(issuer.privateKey, { sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
  const encrypted = keys.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
  const cases: [string, string, RegExp, () => { configFile: string; profile?: string }][] = [
    ['a missing config file', 'configFile', /nowhere\/config cannot be read \(ENOENT\)/, () => ({ configFile: join(dir, 'nowhere/config') })],
    ['a missing profile', 'profile', /profile \[OTHER\] not found in .*config \(it has \[DEFAULT\]\)/, () => ({ ...writeProfile(tempDir(), { keys }), profile: 'OTHER' })],
    ['a missing fingerprint', 'fingerprint', /config:1: profile \[DEFAULT\] has no fingerprint/, () => {
      const d = tempDir();
      const f = join(d, 'config');
      writeFileSync(f, `[DEFAULT]\nkey_file=${join(d, 'k.pem')}\n`);
      return { configFile: f };
    }],
    ['a malformed fingerprint', 'fingerprint', /config:3: fingerprint must be 16 colon-separated hex pairs/, () => writeProfile(tempDir(), { keys, fingerprint: 'not-a-fingerprint' })],
    ['a missing key_file', 'key_file', /config:1: profile \[DEFAULT\] has no key_file/, () => {
      const d = tempDir();
      const f = join(d, 'config');
      writeFileSync(f, `[DEFAULT]\nfingerprint=${keys.fingerprint}\n`);
      return { configFile: f };
    }],
    ['an unreadable key', 'key_file', /config:4: key_file cannot be read \(ENOENT\)/, () => {
      const d = tempDir();
      const f = join(d, 'config');
      writeFileSync(f, `[DEFAULT]\nuser=u\nfingerprint=${keys.fingerprint}\nkey_file=${join(d, 'missing.pem')}\n`);
      return { configFile: f };
    }],
    ['a key file that is no key', 'key_file', /config:4: key_file is not a PEM private key/, () => writeProfile(tempDir(), { keys, keyPem: 'hello' })],
    ['an encrypted key without a passphrase', 'pass_phrase', /config:4: key_file is an encrypted key and profile \[DEFAULT\] has no pass_phrase/, () => writeProfile(tempDir(), { keys, keyPem: encrypted })],
    ['a wrong passphrase', 'pass_phrase', /pass_phrase does not decrypt key_file/, () => writeProfile(tempDir(), { keys, keyPem: encrypted, extra: 'pass_phrase=wrong' })],
    ['an expired security token', 'security_token_file', /config:7: the security token in security_token_file expired at .*oci session refresh/, () => writeProfile(tempDir(), { keys, token: expiredToken })],
    ['a malformed security token', 'security_token_file', /config:7: security_token_file does not hold a security token \(not a JWT/, () => writeProfile(tempDir(), { keys, token: 'garbage' })],
    ['a token file of 10 KB or more', 'security_token_file', /it must be under 10 KB/, () => writeProfile(tempDir(), { keys, token: 'x'.repeat(10_240) })],
    ['a syntax error in the config', 'configFile', /config:2: expected "key = value"/, () => {
      const d = tempDir();
      const f = join(d, 'config');
      writeFileSync(f, '[DEFAULT]\nthis is not ini\n');
      return { configFile: f };
    }],
    ['a profile name that is not a string', 'profile', /must be|is required/, () => ({ configFile: '/x', profile: 42 as never })],
    ['a configFile that is empty', 'configFile', /is required/, () => ({ configFile: '' })],
  ];

  it(`covers at least 15 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases)('%s -> %s', (_n, field, message, make) => {
    let err: unknown;
    try {
      heatwaveOciToken(make()).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('PRIVATE KEY');
  });
});
