// postgres.js + RDS / Aurora PostgreSQL with IAM authentication: no password.
// createPostgresJs() returns postgres.js's own `sql`; each new connection logs
// in with a token, and a refused login is retried once with a fresh one.
import { readFileSync } from 'node:fs';
import { awsRdsToken } from 'dbtoken/aws';
import { createPostgresJs } from 'dbtoken/postgres';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 5432),
  username: process.env.DB_USER,
});
const sql = createPostgresJs({
  token, // host, port and user come from it
  database: process.env.DB_NAME ?? 'postgres',
  ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
  max: 10,
});
// Drizzle takes it as it is: drizzle({ client: sql }) from drizzle-orm/postgres-js.

const [me] = await sql`select session_user as "user", ssl from pg_stat_ssl where pid = pg_backend_pid()`;
console.log(JSON.stringify(me)); // {"user":"app","ssl":true}

await sql.end();
token.close();
