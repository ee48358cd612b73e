// OCI IAM db-tokens into node-oracledb: dbtoken's ociDbToken against
// node-oracledb's own plugins/token/extensionOci, side by side, both through
// the real oci-common signer to the same OCI Identity Data Plane emulator (300
// ms of added latency), and both logging in for real, over TCPS, to dbtoken's
// Oracle Database emulator, which verifies every token, its key and the
// mapping as Autonomous Database does. Both emulators run in a child process,
// so that their work never counts against either side.
//
// Time is compressed: tokens live 16 s instead of 1 hour (x225), and dbtoken's
// windows are scaled the same way (refresh 4 s ahead = 15 min; keep 0.5 s
// = 2 min). The driver's real thin-mode pool decides when to ask for a token
// (thin/pool.js: the accessToken callback, with refresh true, once its token's
// exp has passed); each pooled connection lives at most 1 s (under 4 min,
// maxLifetimeSession), so the pool keeps logging in across rollovers.
//
// dbtoken is pointed at the emulator with its `endpoint` option.
// extensionOci takes its endpoint from the config profile's region
// (https://auth.<region>.oraclecloud.com) and has no override, so this process
// intercepts the SDK's request layer: oci-common sends every request through
// the global fetch(), which is wrapped here to forward auth.*.oraclecloud.com
// requests, byte for byte and with the signed Host header, to the emulator.
// The plugin itself is loaded unmodified from node_modules.
import { fork } from 'node:child_process';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import oracledb from 'oracledb';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { createOracledbPool, oracledbAccessToken } from 'dbtoken/oracledb';
import { median, percentile } from './stats.mjs';
import { interceptOciAuth, loadExtensionOci } from './oci-intercept.mjs';

// exp is whole seconds: with a whole-second refresh window too, a compressed token loses no fraction of
// a second (up to 4 simulated minutes at this scale) between its refresh and the next token's exp.
const LIFETIME_S = 16; // stands for 1 hour
const SCALE = 3600 / LIFETIME_S;
const REFRESH_BEFORE_MS = (LIFETIME_S * 1000) / 4; // 15 min
const RUN_MS = Number(process.env.RUN_MS ?? 3 * LIFETIME_S * 1000 + 2_000); // three token rollovers
const EVERY_MS = 50; // a getConnection() 20 times a second
const OPENS = 10; // pooled connections opened per round
const TENANCY = 'ocid1.tenancy.oc1..aaaabenchtenancy000000000000000000000000000000000000000000000';
const USER = 'ocid1.user.oc1..aaaabenchuser00000000000000000000000000000000000000000000000000';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaabenchcompartment0000000000000000000000000000000000000000';
const DATABASE = 'ocid1.autonomousdatabase.oc1.iad.aaaabenchdatabase00000000000000000000000000000000000000';

function fingerprint(publicKey) {
  return createHash('md5').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').match(/../g).join(':');
}

