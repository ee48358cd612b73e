// The same handler with dbtoken's pg adapter imported directly (dbtoken/pg).
import { createPgPool } from 'dbtoken/pg';
import { awsRdsToken } from 'dbtoken/aws';

const pool = createPgPool({
  token: awsRdsToken({ hostname: process.env.DB_HOST, port: Number(process.env.DB_PORT), username: process.env.DB_USER }),
  database: 'orders',
  ssl: { ca: process.env.DB_CA },
  max: 2,
});
export const ready = Promise.resolve(pool);

export const handler = async () => (await pool.query('select session_user')).rows[0];
