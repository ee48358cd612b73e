import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import type { Format, Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOciIdentityEmulator, type OciIdentityEmulator } from 'dbtoken/testing';
import { lambdaEnvironment } from '../helpers/aws.js';
import { root, runNode } from '../helpers/dist.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';
import { rsaKeys, writeProfile } from '../helpers/oci-files.js';
import { npmInstall, packDbtoken, pinned } from '../helpers/packed-app.js';
import { tempDir } from '../helpers/temp.js';

/**
 * What a bundle may still import at run time besides Node's built-ins: the
 * drivers the app does not install (dbtoken's import()s of them fail then,
 * as a ConfigError), and pg's own optional pg-native.
 */
const LEFT_TO_RUN_TIME = [
  'mysql2/promise',
  'oracledb',
  // node-oracledb's own connect-string readers, for the Oracle TLS check.
  'oracledb/lib/thin/sqlnet/ezConnectResolver.js',
  'oracledb/lib/thin/sqlnet/nvStrToNvPair.js',
  'pg-native',
  'postgres',
];

/** A createIamPool handler for iam_alice, written as an ES module or as CommonJS. */
function handler(syntax: 'esm' | 'cjs'): string {
  const load =
    syntax === 'esm'
      ? "import { readFileSync } from 'node:fs'; import { createIamPool } from 'dbtoken'; import { awsRdsToken } from 'dbtoken/aws';"
      : "const { readFileSync } = require('node:fs'); const { createIamPool } = require('dbtoken'); const { awsRdsToken } = require('dbtoken/aws');";
  return `
    ${load}
    const pool = createIamPool({
      driver: 'pg',
      token: awsRdsToken({ hostname: process.env.DB_HOST, port: Number(process.env.DB_PORT), username: process.env.DB_USER, region: process.env.DB_REGION }),
      database: 'postgres',
      ssl: { ca: readFileSync(process.env.DB_CA_FILE, 'utf8') },
      max: 1,
    });
    ${syntax === 'esm' ? 'export const handler =' : 'exports.handler ='} async () => (await (await pool).query('select session_user as "user", 41 + 1 as answer')).rows[0];
  `;
}

/** A Lambda app's source files, each bundled on its own. */
const SOURCES = {
  'handler.mjs': handler('esm'),
  'handler.cjs': handler('cjs'),
  'missing.mjs': `
    import { ConfigError, createIamPool, tokenProvider } from 'dbtoken';
    const token = tokenProvider(async () => ({ token: 'token', expiresAt: new Date(Date.now() + 900_000) }));
    export const handler = async () => {
      const out = {};
      for (const driver of ['postgres', 'mysql2', 'oracledb']) {
        const e = await createIamPool({ driver, token, ssl: true, connectString: 'tcps://db:1522/svc' }).catch((e) => e);
        out[driver] = [e instanceof ConfigError, e.field, e.fix];
      }
      token.close();
      return out;
    };
  `,
  'oci.mjs': `
    import { ociDbToken, ociScope } from 'dbtoken/oci';
    export const handler = async () => {
      const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: process.env.OCI_CONFIG }, endpoint: process.env.OCI_ENDPOINT }, { retry: { attempts: 1 } });
      try {
        const t = await token.getToken();
        return [t.token.split('.').length, typeof t.privateKey];
      } catch (e) {
        return [e.code, e.fix ?? e.cause?.fix];
      } finally {
        token.close();
      }
    };
  `,
};
type Source = keyof typeof SOURCES | 'oracle.mjs';

/** An Oracle handler: the TLS check's verdicts on three connect strings, from inside the bundle. */
const ORACLE = `
  import { ConfigError, InsecureTransportError, createIamPool, tokenProvider } from 'dbtoken';
  export const handler = async () => {
    const token = tokenProvider(async () => ({ token: 'not-a-db-token', privateKey: 'not-a-key', expiresAt: new Date(Date.now() + 900_000) }));
    const out = {};
    const strings = {
      plain: 'db.example.com:1521/svc',
      injected: 'tcps://db.example.com:1522/svc?retry_count="0)(ADDRESS=(PROTOCOL=TCP)(HOST=db.example.com)(PORT=1521)"',
      tcps: 'tcps://db.example.com:1522/svc',
    };
    for (const [name, connectString] of Object.entries(strings)) {
      const r = await createIamPool({ driver: 'oracledb', token, connectString, poolMin: 0 }).then(async (pool) => { await pool.close(0); return 'pool'; }, (e) => e);
      out[name] = r === 'pool' ? r : r instanceof InsecureTransportError ? 'insecure' : r instanceof ConfigError ? 'config: ' + r.problem : 'driver: ' + String(r.message).slice(0, 7);
    }
    token.close();
    return out;
  };
`;

