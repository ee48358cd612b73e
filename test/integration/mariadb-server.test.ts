import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPamScriptVerifier, startVerifyingMariaDb, type PamScriptVerifier, type VerifyingMariaDb } from 'dbtoken/testing';

const LONG_TOKEN = `long-${'x'.repeat(1_295)}`; // 1,300 characters, about a temporary-credentials RDS token
const STATIC_PASSWORD = 'static-password-for-baseline';

let db: VerifyingMariaDb;
/** Lengths of the passwords the verifier saw, to show nothing was cut. */
const seenLengths: number[] = [];

beforeAll(async () => {
  const t = Date.now();
  db = await startVerifyingMariaDb({
    users: ['iam_alice'],
    insecureUsers: ['iam_plain'],
    verify: (password, user) => {
      seenLengths.push(password.length);
      if (password === 'throw') throw new Error('boom');
      if (password === `ok-${user}` || password === LONG_TOKEN) return true;
      return { ok: false, reason: 'wrong token' };
    },
  });
  await db.admin(`CREATE USER 'static_user'@'%' IDENTIFIED BY '${STATIC_PASSWORD}'`);
  console.log(`MariaDB up in ${Date.now() - t} ms on port ${db.port} (PAM service ${db.pamService})`);
});

afterAll(async () => {
  await db?.close();
});

/** Connects with `token` sent as mysql_clear_password, runs `sql`, closes. */
async function withToken<T>(user: string, token: string, run: (c: mysql.Connection) => Promise<T>, tls = true): Promise<T> {
  const c = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user,
    ...(tls ? { ssl: { ca: db.ca } } : {}),
    authPlugins: { mysql_clear_password: () => () => Buffer.from(`${token}\0`) },
  });
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

async function whoAmI(c: mysql.Connection) {
  const [rows] = await c.query<any[]>('SELECT USER() AS u, CURRENT_USER() AS cu');
  const [ssl] = await c.query<any[]>("SHOW STATUS LIKE 'Ssl_cipher'");
  return { user: rows[0].u as string, current: rows[0].cu as string, cipher: ssl[0]?.Value as string };
}

async function refusal(p: Promise<unknown>): Promise<{ errno?: number; code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { errno?: number; code?: string };
  }
  throw new Error('login was accepted');
}

describe('MariaDB with PAM through pam_script and the verifier (startVerifyingMariaDb)', () => {
  it('accepts a good token over TLS as iam_alice', async () => {
    const who = await withToken('iam_alice', 'ok-iam_alice', whoAmI);
    expect(who.current).toBe('iam_alice@%');
    expect(who.user).toBe('iam_alice@127.0.0.1');
    expect(who.cipher).toMatch(/\w/);
    expect(db.logins.at(-1)).toEqual({ user: 'iam_alice', ok: true, at: expect.any(Date) });
  });

  it('refuses a wrong token with errno 1045, and a verifier that throws', async () => {
    const wrong = await refusal(withToken('iam_alice', 'ok-iam_bob', whoAmI));
    expect(wrong.errno).toBe(1045);
    expect(wrong.code).toBe('ER_ACCESS_DENIED_ERROR');
    expect(db.logins.at(-1)).toEqual({ user: 'iam_alice', ok: false, reason: 'wrong token', at: expect.any(Date) });
    const threw = await refusal(withToken('iam_alice', 'throw', whoAmI));
    expect(threw.errno).toBe(1045);
    expect(db.logins.at(-1)).toEqual({ user: 'iam_alice', ok: false, reason: 'verify threw', at: expect.any(Date) });
  });

  it('passes a 1,300-character token whole', async () => {
    expect(LONG_TOKEN).toHaveLength(1_300);
    const who = await withToken('iam_alice', LONG_TOKEN, whoAmI);
    expect(who.current).toBe('iam_alice@%');
    expect(seenLengths.at(-1)).toBe(1_300);
  });

  it('refuses a REQUIRE SSL user without TLS', async () => {
    const before = db.logins.length;
    const err = await refusal(withToken('iam_alice', 'ok-iam_alice', whoAmI, false));
    expect(err.errno).toBe(1045);
    // MariaDB checks REQUIRE SSL only after PAM: the token did cross the wire in
    // cleartext and was verified. Only the client can prevent that.
    console.log(`verifier calls for the refused plaintext login: ${db.logins.length - before}`);
  });

  it('lets a plain PAM user in without TLS, and a static-password user', async () => {
    const plain = await withToken('iam_plain', 'ok-iam_plain', whoAmI, false);
    expect(plain.current).toBe('iam_plain@%');
    expect(plain.cipher ?? '').toBe('');
    const c = await mysql.createConnection({ host: db.host, port: db.port, user: 'static_user', password: STATIC_PASSWORD, ssl: { ca: db.ca } });
    try {
      expect((await whoAmI(c)).current).toBe('static_user@%');
    } finally {
      await c.end();
    }
  });

  it('runs admin SQL as root over the socket', async () => {
    const rows = await db.admin('SELECT CURRENT_USER() AS cu, DATABASE() AS d, ? AS v', [42]);
    expect(rows[0]).toEqual({ cu: 'root@localhost', d: 'app', v: 42 });
  });

  it('records every login without the password', () => {
    console.log('binds:', JSON.stringify(db.logins));
    expect(db.logins.length).toBeGreaterThanOrEqual(5);
    const text = JSON.stringify(db.logins);
    expect(text).not.toContain('ok-iam_alice');
    expect(text).not.toContain(LONG_TOKEN);
    for (const b of db.logins) expect(Object.keys(b).sort()).toEqual(b.reason === undefined ? ['at', 'ok', 'user'] : ['at', 'ok', 'reason', 'user']);
  });
});

