import { describe, expect, it } from 'vitest';
import { createIamPool } from 'dbtoken';
import { ociDbToken, type OciAuth } from 'dbtoken/oci';
import { buildCli, dbtoken } from '../helpers/cli.js';

/**
 * Runs only against a real Autonomous Database (or DBaaS with IAM enabled),
 * when DBTOKEN_LIVE_OCI_CONNECT_STRING is set:
 *
 *   DBTOKEN_LIVE_OCI_CONNECT_STRING  tcps://adb.<region>.oraclecloud.com:1522/<svc>_high.adb.oraclecloud.com (or an alias with ..._CONFIG_DIR)
 *   DBTOKEN_LIVE_OCI_SCOPE           default urn:oracle:db::id::*
 *   DBTOKEN_LIVE_OCI_AUTH            api_key (default), security_token, instance_principal, resource_principal, oke_workload_identity
 *   DBTOKEN_LIVE_OCI_PROFILE         default DEFAULT
 *   DBTOKEN_LIVE_OCI_CONFIG_FILE     default ~/.oci/config
 *   DBTOKEN_LIVE_OCI_REGION          the Identity Data Plane's region, when not the profile's
 *   DBTOKEN_LIVE_OCI_CONFIG_DIR      where tnsnames.ora is, for an alias
 */
const env = process.env;
const live = Boolean(env.DBTOKEN_LIVE_OCI_CONNECT_STRING);
if (!live) {
  console.info('live OCI test skipped: set DBTOKEN_LIVE_OCI_CONNECT_STRING (and DBTOKEN_LIVE_OCI_SCOPE, _AUTH, _PROFILE, ...) to run it against a real Autonomous Database');
}

describe.skipIf(!live)('live: a real Autonomous Database accepts an OCI IAM db-token', () => {
  it('logs in and sees AUTHENTICATION_METHOD = TOKEN_GLOBAL', async () => {
    const type = (env.DBTOKEN_LIVE_OCI_AUTH ?? 'api_key') as OciAuth['type'];
    const auth = (
      type === 'api_key' || type === 'security_token'
        ? { type, ...(env.DBTOKEN_LIVE_OCI_CONFIG_FILE ? { configFile: env.DBTOKEN_LIVE_OCI_CONFIG_FILE } : {}), ...(env.DBTOKEN_LIVE_OCI_PROFILE ? { profile: env.DBTOKEN_LIVE_OCI_PROFILE } : {}) }
        : { type }
    ) as OciAuth;
    const token = ociDbToken({
      scope: env.DBTOKEN_LIVE_OCI_SCOPE ?? 'urn:oracle:db::id::*',
      auth,
      ...(env.DBTOKEN_LIVE_OCI_REGION ? { region: env.DBTOKEN_LIVE_OCI_REGION } : {}),
    });
    const pool = await createIamPool({
      driver: 'oracledb',
      token,
      connectString: env.DBTOKEN_LIVE_OCI_CONNECT_STRING!,
      ...(env.DBTOKEN_LIVE_OCI_CONFIG_DIR ? { configDir: env.DBTOKEN_LIVE_OCI_CONFIG_DIR } : {}),
      poolMin: 0,
      poolMax: 2,
    });
    try {
      const conn = await pool.getConnection();
      const r = await conn.execute<[string, string]>(
        "select sys_context('USERENV','AUTHENTICATION_METHOD'), sys_context('USERENV','AUTHENTICATED_IDENTITY') from dual",
      );
      await conn.close();
      const [method, identity] = r.rows![0]!;
      console.info(`live: AUTHENTICATION_METHOD=${method}, AUTHENTICATED_IDENTITY=${identity}`);
      expect(method).toBe('TOKEN_GLOBAL');
      expect(identity).toBeTruthy();
    } finally {
      await pool.close(0);
      token.close();
    }
  }, 120_000);

  it('dbtoken whoami --driver oracledb --json prints TOKEN_GLOBAL and the identities', async () => {
    await buildCli();
    const args = [
      'whoami', '--driver', 'oracledb', '--token', 'oci', '--json',
      '--connect-string', env.DBTOKEN_LIVE_OCI_CONNECT_STRING!,
      '--scope', env.DBTOKEN_LIVE_OCI_SCOPE ?? 'urn:oracle:db::id::*',
      '--auth', env.DBTOKEN_LIVE_OCI_AUTH ?? 'api_key',
      ...(env.DBTOKEN_LIVE_OCI_PROFILE ? ['--profile', env.DBTOKEN_LIVE_OCI_PROFILE] : []),
      ...(env.DBTOKEN_LIVE_OCI_CONFIG_FILE ? ['--config-file', env.DBTOKEN_LIVE_OCI_CONFIG_FILE] : []),
      ...(env.DBTOKEN_LIVE_OCI_REGION ? ['--region', env.DBTOKEN_LIVE_OCI_REGION] : []),
      ...(env.DBTOKEN_LIVE_OCI_CONFIG_DIR ? ['--config-dir', env.DBTOKEN_LIVE_OCI_CONFIG_DIR] : []),
    ];
    const r = await dbtoken(args, { timeoutMs: 120_000 });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const id = JSON.parse(r.stdout);
    console.info(`live whoami: ${r.stdout.trim()}`);
    expect(id).toMatchObject({ driver: 'oracledb', authenticationMethod: 'TOKEN_GLOBAL' });
    expect(id.authenticatedIdentity).toBeTruthy();
    expect(id.currentUser).toBeTruthy();
  }, 180_000);
});
