// Kysely + RDS / Aurora PostgreSQL with IAM authentication: no password.
// PostgresDialect takes a pg Pool: createPgPool()'s logs each new connection
// in with a token, and retries a refused login once.
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool } from 'dbtoken/pg';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 5432),
  username: process.env.DB_USER,
});
const db = new Kysely({
  dialect: new PostgresDialect({
    pool: createPgPool({
      token, // host, port and user come from it
      database: process.env.DB_NAME ?? 'postgres',
      ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
      max: 10,
    }),
  }),
});

const me = await db
  .selectFrom('pg_stat_ssl')
  .select([sql`session_user`.as('user'), 'ssl'])
  .where('pid', '=', sql`pg_backend_pid()`)
  .executeTakeFirstOrThrow();
console.log(JSON.stringify(me)); // {"user":"app","ssl":true}

await db.destroy(); // ends the pool
token.close();
