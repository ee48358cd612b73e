// MySQL HeatWave with OCI IAM, no password: the `oci session authenticate`
// workflow. Run `oci session authenticate --profile-name heatwave --region <region>`
// once; it writes a key pair and a 1-hour security token and adds a
// [heatwave] profile to ~/.oci/config. `oci session refresh --profile heatwave`
// extends the token (up to 24 h); the pool picks the new token up for its next
// connection without a restart.
import { readFileSync } from 'node:fs';
import { createIamPool } from 'dbtoken';
import { heatwaveOciToken } from 'dbtoken/oci';

const token = heatwaveOciToken({ profile: process.env.OCI_PROFILE ?? 'heatwave' });
const pool = await createIamPool({
  driver: 'mysql2',
  token,
  host: process.env.MYSQL_HOST, // the DB system's private IP or hostname
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER, // mapped to your IAM user or group (see README.md)
  ssl: { ca: readFileSync(process.env.MYSQL_CA_FILE, 'utf8') },
  connectionLimit: 4,
});

const [rows] = await pool.query('SELECT USER() AS user, CURRENT_USER() AS `current_user`'); // a reserved word: quoted
console.log(rows[0]); // with a group mapping, current_user is the proxy user
await pool.end();
token.close();
