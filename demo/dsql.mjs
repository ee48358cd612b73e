import { createIamPool } from 'dbtoken';
import { awsDsqlToken } from 'dbtoken/aws';
import { startVerifyingPostgres } from 'dbtoken/testing';

const credentials = { accessKeyId: 'AKIDDBTOKENDEMO00002', secretAccessKey: 'demo-secret-access-key-not-a-real-one' };
const arn = 'arn:aws:iam::111122223333:role/demo-app';
const region = 'us-east-1';

export async function dsqlSection() {
  console.log('\n== Aurora DSQL tokens -> postgres.js -> a private PostgreSQL that checks them as a DSQL cluster does ==');
  const cluster = await startVerifyingPostgres({ dsql: true, users: ['app'], region, credentials: [{ ...credentials, arn }] });
  console.log(`  "cluster" on 127.0.0.1:${cluster.port}: DbConnect tokens for roles granted to the signer's IAM identity, DbConnectAdmin for admin`);
  const app = awsDsqlToken({ hostname: '127.0.0.1', username: 'app', region, credentials });
  const admin = awsDsqlToken({ hostname: '127.0.0.1', admin: true, region, credentials });
  const open = (token) => createIamPool({ driver: 'postgres', token, host: cluster.host, port: cluster.port, database: cluster.database, ssl: { ca: cluster.ca }, max: 1 });
  const [asAdmin, asApp] = await Promise.all([open(admin), open(app)]);
  try {
    console.log(`  admin logs in with a DbConnectAdmin token -> ${(await asAdmin`select session_user as u`)[0].u}`);
    const before = await asApp`select 1`.then(() => 'logged in', (e) => `refused (${e.code}): ${cluster.logins.at(-1).reason}`);
    console.log(`  app, before AWS IAM GRANT -> ${before}`);
    await cluster.admin(`AWS IAM GRANT app TO '${arn}'`);
    console.log(`  AWS IAM GRANT app TO '${arn}'`);
    console.log(`  app, after the grant -> ${(await asApp`select session_user as u`)[0].u}, in database ${cluster.database}, its connections recycled after ${(asApp.options.max_lifetime() / 60).toFixed(1)} min (DSQL closes one after an hour)`);
  } finally {
    await Promise.all([asAdmin.end(), asApp.end()]);
    app.close();
    admin.close();
    await cluster.close();
  }
}
