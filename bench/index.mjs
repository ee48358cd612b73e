// `npm run bench`: figures measured side by side in one process; ratios
// against a baseline measured in the same run. Medians, because these
// machines are noisy. Not a test: nothing here passes or fails.
import { tokenBench } from './token.mjs';
import { pgBench } from './pg.mjs';
import { heatwaveSignBench, mysqlBench } from './mysql.mjs';
import { ociBench } from './oci.mjs';
import { oracledbIdleBench } from './oracledb-idle.mjs';
import { faultsBench } from './faults.mjs';
import { fleetBench } from './fleet.mjs';
import { bundleBench } from './bundle.mjs';

const rows = [];
for (const part of [tokenBench, faultsBench, fleetBench, pgBench, mysqlBench, heatwaveSignBench, ociBench, oracledbIdleBench, bundleBench]) rows.push(...(await part()));
const { table } = await import('./stats.mjs');
console.log('');
table(rows);
