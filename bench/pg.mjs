import pg from 'pg';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingPostgres } from 'dbtoken/testing';
import { connectionOverheadRow, interleaved } from './stats.mjs';

const credentials = { accessKeyId: 'AKIDDBTOKENBENCH0002', secretAccessKey: 'bench-secret-access-key-2' };
const region = 'us-east-1';
const CONNECTIONS = 200;

/** One new physical connection and login; destroyed so that the next one is new too. */
async function openOne(pool) {
  const c = await pool.connect();
  c.release(true);
}

export async function pgBench() {
  // Both pools go through the same server path: hostssl + ldap + the server's
  // verifier, which checks an RDS token either way. The baseline's password is
  // one token signed up front and passed as a static string.
  const server = await startVerifyingPostgres({ users: ['iam_bench'], region, credentials });
  const { port } = server;
  const token = awsRdsToken({ hostname: '127.0.0.1', port, username: 'iam_bench', region, credentials });
  const base = { host: '127.0.0.1', port, database: server.database, ssl: { ca: server.ca }, max: 1 };
  // loginRate: false: this row is dbtoken's own cost per login; the default pace (25 logins/s per
  // endpoint, which would space these logins 40 ms apart) is the fleet row's subject.
  const iam = await createIamPool({ driver: 'pg', token, ...base, loginRate: false });
  const fixed = new pg.Pool({ ...base, user: 'iam_bench', password: (await token.getToken()).token });
  try {
    await interleaved(() => openOne(iam), () => openOne(fixed), 50, 1); // warm up
    const [a, b] = await interleaved(() => openOne(iam), () => openOne(fixed), CONNECTIONS, 5);
    return [connectionOverheadRow('pg', CONNECTIONS, a, b, server.logins)];
  } finally {
    await iam.end();
    await fixed.end();
    token.close();
    await server.close();
  }
}
