// Bundle size and cold import time of one Lambda handler written three ways
// (bench/lambda/, bench/wrapper-app/handler.mjs): with dbtoken, hand-rolled
// (@aws-sdk/rds-signer and a pg.Pool with a password function), and with
// aws-advanced-nodejs-wrapper's IAM plugin. Each is bundled with esbuild as
// the README's "Bundling for Lambda" says (ESM, minified) into a folder of its
// own, and imported there by fresh node processes.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { median } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
/** The drivers a pg app does not install: as unresolvable, they stay dynamic imports that fail at run time. */
const ABSENT = ['mysql2', 'mysql2/promise', 'oracledb', 'postgres'];
const ROUNDS = 21;
const ENV = {
  DB_HOST: 'mydb.abc123.us-east-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_USER: 'app',
  DB_CA: '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDDBTOKENBENCH0003',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-3',
};

/** Imports a bundle in a new process and waits for its pool; prints the ms that took. */
const IMPORT = `
const t0 = performance.now();
const m = await import(process.env.BUNDLE);
await m.ready;
console.log(performance.now() - t0);
process.exit(0);
`;

async function bundle(entry, out, external = []) {
  const file = join(out, 'index.mjs');
  // tsconfigRaw: an application's bundle reads dbtoken from node_modules, where esbuild applies no tsconfig; this
  // repository's own (strict) would add a "use strict" to each of dbtoken's lazily loaded modules.
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'esm', minify: true, banner: { js: BANNER }, outfile: file, external, tsconfigRaw: {}, logLevel: 'error' });
  const code = readFileSync(file);
  return { file, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

function importMs(file) {
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT], { cwd: dirname(file), env: { ...process.env, ...ENV, BUNDLE: file }, timeout: 60_000 }).toString());
}

const kB = (n) => `${(n / 1000).toFixed(0)} kB`;
const ms = (n) => `${n.toFixed(0)} ms`;

export async function bundleBench() {
  const work = mkdtempSync(join(tmpdir(), 'dbtoken-bench-bundle-'));
  try {
    // The wrapper's app: installed from its lockfile, from npm's cache where it can.
    const wrapperApp = join(work, 'wrapper-app');
    cpSync(join(here, 'wrapper-app'), wrapperApp, { recursive: true });
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: wrapperApp, stdio: 'pipe' });

    const out = (name) => {
      const dir = join(work, name);
      mkdirSync(dir);
      return dir;
    };
    const b = {
      dbtoken: await bundle(join(here, 'lambda/dbtoken.mjs'), out('dbtoken'), ABSENT),
      dbtokenPg: await bundle(join(here, 'lambda/dbtoken-pg.mjs'), out('dbtoken-pg'), ABSENT),
      hand: await bundle(join(here, 'lambda/hand-rolled.mjs'), out('hand-rolled')),
      wrapper: await bundle(join(wrapperApp, 'handler.mjs'), out('wrapper')),
    };

    // Cold import: fresh processes, in an order that rotates every round.
    const names = Object.keys(b);
    const times = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < names.length; i++) {
        const n = names[(r + i) % names.length];
        times[n].push(importMs(b[n].file));
      }
    }
    const t = Object.fromEntries(names.map((n) => [n, median(times[n])]));

    const rows = [];
    const size = (what, key, vs, target) => ({
      measure: `bundle ${what} (esbuild ESM --minify${what === 'gzipped' ? ', gzip -9' : ''}): createIamPool handler vs ${vs === 'hand' ? 'hand-rolled' : 'aws-advanced-nodejs-wrapper'}`,
      dbtoken: kB(b.dbtoken[key]),
      baseline: `${kB(b[vs][key])} (${vs === 'hand' ? 'rds-signer + pg.Pool' : 'wrapper, IAM plugin'})`,
      ratio: (b.dbtoken[key] / b[vs][key]).toFixed(3),
      target,
    });
    rows.push(size('minified', 'minified', 'hand', '<= 1.15'));
    rows.push(size('minified', 'minified', 'wrapper', '<= 0.25'));
    rows.push(size('gzipped', 'gzipped', 'hand', ''));
    rows.push(size('gzipped', 'gzipped', 'wrapper', ''));
    rows.push({
      measure: 'bundle minified: createPgPool handler (dbtoken/pg) vs hand-rolled',
      dbtoken: `${kB(b.dbtokenPg.minified)} (${kB(b.dbtokenPg.gzipped)} gzipped)`,
      baseline: `${kB(b.hand.minified)} (${kB(b.hand.gzipped)} gzipped)`,
      ratio: (b.dbtokenPg.minified / b.hand.minified).toFixed(3),
      target: '<= 1.1',
    });
    rows.push({
      measure: `cold import of the bundle until its pool exists (median of ${ROUNDS} fresh processes each): createIamPool handler vs hand-rolled`,
      dbtoken: ms(t.dbtoken),
      baseline: `${ms(t.hand)} (rds-signer + pg.Pool)`,
      ratio: (t.dbtoken / t.hand).toFixed(3),
      target: '<= 1.1',
    });
    rows.push({
      measure: 'cold import: createIamPool handler vs aws-advanced-nodejs-wrapper',
      dbtoken: ms(t.dbtoken),
      baseline: `${ms(t.wrapper)} (wrapper, IAM plugin)`,
      ratio: (t.dbtoken / t.wrapper).toFixed(3),
      target: '',
    });
    rows.push({
      measure: 'cold import: createPgPool handler (dbtoken/pg) vs hand-rolled',
      dbtoken: ms(t.dbtokenPg),
      baseline: `${ms(t.hand)} (rds-signer + pg.Pool)`,
      ratio: (t.dbtokenPg / t.hand).toFixed(3),
      target: '<= 1.1',
    });
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
