// TypeORM + Aurora / RDS PostgreSQL with a read replica, IAM authentication:
// no password. An RDS token is signed for one endpoint (host and port), so
// the writer and the reader each get a token provider of their own.
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { awsRdsToken } from 'dbtoken/aws';
import { pgConnection } from 'dbtoken/pg';

const port = Number(process.env.DB_PORT ?? 5432);
const writer = awsRdsToken({
  hostname: process.env.DB_HOST, // the writer (cluster) endpoint: mycluster.cluster-abc123.eu-west-1.rds.amazonaws.com
  port,
  username: process.env.DB_USER,
});
const reader = awsRdsToken({
  hostname: process.env.DB_READER_HOST, // the reader endpoint: mycluster.cluster-ro-abc123.eu-west-1.rds.amazonaws.com
  port: Number(process.env.DB_READER_PORT ?? port),
  username: process.env.DB_USER,
});
const ca = readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8'); // the RDS CA bundle: IAM logins need TLS
const database = process.env.DB_NAME ?? 'postgres';

const dataSource = new DataSource({
  type: 'postgres',
  replication: {
    // Each: host, port, username, ssl, and a password function that pg calls for a token on each new connection.
    master: { ...pgConnection(writer, { ca }), database },
    slaves: [{ ...pgConnection(reader, { ca }), database }],
  },
  entities: [], // your entities: find() and the query builder read from a slave, writes go to the master
});
await dataSource.initialize();

const who = `select session_user as "user", ssl, inet_server_port() as port, pg_is_in_recovery() as replica
  from pg_stat_ssl where pid = pg_backend_pid()`;
const [onWriter] = await dataSource.query(who); // raw queries go to the master
const replica = dataSource.createQueryRunner('slave');
const [onReader] = await replica.query(who);
await replica.release();
console.log(JSON.stringify({ writer: onWriter, reader: onReader })); // on Aurora, reader.replica is true

await dataSource.destroy();
writer.close();
reader.close();