describe('startPamScriptVerifier protocol and script', () => {
  let pam: PamScriptVerifier;
  beforeAll(async () => {
    pam = await startPamScriptVerifier({ verify: ({ user, password }) => password === `ok-${user}` });
  });
  afterAll(() => pam.close());

  const ask = (port: number, payload: string) =>
    new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
      s.write(payload);
    });

  it('answers OK or NO to `<user>\\n<password>\\n` and closes', async () => {
    expect(await ask(pam.port, 'iam_alice\nok-iam_alice\n')).toBe('OK\n');
    expect(await ask(pam.port, 'iam_alice\nnope\n')).toBe('NO\n');
    // Sent in pieces.
    const v = await startPamScriptVerifier({ verify: async ({ password }) => ({ ok: password === 'p' }) });
    try {
      const s = connect(v.port, '127.0.0.1');
      const answer = new Promise<string>((resolve) => {
        let out = '';
        s.on('data', (d) => (out += d));
        s.on('end', () => resolve(out));
      });
      s.write('u');
      await new Promise((r) => setTimeout(r, 20));
      s.write('\np');
      await new Promise((r) => setTimeout(r, 20));
      s.write('\n');
      expect(await answer).toBe('OK\n');
    } finally {
      await v.close();
    }
  });

  const runScript = (script: string, env: Record<string, string>) =>
    new Promise<{ code: number; ms: number }>((resolve) => {
      const t = Date.now();
      const child = execFile('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env } }, (err) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, ms: Date.now() - t });
      });
      child.stdin?.end();
    });

  it('the script exits 0 only on OK, and 1 without waiting for its timeout when the verifier is gone', async () => {
    expect((await runScript(pam.script, { PAM_USER: 'iam_alice', PAM_AUTHTOK: 'ok-iam_alice' })).code).toBe(0);
    expect((await runScript(pam.script, { PAM_USER: 'iam_alice', PAM_AUTHTOK: 'bad' })).code).toBe(1);
    // A timeout far past this test's own: had the script waited for it, the test would fail.
    const v = await startPamScriptVerifier({ verify: () => true, timeoutSeconds: 600 });
    const script = v.script;
    await v.close();
    const gone = await runScript(script, { PAM_USER: 'iam_alice', PAM_AUTHTOK: 'ok-iam_alice' });
    expect(gone.code).toBe(1);
  });

  it('the script gives up after its timeout when the verifier never answers', async () => {
    const v = await startPamScriptVerifier({ verify: () => new Promise<boolean>(() => {}), timeoutSeconds: 1 });
    try {
      const r = await runScript(v.script, { PAM_USER: 'iam_alice', PAM_AUTHTOK: 'x' });
      expect(r.code).toBe(1);
      expect(r.ms).toBeGreaterThanOrEqual(900); // it did wait for the verifier (a busy machine only makes this longer)
    } finally {
      await v.close();
    }
  });
});
