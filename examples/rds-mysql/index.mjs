// RDS / Aurora MySQL with IAM authentication: no password. The database user
// was created with IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', and the
// caller's IAM identity may rds-db:connect as it.
import { readFileSync } from 'node:fs';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 3306),
  username: process.env.DB_USER,
});
const pool = await createIamPool({
  driver: 'mysql2',
  token,
  database: process.env.DB_NAME,
  ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // RDS requires TLS for IAM logins
  connectionLimit: 10,
});

const [rows] = await pool.query('SELECT CURRENT_USER() AS user');
console.log(rows[0]);
await pool.end();
token.close();
