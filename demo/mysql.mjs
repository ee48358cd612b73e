import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { heatwaveOciToken } from 'dbtoken/oci';
import { ociKeyFingerprint, startHeatwaveEmulator, startVerifyingMariaDb } from 'dbtoken/testing';
import { selfSignedCert } from '../scripts/servers/tls.mjs';

const credentials = { accessKeyId: 'AKIDDBTOKENDEMO00002', secretAccessKey: 'demo-secret-access-key-not-a-real-one' };
const region = 'us-east-1';

export async function mariadbSection() {
  console.log('\n== AWS RDS IAM tokens -> mysql2 pool -> a private MariaDB that verifies them (PAM, mysql_clear_password) ==');
  const server = await startVerifyingMariaDb({ users: ['iam_app'], region, credentials });
  const { port } = server;
  console.log(`  MariaDB on 127.0.0.1:${port} (TLS, user iam_app IDENTIFIED VIA pam, pam_script -> an RDS token verifier in this process)`);
  const token = awsRdsToken({ hostname: '127.0.0.1', port, username: 'iam_app', region, credentials });
  const pool = await createIamPool({ driver: 'mysql2', token, ssl: { ca: server.ca }, connectionLimit: 4 });
  try {
    const [rows] = await pool.query("SELECT CURRENT_USER() AS user, (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER') AS cipher");
    console.log(`  SELECT CURRENT_USER() -> ${rows[0].user} (TLS cipher: ${rows[0].cipher})`);
    await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT SLEEP(0.05)')));
    console.log(`  ${server.logins.length} logins checked by the server's PAM verifier, ${server.logins.filter((b) => !b.ok).length} refused, 1 token signed`);
  } finally {
    await pool.end();
    token.close();
    await server.close();
  }
}

export async function heatwaveSection() {
  console.log('\n== MySQL HeatWave OCI IAM login (authentication_oci_client) -> the HeatWave emulator ==');
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-demo-oci-'));
  const iam = generateKeyPairSync('rsa', { modulusLength: 2048 }); // stands in for OCI IAM's token signing key
  const session = generateKeyPairSync('rsa', { modulusLength: 2048 }); // what `oci session authenticate` makes
  const user = 'ocid1.user.oc1..aaaademo';
  const group = 'ocid1.group.oc1..aaaadevelopers';
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600, jwk: session.publicKey.export({ format: 'jwk' }) })}`;
  writeFileSync(join(dir, 'token'), `${head}.${sign('sha256', Buffer.from(head), iam.privateKey).toString('base64url')}`);
  writeFileSync(join(dir, 'key.pem'), session.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(
    join(dir, 'config'),
    `[heatwave]\nuser=${user}\nfingerprint=${ociKeyFingerprint(session.publicKey)}\nkey_file=${join(dir, 'key.pem')}\nsecurity_token_file=${join(dir, 'token')}\nregion=us-ashburn-1\n`,
  );
  const tls = selfSignedCert();
  const hw = await startHeatwaveEmulator({
    iamUsers: [{ ocid: user, groups: [group] }],
    tokenIssuerPublicKey: iam.publicKey.export({ type: 'spki', format: 'pem' }),
    mysqlUsers: [{ name: '', groupMapping: { [group]: 'dev_proxy' } }],
    tls: { key: tls.key, cert: tls.cert },
  });
  console.log(`  emulator on 127.0.0.1:${hw.port}; profile [heatwave] in ${join(dir, 'config')} (security token, 1 h)`);
  const token = heatwaveOciToken({ configFile: join(dir, 'config'), profile: 'heatwave' });
  const pool = await createIamPool({ driver: 'mysql2', token, host: '127.0.0.1', port: hw.port, user: 'demo', ssl: { ca: tls.cert } });
  try {
    const [rows] = await pool.query('SELECT USER(), CURRENT_USER()');
    console.log(`  USER() = ${rows[0]['USER()']}, CURRENT_USER() = ${rows[0]['CURRENT_USER()']} (group mapped through a proxy user)`);
    const login = hw.logins.at(-1);
    console.log(`  the emulator verified the nonce signature and the token: ${login.ok ? 'accepted' : 'refused'} (${login.method}, principal ${login.principal})`);
  } finally {
    await pool.end();
    token.close();
    await hw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
