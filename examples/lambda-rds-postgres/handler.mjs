// AWS Lambda handler that reads from RDS PostgreSQL with IAM authentication:
// no password anywhere. The function's execution role needs rds-db:connect on
// arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<DB_USER>, and the
// database user needs `GRANT rds_iam TO <DB_USER>`.
import { readFileSync } from 'node:fs';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';

// Module scope: created once per container and reused by warm invocations.
// Credentials come from the default chain, which in Lambda reads the role's
// temporary keys from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN). A container frozen between invocations gets a fresh
// token on its next call: the provider checks the wall clock on every call.
const token = awsRdsToken(
  {
    hostname: process.env.DB_HOST,
    port: Number(process.env.DB_PORT ?? 5432),
    username: process.env.DB_USER,
    region: process.env.DB_REGION || undefined, // unset: from a *.rds.amazonaws.com hostname, else AWS_REGION (Lambda's own)
  },
  // No timer between invocations: an invocation that finds the token due for
  // refresh is served it and starts the refresh.
  { refresh: 'on-demand' },
);

const pool = createIamPool({
  driver: 'pg',
  token,
  database: process.env.DB_NAME ?? 'postgres',
  // The RDS CA bundle, shipped in a layer or the deployment package.
  ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? '/opt/rds/global-bundle.pem', 'utf8') },
  max: 2,
  // Connections outlive their token (it is checked only at login), so the pool
  // is kept, not recycled; a connection no invocation used for a minute closes.
  idleTimeoutMillis: 60_000,
});
// A connection dropped while the container was frozen must not crash it.
pool.then((p) => p.on('error', (err) => console.warn('idle connection closed:', err.message)));

export const handler = async () => {
  const { rows } = await (await pool).query('select session_user as "user", now() as at');
  return { statusCode: 200, body: JSON.stringify(rows[0]) };
};
