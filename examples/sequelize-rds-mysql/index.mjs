// Sequelize + RDS / Aurora MySQL with IAM authentication: no password. The
// database user was created with IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'.
import { readFileSync } from 'node:fs';
import { QueryTypes, Sequelize } from 'sequelize';
import { awsRdsToken } from 'dbtoken/aws';
import { mysql2AuthPlugins } from 'dbtoken/mysql2';

const host = process.env.DB_HOST; // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
const port = Number(process.env.DB_PORT ?? 3306);
const username = process.env.DB_USER;
const token = awsRdsToken({ hostname: host, port, username });

const sequelize = new Sequelize({
  dialect: 'mysql', // through mysql2
  host,
  port,
  username,
  database: process.env.DB_NAME,
  // dialectOptions goes to mysql2 as it is. RDS asks for mysql_clear_password:
  // the plugin answers with a token, for each new connection.
  dialectOptions: {
    ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') }, // the RDS CA bundle: IAM logins need TLS
    authPlugins: mysql2AuthPlugins(token),
  },
  logging: false,
});

const [me] = await sequelize.query('SELECT CURRENT_USER() AS user', { type: QueryTypes.SELECT });
console.log(JSON.stringify(me)); // {"user":"app@%"}

await sequelize.close();
token.close();
