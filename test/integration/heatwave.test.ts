import { createPublicKey, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamPool, InsecureTransportError, tokenProvider, type TokenProvider } from 'dbtoken';
import { heatwaveOciToken } from 'dbtoken/oci';
import { mysql2AuthPlugins } from 'dbtoken/mysql2';
import { startHeatwaveEmulator, type HeatwaveEmulator } from 'dbtoken/testing';
// @ts-expect-error plain JS helper
import { selfSignedCert } from '../../scripts/servers/tls.mjs';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../helpers/oci-files.js';

const ALICE = 'ocid1.user.oc1..aaaaalice';
const BOB = 'ocid1.user.oc1..aaaabob';
const GROUP = 'ocid1.group.oc1..aaaadevs';
const issuer = rsaKeys();
const aliceKey = rsaKeys();
const bobKey = rsaKeys();
const sessionKey = rsaKeys();
const strangerKey = rsaKeys();
const hour = () => Math.floor(Date.now() / 1000) + 3600;
const jwk = (k: ReturnType<typeof rsaKeys>) => k.publicKey.export({ format: 'jwk' });

let hw: HeatwaveEmulator;
let ca: string;
let nonces: Buffer[] = [];
const providers: TokenProvider[] = [];
const pools: mysql.Pool[] = [];

beforeAll(async () => {
  const tls = selfSignedCert();
  ca = tls.cert;
  hw = await startHeatwaveEmulator({
    iamUsers: [
      { ocid: ALICE, apiKeys: [{ fingerprint: aliceKey.fingerprint, publicKey: aliceKey.publicPem }] },
      { ocid: BOB, groups: [GROUP], apiKeys: [{ fingerprint: bobKey.fingerprint, publicKey: bobKey.publicPem }] },
    ],
    tokenIssuerPublicKey: issuer.publicPem,
    mysqlUsers: [
      { name: 'alice', iamUser: ALICE },
      { name: '', groupMapping: { [GROUP]: 'dev_proxy' } },
    ],
    tls: { key: tls.key, cert: tls.cert },
    nonce: () => nonces.shift() ?? Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37) % 256)),
  });
});

afterAll(async () => {
  for (const p of pools) await p.end().catch(() => {});
  for (const p of providers) p.close();
  await hw?.close();
});

async function pool(token: TokenProvider, user: string, extra: Record<string, unknown> = {}) {
  providers.push(token);
  const p = await createIamPool({ driver: 'mysql2', token, host: hw.host, port: hw.port, user, ssl: { ca }, ...extra });
  pools.push(p);
  return p;
}

async function whoami(p: mysql.Pool) {
  const c = await p.getConnection();
  try {
    const [rows] = await c.query('SELECT USER(), CURRENT_USER()');
    const r = (rows as Record<string, string>[])[0]!;
    return [r['USER()'], r['CURRENT_USER()']];
  } finally {
    c.destroy();
  }
}

