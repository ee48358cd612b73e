// The same handler on aws-advanced-nodejs-wrapper: its pooled pg client with the IAM plugin.
import { AwsPgPoolClient } from 'aws-advanced-nodejs-wrapper/pg';

const pool = new AwsPgPoolClient(
  { host: process.env.DB_HOST, port: Number(process.env.DB_PORT), user: process.env.DB_USER, database: 'orders', ssl: { ca: process.env.DB_CA }, plugins: 'iam' },
  { maxConnections: 2 },
);
export const ready = Promise.resolve(pool);

export const handler = async () => (await pool.query('select session_user')).rows[0];
