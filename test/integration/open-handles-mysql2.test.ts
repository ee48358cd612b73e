import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHeatwaveEmulator, type HeatwaveEmulator } from 'dbtoken/testing';
// @ts-expect-error plain JS helper
import { selfSignedCert } from '../../scripts/servers/tls.mjs';
import { REGION, staticKeys } from '../helpers/aws.js';
import { ensureBuilt, runNode } from '../helpers/dist.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../helpers/oci-files.js';

let db: IamMariadb;
let hw: HeatwaveEmulator;
const issuer = rsaKeys();
const session = rsaKeys();
const ALICE = 'ocid1.user.oc1..aaaaalice';

beforeAll(async () => {
  ensureBuilt();
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

async function expectExitsByItself(source: string, env: Record<string, unknown>, expected: string) {
  const r = await runNode(['--input-type=module', '-e', source], { env: { DBTOKEN_CHILD: JSON.stringify(env) }, timeoutMs: 15_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(expected);
}

it('a child using a mysql2 IAM pool (RDS tokens, MariaDB) exits by itself after pool.end() and provider.close()', async () => {
  await expectExitsByItself(
    `
    import { createIamPool } from 'dbtoken';
    import { awsRdsToken } from 'dbtoken/aws';
    const env = JSON.parse(process.env.DBTOKEN_CHILD);
    const token = awsRdsToken({ hostname: '127.0.0.1', port: env.port, username: 'iam_alice', region: env.region, credentials: env.credentials });
    const pool = await createIamPool({ driver: 'mysql2', token, ssl: { ca: env.ca }, connectionLimit: 3 });
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 2'), pool.query('SELECT 3')]);
    const [rows] = await pool.query('SELECT CURRENT_USER() AS u');
    console.log(rows[0].u);
    await pool.end();
    token.close();
    `,
    { port: db.port, ca: db.ca, region: REGION, credentials: staticKeys },
    'iam_alice@%',
  );
});

it('a child using a HeatWave pool (security token file watched) exits by itself after pool.end() and provider.close()', async () => {
  const token = securityToken(issuer.privateKey, { sub: ALICE, exp: Math.floor(Date.now() / 1000) + 3600, jwk: session.publicKey.export({ format: 'jwk' }) });
  const { configFile } = writeProfile(tempDir(), { keys: session, token });
  await expectExitsByItself(
    `
    import { createIamPool } from 'dbtoken';
    import { heatwaveOciToken } from 'dbtoken/oci';
    const env = JSON.parse(process.env.DBTOKEN_CHILD);
    const token = heatwaveOciToken({ configFile: env.configFile });
    const pool = await createIamPool({ driver: 'mysql2', token, host: '127.0.0.1', port: env.port, user: 'alice', ssl: { ca: env.ca } });
    const [rows] = await pool.query('SELECT CURRENT_USER()');
    console.log(rows[0]['CURRENT_USER()']);
    await pool.end();
    token.close();
    `,
    { port: hw.port, ca: selfSignedCert().cert, configFile },
    'alice@%',
  );
});
