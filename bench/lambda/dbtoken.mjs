// The bench's Lambda handler with dbtoken's one entry point: a pg pool whose
// connections log in with cached RDS IAM tokens. `ready` is the pool, for the
// import-time measurement.
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';

export const ready = createIamPool({
  driver: 'pg',
  token: awsRdsToken({ hostname: process.env.DB_HOST, port: Number(process.env.DB_PORT), username: process.env.DB_USER }),
  database: 'orders',
  ssl: { ca: process.env.DB_CA },
  max: 2,
});

export const handler = async () => (await (await ready).query('select session_user')).rows[0];
