import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createIamPool, tokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { heatwaveAuthResponse } from 'dbtoken/mysql2';
import { ociKeyFingerprint, startVerifyingMariaDb } from 'dbtoken/testing';
import { alternate, connectionOverheadRow, interleaved, median } from './stats.mjs';

const credentials = { accessKeyId: 'AKIDDBTOKENBENCH0003', secretAccessKey: 'bench-secret-access-key-3' };
const region = 'us-east-1';
const CONNECTIONS = 200;

/** One new physical connection and login; destroyed so that the next one is new too. */
async function openOne(pool) {
  const c = await pool.getConnection();
  c.destroy();
}

export async function mysqlBench() {
  // Both pools take the same server path: TLS, PAM, pam_script, the server's
  // verifier checking an RDS token. The baseline sends one token signed up
  // front as a static password through mysql2's own cleartext plugin.
  const server = await startVerifyingMariaDb({ users: ['iam_bench'], region, credentials });
  const { port } = server;
  const token = awsRdsToken({ hostname: '127.0.0.1', port, username: 'iam_bench', region, credentials });
  const base = { host: '127.0.0.1', port, ssl: { ca: server.ca }, connectionLimit: 1 };
  // loginRate: false: this row is dbtoken's own cost per login; the default pace (25 logins/s per
  // endpoint, which would space these logins 40 ms apart) is the fleet row's subject.
  const iam = await createIamPool({ driver: 'mysql2', token, ...base, loginRate: false });
  const fixed = mysql.createPool({ ...base, user: 'iam_bench', password: (await token.getToken()).token, enableCleartextPlugin: true });
  try {
    await interleaved(() => openOne(iam), () => openOne(fixed), 50, 1); // warm up
    const [a, b] = await interleaved(() => openOne(iam), () => openOne(fixed), CONNECTIONS, 5);
    return [connectionOverheadRow('mysql2', CONNECTIONS, a, b, server.logins)];
  } finally {
    await iam.end();
    await fixed.end();
    token.close();
    await server.close();
  }
}

export async function heatwaveSignBench() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const fingerprint = ociKeyFingerprint(publicKey);
  const provider = tokenProvider(async () => ({ token: '', privateKey: pem, fingerprint, expiresAt: new Date(Date.now() + 3_600_000) }));
  const t = await provider.getToken();
  const nonce = randomBytes(32);
  const timeEach = (fn, n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return Number(process.hrtime.bigint() - t0) / n / 1000;
  };
  const ours = () => heatwaveAuthResponse(nonce, t);
  // A plugin that signs with the PEM text re-parses the key every time.
  const naive = () => Buffer.from(JSON.stringify({ fingerprint, signature: sign('sha256', nonce, pem).toString('base64'), token: '' }));
  for (let i = 0; i < 200; i++) {
    ours();
    naive();
  }
  const [a, b] = await alternate(9, async () => timeEach(ours, 300), async () => timeEach(naive, 300));
  provider.close();
  return [
    {
      measure: 'sign one HeatWave nonce (RSA-2048, JSON reply)',
      dbtoken: `${median(a).toFixed(0)} us`,
      baseline: `${median(b).toFixed(0)} us (key parsed from PEM each time)`,
      ratio: (median(a) / median(b)).toFixed(2),
      target: 'report',
    },
  ];
}
