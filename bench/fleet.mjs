// A fleet against one database: processes that start together and open
// their pools at once against a server with an IAM login rate, and
// providers started together whose refreshes should not stay together.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tokenProvider } from 'dbtoken';
import { startVerifyingPostgres } from 'dbtoken/testing';
import { median } from './stats.mjs';

const credentials = { accessKeyId: 'AKIDDBTOKENBENCH0003', secretAccessKey: 'bench-secret-access-key-3' };
const region = 'us-east-1';
const USER = 'iam_fleet';
const PROCESSES = 4;
const CONNECTIONS = 100; // per process
const LIMIT = 100; // the server's IAM logins per second
const ROUNDS = 3;
const CHILD = fileURLToPath(new URL('./fleet-child.mjs', import.meta.url));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts one fleet process; resolves once it has loaded and made its pool. */
function startChild(options) {
  const child = fork(CHILD, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`fleet child said ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`a fleet child exited ${code} before it was ready`)));
  });
  return { child, exited, ready };
}

/** Waits until the server holds none of the fleet's connections, and its rate window has emptied. */
async function drained(server) {
  for (let i = 0; i < 100; i++) {
    const [{ n }] = await server.admin('select count(*)::int as n from pg_stat_activity where usename = $1', [USER]);
    if (n === 0) break;
    await sleep(50);
  }
  await sleep(1_100);
}

/** The most logins `logins` holds in any one second (sliding). */
function peakPerSecond(logins) {
  const t = logins.map((l) => l.at.getTime()).sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

/**
 * One cold start: PROCESSES processes that have loaded wait at a barrier,
 * then each opens CONNECTIONS connections at once and holds them. The time
 * runs from the start signal to the last process reporting that all its
 * connect() calls settled.
 */
async function coldStart(server, pool) {
  const options = { pool, host: server.host, port: server.port, database: server.database, ca: server.ca, user: USER, region, credentials, connections: CONNECTIONS };
  const children = Array.from({ length: PROCESSES }, () => startChild(options));
  try {
    await Promise.all(children.map((c) => c.ready));
    const from = server.logins.length;
    const reports = children.map(
      ({ child }) =>
        new Promise((resolve, reject) => {
          child.once('message', (m) => resolve({ ...m, at: performance.now() }));
          child.once('exit', (code) => reject(new Error(`a fleet child exited ${code} before it reported`)));
        }),
    );
    const t0 = performance.now();
    for (const { child } of children) child.send('go');
    const done = await Promise.all(reports);
    const ms = Math.max(...done.map((d) => d.at)) - t0;
    const logins = server.logins.slice(from);
    const sum = (k) => done.reduce((a, d) => a + d[k], 0);
    return {
      ms,
      connected: sum('connected'),
      refused: sum('refused'), // connect() calls the application saw rejected for a refused login
      failed: sum('failed'), // rejected for anything else
      retriedThrottles: sum('throttledLogins'),
      serverRefusals: logins.filter((l) => !l.ok).length,
      serverThrottles: logins.filter((l) => !l.ok && /^throttled/.test(l.reason ?? '')).length,
      peakAccepted: peakPerSecond(logins.filter((l) => l.ok)),
    };
  } finally {
    for (const { child } of children) if (child.connected) child.send('release');
    await Promise.all(children.map((c) => c.exited));
    await drained(server);
  }
}

/** 32-bit seeded PRNG (mulberry32): the same figures on every run. */
function mulberry32(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const flush = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

/**
 * `count` on-demand providers of 15-minute tokens, started in the same
 * simulated second and read every simulated second for `minutes`: the
 * source calls after the first fetch, per simulated second.
 */
async function refreshSpread(count, minutes, randomOf) {
  const start = Date.UTC(2026, 0, 1);
  let now = start;
  const clock = () => now;
  const perSecond = new Map();
  let n = 0;
  const source = async () => {
    const s = Math.floor((now - start) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    return { token: `t-${++n}`, expiresAt: new Date(now + 15 * 60_000) };
  };
  const providers = Array.from({ length: count }, (_, i) => tokenProvider(source, { clock, random: randomOf(i), refresh: 'on-demand' }));
  for (let s = 0; s <= minutes * 60; s++) {
    now = start + s * 1000;
    await Promise.all(providers.map((p) => p.getToken()));
    await flush();
  }
  for (const p of providers) p.close();
  const refreshes = [...perSecond].filter(([s]) => s > 0).sort((a, b) => a[0] - b[0]);
  // Cycles: runs of refreshes with less than a minute between them.
  const cycles = [];
  for (const [s, k] of refreshes) {
    const last = cycles.at(-1);
    if (last && s - last.to < 60) Object.assign(last, { to: s, calls: last.calls + k });
    else cycles.push({ from: s, to: s, calls: k });
  }
  return { first: perSecond.get(0) ?? 0, peak: Math.max(0, ...refreshes.map(([, k]) => k)), cycles };
}

export async function fleetBench() {
  const rows = [];

  // 1. A fleet's cold start against one server's IAM login rate.
  {
    const limited = await startVerifyingPostgres({ users: [USER], region, credentials, maxLoginsPerSecond: LIMIT, maxConnections: PROCESSES * CONNECTIONS + 20 });
    const open = await startVerifyingPostgres({ users: [USER], region, credentials, maxConnections: PROCESSES * CONNECTIONS + 20 }).catch(async (e) => {
      await limited.close();
      throw e;
    });
    const runs = { dbtoken: [], signer: [], floor: [], unpaced: [] };
    try {
      await coldStart(open, 'unpaced'); // warm-up: the servers' first logins, the OS's file caches
      for (let r = 0; r < ROUNDS; r++) {
        // Each round in another order, so that drift in the machine's speed does not land on one variant.
        const order = [
          ['dbtoken', limited, 'dbtoken'],
          ['signer', limited, 'signer'],
          ['floor', open, 'dbtoken'],
          ['unpaced', open, 'unpaced'],
        ];
        for (let i = 0; i < r; i++) order.push(order.shift());
        for (const [name, server, pool] of order) runs[name].push(await coldStart(server, pool));
      }
    } finally {
      await open.close();
      await limited.close();
    }
    const med = (name, k) => median(runs[name].map((x) => x[k]));
    const list = (name, k) => runs[name].map((x) => x[k]).join('/');
    const total = PROCESSES * CONNECTIONS;
    const ideal = (total / LIMIT) * 1000;
    const floor = med('floor', 'ms');
    const bar = Math.max(floor, ideal);
    const ms = med('dbtoken', 'ms');
    const ratio = ms / bar;
    const met = med('dbtoken', 'refused') === 0 && runs.dbtoken.every((x) => x.refused === 0 && x.connected === total) && ratio <= 1.2;
    const head = `fleet cold start, ${PROCESSES} processes x ${CONNECTIONS} connections at once, server limit ${LIMIT} IAM logins/s (median of ${ROUNDS})`;
    rows.push({
      measure: `${head}: refusals the application sees (rejected connect())`,
      dbtoken: `${med('dbtoken', 'refused')} (rounds ${list('dbtoken', 'refused')}; ${med('dbtoken', 'connected')}/${total} connected)`,
      baseline: `${med('signer', 'refused')} (pg.Pool + rds-signer; rounds ${list('signer', 'refused')}; ${med('signer', 'connected')}/${total} connected)`,
      ratio: (med('dbtoken', 'refused') / Math.max(1, med('signer', 'refused'))).toFixed(3),
      target: '0',
    });
    rows.push({
      measure: `${head}: refusals at the server (logins refused; retried by the pool)`,
      dbtoken: `${med('dbtoken', 'serverRefusals')} (rounds ${list('dbtoken', 'serverRefusals')}; ${med('dbtoken', 'serverThrottles')} for the rate; peak ${med('dbtoken', 'peakAccepted')} accepted/s)`,
      baseline: `${med('signer', 'serverRefusals')} (pg.Pool + rds-signer; peak ${med('signer', 'peakAccepted')} accepted/s)`,
      ratio: (med('dbtoken', 'serverRefusals') / Math.max(1, med('signer', 'serverRefusals'))).toFixed(3),
      target: 'as few as may be',
    });
    rows.push({
      measure: `${head}: time from the start signal until all ${total} are connected`,
      dbtoken: `${(ms / 1000).toFixed(2)} s (rounds ${runs.dbtoken.map((x) => (x.ms / 1000).toFixed(2)).join('/')})`,
      baseline:
        `max(floor ${(floor / 1000).toFixed(2)} s, ${total}/${LIMIT} s) = ${(bar / 1000).toFixed(2)} s ` +
        `(floor: the same load, server without a limit; without loginRate ${(med('unpaced', 'ms') / 1000).toFixed(2)} s; ` +
        `pg.Pool + rds-signer: ${(med('signer', 'ms') / 1000).toFixed(2)} s, ${med('signer', 'connected')} connected)`,
      ratio: ratio.toFixed(3),
      target: `<= 1.2 with 0 refusals seen: ${met ? 'met' : 'missed'}`,
    });
  }

  // 2. Refresh spread: 100 providers started in the same second, 3 refresh cycles on a simulated clock.
  {
    const count = 100;
    const minutes = 45;
    const jittered = await refreshSpread(count, minutes, (i) => mulberry32(0x5eed + i));
    const together = await refreshSpread(count, minutes, () => () => 0);
    const span = (r) => r.cycles.map((c) => `${c.to - c.from + 1} s`).join('/');
    rows.push({
      measure: `most refreshes in one simulated second, ${count} on-demand providers of 15-min tokens started in the same second, ${minutes} min (${jittered.cycles.length} cycles)`,
      dbtoken: `${jittered.peak} (each cycle spread over ${span(jittered)})`,
      baseline: `${together.peak} (jitter off, random: () => 0; cycles over ${span(together)})`,
      ratio: (jittered.peak / together.peak).toFixed(3),
      target: `<= ${count / 5} (1/5 of the fleet): ${jittered.peak <= count / 5 ? 'met' : 'missed'}`,
    });
  }
  return rows;
}
