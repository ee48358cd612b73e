// A user of tenancy A reads an Autonomous Database of tenancy B, which lives
// in another region (eu-frankfurt-1) than A's home region.
import { createIamPool } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';

const token = ociDbToken({
  // The scope names tenancy B's compartment and database: that is what makes it cross-tenancy.
  scope: ociScope.database(process.env.B_COMPARTMENT_OCID, process.env.B_ADB_OCID),
  // Ask the Identity Data Plane of the database's region, not A's home region.
  region: 'eu-frankfurt-1',
  // Unset in OCI: https://auth.eu-frankfurt-1.oraclecloud.com. Set for a local emulator ({region} is filled in).
  endpoint: process.env.OCI_IDENTITY_ENDPOINT,
  // A's user, from ~/.oci/config (an `oci session authenticate` profile works too: type 'security_token').
  auth: { type: 'api_key', profile: process.env.OCI_PROFILE ?? 'DEFAULT' },
});

const pool = await createIamPool({
  driver: 'oracledb',
  token,
  connectString: process.env.B_ADB_CONNECT_STRING, // tcps://adb.eu-frankfurt-1.oraclecloud.com:1522/<name>_high.adb.oraclecloud.com
  poolMin: 0,
  poolMax: 4,
});
const conn = await pool.getConnection();
const r = await conn.execute(
  "select sys_context('USERENV','AUTHENTICATION_METHOD'), sys_context('USERENV','AUTHENTICATED_IDENTITY'), sys_context('USERENV','CURRENT_USER') from dual",
);
console.log(r.rows[0]); // [ 'TOKEN_GLOBAL', '<A user>', 'B_APP' ]
await conn.close();
await pool.close(0);
token.close();
