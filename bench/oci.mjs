// OCI IAM db-tokens into node-oracledb: dbtoken's ociDbToken against
// node-oracledb's own plugins/token/extensionOci, side by side, both through
// the real oci-common signer to the same Identity Data Plane emulator (300 ms
// of added latency, in a child process so that its work never counts against
// either), with the driver's real thin-mode pool deciding when to ask for a
// token.
//
// Time is compressed: tokens live 15 s instead of 1 hour (x240), and dbtoken's
// windows are scaled the same way (refresh 3.75 s ahead = 15 min; keep 0.5 s
// = 2 min). The pool's server is a local port that accepts and drops each
// connection, so every getConnection() is a new connection whose token the
// driver checks (thin/pool.js: it calls accessToken(true) once its token has
// expired) and no Oracle Database is needed.
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
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import oracledb from 'oracledb';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { createOracledbPool } from 'dbtoken/oracledb';
import { percentile } from './stats.mjs';
import { interceptOciAuth, loadExtensionOci } from './oci-intercept.mjs';

const LIFETIME_S = 15; // stands for 1 hour
const SCALE = 3600 / LIFETIME_S;
const RUN_MS = Number(process.env.RUN_MS ?? 46_000); // three token rollovers
const EVERY_MS = 50; // a new connection 20 times a second
const TENANCY = 'ocid1.tenancy.oc1..aaaabenchtenancy';
const USER = 'ocid1.user.oc1..aaaabenchuser';

function fingerprint(publicKey) {
  return createHash('md5').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').match(/../g).join(':');
}

/** The emulator in a child process; `count()` asks it how many requests it has served. */
async function startEmulatorProcess(options) {
  const child = fork(fileURLToPath(new URL('./oci-emulator-child.mjs', import.meta.url)), [JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const { url } = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d) => resolve(JSON.parse(d.toString())));
  });
  const ask = () =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(m.count));
      child.send('count');
    });
  const close = () => new Promise((resolve) => (child.once('exit', resolve), child.send('close')));
  return { url, count: ask, close };
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

/** A new connection every EVERY_MS for RUN_MS; each one's wait (request to settled) and the IAM calls made. */
async function drive(pool) {
  const started = Date.now();
  const pending = [];
  while (Date.now() - started < RUN_MS) {
    const t0 = performance.now();
    pending.push(pool.getConnection().then((c) => c.close(), () => {}).then(() => performance.now() - t0));
    await new Promise((r) => setTimeout(r, EVERY_MS));
  }
  const waits = await Promise.all(pending);
  return { connections: waits.length, p99: percentile(waits, 99), max: Math.max(...waits), p50: percentile(waits, 50) };
}

