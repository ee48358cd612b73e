import { captureOutput, render } from '../helpers/canary.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { heatwaveOciToken } from 'dbtoken/oci';
import { startHeatwaveEmulator, type HeatwaveEmulator } from 'dbtoken/testing';
// @ts-expect-error plain JS helper
import { selfSignedCert } from '../../scripts/servers/tls.mjs';
import { REGION, otherKeys, temporaryKeys } from '../helpers/aws.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../helpers/oci-files.js';

let db: IamMariadb;
let hw: HeatwaveEmulator;
const issuer = rsaKeys();
const session = rsaKeys();
const ALICE = 'ocid1.user.oc1..aaaaalice';

beforeAll(async () => {
  db = await startIamMariadb();
  const tls = selfSignedCert();
  hw = await startHeatwaveEmulator({
    iamUsers: [{ ocid: ALICE }],
    tokenIssuerPublicKey: issuer.publicPem,
    mysqlUsers: [{ name: 'alice', iamUser: ALICE }],
    tls: { key: tls.key, cert: tls.cert },
  });
});
afterAll(async () => {
  await hw?.close();
  await db?.stop();
});


it('canary: mysql2 pools (RDS cleartext and HeatWave) leak no token, key or signature into errors, events or logs', async () => {
  const out = captureOutput();
  const { seen, logger } = out;
  const secrets = new Set<string>();

  // RDS cleartext tokens against MariaDB, across lifetimes, plus a refused identity.
  let now = Date.now();
  const rds = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: temporaryKeys }, { clock: () => now, logger });
  rds.on('token', (e) => seen.push(render(e)));
  rds.on('error', (e) => seen.push(render(e)));
  const pool = await createIamPool({ driver: 'mysql2', token: rds, host: db.host, port: db.port, ssl: { ca: db.ca } });
  pool.on('connection', (c) => c.on('error', (e: unknown) => seen.push(render(e))));
  for (let i = 0; i < 5; i++) {
    const c = await pool.getConnection();
    await c.query('SELECT 1');
    c.destroy();
    secrets.add((await rds.getToken()).token);
    now += 7 * 60_000;
  }
  const refused = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: otherKeys }, { logger });
  const refusedPool = await createIamPool({ driver: 'mysql2', token: refused, host: db.host, port: db.port, ssl: { ca: db.ca } });
  const err = await refusedPool.query('SELECT 1').catch((e: unknown) => e);
  expect((err as { errno?: number }).errno).toBe(1045);
  seen.push(render(err));
  secrets.add((await refused.getToken()).token);
  const insecure = await createIamPool({ driver: 'mysql2', token: rds, host: db.host, port: db.port }).catch((e: unknown) => e);
  seen.push(render(insecure));

  // HeatWave: a security token and its key, then a refused login (the server's clock is past exp).
  const token = securityToken(issuer.privateKey, { sub: ALICE, exp: Math.floor(Date.now() / 1000) + 3600, jwk: session.publicKey.export({ format: 'jwk' }) });
  const { configFile } = writeProfile(tempDir(), { keys: session, token });
  const hwToken = heatwaveOciToken({ configFile }, { logger });
  hwToken.on('token', (e) => seen.push(render(e)));
  const hwPool = await createIamPool({ driver: 'mysql2', token: hwToken, host: hw.host, port: hw.port, user: 'alice', ssl: { ca: selfSignedCert().cert } });
  const [rows] = await hwPool.query('SELECT USER(), CURRENT_USER()');
  seen.push(render(rows));
  const t = await hwToken.getToken();
  seen.push(render(t), `${t}`, JSON.stringify({ t }));
  secrets.add(token);
  const keyBody = session.privatePem.split('\n').slice(1, -2).join('');
  for (const l of hw.logins) secrets.add(JSON.parse(l.reply.toString() || '{}').signature ?? 'none');

  await pool.end();
  await refusedPool.end();
  await hwPool.end();
  rds.close();
  refused.close();
  hwToken.close();
  out.restore();

  const haystack = seen.join('\n');
  expect(haystack).toMatch(/Access denied/);
  expect(haystack).toMatch(/without TLS/);
  expect(secrets.size).toBeGreaterThanOrEqual(4);
  for (const s of secrets) expect(haystack.includes(s)).toBe(false);
  for (const chunk of keyBody.match(/.{40}/g) ?? []) expect(haystack.includes(chunk)).toBe(false);
  expect(haystack.includes(temporaryKeys.secretAccessKey)).toBe(false);
});
