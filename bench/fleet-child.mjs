// One process of the fleet in fleet.mjs: a pool that opens `connections`
// connections at once. Reads JSON from argv[2]:
// { pool: 'dbtoken' | 'unpaced' | 'signer', host, port, database, ca, user, region, credentials, connections }.
// Sends 'ready' once loaded, opens them all on 'go' and holds them, sends
// { connected, refused, failed, throttledLogins } once every connect() has
// settled, and releases them and ends the pool on 'release'.
import pg from 'pg';
import { Signer } from '@aws-sdk/rds-signer';
import { createIamPool } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';

const o = JSON.parse(process.argv[2]);
const base = { host: o.host, port: o.port, database: o.database, ssl: { ca: o.ca }, max: o.connections };

let token;
let pool;
if (o.pool === 'signer') {
  // A pool of its own with the AWS SDK's signer: a fresh token per login, nothing else.
  const signer = new Signer({ hostname: o.host, port: o.port, username: o.user, region: o.region, credentials: o.credentials });
  pool = new pg.Pool({ ...base, user: o.user, password: () => signer.getAuthToken() });
  await signer.getAuthToken(); // loaded and warm, as the IAM pool's provider is
} else {
  token = awsRdsToken({ hostname: o.host, port: o.port, username: o.user, region: o.region, credentials: o.credentials });
  pool = await createIamPool({ driver: 'pg', token, ...base, ...(o.pool === 'unpaced' ? { loginRate: false } : {}) });
  await token.getToken();
}
pool.on('error', () => {}); // an idle client's server going away is not this benchmark's business

process.on('disconnect', () => process.exit(0));
process.send('ready');

process.once('message', async (m) => {
  if (m !== 'go') return;
  const clients = [];
  let refused = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: o.connections }, () =>
      pool.connect().then(
        (c) => void clients.push(c),
        (err) => void (err?.code === '28000' ? refused++ : (failed++, console.error(`fleet child: ${err?.code ?? ''} ${err?.message ?? err}`))),
      ),
    ),
  );
  process.send({ connected: clients.length, refused, failed, throttledLogins: token?.status().throttledLogins ?? 0 });
  process.once('message', async (r) => {
    if (r !== 'release') return;
    for (const c of clients) c.release();
    await pool.end();
    token?.close();
    process.exit(0);
  });
});
