// Prisma (@prisma/adapter-pg) + RDS / Aurora PostgreSQL with IAM
// authentication: no password. Run `npx prisma generate` first.
import { readFileSync } from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { awsRdsToken } from 'dbtoken/aws';
import { pgConnection } from 'dbtoken/pg';

const token = awsRdsToken({
  hostname: process.env.DB_HOST, // e.g. mydb.abc123.eu-west-1.rds.amazonaws.com (region read from it, else AWS_REGION)
  port: Number(process.env.DB_PORT ?? 5432),
  username: process.env.DB_USER,
});
const ca = readFileSync(process.env.DB_CA_FILE ?? 'global-bundle.pem', 'utf8'); // the RDS CA bundle: IAM logins need TLS

// The adapter's pool config: host, port, user, ssl, and a password function
// that pg calls for a token on each new connection. No url in schema.prisma.
const adapter = new PrismaPg({ ...pgConnection(token, { ca }), database: process.env.DB_NAME ?? 'postgres', max: 10 });
const prisma = new PrismaClient({ adapter });

const [me] = await prisma.$queryRaw`select session_user as "user", ssl from pg_stat_ssl where pid = pg_backend_pid()`;
console.log(JSON.stringify(me)); // {"user":"app","ssl":true}

await prisma.$disconnect(); // ends the adapter's pool
token.close();