export async function ociBench() {
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-bench-oci-'));
  const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'key.pem'), apiKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const configFile = join(dir, 'config');
  writeFileSync(configFile, `[DEFAULT]\nuser=${USER}\ntenancy=${TENANCY}\nfingerprint=${fingerprint(apiKey.publicKey)}\nkey_file=${join(dir, 'key.pem')}\nregion=us-ashburn-1\n`);
  const iam = await startEmulatorProcess({
    tenancies: [{ ocid: TENANCY, users: [{ ocid: USER, apiKeys: [{ fingerprint: fingerprint(apiKey.publicKey), publicKey: apiKey.publicKey.export({ type: 'spki', format: 'pem' }) }] }] }],
    latencyMs: 300,
    tokenLifetimeSeconds: LIFETIME_S,
  });
  const dead = createServer((s) => s.destroy());
  await new Promise((r) => dead.listen(0, '127.0.0.1', r));
  const connectString = `tcps://127.0.0.1:${dead.address().port}/bench_high.adb.oraclecloud.com`;
  const restoreFetch = interceptOciAuth(iam.url);
  const scope = ociScope.all();
  const attrs = { externalAuth: true, homogeneous: true, connectString, poolMin: 0, poolMax: 50, connectTimeout: 2 };
  const dbtoken = () =>
    ociDbToken(
      { scope, auth: { type: 'api_key', configFile }, endpoint: iam.url },
      { refreshBefore: (LIFETIME_S * 1000) / 4, minValidity: 500 },
    );
  const rows = [];
  try {
    // 1. Event-loop stall during refreshes, each in a fresh process; and the same windows with no work (this machine's floor).
    const stallArgs = { url: iam.url, configFile, scope, options: { refreshBefore: (LIFETIME_S * 1000) / 4, minValidity: 500 } };
    const floor = await stallInChild('floor', stallArgs);
    const stallOurs = await stallInChild('dbtoken', stallArgs);
    const stallTheirs = await stallInChild('extensionOci', stallArgs);

    const { accessToken: plugin, config: pluginConfig } = loadExtensionOci({
      authType: 'configFileBasedAuthentication',
      configFileLocation: configFile,
      profile: 'DEFAULT',
      scope,
    });

    // 2. A pool under steady load across token rollovers: each connection's wait, and IAM calls.
    const t2 = dbtoken();
    let before = await iam.count();
    const pool1 = await createOracledbPool({ token: t2, connectString, poolMin: 0, poolMax: 50, connectTimeout: 2 });
    const a = await drive(pool1);
    const oursCalls = (await iam.count()) - before;
    await pool1.close(0);
    t2.close();
    before = await iam.count();
    const pool2 = await oracledb.createPool({ ...attrs, accessToken: plugin, accessTokenConfig: pluginConfig });
    const b = await drive(pool2);
    const theirCalls = (await iam.count()) - before;
    await pool2.close(0);

    // 3. Standalone connections (no pool), as short-lived handlers open them.
    const t3 = dbtoken();
    const { oracledbAccessToken } = await import('dbtoken/oracledb');
    const standalone = async (accessToken, accessTokenConfig) => {
      const b0 = await iam.count();
      for (let i = 0; i < 10; i++) {
        await oracledb.getConnection({ externalAuth: true, connectString, connectTimeout: 2, accessToken, accessTokenConfig }).then((c) => c.close(), () => {});
      }
      return (await iam.count()) - b0;
    };
    const standaloneOurs = await standalone(oracledbAccessToken(t3));
    t3.close();
    const standaloneTheirs = await standalone(plugin, pluginConfig);

    const hours = RUN_MS / 1000 / LIFETIME_S;
    rows.push(
      {
        measure: `oracledb: longest event-loop stall during token refreshes (8 refreshes each, IAM +300 ms; idle floor ${floor.maxMs.toFixed(1)} ms)`,
        dbtoken: `${stallOurs.maxMs.toFixed(1)} ms (p99 ${stallOurs.p99Ms.toFixed(1)})`,
        baseline: `${stallTheirs.maxMs.toFixed(1)} ms (p99 ${stallTheirs.p99Ms.toFixed(1)}) (extensionOci, RSA-4096 per token)`,
        ratio: (stallOurs.maxMs / stallTheirs.maxMs).toFixed(2),
        target: 'dbtoken < 10 ms',
      },
      {
        measure: `oracledb pool: p99 wait for a new connection across token rollovers (${a.connections} / ${b.connections} requests)`,
        dbtoken: `${a.p99.toFixed(1)} ms (max ${a.max.toFixed(0)})`,
        baseline: `${b.p99.toFixed(1)} ms (max ${b.max.toFixed(0)}) (extensionOci)`,
        ratio: (a.p99 / b.p99).toFixed(3),
        target: 'no stall at rollover',
      },
      {
        measure: `oracledb pool: IAM calls per hour of activity (20 new connections/s; ${hours.toFixed(1)} h simulated at x${SCALE})`,
        dbtoken: (oursCalls / hours).toFixed(2),
        baseline: `${(theirCalls / hours).toFixed(2)} (extensionOci)`,
        ratio: (oursCalls / theirCalls).toFixed(2),
        target: 'report',
      },
      {
        measure: 'oracledb standalone connections: IAM calls for 10 getConnection()',
        dbtoken: String(standaloneOurs),
        baseline: `${standaloneTheirs} (extensionOci)`,
        ratio: (standaloneOurs / standaloneTheirs).toFixed(2),
        target: 'report',
      },
    );
  } finally {
    restoreFetch();
    await new Promise((r) => dead.close(r));
    await iam.close();
  }
  return rows;
}
