import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIamPool } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { startOciIdentityEmulator, startOracleDbEmulator } from 'dbtoken/testing';

// Tenancy A (home region us-ashburn-1) has the user, in group DbReaders; tenancy B the Autonomous Database, in eu-frankfurt-1.
const TENANCY_A = 'ocid1.tenancy.oc1..aaaademotenancya00000000000000000000000000000000000000000000';
const TENANCY_B = 'ocid1.tenancy.oc1..aaaademotenancyb00000000000000000000000000000000000000000000';
const USER = 'ocid1.user.oc1..aaaademouser000000000000000000000000000000000000000000000000000';
const COMPARTMENT_B = 'ocid1.compartment.oc1..aaaademocompartmentb0000000000000000000000000000000000000000';
const ADB_B = 'ocid1.autonomousdatabase.oc1.eu-frankfurt-1.aaaademoadb000000000000000000000000000000000000000000';

/** The identity query of Oracle's guide to proving an IAM login. */
const IDENTITY_QUERY =
  "select sys_context('userenv','current_schema'), sys_context('userenv','session_user'), sys_context('userenv','authenticated_identity'), sys_context('userenv','authentication_method'), sys_context('userenv','enterprise_identity') from dual";

export async function ociSection() {
  console.log('\n== OCI IAM db-token, cross-tenancy in another region -> the OCI Identity emulator -> oracledb (thin) over TCPS -> the Oracle Database emulator ==');
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-demo-adb-'));
  const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fingerprint = createHash('md5').update(apiKey.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').match(/../g).join(':');
  writeFileSync(join(dir, 'key.pem'), apiKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'config'), `[DEFAULT]\nuser=${USER}\ntenancy=${TENANCY_A}\nfingerprint=${fingerprint}\nkey_file=${join(dir, 'key.pem')}\nregion=us-ashburn-1\n`);
  const iam = await startOciIdentityEmulator({
    tenancies: [
      { ocid: TENANCY_A, users: [{ ocid: USER, name: 'peter.fitch@example.com', groups: ['DbReaders'], apiKeys: [{ fingerprint, publicKey: apiKey.publicKey.export({ type: 'spki', format: 'pem' }) }] }] },
      { ocid: TENANCY_B },
    ],
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
  const db = await startOracleDbEmulator({
    identity: iam,
    database: { ocid: ADB_B, compartment: COMPARTMENT_B, tenancy: TENANCY_B, service: 'g1b_demo_high.adb.oraclecloud.com', region: 'eu-frankfurt-1' },
  });
  const token = ociDbToken({
    scope: ociScope.database(COMPARTMENT_B, ADB_B), // tenancy B's database: a cross-tenancy scope
    region: 'eu-frankfurt-1', // the database's region, not the user's home region
    auth: { type: 'api_key', configFile: join(dir, 'config') },
    endpoint: `${iam.url}/{region}`, // the emulator serves each region under its own path
  });
  let pool;
  try {
    const mapping = `CREATE USER b_app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${TENANCY_A}:DbReaders'; GRANT CREATE SESSION TO b_app;`;
    await db.admin(mapping);
    console.log(`  database of tenancy B in eu-frankfurt-1 at ${db.connectString}`);
    console.log(`  as ADMIN: CREATE USER b_app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=<tenancy A>:DbReaders'; GRANT CREATE SESSION TO b_app;`);
    pool = await createIamPool({ driver: 'oracledb', token, connectString: db.connectString, walletContent: db.wallet, poolMin: 0, poolMax: 2 });
    const conn = await pool.getConnection();
    let row;
    try {
      [row] = (await conn.execute(IDENTITY_QUERY)).rows;
    } finally {
      await conn.close();
    }
    const req = iam.requests.at(-1);
    console.log(`  IAM (${req.region}) verified the request signature of tenancy A's user and issued a db-token for tenancy B's scope`);
    const login = db.logins.at(-1);
    console.log(`  the database checked the token's signature, scope and region, and the proof-of-possession signature: ${login.ok ? 'accepted' : `refused (${login.code})`}`);
    const [schema, sessionUser, identity, method, enterprise] = row;
    console.log(`  current_schema = ${schema}, session_user = ${sessionUser}`);
    console.log(`  authenticated_identity = ${identity}, authentication_method = ${method}`);
    console.log(`  enterprise_identity = ${enterprise}`);
    console.log(`  printed, the token reads ${await token.getToken()}`);
  } finally {
    await pool?.close(0);
    token.close();
    await db.close();
    await iam.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
