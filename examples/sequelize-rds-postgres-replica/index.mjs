// Sequelize + Aurora / RDS PostgreSQL with a read replica, IAM authentication:
// no password. An RDS token is signed for one endpoint (host and port), so
// the writer and the reader each get a token provider, and each endpoint its
// own password function (pg calls it for a token on each new connection).
import { readFileSync } from 'node:fs';
import { QueryTypes, Sequelize } from 'sequelize';
import { awsRdsToken } from 'dbtoken/aws';
import { pgPassword } from 'dbtoken/pg';

const username = process.env.DB_USER;
const write = { host: process.env.DB_HOST, port: Number(process.env.DB_PORT ?? 5432) }; // the writer (cluster) endpoint
const read = { host: process.env.DB_READER_HOST, port: Number(process.env.DB_READER_PORT ?? write.port) }; // the reader endpoint
const writer = awsRdsToken({ hostname: write.host, port: write.port, username });
const reader = awsRdsToken({ hostname: read.host, port: read.port, username });

const sequelize = new Sequelize({
  dialect: 'postgres',
  database: process.env.DB_NAME ?? 'postgres',
  username,
  dialectOptions: { ssl: { ca: readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8') } }, // the RDS CA bundle: IAM logins need TLS
  replication: {
    write: { ...write, password: pgPassword(writer) },
    read: [{ ...read, password: pgPassword(reader) }],
  },
  logging: false,
});

const who = `select session_user as "user", ssl, inet_server_port() as port, pg_is_in_recovery() as replica
  from pg_stat_ssl where pid = pg_backend_pid()`;
const [onWriter] = await sequelize.query(who, { type: QueryTypes.SELECT, useMaster: true });
const [onReader] = await sequelize.query(who, { type: QueryTypes.SELECT }); // SELECTs go to a reader
console.log(JSON.stringify({ writer: onWriter, reader: onReader })); // on Aurora, reader.replica is true

await sequelize.close();
writer.close();
reader.close();
