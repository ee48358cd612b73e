// Drizzle (drizzle-orm/node-postgres) + RDS / Aurora PostgreSQL with IAM
// authentication: no password. Drizzle takes a pg Pool: createPgPool()'s
// logs each new connection in with a token, and retries a refused login once.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool } from 'dbtoken/pg';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 5432),
  username: process.env.DB_USER,
});
const pool = createPgPool({
  token, // host, port and user come from it
  database: process.env.DB_NAME ?? 'postgres',
  ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
  max: 10,
});
const db = drizzle({ client: pool }); // add { schema } for db.query.*

const { rows } = await db.execute(sql`select session_user as "user", ssl from pg_stat_ssl where pid = pg_backend_pid()`);
console.log(JSON.stringify(rows[0])); // {"user":"app","ssl":true}

await pool.end();
token.close();
