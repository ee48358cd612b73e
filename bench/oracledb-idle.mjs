// An oracledb pool while IAM hangs: how many getConnection() calls wait on the
// token provider while the pool's token is still valid. A count, not a time.
//
// node-oracledb's real thin pool logs in over TCPS to dbtoken's Oracle
// Database emulator with db-tokens of the OCI Identity emulator. The tokens
// live 8 s, so that one run spans a whole token's life, its last quarter (the
// adapter's swap margin) included. IAM answers the first request and then
// never again. A connection the pool serves from an idle one needs no new
// token, nor does a login while the held token is valid. One call every 100
// ms, whether or not the ones before it are done; a call counts as having
// waited when it had not reached the driver's own getConnection() by the next
// turn of the event loop: with IAM hanging, a call that waited on the provider
// reaches it seconds later, or never.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import oracledb from 'oracledb';
import { tokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { createOracledbPool } from 'dbtoken/oracledb';
import { ociKeyFingerprint as fingerprint, startOciIdentityEmulator, startOracleDbEmulator } from 'dbtoken/testing';

const LIFETIME_S = 8;
const EVERY_MS = 100;
const IDLE = 2; // connections logged in before IAM hangs, then released to the pool
const TENANCY = 'ocid1.tenancy.oc1..aaaabenchidletenancy00000000000000000000000000000000000000000';
const USER = 'ocid1.user.oc1..aaaabenchidleuser000000000000000000000000000000000000000000000000';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaabenchidlecompartment00000000000000000000000000000000000';
const DATABASE = 'ocid1.autonomousdatabase.oc1.iad.aaaabenchidledatabase000000000000000000000000000000000000';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nextTurn = () => new Promise((r) => setImmediate(r));

/** Opens the pool through `oracledb.createPool`, noting each call that reaches the driver's own getConnection(). */
async function countingPool(attributes) {
  const reached = { count: 0 };
  const createPool = oracledb.createPool;
  oracledb.createPool = async (attrs) => {
    const pool = await createPool.call(oracledb, attrs);
    const own = pool.getConnection;
    pool.getConnection = function (...args) {
      reached.count += 1;
      return own.apply(this, args);
    };
    return pool;
  };
  try {
    return { pool: await createOracledbPool(attributes), reached };
  } finally {
    oracledb.createPool = createPool;
  }
}

export async function oracledbIdleBench() {
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-bench-idle-'));
  const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'key.pem'), apiKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const configFile = join(dir, 'config');
  writeFileSync(configFile, `[DEFAULT]\nuser=${USER}\ntenancy=${TENANCY}\nfingerprint=${fingerprint(apiKey.publicKey)}\nkey_file=${join(dir, 'key.pem')}\nregion=us-ashburn-1\n`);
  let iam;
  let db;
  let oci;
  let provider;
  let pool;
  try {
    iam = await startOciIdentityEmulator({
      tenancies: [{ ocid: TENANCY, users: [{ ocid: USER, name: 'bench', groups: ['bench_users'], apiKeys: [{ fingerprint: fingerprint(apiKey.publicKey), publicKey: apiKey.publicKey.export({ type: 'spki', format: 'pem' }) }] }] }],
      tokenLifetimeSeconds: LIFETIME_S,
    });
    db = await startOracleDbEmulator({ identity: iam, database: { ocid: DATABASE, compartment: COMPARTMENT, tenancy: TENANCY, service: 'bench_idle_high.adb.oraclecloud.com', region: 'us-ashburn-1' } });
    await db.admin("CREATE USER bench_app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=bench_users'; GRANT CREATE SESSION TO bench_app;");
    const windows = { refreshBefore: 2_000, minValidity: 1_000 };
    oci = ociDbToken({ scope: ociScope.database(COMPARTMENT, DATABASE), auth: { type: 'api_key', configFile }, endpoint: iam.endpointFor('us-ashburn-1') }, windows);
    // IAM answers once; every later request hangs until its fetch is abandoned.
    let answered = false;
    const source = ({ signal }) => {
      if (!answered) {
        answered = true;
        return oci.getToken();
      }
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    };
    provider = tokenProvider(source, { ...windows, fetchTimeout: 60_000 });
    const opened = await countingPool({ token: provider, connectString: db.connectString, walletContent: db.wallet, poolMin: 0, poolMax: 2 * IDLE, poolIncrement: 1 });
    pool = opened.pool;
    const { expiresAt } = await provider.getToken();
    const received = Date.now(); // about when the pool took the same token
    const held = await Promise.all(Array.from({ length: IDLE }, () => pool.getConnection()));
    for (const c of held) await c.close();
    // The adapter's swap margin: 30 s, or the last quarter of a short token's life.
    const margin = Math.min(30_000, (expiresAt.getTime() - received) / 4);
    let calls = 0;
    let inMargin = 0;
    let waited = 0;
    const uses = [];
    // One call every EVERY_MS, whether or not the ones before it are done.
    while (Date.now() < expiresAt.getTime() - EVERY_MS) {
      const validFor = expiresAt.getTime() - Date.now();
      const before = opened.reached.count;
      const conn = pool.getConnection();
      uses.push(conn.then(async (c) => (await c.execute('select 1 from dual'), await c.close())));
      await nextTurn();
      calls += 1;
      if (validFor < margin) inMargin += 1;
      if (opened.reached.count === before) waited += 1;
      await sleep(EVERY_MS);
    }
    await Promise.allSettled(uses);
    return [
      {
        measure: `oracledb: getConnection() calls that waited on the token provider while the pool token was valid, IAM hanging (real pool, ${IDLE} idle connections, ${LIFETIME_S} s tokens, one call every ${EVERY_MS} ms)`,
        dbtoken: `${waited} of ${calls}`,
        baseline: `${inMargin} of the calls came inside the swap margin (the token's last ${(margin / 1000).toFixed(1)} s)`,
        ratio: (waited / calls).toFixed(3),
        target: '0',
      },
    ];
  } finally {
    await pool?.close(0);
    provider?.close();
    oci?.close();
    await db?.close();
    await iam?.close();
    rmSync(dir, { recursive: true, force: true }); // it holds the API key, whatever failed
  }
}
