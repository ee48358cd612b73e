import crypto, { type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ociKeyFingerprint, startHeatwaveEmulator, type HeatwaveEmulator, type HeatwaveLogin } from '../../src/testing/heatwave/server.js';
import { selfSignedCert } from '../../scripts/servers/tls.mjs';
import { emulatorCertificates } from '../../src/testing/certificates.js';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

interface Rsa {
  publicKey: KeyObject;
  privateKey: KeyObject;
  pem: string;
  fingerprint: string;
}

function rsa(): Rsa {
  const { publicKey, privateKey } = rsaKeyPairSync(2048);
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { publicKey, privateKey, pem, fingerprint: ociKeyFingerprint(pem) };
}

const ALICE = 'ocid1.user.oc1..alice';
const BOB = 'ocid1.user.oc1..bob';
const CAROL = 'ocid1.user.oc1..carol';
const EVE = 'ocid1.user.oc1..eve';
const DB_GROUP = 'ocid1.group.oc1..dbusers';
const OTHER_GROUP = 'ocid1.group.oc1..other';

const alice = rsa();
const bob = rsa();
const eve = rsa();
const intruder = rsa();
const issuer = rsa();
const otherIssuer = rsa();
const session = rsa();

let hw: HeatwaveEmulator;
let clock = Date.now();
let nonceOverride: Buffer | undefined;
const open: mysql.Connection[] = [];

beforeAll(async () => {
  hw = await startHeatwaveEmulator({
    iamUsers: [
      { ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.pem }] },
      { ocid: BOB, groups: [OTHER_GROUP, DB_GROUP], apiKeys: [{ fingerprint: bob.fingerprint, publicKey: bob.pem }] },
      { ocid: CAROL },
      { ocid: EVE, groups: [OTHER_GROUP], apiKeys: [{ fingerprint: eve.fingerprint, publicKey: eve.pem }] },
    ],
    tokenIssuerPublicKey: issuer.pem,
    mysqlUsers: [
      { name: 'iam_alice', iamUser: ALICE },
      { name: 'iam_carol', iamUser: CAROL },
      { name: '', groupMapping: { [DB_GROUP]: 'dbproxy' } },
    ],
    now: () => clock,
    nonce: () => nonceOverride ?? crypto.randomBytes(32),
  });
});

afterAll(async () => {
  for (const c of open) c.destroy();
  await hw?.close();
});

interface PluginOptions {
  fingerprint: string;
  privateKey: KeyObject;
  token?: string;
  /** Collects every nonce the plugin was given. */
  seen?: Buffer[];
  /** Rewrites the JSON reply bytes. */
  transform?: (reply: Buffer) => Buffer;
}

/** The test's own `authentication_oci_client` for mysql2. */
function ociPlugin({ fingerprint, privateKey, token = '', seen, transform }: PluginOptions) {
  return {
    authentication_oci_client: () => (nonce: Buffer) => {
      seen?.push(Buffer.from(nonce));
      if (nonce.length === 0) return Buffer.alloc(0);
      const signature = crypto.sign('sha256', nonce, privateKey).toString('base64');
      const body = Buffer.from(JSON.stringify({ fingerprint, signature, token }));
      return transform ? transform(body) : body;
    },
  };
}

async function connect(user: string, plugin: PluginOptions, extra: Partial<mysql.ConnectionOptions> = {}, server: HeatwaveEmulator = hw) {
  const conn = await mysql.createConnection({ host: server.host, port: server.port, user, authPlugins: ociPlugin(plugin), ...extra });
  open.push(conn);
  return conn;
}

async function whoami(conn: mysql.Connection) {
  const [rows] = await conn.query('SELECT USER(), CURRENT_USER()');
  return (rows as Record<string, string>[])[0]!;
}

function lastLogin(server: HeatwaveEmulator = hw): HeatwaveLogin {
  return server.logins.at(-1)!;
}

function jwt(payload: Record<string, unknown>, key: KeyObject = issuer.privateKey, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

const sessionJwk = session.publicKey.export({ format: 'jwk' });
const inAnHour = () => Math.floor(clock / 1000) + 3600;

describe('ociKeyFingerprint', () => {
  it('is MD5 over the DER SPKI, colon-separated lowercase hex, as openssl computes it', () => {
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: alice.pem });
    const md5 = execFileSync('openssl', ['md5', '-c'], { input: der }).toString().trim().split(/\s+/).at(-1);
    expect(alice.fingerprint).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){15}$/);
    expect(alice.fingerprint).toBe(md5);
    expect(ociKeyFingerprint(alice.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toBe(alice.fingerprint);
    expect(ociKeyFingerprint(alice.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string)).toBe(alice.fingerprint);
  });

  it('a registered fingerprint that does not match its key fails at start', async () => {
    await expect(
      startHeatwaveEmulator({ iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: bob.fingerprint, publicKey: alice.pem }] }], mysqlUsers: [] }),
    ).rejects.toThrow(/has fingerprint/);
  });
});

