// OCI Functions handler reading from an Autonomous Database with the
// function's own identity (resource principal): no password, no wallet
// password, no API key in the image.
//
// Deploy with `fn deploy`; the Functions runtime sets
// OCI_RESOURCE_PRINCIPAL_VERSION, _RPST, _PRIVATE_PEM and _REGION.
const fdk = require('@fnproject/fdk');
const { createIamPool } = require('dbtoken');
const { ociDbToken, ociScope } = require('dbtoken/oci');

// Module scope: one provider and one pool per function container. The
// provider checks the wall clock on every call, so a container thawed after
// an hour gets a fresh db-token instead of an expired one.
const token = ociDbToken(
  {
    scope: ociScope.database(process.env.ADB_COMPARTMENT_OCID, process.env.ADB_OCID),
    auth: { type: 'resource_principal' },
    // Unset in OCI: the Identity Data Plane of the function's region. Set for a local emulator.
    endpoint: process.env.OCI_IDENTITY_ENDPOINT,
  },
  // No timer between invocations: the container is frozen then, and a timer
  // would fire late or in a burst. A call that finds the token due for
  // refresh is served it and starts the refresh.
  { refresh: 'on-demand' },
);
const pool = createIamPool({
  driver: 'oracledb',
  token,
  // TLS (TCPS) is required for token logins.
  connectString: process.env.ADB_CONNECT_STRING, // tcps://adb.<region>.oraclecloud.com:1522/<name>_low.adb.oraclecloud.com
  poolMin: 0,
  poolMax: 2,
  // Sessions outlive their db-token (it is checked only at login), so the pool
  // is kept, not recycled; a connection idle for 60 s is closed.
  poolTimeout: 60,
});

fdk.handle(async () => {
  const conn = await (await pool).getConnection();
  try {
    const r = await conn.execute(
      "select sys_context('USERENV','AUTHENTICATION_METHOD') as method, sys_context('USERENV','AUTHENTICATED_IDENTITY') as who from dual",
      [],
      { outFormat: require('oracledb').OUT_FORMAT_OBJECT },
    );
    return r.rows[0]; // { METHOD: 'TOKEN_GLOBAL', WHO: 'ocid1.fnfunc...' }
  } finally {
    await conn.close();
  }
});
