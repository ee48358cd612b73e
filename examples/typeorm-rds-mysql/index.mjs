// TypeORM + RDS / Aurora MySQL with IAM authentication: no password. The
// database user was created with IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'.
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { awsRdsToken } from 'dbtoken/aws';
import { mysql2AuthPlugins } from 'dbtoken/mysql2';

const host = process.env.DB_HOST; // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
const port = Number(process.env.DB_PORT ?? 3306);
const username = process.env.DB_USER;
const token = awsRdsToken({ hostname: host, port, username });

const dataSource = new DataSource({
  type: 'mysql',
  connectorPackage: 'mysql2',
  host,
  port,
  username,
  database: process.env.DB_NAME,
  ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
  // `extra` goes to mysql2's pool as it is. RDS asks for mysql_clear_password:
  // the plugin answers with a token, for each new connection.
  extra: { authPlugins: mysql2AuthPlugins(token) },
  entities: [], // your entities
});
await dataSource.initialize();

const [me] = await dataSource.query('SELECT CURRENT_USER() AS user');
console.log(JSON.stringify(me)); // {"user":"app@%"}

await dataSource.destroy();
token.close();
