import { ClientSecretCredential } from '@azure/identity';
import { GoogleAuth } from 'google-auth-library';
import { createIamPool } from 'dbtoken';
import { azureEntraToken } from 'dbtoken/azure';
import { gcpCloudSqlToken, GCP_SQL_LOGIN_SCOPE } from 'dbtoken/gcp';
import { startEntraIdEmulator, startGcpAuthEmulator, startVerifyingMariaDb, startVerifyingPostgres } from 'dbtoken/testing';

const app = { clientId: '7d5e0a3c-0000-4000-8000-00000000d001', clientSecret: 'demo-client-secret-not-a-real-one', objectId: '7d5e0a3c-0000-4000-8000-00000000e001' };

export async function azureSection() {
  console.log('\n== Azure Entra ID tokens (the real ClientSecretCredential) -> pg and mysql2 -> servers that check them as Azure Database does ==');
  const entra = await startEntraIdEmulator({ servicePrincipals: [app] });
  const verify = entra.verifier({ roles: { orders_api: app.objectId } });
  const [pgdb, mydb] = await Promise.all([startVerifyingPostgres({ users: ['orders_api'], verify }), startVerifyingMariaDb({ users: ['orders_api'], verify }).catch((e) => e)]);
  console.log(`  Entra ID emulator at ${entra.authorityHost} (tenant ${entra.tenantId}); role orders_api bound to the app's object id, as pgaadauth_create_principal_with_oid binds it`);
  const credential = new ClientSecretCredential(entra.tenantId, app.clientId, app.clientSecret, { authorityHost: entra.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: entra.ca } });
  const token = azureEntraToken({ credential, username: 'orders_api' });
  token.on('token', (e) => console.log(`  [token] from Entra ID, expires ${e.expiresAt.toISOString()}, refresh from ${e.refreshAt.toISOString()} (in its last 5 minutes, jittered so a fleet spreads out)`));
  const pool = await createIamPool({ driver: 'pg', token, host: pgdb.host, port: pgdb.port, database: pgdb.database, ssl: { ca: pgdb.ca } });
  try {
    console.log(`  pg: select session_user -> ${(await pool.query('select session_user as u')).rows[0].u}`);
    if (mydb instanceof Error) console.log(`  mysql2: skipped (${mydb.message})`);
    else {
      const my = await createIamPool({ driver: 'mysql2', token, host: mydb.host, port: mydb.port, ssl: { ca: mydb.ca } });
      const [rows] = await my.query('SELECT CURRENT_USER() AS u');
      console.log(`  mysql2 (mysql_clear_password over TLS): CURRENT_USER() -> ${rows[0].u}`);
      await my.end();
    }
    const without = azureEntraToken({ credential });
    const err = await without.getToken().catch((e) => e);
    console.log(`  the same app without username: ${err.name}: ${err.message.slice(0, 120)}...`);
    without.close();
  } finally {
    await pool.end();
    token.close();
    await Promise.all([pgdb.close(), mydb instanceof Error ? undefined : mydb.close(), entra.close()]);
  }
}

export async function gcpSection() {
  console.log('\n== Google Cloud SQL IAM tokens (the real google-auth-library, a service account key) -> pg -> a server that checks them ==');
  const sa = 'orders-api@dbtoken-demo.iam.gserviceaccount.com';
  const google = await startGcpAuthEmulator({ project: 'dbtoken-demo', serviceAccounts: [sa] });
  const pgdb = await startVerifyingPostgres({ users: ['app'], verify: google.verifier({ engine: 'postgres' }) });
  await pgdb.admin(`CREATE ROLE "orders-api@dbtoken-demo.iam" LOGIN IN ROLE rds_iam`);
  console.log(`  Google OAuth2 and metadata emulator at ${google.oauth2Url}; Cloud SQL user "orders-api@dbtoken-demo.iam" (the email without .gserviceaccount.com)`);
  const auth = new GoogleAuth({ credentials: google.serviceAccountKey(sa), scopes: [GCP_SQL_LOGIN_SCOPE], ...google.googleAuthOptions() });
  const token = gcpCloudSqlToken({ engine: 'postgres', auth }, { refresh: 'on-demand' });
  const pool = await createIamPool({ driver: 'pg', token, host: pgdb.host, port: pgdb.port, database: pgdb.database, ssl: { ca: pgdb.ca } });
  try {
    console.log(`  the user, learnt from the key's client_email: ${token.target.user}`);
    console.log(`  pg: select session_user -> ${(await pool.query('select session_user as u')).rows[0].u} (refresh: 'on-demand', no timer, as Cloud Run wants)`);
  } finally {
    await pool.end();
    token.close();
    await Promise.all([pgdb.close(), google.close()]);
  }
}