describe('API-key logins', () => {
  it('a directly mapped user logs in; USER() and CURRENT_USER() name the same account', async () => {
    const conn = await connect('iam_alice', alice);
    const who = await whoami(conn);
    expect(who).toEqual({ 'USER()': 'iam_alice@127.0.0.1', 'CURRENT_USER()': 'iam_alice@%' });
    expect(who['USER()']!.split('@')[0]).toBe(who['CURRENT_USER()']!.split('@')[0]);
    const login = lastLogin();
    expect(login).toMatchObject({ user: 'iam_alice', account: 'iam_alice', ok: true, method: 'api-key', principal: ALICE, currentUser: 'iam_alice@%', tls: false });
    expect(login.reason).toBeUndefined();
    expect(login.nonce.length).toBe(32);
    await conn.end();
  });

  it('keeps the raw reply for byte checks, but out of sight of printing', async () => {
    const conn = await connect('iam_alice', alice);
    await conn.end();
    const login = lastLogin();
    expect(Object.keys(login)).not.toContain('reply');
    const reply = JSON.parse(login.reply.toString('utf8')) as { fingerprint: string; signature: string; token: string };
    expect(reply.fingerprint).toBe(alice.fingerprint);
    expect(login.reply.at(-1)).not.toBe(0x00);
    expect(JSON.stringify(hw.logins)).not.toContain(reply.signature);
    expect(Buffer.from(reply.signature, 'base64').length).toBe(256);
  });

  it('answers SELECT 1, aliases, lower case, COM_PING; other SQL gets ERR 1064', async () => {
    const conn = await connect('iam_alice', alice);
    expect((await conn.query('SELECT 1'))[0]).toEqual([{ 1: 1 }]);
    expect((await conn.query('select user() as u, current_user c;'))[0]).toEqual([{ u: 'iam_alice@127.0.0.1', c: 'iam_alice@%' }]);
    // A reserved word as an alias needs quotes, as on MySQL.
    await expect(conn.query('SELECT CURRENT_USER() AS current_user')).rejects.toMatchObject({ errno: 1064, sqlState: '42000' });
    expect((await conn.query('SELECT USER() AS user, CURRENT_USER() AS `current_user`'))[0]).toEqual([{ user: 'iam_alice@127.0.0.1', current_user: 'iam_alice@%' }]);
    await conn.ping();
    await expect(conn.query('SELECT * FROM mysql.user')).rejects.toMatchObject({ errno: 1064, sqlState: '42000' });
    expect((await conn.query('SELECT 1'))[0]).toEqual([{ 1: 1 }]);
    // Without TLS, MySQL's Ssl_cipher is empty.
    expect((await conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'"))[0]).toEqual([{ Variable_name: 'Ssl_cipher', Value: '' }]);
    await conn.end();
  });

  it('answers SET and SELECT @@variables as MySQL does, with the status flags of the session', async () => {
    const conn = await connect('iam_alice', alice);
    const [names] = await conn.query("SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'");
    expect(names).toMatchObject({ affectedRows: 0, serverStatus: 0x0002 });
    const [off] = await conn.query('SET @@session.autocommit = OFF');
    expect(off).toMatchObject({ serverStatus: 0x0000 });
    expect((await conn.query('SELECT @@session.autocommit, @@collation_connection AS c, @@version_comment'))[0]).toEqual([
      { '@@session.autocommit': 0, c: 'utf8mb4_unicode_ci', '@@version_comment': 'MySQL Enterprise - Cloud' },
    ]);
    expect((await conn.query('BEGIN'))[0]).toMatchObject({ serverStatus: 0x0001 });
    expect((await conn.query('COMMIT'))[0]).toMatchObject({ serverStatus: 0x0000 });
    await conn.query('SET character_set_results = NULL, autocommit = 1');
    expect((await conn.query('SELECT @@character_set_results r, @@autocommit a'))[0]).toEqual([{ r: null, a: 1 }]);
    await expect(conn.query('SELECT @@no_such_variable')).rejects.toMatchObject({ errno: 1193, sqlState: 'HY000', message: "Unknown system variable 'no_such_variable'" });
    await expect(conn.query('SET GLOBAL wait_timeout = 1')).rejects.toMatchObject({ errno: 1227, sqlState: '42000' });
    await expect(conn.query("SET time_zone = 'Nowhere/Never'")).rejects.toMatchObject({ errno: 1298 });
    // A refused SET leaves the session as it was, and the session goes on.
    expect((await conn.query('SELECT @@time_zone, CURRENT_USER()'))[0]).toEqual([{ '@@time_zone': 'SYSTEM', 'CURRENT_USER()': 'iam_alice@%' }]);
    await conn.end();
  });

  it('a user in a mapped group logs in through the anonymous account as the proxy user', async () => {
    const conn = await connect('bob', bob);
    const who = await whoami(conn);
    expect(who).toEqual({ 'USER()': 'bob@127.0.0.1', 'CURRENT_USER()': 'dbproxy@%' });
    expect(who['USER()']).not.toBe(who['CURRENT_USER()']);
    expect(lastLogin()).toMatchObject({ user: 'bob', account: '', ok: true, principal: BOB, currentUser: 'dbproxy@%' });
    await conn.end();
  });

  it('a user in no mapped group is refused with 1045', async () => {
    await expect(connect('eve', eve)).rejects.toMatchObject({ errno: 1045, sqlState: '28000', code: 'ER_ACCESS_DENIED_ERROR' });
    expect(lastLogin()).toMatchObject({ user: 'eve', account: '', ok: false, principal: EVE, reason: "none of the IAM user's groups is mapped" });
  });

  it("another IAM user's account is refused, with no fallback to the anonymous account", async () => {
    await expect(connect('iam_carol', bob)).rejects.toMatchObject({ errno: 1045, message: expect.stringContaining("Access denied for user 'iam_carol'@'127.0.0.1'") });
    expect(lastLogin()).toMatchObject({ account: 'iam_carol', ok: false, principal: BOB, reason: 'the IAM user is not mapped to this account' });
  });

  it('a signature by the wrong key is refused with 1045', async () => {
    await expect(connect('iam_alice', { fingerprint: alice.fingerprint, privateKey: intruder.privateKey })).rejects.toMatchObject({ errno: 1045, sqlState: '28000' });
    expect(lastLogin()).toMatchObject({ ok: false, principal: ALICE, reason: 'signature does not verify' });
  });

  it('an unregistered fingerprint is refused with 1045', async () => {
    await expect(connect('iam_alice', intruder)).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin()).toMatchObject({ ok: false, reason: 'unknown fingerprint' });
    expect(lastLogin().principal).toBeUndefined();
  });

  it('a JSON reply with a trailing NUL is refused; the same reply without it is accepted', async () => {
    await expect(connect('iam_alice', { ...alice, transform: (b) => Buffer.concat([b, Buffer.from([0])]) })).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin()).toMatchObject({ ok: false, reason: 'reply ends with a NUL byte' });
    expect(lastLogin().reply.at(-1)).toBe(0x00);
    const conn = await connect('iam_alice', alice);
    await conn.end();
    expect(lastLogin().ok).toBe(true);
  });

  it('accepts varied whitespace in the JSON', async () => {
    const pretty = (b: Buffer) => Buffer.from(JSON.stringify(JSON.parse(b.toString()), null, '\t').replace(/":/g, '" :\r\n'));
    const conn = await connect('iam_alice', { ...alice, transform: pretty });
    await conn.end();
    expect(lastLogin().ok).toBe(true);
  });

  it('refuses a signature that is not standard base64', async () => {
    const urlSafe = (b: Buffer) => {
      const r = JSON.parse(b.toString()) as { signature: string };
      return Buffer.from(JSON.stringify({ ...r, signature: Buffer.from(r.signature, 'base64').toString('base64url') }));
    };
    await expect(connect('iam_alice', { ...alice, transform: urlSafe })).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin().reason).toBe('signature is not standard base64');
  });

  it('signs the nonce byte for byte: 0x00 and 0xFE bytes, a leading 0x00 and a trailing 0x00 survive', async () => {
    const special = Buffer.from([0x00, 0xfe, 0x41, 0x00, 0xff, 0xfe, 0x01, 0x00, 0x00]);
    nonceOverride = special;
    const seen: Buffer[] = [];
    try {
      const conn = await connect('iam_alice', { ...alice, seen });
      await conn.end();
    } finally {
      nonceOverride = undefined;
    }
    expect(seen).toEqual([special]);
    expect(lastLogin()).toMatchObject({ ok: true, nonce: special });
  });

  it('an empty nonce gets an empty reply, which the emulator records and refuses', async () => {
    nonceOverride = Buffer.alloc(0);
    const seen: Buffer[] = [];
    try {
      await expect(connect('iam_alice', { ...alice, seen })).rejects.toMatchObject({ errno: 1045 });
    } finally {
      nonceOverride = undefined;
    }
    expect(seen).toEqual([Buffer.alloc(0)]);
    const login = lastLogin();
    expect(login).toMatchObject({ ok: false, reason: 'empty nonce (the client sent an empty reply)' });
    expect(login.nonce.length).toBe(0);
    expect(login.reply.length).toBe(0);
  });

  it('records a client that gives up before replying', async () => {
    const failing = { authentication_oci_client: () => () => Promise.reject(new Error('no key')) };
    await expect(mysql.createConnection({ host: hw.host, port: hw.port, user: 'iam_alice', authPlugins: failing })).rejects.toMatchObject({
      code: 'AUTH_SWITCH_PLUGIN_ERROR',
    });
    await vi.waitFor(() => expect(lastLogin()).toMatchObject({ ok: false, reason: 'connection closed before the reply' }));
  });
});

describe('security-token logins', () => {
  const tokenLogin = (token: string, over: Partial<PluginOptions> = {}) => connect('iam_carol', { fingerprint: session.fingerprint, privateKey: session.privateKey, token, ...over });

  it('a valid token logs in as its subject, signed by the session key', async () => {
    const conn = await tokenLogin(jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk }));
    expect(await whoami(conn)).toEqual({ 'USER()': 'iam_carol@127.0.0.1', 'CURRENT_USER()': 'iam_carol@%' });
    expect(lastLogin()).toMatchObject({ ok: true, method: 'security-token', principal: CAROL, currentUser: 'iam_carol@%' });
    expect(JSON.stringify(lastLogin())).not.toContain('eyJ');
    await conn.end();
  });

  it.each([
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
  ])('accepts a token read from a file that ends in %s, as the C plugin and dbtoken trim it', async (_name, end) => {
    const conn = await tokenLogin(`${jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk })}${end}`);
    expect(await whoami(conn)).toEqual({ 'USER()': 'iam_carol@127.0.0.1', 'CURRENT_USER()': 'iam_carol@%' });
    expect(lastLogin()).toMatchObject({ ok: true, method: 'security-token', principal: CAROL });
    expect(JSON.parse(lastLogin().reply.toString()).token.endsWith(end)).toBe(true);
    await conn.end();
  });

  it.each([
    ['a newline inside', (t: string) => t.replace('.', '.\n')],
    ['a space inside', (t: string) => t.replace('.', ' .')],
    ['text after a newline', (t: string) => `${t}\ngarbage`],
    ['a second token on the next line', (t: string) => `${t}\r\n${t}\r\n`],
  ])('still refuses a token with %s', async (_name, spoil) => {
    await expect(tokenLogin(spoil(jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk })))).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin()).toMatchObject({ ok: false, method: 'security-token', reason: 'malformed security token' });
  });

  it('accepts the jwk claim as a JSON string too', async () => {
    const conn = await tokenLogin(jwt({ sub: CAROL, exp: inAnHour(), jwk: JSON.stringify(sessionJwk) }));
    await conn.end();
    expect(lastLogin().ok).toBe(true);
  });

  it('an expired token is refused with 1045, following the now() clock', async () => {
    const exp = Math.floor(clock / 1000) + 60;
    const token = jwt({ sub: CAROL, exp, jwk: sessionJwk });
    const conn = await tokenLogin(token);
    await conn.end();
    const saved = clock;
    clock = exp * 1000;
    try {
      await expect(tokenLogin(token)).rejects.toMatchObject({ errno: 1045, sqlState: '28000' });
    } finally {
      clock = saved;
    }
    expect(lastLogin()).toMatchObject({ ok: false, method: 'security-token', reason: 'security token has expired' });
    await expect(tokenLogin(jwt({ sub: CAROL, exp: Math.floor(clock / 1000) - 1, jwk: sessionJwk }))).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin().reason).toBe('security token has expired');
  });

  it('a token from another issuer is refused', async () => {
    await expect(tokenLogin(jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk }, otherIssuer.privateKey))).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin().reason).toBe('security token signature does not verify');
  });

  it('a fingerprint that is not the token key is refused', async () => {
    await expect(tokenLogin(jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk }), { fingerprint: alice.fingerprint })).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin()).toMatchObject({ reason: 'fingerprint does not match the security token key', principal: CAROL });
  });

  it('a nonce signed by a key other than the token key is refused', async () => {
    await expect(tokenLogin(jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk }), { privateKey: alice.privateKey })).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin().reason).toBe('signature does not verify');
  });

  it('malformed tokens and other algorithms are refused, and reasons never quote the token', async () => {
    const good = jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk });
    for (const [token, reason] of [
      ['not-a-jwt', 'malformed security token'],
      [good.split('.').slice(0, 2).join('.'), 'malformed security token'],
      [jwt({ sub: CAROL, exp: inAnHour(), jwk: sessionJwk }, issuer.privateKey, { alg: 'HS256' }), 'security token is not RS256'],
      [jwt({ exp: inAnHour(), jwk: sessionJwk }), 'security token has no sub'],
      [jwt({ sub: CAROL, jwk: sessionJwk }), 'security token has no exp'],
      [jwt({ sub: CAROL, exp: inAnHour() }), 'security token has no jwk'],
      [jwt({ sub: 'ocid1.user.oc1..nobody', exp: inAnHour(), jwk: sessionJwk }), 'token subject is not a known IAM user'],
    ] as const) {
      await expect(tokenLogin(token)).rejects.toMatchObject({ errno: 1045 });
      expect(lastLogin().reason).toBe(reason);
    }
    for (const l of hw.logins) expect(l.reason ?? '').not.toMatch(/eyJ/);
  });
});

