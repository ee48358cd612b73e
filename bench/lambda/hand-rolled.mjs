// The same handler hand-rolled: the RDS signer and a pg.Pool whose password
// function signs a token for every new connection.
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

const signer = new Signer({ hostname: process.env.DB_HOST, port: Number(process.env.DB_PORT), username: process.env.DB_USER });
const pool = new pg.Pool({
  host: process.env.DB_HOST,
  port: Number(process.env.DB_PORT),
  user: process.env.DB_USER,
  database: 'orders',
  ssl: { ca: process.env.DB_CA },
  max: 2,
  password: () => signer.getAuthToken(),
});
export const ready = Promise.resolve(pool);

export const handler = async () => (await pool.query('select session_user')).rows[0];