/** The emulators in a child process; `stats()` asks when IAM answered and how each login went. */
async function startEmulatorProcess(options) {
  const child = fork(fileURLToPath(new URL('./oci-emulator-child.mjs', import.meta.url)), [JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const started = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulator process exited ${code}`)));
    let line = '';
    child.stdout.on('data', (d) => {
      line += d;
      if (line.includes('\n')) resolve(JSON.parse(line));
    });
  });
  child.removeAllListeners('exit');
  const stats = () =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send('stats');
    });
  const close = () => new Promise((resolve) => (child.once('exit', resolve), child.send('close')));
  return { ...started, stats, close };
}

/** Measures the event-loop stall of `which` in a fresh process (see oci-stall.mjs). */
function stallInChild(which, args) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./oci-stall.mjs', import.meta.url)), [JSON.stringify({ which, ...args })], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`oci-stall ${which} exited ${code}`))));
  });
}

/** One connection: get it, run a query, give it back. Resolves with how long getConnection() waited. */
async function useOne(getConnection) {
  const t0 = performance.now();
  const conn = await getConnection();
  const waited = performance.now() - t0;
  try {
    await conn.execute('select 1 from dual');
  } finally {
    await conn.close();
  }
  return waited;
}

/** A getConnection() every EVERY_MS for RUN_MS; each one's wait. A failed one counts as failed, not as a wait. */
async function drive(pool) {
  const started = Date.now();
  const pending = [];
  let failed = 0;
  while (Date.now() - started < RUN_MS) {
    pending.push(useOne(() => pool.getConnection()).catch(() => (failed++, undefined)));
    await new Promise((r) => setTimeout(r, EVERY_MS));
  }
  const waits = (await Promise.all(pending)).filter((w) => w !== undefined);
  return { requests: pending.length, failed, p99: percentile(waits, 99), max: Math.max(...waits) };
}

/**
 * IAM calls per simulated hour in steady activity: 3600 s over the mean gap between consecutive
 * calls, so that neither the pool's first token nor where the run happens to end weighs in.
 */
function callsPerHour(times) {
  const gaps = times.slice(1).map((t, i) => (t - times[i]) / 1000);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  return { perHour: 3600 / (mean * SCALE), everyMin: (mean * SCALE) / 60 };
}

/** What the emulators saw between two `stats()` snapshots. */
function between(before, after) {
  const logins = after.logins.slice(before.logins.length);
  const calls = after.iamCalls.slice(before.iamCalls.length);
  if (calls.some((c) => !c.ok)) throw new Error(`IAM refused ${calls.filter((c) => !c.ok).length} requests`);
  return { iamCalls: calls.map((c) => c.at), logins: logins.length, refused: logins.filter((l) => !l.ok).map((l) => l.code) };
}

const refusals = (codes) => (codes.length === 0 ? '0 refused' : `${codes.length} refused (${[...new Set(codes)].join(', ')})`);

export async function ociBench() {
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-bench-oci-'));
  const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'key.pem'), apiKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const configFile = join(dir, 'config');
  writeFileSync(configFile, `[DEFAULT]\nuser=${USER}\ntenancy=${TENANCY}\nfingerprint=${fingerprint(apiKey.publicKey)}\nkey_file=${join(dir, 'key.pem')}\nregion=us-ashburn-1\n`);
  const emulators = await startEmulatorProcess({
    identity: {
      tenancies: [{ ocid: TENANCY, users: [{ ocid: USER, name: 'bench', groups: ['bench_users'], apiKeys: [{ fingerprint: fingerprint(apiKey.publicKey), publicKey: apiKey.publicKey.export({ type: 'spki', format: 'pem' }) }] }] }],
      latencyMs: 300,
      tokenLifetimeSeconds: LIFETIME_S,
    },
    database: { ocid: DATABASE, compartment: COMPARTMENT, tenancy: TENANCY, service: 'bench_high.adb.oraclecloud.com', region: 'us-ashburn-1' },
    admin: "CREATE USER bench_app IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=bench_users'; GRANT CREATE SESSION TO bench_app;",
  }).catch((err) => {
    rmSync(dir, { recursive: true, force: true }); // it holds the API key
    throw err;
  });
  const { url, connectString, wallet } = emulators;
  const restoreFetch = interceptOciAuth(url);
  const scope = ociScope.database(COMPARTMENT, DATABASE);
  const dbtoken = () => ociDbToken({ scope, auth: { type: 'api_key', configFile }, endpoint: url }, { refreshBefore: REFRESH_BEFORE_MS, minValidity: 500 });
  const driverAttrs = { connectString, walletContent: wallet, poolMin: 0, poolMax: 50, connectTimeout: 5 };
  const rows = [];
  try {
    // 1. Event-loop stall during refreshes, each in a fresh process; and the same windows with no work (this machine's floor).
    const stallArgs = { url, configFile, scope, options: { refreshBefore: REFRESH_BEFORE_MS, minValidity: 500 } };
    const floor = await stallInChild('floor', stallArgs);
    const stallOurs = await stallInChild('dbtoken', stallArgs);
    const stallTheirs = await stallInChild('extensionOci', stallArgs);

    const { accessToken: plugin, config: pluginConfig } = loadExtensionOci({
      authType: 'configFileBasedAuthentication',
      configFileLocation: configFile,
      profile: 'DEFAULT',
      scope,
    });
    const theirPool = (extra = {}) => oracledb.createPool({ ...driverAttrs, ...extra, externalAuth: true, homogeneous: true, accessToken: plugin, accessTokenConfig: pluginConfig });

    // 2. Opening pooled connections with a token in hand: TLS, the token login, one query. A fresh pool per
    //    round, so that each of its OPENS connections is a new session; its token is fetched before timing.
    const warm = dbtoken();
    await warm.getToken();
    const opens = async (makePool) => {
      const pool = await makePool();
      const held = [];
      const times = [];
      try {
        for (let i = 0; i < OPENS; i++) {
          const t0 = performance.now();
          const conn = await pool.getConnection();
          await conn.execute('select 1 from dual');
          times.push(performance.now() - t0);
          held.push(conn);
        }
      } finally {
        for (const c of held) await c.close();
        await pool.close(0);
      }
      return times;
    };
    const ours = () => createOracledbPool({ ...driverAttrs, token: warm });
    await opens(ours); // warm up: module loading, the first TLS sessions
    await opens(theirPool);
    let snap = await emulators.stats();
    const openOurs = [];
    const openTheirs = [];
    for (let round = 0; round < 5; round++) {
      // Alternating which goes first, so that drift in the machine's speed lands on both.
      const pair = [async () => openOurs.push(...(await opens(ours))), async () => openTheirs.push(...(await opens(theirPool)))];
      for (const run of round % 2 === 0 ? pair : pair.reverse()) await run();
    }
    const openSeen = between(snap, await emulators.stats());
    warm.close(); // its refresh-ahead must not count against the next figures

    // 3. Standalone connections (no pool), as short-lived handlers open them: the token callback on every one.
    //    dbtoken starts cold, so that its first fetch counts.
    const standalone = async (accessToken, accessTokenConfig) => {
      const before = await emulators.stats();
      const times = [];
      for (let i = 0; i < 10; i++) {
        times.push(await useOne(() => oracledb.getConnection({ externalAuth: true, connectString, walletContent: wallet, connectTimeout: 5, accessToken, accessTokenConfig })));
      }
      return { ms: median(times), ...between(before, await emulators.stats()) };
    };
    const t3 = dbtoken(); // cold: its first token counts
    const soloOurs = await standalone(oracledbAccessToken(t3));
    t3.close();
    const soloTheirs = await standalone(plugin, pluginConfig);

    // 4. A pool under steady load across token rollovers: each getConnection()'s wait, the logins, and IAM calls.
    const lifetime = { maxLifetimeSession: 1 };
    const t4 = dbtoken();
    snap = await emulators.stats();
    const pool1 = await createOracledbPool({ ...driverAttrs, ...lifetime, token: t4 });
    const a = await drive(pool1);
    await pool1.close(0);
    t4.close();
    const seenOurs = between(snap, await emulators.stats());
    snap = await emulators.stats();
    const pool2 = await theirPool(lifetime);
    const b = await drive(pool2);
    await pool2.close(0);
    const seenTheirs = between(snap, await emulators.stats());

    const hours = RUN_MS / 1000 / LIFETIME_S;
    const rateOurs = callsPerHour(seenOurs.iamCalls);
    const rateTheirs = callsPerHour(seenTheirs.iamCalls);
    rows.push(
      {
        measure: `oracledb: longest event-loop stall during token refreshes (8 refreshes each, IAM +300 ms; idle floor ${floor.maxMs.toFixed(1)} ms)`,
        dbtoken: `${stallOurs.maxMs.toFixed(1)} ms (p99 ${stallOurs.p99Ms.toFixed(1)})`,
        baseline: `${stallTheirs.maxMs.toFixed(1)} ms (p99 ${stallTheirs.p99Ms.toFixed(1)}) (extensionOci, RSA-4096 per token)`,
        ratio: (stallOurs.maxMs / stallTheirs.maxMs).toFixed(2),
        target: 'dbtoken < 10 ms',
      },
      {
        measure: `oracledb pool: open a connection over TCPS with a token in hand, login verified, select 1 (median of ${openOurs.length}, 5 rounds alternating; ${openSeen.logins} logins, ${refusals(openSeen.refused)})`,
        dbtoken: `${median(openOurs).toFixed(1)} ms`,
        baseline: `${median(openTheirs).toFixed(1)} ms (extensionOci, RSA-4096 key)`,
        ratio: (median(openOurs) / median(openTheirs)).toFixed(3),
        target: '<= 1.03',
      },
      {
        measure: `oracledb standalone getConnection() + select 1, median of 10 (${soloOurs.logins + soloTheirs.logins} logins, ${refusals([...soloOurs.refused, ...soloTheirs.refused])}); IAM calls`,
        dbtoken: `${soloOurs.ms.toFixed(1)} ms; ${soloOurs.iamCalls.length} IAM calls`,
        baseline: `${soloTheirs.ms.toFixed(1)} ms; ${soloTheirs.iamCalls.length} IAM calls (extensionOci)`,
        ratio: (soloOurs.ms / soloTheirs.ms).toFixed(3),
        target: 'report',
      },
      {
        measure: `oracledb pool: p99 wait for getConnection() across ${Math.floor(hours)} token rollovers (${a.requests} / ${b.requests} requests; ${seenOurs.logins} / ${seenTheirs.logins} logins, ${refusals(seenOurs.refused)} / ${refusals(seenTheirs.refused)}; ${a.failed} / ${b.failed} failed)`,
        dbtoken: `${a.p99.toFixed(1)} ms (max ${a.max.toFixed(0)})`,
        baseline: `${b.p99.toFixed(1)} ms (max ${b.max.toFixed(0)}) (extensionOci)`,
        ratio: (a.p99 / b.p99).toFixed(3),
        target: 'no stall at rollover',
      },
      {
        measure: `oracledb pool: IAM calls per hour of activity, steady state (floor for 1-hour tokens refreshed 15 min ahead: 60/45 = 1.33; ${hours.toFixed(1)} h simulated at x${SCALE})`,
        dbtoken: `${rateOurs.perHour.toFixed(2)} (one per ${rateOurs.everyMin.toFixed(1)} min; ${seenOurs.iamCalls.length} calls)`,
        baseline: `${rateTheirs.perHour.toFixed(2)} (one per ${rateTheirs.everyMin.toFixed(1)} min; ${seenTheirs.iamCalls.length} calls) (extensionOci)`,
        ratio: (rateOurs.perHour / rateTheirs.perHour).toFixed(2),
        target: 'dbtoken at the floor',
      },
    );
  } finally {
    restoreFetch();
    await emulators.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
