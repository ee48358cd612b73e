// knex + RDS / Aurora MySQL with IAM authentication: no password. The
// database user was created with IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'.
import { readFileSync } from 'node:fs';
import knex from 'knex';
import { awsRdsToken } from 'dbtoken/aws';
import { mysql2AuthPlugins } from 'dbtoken/mysql2';

const host = process.env.DB_HOST; // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
const port = Number(process.env.DB_PORT ?? 3306);
const user = process.env.DB_USER;
const token = awsRdsToken({ hostname: host, port, username: user });

const db = knex({
  client: 'mysql2',
  connection: {
    host,
    port,
    user,
    database: process.env.DB_NAME,
    ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
    // RDS asks for mysql_clear_password: the plugin answers with a token, for each new connection.
    authPlugins: mysql2AuthPlugins(token),
  },
  pool: { min: 0, max: 10 },
});

const [rows] = await db.raw('SELECT CURRENT_USER() AS user');
console.log(JSON.stringify(rows[0])); // {"user":"app@%"}

await db.destroy();
token.close();
