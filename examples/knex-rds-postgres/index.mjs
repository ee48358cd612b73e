// knex + RDS / Aurora PostgreSQL with IAM authentication: no password.
// The database user has `GRANT rds_iam`, and the caller's IAM identity may
// rds-db:connect as it.
import { readFileSync } from 'node:fs';
import knex from 'knex';
import { awsRdsToken } from 'dbtoken/aws';
import { pgConnection } from 'dbtoken/pg';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 5432),
  username: process.env.DB_USER,
});
const ca = readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8'); // the RDS CA bundle: IAM logins need TLS

const db = knex({
  client: 'pg',
  // host, port, user, ssl, and a password function that pg calls for a token on each new connection.
  connection: { ...pgConnection(token, { ca }), database: process.env.DB_NAME ?? 'postgres' },
  pool: { min: 0, max: 10 },
});

const me = await db('pg_stat_ssl')
  .select(db.raw('session_user as "user"'), 'ssl')
  .where('pid', db.raw('pg_backend_pid()'))
  .first();
console.log(JSON.stringify(me)); // {"user":"app","ssl":true}

await db.destroy();
token.close();
