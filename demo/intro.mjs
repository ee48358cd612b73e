// Printed first by `npm run demo`, before the setup step, which can take
// minutes on a fresh machine (npm ci, and Debian packages when missing).
// Node built-ins only: node_modules may not exist yet.
console.log(`dbtoken demo: passwordless logins end to end on this machine, with no cloud account.

It will:
  1. install what is missing (npm ci; PostgreSQL, MariaDB, libpam-script and openssl from Debian):
     a few minutes on a fresh machine, seconds otherwise;
  2. build the package;
  3. log in seven ways, each checked by a real server or an emulator that verifies the token:
     - pg -> a private PostgreSQL that checks AWS RDS IAM tokens (SigV4);
     - postgres.js -> a private PostgreSQL that checks Aurora DSQL tokens and AWS IAM GRANT;
     - mysql2 -> a private MariaDB that checks the same tokens through PAM;
     - mysql2 -> the HeatWave emulator (OCI IAM, authentication_oci_client);
     - oracledb -> the Oracle Database emulator, with a cross-tenancy OCI IAM db-token from another region;
     - pg and mysql2 -> servers that check Azure Entra ID tokens from the Entra ID emulator;
     - pg -> a server that checks Google Cloud SQL IAM tokens from the Google auth emulator.
`);
