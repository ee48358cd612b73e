// MikroORM 6 + RDS / Aurora PostgreSQL with IAM authentication: no password.
// driverOptions.connection goes to knex and pg as it is: pg calls its password
// function for a token on each new connection.
import { readFileSync } from 'node:fs';
import { MikroORM } from '@mikro-orm/postgresql';
import { awsRdsToken } from 'dbtoken/aws';
import { pgConnection } from 'dbtoken/pg';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 5432),
  username: process.env.DB_USER,
});
const ca = readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8'); // the RDS CA bundle: IAM logins need TLS

const orm = await MikroORM.init({
  dbName: process.env.DB_NAME ?? 'postgres',
  entities: [], // your entities
  discovery: { warnWhenNoEntities: false },
  // Not host/user/password/clientUrl: pgConnection() gives them all, with a password pg asks again for each login.
  driverOptions: { connection: pgConnection(token, { ca }) },
});

const [me] = await orm.em.getConnection().execute('select session_user as "user", ssl from pg_stat_ssl where pid = pg_backend_pid()');
console.log(JSON.stringify(me)); // {"user":"app","ssl":true}

await orm.close();
token.close();
