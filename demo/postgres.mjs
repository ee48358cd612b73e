import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { startVerifyingPostgres } from 'dbtoken/testing';

const credentials = { accessKeyId: 'AKIDDBTOKENDEMO00001', secretAccessKey: 'demo-secret-access-key-not-a-real-one' };
const region = 'us-east-1';
const SPEED = 300; // the demo clock runs 300x: a 15-minute token lives 3 s

export async function postgresSection() {
  console.log('\n== AWS RDS IAM tokens -> pg pool -> a private PostgreSQL that verifies them ==');
  const server = await startVerifyingPostgres({ users: ['iam_app'], region, credentials });
  const { port } = server;
  console.log(`  PostgreSQL on 127.0.0.1:${port} (TLS, pg_hba: hostssl ... ldap -> an RDS token verifier in this process)`);

  const start = Date.now();
  const clock = () => start + (Date.now() - start) * SPEED;
  const token = awsRdsToken({ hostname: '127.0.0.1', port, username: 'iam_app', region, credentials }, { clock });
  const mins = (ms) => `${(ms / 60_000).toFixed(1)} min`;
  let signed = 0;
  token.on('token', (e) => {
    signed += 1;
    console.log(`  [token] ${e.background ? 'refreshed ahead of expiry' : 'fetched'}: valid ${mins(e.expiresAt - clock())} on the demo clock, next refresh in ${mins(e.refreshAt - clock())}`);
  });
  const pool = await createIamPool({ driver: 'pg', token, host: '127.0.0.1', port, database: server.database, ssl: { ca: server.ca } });
  try {
    const { rows } = await pool.query('select session_user, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as tls');
    console.log(`  select session_user -> ${rows[0].session_user} (TLS: ${rows[0].tls})`);
    console.log(`  opening a new connection every 250 ms for 8 s of real time (40 min on the demo clock):`);
    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      const c = await pool.connect();
      await c.query('select 1');
      c.release(true);
      await new Promise((r) => setTimeout(r, 250));
    }
    const refused = server.logins.filter((b) => !b.ok).length;
    console.log(`  ${server.logins.length} logins checked by the server's verifier, ${refused} refused; ${signed} tokens signed over ${mins(clock() - start)} of demo clock (a naive password callback signs one per login: ${server.logins.length})`);
  } finally {
    await pool.end();
    token.close();
    await server.close();
  }
}