/** A bare-bones MySQL client for checking the wire format. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', () => {});
  return {
    socket,
    async packet(): Promise<{ seq: number; payload: Buffer }> {
      for (;;) {
        if (buf.length >= 4) {
          const len = buf.readUIntLE(0, 3);
          if (buf.length >= 4 + len) {
            const p = { seq: buf[3]!, payload: buf.subarray(4, 4 + len) };
            buf = buf.subarray(4 + len);
            return p;
          }
        }
        if (closed) throw new Error('closed');
        await new Promise<void>((r) => (wake = r));
      }
    },
    get closed() {
      return closed;
    },
  };
}

function frame(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = seq;
  return Buffer.concat([head, payload]);
}

describe('wire format', () => {
  it('greets as MySQL 8 with mysql_native_password, and handles packets split and coalesced', async () => {
    const c = rawClient(hw.port);
    const hello = await c.packet();
    expect(hello.seq).toBe(0);
    const g = hello.payload;
    expect(g[0]).toBe(10);
    const verEnd = g.indexOf(0, 1);
    expect(g.subarray(1, verEnd).toString()).toMatch(/heatwave-emulator/);
    let pos = verEnd + 1 + 4;
    const salt1 = g.subarray(pos, pos + 8);
    pos += 9;
    const capsLow = g.readUInt16LE(pos);
    const charset = g[pos + 2];
    const status = g.readUInt16LE(pos + 3);
    const caps = capsLow | (g.readUInt16LE(pos + 5) << 16);
    const saltLen = g[pos + 7]!;
    pos += 8 + 10;
    const salt2 = g.subarray(pos, pos + saltLen - 8 - 1);
    expect(g[pos + salt2.length]).toBe(0);
    const plugin = g.subarray(pos + salt2.length + 1, g.indexOf(0, pos + salt2.length + 1)).toString();
    expect(Buffer.concat([salt1, salt2]).length).toBe(20);
    expect(plugin).toBe('mysql_native_password');
    expect([45, 255]).toContain(charset);
    expect(status).toBe(2);
    for (const flag of [0x1, 0x8, 0x200, 0x2000, 0x8000, 0x80000, 0x200000]) expect(caps & flag).toBe(flag);
    expect(caps & 0x800).toBe(0x800); // TLS of its own
    expect(caps & 0x1000000).toBe(0); // no CLIENT_DEPRECATE_EOF

    // HandshakeResponse41 with a 1-byte auth-response length, written one byte at a time.
    const flags = 0x1 | 0x200 | 0x8000 | 0x80000;
    const head = Buffer.alloc(32);
    head.writeUInt32LE(flags, 0);
    head.writeUInt32LE(1 << 24, 4);
    head[8] = 255;
    const response = Buffer.concat([head, Buffer.from('iam_alice\0'), Buffer.from([20]), crypto.randomBytes(20), Buffer.from('mysql_native_password\0')]);
    for (const byte of frame(1, response)) {
      c.socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const sw = await c.packet();
    expect(sw.seq).toBe(2);
    expect(sw.payload[0]).toBe(0xfe);
    const nameEnd = sw.payload.indexOf(0, 1);
    expect(sw.payload.subarray(1, nameEnd).toString()).toBe('authentication_oci_client');
    const nonce = sw.payload.subarray(nameEnd + 1);
    expect(nonce.length).toBe(32);

    // The reply (with odd whitespace) and a COM_PING in one write.
    const signature = crypto.sign('sha256', nonce, alice.privateKey).toString('base64');
    const reply = Buffer.from(`  {\n "token" : "",\t"signature":"${signature}" ,"fingerprint":\r\n"${alice.fingerprint}"}\n`);
    c.socket.write(Buffer.concat([frame(3, reply), frame(0, Buffer.from([0x0e]))]));
    const ok = await c.packet();
    expect(ok).toMatchObject({ seq: 4 });
    expect(ok.payload[0]).toBe(0x00);
    const pong = await c.packet();
    expect(pong.seq).toBe(1);
    expect(pong.payload[0]).toBe(0x00);

    // SELECT 1: a text result set with EOF packets.
    c.socket.write(frame(0, Buffer.concat([Buffer.from([0x03]), Buffer.from('SELECT 1')])));
    const parts = [];
    for (let i = 0; i < 5; i++) parts.push(await c.packet());
    expect(parts.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(parts[0]!.payload).toEqual(Buffer.from([1]));
    expect(parts[2]!.payload[0]).toBe(0xfe);
    expect(parts[3]!.payload).toEqual(Buffer.from([1, 0x31]));
    expect(parts[4]!.payload[0]).toBe(0xfe);

    // An unknown command, then COM_QUIT.
    c.socket.write(frame(0, Buffer.from([0x1f])));
    const err = await c.packet();
    expect(err.payload[0]).toBe(0xff);
    c.socket.write(frame(0, Buffer.from([0x01])));
    await vi.waitFor(() => expect(c.closed).toBe(true));
  });
});

describe('without an anonymous account, and over TLS', () => {
  const { cert, key } = selfSignedCert();
  let tlsHw: HeatwaveEmulator;

  beforeAll(async () => {
    tlsHw = await startHeatwaveEmulator({
      iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.pem }] }],
      mysqlUsers: [{ name: 'iam_alice', iamUser: ALICE }],
      tls: { key, cert },
    });
  });

  afterAll(async () => {
    await tlsHw?.close();
  });

  it('logs in over TLS (mysql2 ssl: { ca }), sequence ids continuing after the SSLRequest', async () => {
    const conn = await connect('iam_alice', alice, { ssl: { ca: cert } }, tlsHw);
    expect(await whoami(conn)).toEqual({ 'USER()': 'iam_alice@127.0.0.1', 'CURRENT_USER()': 'iam_alice@%' });
    expect(lastLogin(tlsHw)).toMatchObject({ ok: true, tls: true });
    // The session's cipher, as the client negotiated it.
    const cipher = (conn.connection as unknown as { stream: tls.TLSSocket }).stream.getCipher().name;
    expect(cipher).toMatch(/^TLS_|-/);
    expect((await conn.query('show status like \'ssl_cipher\';'))[0]).toEqual([{ Variable_name: 'Ssl_cipher', Value: cipher }]);
    await conn.end();
  });

  it('hands back the given certificate as its CA', () => {
    expect(tlsHw.ca).toBe(cert);
  });

  it('upgrades when the SSLRequest and the TLS ClientHello arrive in one chunk', async () => {
    const c = rawClient(tlsHw.port);
    const hello = await c.packet();
    const capsLow = hello.payload.readUInt16LE(hello.payload.indexOf(0, 1) + 1 + 4 + 9);
    expect(capsLow & 0x800).toBe(0x800);
    const flags = 0x1 | 0x200 | 0x800 | 0x8000 | 0x80000 | 0x200000;
    const head = Buffer.alloc(32);
    head.writeUInt32LE(flags, 0);
    head[8] = 255;
    c.socket.removeAllListeners('data');
    c.socket.cork();
    c.socket.write(frame(1, head));
    const secure = tls.connect({ socket: c.socket, ca: cert, servername: 'localhost' });
    process.nextTick(() => c.socket.uncork());
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const response = Buffer.concat([head, Buffer.from('iam_alice\0'), Buffer.from([0]), Buffer.from('mysql_native_password\0')]);
    let buf = Buffer.alloc(0);
    const next = () =>
      new Promise<{ seq: number; payload: Buffer }>((resolve) => {
        const tryRead = () => {
          if (buf.length >= 4 && buf.length >= 4 + buf.readUIntLE(0, 3)) {
            const len = buf.readUIntLE(0, 3);
            const p = { seq: buf[3]!, payload: buf.subarray(4, 4 + len) };
            buf = buf.subarray(4 + len);
            secure.off('data', onData);
            resolve(p);
          }
        };
        const onData = (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          tryRead();
        };
        secure.on('data', onData);
        tryRead();
      });
    secure.write(frame(2, response));
    const sw = await next();
    expect(sw.seq).toBe(3);
    const nonce = sw.payload.subarray(sw.payload.indexOf(0, 1) + 1);
    const signature = crypto.sign('sha256', nonce, alice.privateKey).toString('base64');
    secure.write(frame(4, Buffer.from(JSON.stringify({ fingerprint: alice.fingerprint, signature, token: '' }))));
    const ok = await next();
    expect(ok.seq).toBe(5);
    expect(ok.payload[0]).toBe(0x00);
    secure.end(frame(0, Buffer.from([0x01])));
    expect(lastLogin(tlsHw)).toMatchObject({ ok: true, tls: true });
  });

  it('still serves a client that does not ask for TLS', async () => {
    const conn = await connect('iam_alice', alice, {}, tlsHw);
    await conn.end();
    expect(lastLogin(tlsHw)).toMatchObject({ ok: true, tls: false });
  });

  it('refuses an unknown user with 1045 before any auth switch', async () => {
    const seen: Buffer[] = [];
    await expect(connect('nobody', { ...alice, seen }, { ssl: { ca: cert } }, tlsHw)).rejects.toMatchObject({
      errno: 1045,
      sqlState: '28000',
      message: expect.stringContaining("Access denied for user 'nobody'@'127.0.0.1'"),
    });
    expect(seen).toEqual([]);
    expect(lastLogin(tlsHw)).toMatchObject({ user: 'nobody', ok: false, reason: 'no such account', tls: true });
    expect(lastLogin(tlsHw).account).toBeUndefined();
  });

  it('refuses security tokens when no issuer key is configured', async () => {
    const token = jwt({ sub: ALICE, exp: inAnHour(), jwk: sessionJwk });
    await expect(connect('iam_alice', { fingerprint: session.fingerprint, privateKey: session.privateKey, token }, {}, tlsHw)).rejects.toMatchObject({ errno: 1045 });
    expect(lastLogin(tlsHw).reason).toBe('security tokens are not accepted (no tokenIssuerPublicKey)');
  });
});

it('close() drops open connections and stops listening', async () => {
  const server = await startHeatwaveEmulator({
    iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.pem }] }],
    mysqlUsers: [{ name: 'iam_alice', iamUser: ALICE }],
  });
  const conn = await connect('iam_alice', alice, {}, server);
  await server.close();
  await expect(conn.query('SELECT 1')).rejects.toThrow();
  await expect(mysql.createConnection({ host: server.host, port: server.port, user: 'iam_alice' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});

it('the default nonce is 32 bytes of 1..127 without $, as a MySQL scramble: never a NUL at the end', async () => {
  const server = await startHeatwaveEmulator({
    iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.pem }] }],
    mysqlUsers: [{ name: 'iam_alice', iamUser: ALICE }],
  });
  try {
    const seen: Buffer[] = [];
    for (let i = 0; i < 64; i++) {
      const conn = await connect('iam_alice', { ...alice, seen }, {}, server);
      await conn.end();
    }
    expect(seen).toHaveLength(64);
    expect(server.logins.map((l) => l.ok)).toEqual(Array(64).fill(true));
    for (const nonce of seen) {
      expect(nonce.length).toBe(32);
      expect([...nonce].filter((b) => b === 0x00 || b === 0x24 || b > 0x7f)).toEqual([]);
    }
    // Random, not fixed: no two connections got the same nonce.
    expect(new Set(seen.map((n) => n.toString('hex'))).size).toBe(64);
  } finally {
    await server.close();
  }
});

describe('TLS of its own', () => {
  const users = {
    iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.pem }] }],
    mysqlUsers: [{ name: 'iam_alice', iamUser: ALICE }],
  };

  it('without a tls option, serves TLS with a certificate for 127.0.0.1 and localhost, signed by the CA it returns', async () => {
    const server = await startHeatwaveEmulator(users);
    try {
      const ca = new crypto.X509Certificate(server.ca!);
      expect(ca.ca).toBe(true);
      // mysql2 verifies the chain and the host name (127.0.0.1) against ssl.ca.
      const conn = await connect('iam_alice', alice, { ssl: { ca: server.ca! } }, server);
      expect(await whoami(conn)).toEqual({ 'USER()': 'iam_alice@127.0.0.1', 'CURRENT_USER()': 'iam_alice@%' });
      const stream = (conn.connection as unknown as { stream: tls.TLSSocket }).stream;
      const leaf = stream.getPeerX509Certificate()!;
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.checkHost('localhost')).toBe('localhost');
      expect(lastLogin(server)).toMatchObject({ ok: true, tls: true });
      expect(((await conn.query("SHOW STATUS LIKE 'Ssl_cipher'"))[0] as { Value: string }[])[0]!.Value).toBe(stream.getCipher().name);
      await conn.end();
      // Clients that do not ask for TLS are still served.
      const plain = await connect('iam_alice', alice, {}, server);
      await plain.end();
      expect(lastLogin(server)).toMatchObject({ ok: true, tls: false });
    } finally {
      await server.close();
    }
  });

  it('makes a new CA for each emulator, which the others do not trust', async () => {
    const one = await startHeatwaveEmulator(users);
    const two = await startHeatwaveEmulator(users);
    try {
      expect(one.ca).not.toBe(two.ca);
      await expect(connect('iam_alice', alice, { ssl: { ca: one.ca! } }, two)).rejects.toThrow(/certificate/i);
      expect(two.logins).toEqual([]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('takes a certificate signed by a CA of the caller, and hands back tls.ca', async () => {
    const made = emulatorCertificates(['localhost', '127.0.0.1'], 'caller');
    const server = await startHeatwaveEmulator({ ...users, tls: { key: made.serverKey, cert: made.serverCert, ca: made.ca } });
    try {
      expect(server.ca).toBe(made.ca);
      const conn = await connect('iam_alice', alice, { ssl: { ca: server.ca! } }, server);
      await conn.end();
      expect(lastLogin(server)).toMatchObject({ ok: true, tls: true });
    } finally {
      await server.close();
    }
  });

  it('tls: false offers no TLS: no CLIENT_SSL in the greeting, no ca, and a client that wants TLS is told so', async () => {
    const server = await startHeatwaveEmulator({ ...users, tls: false });
    try {
      expect(server.ca).toBeUndefined();
      const c = rawClient(server.port);
      const hello = await c.packet();
      const capsLow = hello.payload.readUInt16LE(hello.payload.indexOf(0, 1) + 1 + 4 + 9);
      expect(capsLow & 0x800).toBe(0);
      c.socket.destroy();
      await expect(connect('iam_alice', alice, { ssl: {} }, server)).rejects.toMatchObject({ code: 'HANDSHAKE_NO_SSL_SUPPORT' });
      const conn = await connect('iam_alice', alice, {}, server);
      await conn.end();
      expect(lastLogin(server)).toMatchObject({ ok: true, tls: false });
    } finally {
      await server.close();
    }
  });

  it.each([
    ['a key that is not PEM', { key: 'not a key', cert: selfSignedCert().cert }, /tls\.key and tls\.cert are not a usable PEM key and certificate/],
    ['a key that does not match the certificate', { key: emulatorCertificates(['localhost'], 'x').serverKey, cert: selfSignedCert().cert }, /tls\.key is not the key of the certificate in tls\.cert/],
    ['no cert', { key: selfSignedCert().key }, /tls must be \{ key, cert, ca\? \}/],
  ])('fails to start with %s, naming the option and never quoting the key', async (_name, given, message) => {
    const err = await startHeatwaveEmulator({ ...users, tls: given as { key: string; cert: string } }).catch((e: unknown) => e);
    if (!(err instanceof Error)) await (err as HeatwaveEmulator).close();
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toMatch(/BEGIN|PRIVATE/);
  });
});