let dir: string;
let app: string;
/** dbtoken packed once, for every app here. */
let tarball: string;

beforeAll(() => {
  // An app outside the repository with only pg and the RDS signer installed, and dbtoken from its tarball.
  dir = tempDir('dbtoken-bundle-');
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'lambda-app', private: true, type: 'module' }));
  tarball = packDbtoken(dir);
  npmInstall(app, [tarball, pinned('pg'), pinned('@aws-sdk/rds-signer')]);
  for (const [file, text] of Object.entries(SOURCES)) writeFileSync(join(app, file), text);
  copyFileSync(join(root, 'examples/lambda-rds-postgres/handler.mjs'), join(app, 'example.mjs'));
}, 300_000);

/** The README's esbuild command for each format, from its "Bundling for Lambda" section. */
function readmeCommands(): Record<Format, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Bundling for Lambda');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, '').trim());
  const esm = commands.filter((c) => c.includes('--format=esm'));
  const cjs = commands.filter((c) => !c.includes('--format='));
  expect([esm.length, cjs.length]).toEqual([1, 1]);
  return { esm: esm[0]!, cjs: cjs[0]!, iife: '' };
}

/**
 * Bundles `entry` of the app with the README's esbuild command for
 * `format` (its entry and output swapped for ours), into a folder of its
 * own with no node_modules.
 */
function bundle(entry: Source | 'example.mjs', format: 'esm' | 'cjs', folder = `${entry.replace('.', '-')}-${format}`, cwd = app): { file: string; metafile: Metafile } {
  const file = join(dir, folder, format === 'esm' ? 'index.mjs' : 'index.js');
  const meta = join(dir, `${folder}.meta.json`);
  const command = readmeCommands()[format]
    .replace(/^npx esbuild /, `${join(root, 'node_modules/.bin/esbuild')} `)
    .replace(' handler.mjs ', ` ${entry} `)
    .replace(/--outfile=\S+/, `--outfile=${file}`);
  execFileSync('sh', ['-c', `${command} --metafile=${meta} --log-level=error`], { cwd, stdio: 'pipe' });
  return { file, metafile: JSON.parse(readFileSync(meta, 'utf8')) as Metafile };
}

/** Loads a bundle in a new process and prints what its handler returns. */
function invoke(file: string, env: Record<string, string>, cwd = dirname(file)): ReturnType<typeof runNode> {
  return runNode(
    [
      '--input-type=module',
      '-e',
      `
      const file = process.env.BUNDLE;
      const mod = file.endsWith('.js') ? (await import('node:module')).createRequire(file)(file) : await import(file);
      // A CommonJS source bundled as ESM has its exports as the default export.
      console.log(JSON.stringify(await (mod.handler ?? mod.default.handler)()));
      process.exit(0);
      `,
    ],
    { cwd, env: { ...env, BUNDLE: file }, timeoutMs: 30_000 },
  );
}

/** The packages a bundle took in. */
function packagesIn(metafile: Metafile): Set<string> {
  return new Set(Object.keys(metafile.inputs).flatMap((p) => p.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []));
}

/** What a bundle still imports at run time. */
function runtimeImports(metafile: Metafile): string[] {
  return [...new Set(Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)))];
}

