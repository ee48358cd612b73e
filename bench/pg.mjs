import pg from 'pg';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startLdapVerifier, verifyRdsToken } from 'dbtoken/testing';
import { startPostgres } from '../scripts/servers/postgres.mjs';
import { alternate, median } from './stats.mjs';

const credentials = { accessKeyId: 'AKIDDBTOKENBENCH0002', secretAccessKey: 'bench-secret-access-key-2' };
const region = 'us-east-1';
const CONNECTIONS = 200;

async function open200(pool) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CONNECTIONS; i++) {
    const c = await pool.connect();
    c.release(true); // destroy: the next connect is a new physical connection and a new login
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function pgBench() {
  let port = 0;
  // Both pools go through the same server path: hostssl + ldap + this verifier,
  // which checks an RDS token either way. The baseline's password is one
  // token signed up front and passed as a static string.
  const ldap = await startLdapVerifier({
    verify: ({ user, password }) => verifyRdsToken(password, { hostname: '127.0.0.1', port, username: user, region, credentials: [credentials] }),
  });
  const server = await startPostgres({ ldapPort: ldap.port, ldapUsers: ['iam_bench'] });
  port = server.port;
  const token = awsRdsToken({ hostname: '127.0.0.1', port, username: 'iam_bench', region, credentials });
  const base = { host: '127.0.0.1', port, database: 'postgres', ssl: { ca: server.ca }, max: 1 };
  const iam = await createIamPool({ driver: 'pg', token, ...base });
  const fixed = new pg.Pool({ ...base, user: 'iam_bench', password: (await token.getToken()).token });
  try {
    await open200(iam);
    await open200(fixed);
    const [a, b] = await alternate(7, () => open200(iam), () => open200(fixed));
    const refused = ldap.binds.filter((x) => !x.ok).length;
    return [
      {
        measure: `open ${CONNECTIONS} pg connections over TLS (median of 7 rounds; ${ldap.binds.length} logins, ${refused} refused)`,
        dbtoken: `${median(a).toFixed(0)} ms`,
        baseline: `${median(b).toFixed(0)} ms (static password, same auth path)`,
        ratio: (median(a) / median(b)).toFixed(3),
        target: '<= 1.03',
      },
    ];
  } finally {
    await iam.end();
    await fixed.end();
    token.close();
    await server.stop();
    await ldap.close();
  }
}
