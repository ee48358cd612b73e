// Drizzle (drizzle-orm/mysql2) + RDS / Aurora MySQL with IAM authentication:
// no password. Drizzle takes a mysql2 pool: createMysql2Pool()'s logs each new
// connection in with a token, and retries a refused login once.
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { awsRdsToken } from 'dbtoken/aws';
import { createMysql2Pool } from 'dbtoken/mysql2';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 3306),
  username: process.env.DB_USER,
});
const pool = createMysql2Pool({
  token, // host, port and user come from it
  database: process.env.DB_NAME,
  ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
  connectionLimit: 10,
});
const db = drizzle({ client: pool }); // add { schema, mode: 'default' } for db.query.*

const [rows] = await db.execute(sql`SELECT CURRENT_USER() AS user`);
console.log(JSON.stringify(rows[0])); // {"user":"app@%"}

await pool.end();
token.close();