describe('a pg Lambda app bundled with esbuild, with only pg and @aws-sdk/rds-signer installed', () => {
  let db: IamPostgres;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await startIamPostgres();
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, db.ca);
    env = lambdaEnvironment(db.port, caFile);
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('the app has no other driver installed', () => {
    for (const pkg of ['postgres', 'mysql2', 'oracledb']) expect(existsSync(join(app, 'node_modules', pkg)), pkg).toBe(false);
  });

  it.each([
    { name: 'a createIamPool handler (ESM source)', entry: 'handler.mjs', format: 'esm' },
    { name: 'a createIamPool handler (ESM source)', entry: 'handler.mjs', format: 'cjs' },
    { name: 'a createIamPool handler (CommonJS source)', entry: 'handler.cjs', format: 'esm' },
    { name: 'a createIamPool handler (CommonJS source)', entry: 'handler.cjs', format: 'cjs' },
    { name: 'examples/lambda-rds-postgres', entry: 'example.mjs', format: 'esm' },
    { name: 'examples/lambda-rds-postgres', entry: 'example.mjs', format: 'cjs' },
  ] as const)('$name, bundled as $format: builds with no externals but Node built-ins, and its handler reads a row as iam_alice', async ({ entry, format }) => {
    const { file, metafile } = bundle(entry, format);
    const packages = packagesIn(metafile);
    expect([...packages].filter((p) => /^(dbtoken|pg|@aws-sdk\/rds-signer|lru-cache)$/.test(p)).sort()).toEqual(['@aws-sdk/rds-signer', 'dbtoken', 'lru-cache', 'pg']);
    expect([...packages].filter((p) => /^(postgres|mysql2|oracledb)$/.test(p))).toEqual([]);
    // CommonJS sources are not tree-shaken: dbtoken/aws's DSQL signer, not installed, is left to run time too (loaded only by awsDsqlToken).
    const leftToRunTime = entry === 'handler.cjs' ? ['@aws-sdk/dsql-signer', ...LEFT_TO_RUN_TIME] : LEFT_TO_RUN_TIME;
    expect(runtimeImports(metafile).filter((p) => !isBuiltin(p)).sort()).toEqual(leftToRunTime);

    const r = await invoke(file, env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const row = entry === 'example.mjs' ? JSON.parse(out.body) : out;
    expect(row.user).toBe('iam_alice');
    if (entry !== 'example.mjs') expect(row.answer).toBe(42);
    else expect(out.statusCode).toBe(200);
  });

  it.each(['esm', 'cjs'] as const)('bundled as %s, createIamPool for a driver the app lacks rejects with a ConfigError naming the package', async (format) => {
    const { file } = bundle('missing.mjs', format);
    const r = await invoke(file, {});
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      postgres: [true, 'driver', 'npm install postgres'],
      mysql2: [true, 'driver', 'npm install mysql2'],
      oracledb: [true, 'driver', 'npm install oracledb'],
    });
  });
});

describe('an Oracle app bundled with esbuild, node-oracledb inside the bundle', () => {
  let oracleApp: string;
  beforeAll(() => {
    oracleApp = join(dir, 'oracle-app');
    mkdirSync(oracleApp);
    writeFileSync(join(oracleApp, 'package.json'), JSON.stringify({ name: 'oracle-app', private: true, type: 'module' }));
    npmInstall(oracleApp, [tarball, pinned('oracledb')]);
    writeFileSync(join(oracleApp, 'oracle.mjs'), ORACLE);
  }, 300_000);

  it.each(['esm', 'cjs'] as const)('bundled as %s: the TLS check reads connect strings with the bundled driver\'s own readers', async (format) => {
    const { file, metafile } = bundle('oracle.mjs', format, `oracle-${format}`, oracleApp);
    expect(Object.keys(metafile.inputs).filter((p) => /oracledb\/lib\/thin\/sqlnet\/(ezConnectResolver|nvStrToNvPair)\.js$/.test(p))).toHaveLength(2);
    expect(runtimeImports(metafile).filter((p) => p.startsWith('oracledb'))).toEqual([]);
    const r = await invoke(file, {});
    expect(r.stderr).toBe('');
    // The TCPS string passes the check and reaches the driver, which calls for a token (and refuses this one).
    expect(JSON.parse(r.stdout)).toEqual({ plain: 'insecure', injected: 'insecure', tcps: 'driver: NJS-168' });
  });
});

describe('an OCI app bundled with esbuild: the SDK worker runs from the bundle', () => {
  const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
  const ALICE = 'ocid1.user.oc1..aaaaalice';
  const alice = rsaKeys();
  let iam: OciIdentityEmulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    iam = await startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }] });
    const { configFile } = writeProfile(tempDir('dbtoken-bundle-oci-'), { keys: alice });
    env = { OCI_CONFIG: configFile, OCI_ENDPOINT: iam.url };
  });
  afterAll(async () => {
    await iam?.close();
  });

  it.each(['esm', 'cjs'] as const)('bundled as %s, with the OCI SDK installed next to the bundle, run from another directory: a db-token', async (format) => {
    const { file } = bundle('oci.mjs', format);
    // The SDK is loaded by the worker at run time, from where the bundle is.
    mkdirSync(join(dirname(file), 'node_modules'));
    for (const pkg of ['oci-common', 'oci-identitydataplane']) symlinkSync(join(root, 'node_modules', pkg), join(dirname(file), 'node_modules', pkg));
    const r = await invoke(file, env, '/');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([3, 'string']);
  });

  it('without the OCI SDK, the bundle names the packages to install', async () => {
    const { file } = bundle('oci.mjs', 'esm', 'oci-without-sdk');
    const r = await invoke(file, env, '/');
    expect(r.stderr).toBe('');
    const [code, fix] = JSON.parse(r.stdout);
    expect(code).toMatch(/^ERR_DBTOKEN_/);
    expect(fix).toMatch(/^npm install oci-common@\S+ oci-identitydataplane@\S+$/);
  });
});