describe('MySQL HeatWave OCI IAM login (authentication_oci_client) against the emulator, over TLS', () => {
  it('logs in with an API-key profile', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
    const p = await pool(heatwaveOciToken({ configFile }), 'alice');
    expect(await whoami(p)).toEqual(['alice@127.0.0.1', 'alice@%']);
    expect(hw.logins.at(-1)).toMatchObject({ ok: true, method: 'api-key', principal: ALICE, tls: true });
  });

  it('logs in with a security-token profile (oci session authenticate)', async () => {
    const token = securityToken(issuer.privateKey, { sub: ALICE, exp: hour(), jwk: jwk(sessionKey) });
    const { configFile } = writeProfile(tempDir(), { keys: sessionKey, token, profile: 'session' });
    const p = await pool(heatwaveOciToken({ configFile, profile: 'session' }), 'alice');
    expect(await whoami(p)).toEqual(['alice@127.0.0.1', 'alice@%']);
    expect(hw.logins.at(-1)).toMatchObject({ ok: true, method: 'security-token', principal: ALICE });
  });

  it('a group mapped through a proxy user shows USER() != CURRENT_USER()', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: bobKey });
    const p = await pool(heatwaveOciToken({ configFile }), 'bob');
    const [user, current] = await whoami(p);
    expect(user).toBe('bob@127.0.0.1');
    expect(current).toBe('dev_proxy@%');
    expect(user).not.toBe(current);
  });

  it.each([
    ['a wrong key (the profile\'s key is not the registered one)', () => writeProfile(tempDir(), { keys: strangerKey, fingerprint: aliceKey.fingerprint })],
    ['a wrong fingerprint (not registered with IAM)', () => writeProfile(tempDir(), { keys: strangerKey })],
  ])('refuses %s with 1045, after exactly one retry', async (_n, make) => {
    const { configFile } = make();
    const before = hw.logins.length;
    const p = await pool(heatwaveOciToken({ configFile }), 'alice');
    const err = await p.query('SELECT 1').catch((e: unknown) => e);
    expect((err as { errno?: number }).errno).toBe(1045);
    expect(hw.logins.slice(before).map((l) => l.ok)).toEqual([false, false]);
  });

  it('refuses an expired security token with 1045 (a provider whose clock lags lets it through)', async () => {
    const exp = Math.floor(Date.now() / 1000) - 60;
    const token = securityToken(issuer.privateKey, { sub: ALICE, exp, jwk: jwk(sessionKey) });
    const { configFile } = writeProfile(tempDir(), { keys: sessionKey, token });
    // dbtoken itself never hands out an expired token: only a clock two hours behind fools it.
    const lagging = () => Date.now() - 2 * 3_600_000;
    const p = await pool(heatwaveOciToken({ configFile }, { clock: lagging }), 'alice');
    const err = await p.query('SELECT 1').catch((e: unknown) => e);
    expect((err as { errno?: number }).errno).toBe(1045);
    expect(hw.logins.at(-1)).toMatchObject({ ok: false, method: 'security-token' });
    expect(hw.logins.at(-1)!.reason).toMatch(/expired/);
  });

  it('a pool picks up a refreshed token file for its next connection, without a restart', async () => {
    const first = securityToken(issuer.privateKey, { sub: ALICE, exp: hour(), jwk: jwk(sessionKey), jti: 'first' });
    const { configFile, tokenFile } = writeProfile(tempDir(), { keys: sessionKey, token: first });
    const p = await pool(heatwaveOciToken({ configFile }), 'alice');
    await whoami(p);
    const sentFirst = JSON.parse(hw.logins.at(-1)!.reply.toString()).token;
    expect(sentFirst).toBe(first);
    // `oci session refresh` writes a new token with a later exp.
    const second = securityToken(issuer.privateKey, { sub: ALICE, exp: hour() + 1800, jwk: jwk(sessionKey), jti: 'second' });
    writeFileSync(tokenFile!, second);
    let sent = sentFirst;
    for (let i = 0; i < 50 && sent !== second; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await whoami(p);
      sent = JSON.parse(hw.logins.at(-1)!.reply.toString()).token;
    }
    expect(sent).toBe(second);
    expect(hw.logins.at(-1)!.ok).toBe(true);
  });

  describe('wire format, byte for byte', () => {
    it('signs every nonce byte as received (0x00, 0xFE, 0xFF included) and sends raw JSON with no trailing NUL', async () => {
      const nonce = Buffer.from([0x00, 0xfe, 0x41, 0x00, 0xff, 0xfe, 0x01, 0x00, 0x00, 0x0a, 0x0d]);
      nonces = [nonce];
      const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
      const p = await pool(heatwaveOciToken({ configFile }), 'alice');
      await whoami(p);
      const login = hw.logins.at(-1)!;
      expect(login.ok).toBe(true);
      expect(login.nonce.equals(nonce)).toBe(true);
      const reply = login.reply;
      expect(reply[0]).toBe(0x7b); // '{'
      expect(reply.at(-1)).toBe(0x7d); // '}' and nothing after it
      expect(reply.includes(0)).toBe(false);
      const json = JSON.parse(reply.toString('utf8'));
      expect(Object.keys(json).sort()).toEqual(['fingerprint', 'signature', 'token']);
      expect(json.fingerprint).toBe(aliceKey.fingerprint);
      expect(json.token).toBe('');
      expect(json.signature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/); // standard base64, padded, no newlines
      expect(verify('sha256', nonce, createPublicKey(aliceKey.publicPem), Buffer.from(json.signature, 'base64'))).toBe(true);
    });

    it('answers an empty nonce with an empty packet', async () => {
      nonces = [Buffer.alloc(0), Buffer.alloc(0)];
      const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
      const before = hw.logins.length;
      const p = await pool(heatwaveOciToken({ configFile }), 'alice');
      await p.query('SELECT 1').catch(() => {});
      const login = hw.logins[before]!;
      expect(login.nonce).toHaveLength(0);
      expect(login.reply).toHaveLength(0);
      expect(login.reason).toMatch(/empty nonce \(the client sent an empty reply\)/);
      nonces = [];
    });
  });

  it('refuses to log in without TLS unless allowInsecureTransport is set', async () => {
    const { configFile } = writeProfile(tempDir(), { keys: aliceKey });
    const token = heatwaveOciToken({ configFile });
    providers.push(token);
    await expect(createIamPool({ driver: 'mysql2', token, host: hw.host, port: hw.port, user: 'alice' })).rejects.toBeInstanceOf(InsecureTransportError);
    const before = hw.logins.length;
    const err = await mysql.createConnection({ host: hw.host, port: hw.port, user: 'alice', authPlugins: mysql2AuthPlugins(token) }).catch((e: unknown) => e);
    expect((err as Error).cause).toBeInstanceOf(InsecureTransportError);
    expect(hw.logins.slice(before).every((l) => l.reply.length === 0)).toBe(true);
    const p = await pool(heatwaveOciToken({ configFile }), 'alice', { ssl: undefined, allowInsecureTransport: true });
    expect(await whoami(p)).toEqual(['alice@127.0.0.1', 'alice@%']);
    expect(hw.logins.at(-1)).toMatchObject({ ok: true, tls: false });
  });

  it('a provider without a key is a clear DbTokenError, not a crash', async () => {
    const p = await pool(tokenProvider(async () => ({ token: 'x', expiresAt: new Date(Date.now() + 3_600_000) })), 'alice');
    const err = await p.query('SELECT 1').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ERR_DBTOKEN_CONFIG');
    expect((err as Error).message).toMatch(/authentication_oci_client needs a provider whose tokens carry privateKey and fingerprint/);
  });
});
