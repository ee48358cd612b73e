import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIamPool } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { startOciIdentityEmulator } from 'dbtoken/testing';

const TENANCY = 'ocid1.tenancy.oc1..aaaademotenancy';
const USER = 'ocid1.user.oc1..aaaademouser';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaademocompartment';
const ADB = 'ocid1.autonomousdatabase.oc1.eu-frankfurt-1.anuwcljrdemoadb';

export async function ociSection() {
  console.log('\n== OCI IAM db-token (real oci-common signer) -> the Identity Data Plane emulator -> an oracledb pool ==');
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-demo-adb-'));
  const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fingerprint = createHash('md5').update(apiKey.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').match(/../g).join(':');
  writeFileSync(join(dir, 'key.pem'), apiKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'config'), `[DEFAULT]\nuser=${USER}\ntenancy=${TENANCY}\nfingerprint=${fingerprint}\nkey_file=${join(dir, 'key.pem')}\nregion=us-ashburn-1\n`);
  const iam = await startOciIdentityEmulator({
    tenancies: [{ ocid: TENANCY, users: [{ ocid: USER, apiKeys: [{ fingerprint, publicKey: apiKey.publicKey.export({ type: 'spki', format: 'pem' }) }] }] }],
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
  const token = ociDbToken({
    scope: ociScope.database(COMPARTMENT, ADB),
    region: 'eu-frankfurt-1',
    auth: { type: 'api_key', configFile: join(dir, 'config') },
    endpoint: `${iam.url}/{region}`, // the emulator serves each region under its own path
  });
  try {
    const t = await token.getToken();
    const claims = JSON.parse(Buffer.from(t.token.split('.')[1], 'base64url').toString());
    const req = iam.requests.at(-1);
    console.log(`  IAM (${req.region}) verified the request signature of ${req.principal} and issued a db-token`);
    console.log(`  token: sub=${claims.sub}, scope=${claims.scope.slice(0, 60)}..., expires ${t.expiresAt.toISOString()}`);
    const sameKey = createPublicKey(t.privateKey).export({ type: 'spki', format: 'der' }).equals(createPublicKey({ key: claims.jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
    console.log(`  its privateKey is the pair of the token's jwk: ${sameKey}; printed, the token reads ${t}`);
    const pool = await createIamPool({ driver: 'oracledb', token, connectString: 'tcps://adb.eu-frankfurt-1.oraclecloud.com:1522/demo_high.adb.oraclecloud.com', poolMin: 0 });
    console.log(`  oracledb pool created (thin mode, externalAuth + homogeneous, accessToken callback), open and idle`);
    console.log('  No Oracle Database runs on this machine: the pool is not asked for a connection. See README "Oracle Database" for the live test.');
    await pool.close(0);
  } finally {
    token.close();
    await iam.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
