// `npm run demo`: dbtoken end to end on this machine, with no cloud account.
// - A private PostgreSQL checks AWS RDS IAM tokens through dbtoken's LDAP
//   verifier (the same SigV4 checks RDS makes); a pg pool logs in with
//   awsRdsToken() and made-up test credentials.
// - A private PostgreSQL checks Aurora DSQL tokens as a cluster does (the
//   admin role, and a role granted to an IAM identity with AWS IAM GRANT).
// - Azure Entra ID and Google Cloud SQL tokens, got by the real
//   @azure/identity and google-auth-library from dbtoken's emulators, log in
//   to private PostgreSQL and MariaDB servers that check them.
// - A private MariaDB does the same through PAM and mysql_clear_password.
// - The HeatWave emulator checks an authentication_oci_client login made
//   from an OCI config profile with a security token.
// - The OCI Identity Data Plane emulator checks an OCI-signed request for a
//   cross-tenancy db-token from another region, and an oracledb pool logs in
//   with it over TCPS to the Oracle Database emulator, which checks the token
//   as Autonomous Database does and answers the identity query.
import { postgresSection } from './postgres.mjs';
import { dsqlSection } from './dsql.mjs';
import { azureSection, gcpSection } from './clouds.mjs';
import { heatwaveSection, mariadbSection } from './mysql.mjs';
import { ociSection } from './oci.mjs';

const sections = [postgresSection, dsqlSection, mariadbSection, heatwaveSection, ociSection, azureSection, gcpSection];
let failed = false;
for (const section of sections) {
  try {
    await section();
  } catch (err) {
    failed = true;
    console.error(`\n  FAILED: ${err?.message ?? err}`);
  }
}
process.exitCode = failed ? 1 : 0;
if (!failed) {
  console.log(`
Next steps:
  - your own database: docs/walkthroughs.md, "From zero to a passwordless login" (AWS RDS, Aurora DSQL, Oracle ADB, HeatWave, Azure, Google Cloud SQL);
  - check a login from the shell: npx dbtoken whoami --help;
  - the mapping SQL and IAM policies: npx dbtoken sql --help, npx dbtoken policy --help;
  - your own tests, with no cloud: the emulators in dbtoken/testing (README, "Testing your own code");
  - the figures: npm run bench.`);
}
