import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, root, runNode } from '../helpers/dist.js';

beforeAll(() => ensureBuilt());

/** No AWS region in the environment and no AWS config file: a host that is not an RDS endpoint needs `region`. */
const NO_AWS_REGION = { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_CONFIG_FILE: '/nonexistent/aws/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials' };

/** The paths `npm pack` puts in the tarball, from the dist/ built now (without the prepack build, which would remove dist/ under other tests). */
function packedFiles(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`npm pack --dry-run: ${stderr || err.message}`));
      resolve((JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
    });
  });
}

describe('the npm tarball', () => {
  let files: string[];
  beforeAll(async () => {
    files = await packedFiles();
  });

  it('ships no declaration maps, and no declaration file names one: they would point at src/*.ts, which is not shipped', () => {
    expect(files.filter((f) => f.endsWith('.d.ts'))).not.toHaveLength(0);
    expect(files.filter((f) => f.endsWith('.d.ts.map'))).toEqual([]);
    const naming = files.filter((f) => f.endsWith('.d.ts') && readFileSync(join(root, f), 'utf8').includes('//# sourceMappingURL='));
    expect(naming).toEqual([]);
  });

  it('every source map carries the text of each source it names that is not in the tarball, and every map a script names is shipped', () => {
    const shipped = new Set(files);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const unreadable: string[] = [];
    for (const map of maps) {
      const m = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] };
      m.sources.forEach((source, i) => {
        const path = posix.normalize(posix.join(posix.dirname(map), m.sourceRoot ?? '', source));
        if (!shipped.has(path) && typeof m.sourcesContent?.[i] !== 'string') unreadable.push(`${map}: ${source}`);
      });
    }
    expect(unreadable).toEqual([]);
    const missing = files
      .filter((f) => /\.[cm]?js$/.test(f))
      .flatMap((f) => [...readFileSync(join(root, f), 'utf8').matchAll(/^\/\/# sourceMappingURL=(\S+)$/gm)].map((u) => posix.join(posix.dirname(f), u[1]!)))
      .filter((map) => !shipped.has(map));
    expect(missing).toEqual([]);
  });
});

describe('the published package (dist/ through the exports map)', () => {
  it('ESM: every subpath loads, and errors from one subpath are instanceof the classes of the main one', async () => {
    const r = await runNode([
      '--input-type=module',
      '-e',
      `
      import * as main from 'dbtoken';
      import * as aws from 'dbtoken/aws';
      import * as azure from 'dbtoken/azure';
      import * as pgA from 'dbtoken/pg';
      import * as testing from 'dbtoken/testing';
      import * as my from 'dbtoken/mysql2';
      import * as oci from 'dbtoken/oci';
      import * as ora from 'dbtoken/oracledb';
      import * as pgjs from 'dbtoken/postgres';
      const out = {
        main: Object.keys(main).sort(), aws: Object.keys(aws).sort(), azure: Object.keys(azure).sort(), pg: Object.keys(pgA).sort(), testing: Object.keys(testing).sort(),
        mysql2: Object.keys(my).sort(), oci: Object.keys(oci).sort(), oracledb: Object.keys(ora).sort(), postgres: Object.keys(pgjs).sort(),
      };
      try { pgjs.createPostgresJs({ token: testing.staticToken('x'), host: 'h' }); } catch (e) { out.pgjsErr = [e instanceof main.InsecureTransportError, e.code]; }
      try { my.createMysql2Pool({ token: 'nope' }); } catch (e) { out.myErr = [e instanceof main.ConfigError, e.field]; }
      try { pgA.createPgPool({ token: 'nope' }); } catch (e) { out.pgErr = [e instanceof main.ConfigError, e instanceof main.DbTokenError, e.code, e.field]; }
      try { aws.awsRdsToken({ hostname: 'localhost', username: 'u' }); } catch (e) { out.awsErr = [e instanceof main.ConfigError, e.field]; }
      const e2 = await main.createIamPool({ driver: 'pg', token: testing.staticToken('x'), host: 'h', ssl: false }).catch((e) => e);
      out.insecure = [e2 instanceof main.InsecureTransportError, e2.code];
      console.log(JSON.stringify(out));
      `,
    ], { env: NO_AWS_REGION });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.main).toEqual(expect.arrayContaining(['ConfigError', 'DbTokenError', 'InsecureTransportError', 'ProviderClosedError', 'TokenUnavailableError', 'createIamPool', 'tokenProvider']));
    expect(out.aws).toEqual(expect.arrayContaining(['awsRdsToken', 'awsDsqlToken']));
    expect(out.azure).toContain('azureEntraToken');
    expect(out.pg).toEqual(expect.arrayContaining(['createPgPool', 'pgConnection', 'pgPassword', 'sequelizeBeforeConnect']));
    expect(out.postgres).toEqual(expect.arrayContaining(['createPostgresJs', 'postgresPassword']));
    expect(out.pgjsErr).toEqual([true, 'ERR_DBTOKEN_INSECURE_TRANSPORT']);
    expect(out.testing).toEqual(expect.arrayContaining(['mockTokenSource', 'staticToken', 'startLdapVerifier', 'verifyRdsToken']));
    expect(out.pgErr).toEqual([true, true, 'ERR_DBTOKEN_CONFIG', 'token']);
    expect(out.mysql2).toEqual(expect.arrayContaining(['createMysql2Pool', 'mysql2AuthPlugins']));
    expect(out.oci).toEqual(expect.arrayContaining(['heatwaveOciToken', 'ociDbToken', 'ociScope']));
    expect(out.oracledb).toEqual(expect.arrayContaining(['createOracledbPool', 'oracledbAccessToken']));
    expect(out.myErr).toEqual([true, 'token']);
    expect(out.awsErr).toEqual([true, 'region']);
    expect(out.insecure).toEqual([true, 'ERR_DBTOKEN_INSECURE_TRANSPORT']);
  });

  it('CJS: require() works for every subpath, with the same instanceof guarantees', async () => {
    const r = await runNode([
      '-e',
      `
      const main = require('dbtoken');
      const pgA = require('dbtoken/pg');
      const aws = require('dbtoken/aws');
      const azure = require('dbtoken/azure');
      const testing = require('dbtoken/testing');
      const my = require('dbtoken/mysql2');
      const oci = require('dbtoken/oci');
      const pgjs = require('dbtoken/postgres');
      let ok;
      try { pgA.createPgPool({ token: 'nope' }); } catch (e) { ok = e instanceof main.ConfigError && e.code === 'ERR_DBTOKEN_CONFIG'; }
      try { my.createMysql2Pool({ token: 'nope' }); } catch (e) { ok = ok && e instanceof main.ConfigError; }
      try { pgjs.createPostgresJs({ token: 'nope' }); } catch (e) { ok = ok && e instanceof main.ConfigError; }
      console.log(JSON.stringify({ ok, aws: typeof aws.awsRdsToken, dsql: typeof aws.awsDsqlToken, azure: typeof azure.azureEntraToken, t: typeof testing.verifyRdsToken, create: typeof main.createIamPool, hw: typeof oci.heatwaveOciToken }));
      `,
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, aws: 'function', dsql: 'function', azure: 'function', t: 'function', create: 'function', hw: 'function' });
  });

  it('importing dbtoken, dbtoken/aws, dbtoken/azure and dbtoken/oci loads no driver and no SDK: each signer or credential loads when a provider first uses it', async () => {
    const r = await runNode([
      '-e',
      `require('dbtoken'); require('dbtoken/oci'); require('dbtoken/aws'); require('dbtoken/azure');
       const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](pg|postgres|mysql2|oracledb|@aws-sdk|@azure|oci-[a-z]+)[\\\\/]/.test(k));
       console.log(JSON.stringify(loaded));`,
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  describe('createIamPool without the driver installed', () => {
    let app: string;
    beforeAll(() => {
      // An application whose node_modules has dbtoken and its one dependency, lru-cache, but no pg.
      app = mkdtempSync(join(tmpdir(), 'dbtoken-app-'));
      const pkg = join(app, 'node_modules/dbtoken');
      mkdirSync(pkg, { recursive: true });
      cpSync(join(root, 'node_modules/lru-cache'), join(app, 'node_modules/lru-cache'), { recursive: true });
      cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
      cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
      cpSync(join(root, 'bin'), join(pkg, 'bin'), { recursive: true });
      mkdirSync(join(app, 'node_modules/.bin'));
      symlinkSync('../dbtoken/bin/dbtoken.mjs', join(app, 'node_modules/.bin/dbtoken'));
      writeFileSync(join(app, 'package.json'), '{ "name": "app", "type": "module" }');
    });
    afterAll(() => rmSync(app, { recursive: true, force: true }));

    const missingDriver = (driver: string): [string, string[]][] => [
      ['ESM', ['--input-type=module', '-e', `import { createIamPool, ConfigError } from 'dbtoken'; import { staticToken } from 'dbtoken/testing';
        const e = await createIamPool({ driver: '${driver}', token: staticToken('x'), ssl: true }).catch((e) => e);
        console.log(JSON.stringify([e instanceof ConfigError, e.field, e.message]));`]],
      ['CJS', ['-e', `const { createIamPool, ConfigError } = require('dbtoken'); const { staticToken } = require('dbtoken/testing');
        createIamPool({ driver: '${driver}', token: staticToken('x'), ssl: true }).catch((e) => console.log(JSON.stringify([e instanceof ConfigError, e.field, e.message])));`]],
    ];

    it.each([...missingDriver('pg').map((c) => ['pg', ...c]), ...missingDriver('postgres').map((c) => ['postgres', ...c])])(
      "driver '%s', %s: rejects with a ConfigError naming the package to install",
      async (pkg, _n, args) => {
        const r = await runNode(args as string[], { cwd: app });
        expect(r.stderr).toBe('');
        const [isConfig, field, message] = JSON.parse(r.stdout);
        expect(isConfig).toBe(true);
        expect(field).toBe('driver');
        expect(message).toContain(`npm install ${pkg}`);
      },
    );

    const missingSdk = (system: 'ESM' | 'CJS'): string => {
      const body = `
        const what = async (p) => { const e = await p.getToken().catch((e) => e); const c = e instanceof ConfigError ? e : e.cause; p.close?.();
          return [c instanceof ConfigError, c.field, c.message]; };
        const out = [
          await what(awsDsqlToken({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', username: 'app' })),
          await what(azureEntraToken({ username: 'app@example.com' })),
          await what(gcpCloudSqlToken({ engine: 'postgres', username: 'app@p.iam' })),
        ];
        console.log(JSON.stringify(out));`;
      return system === 'ESM'
        ? `import { ConfigError } from 'dbtoken'; import { awsDsqlToken } from 'dbtoken/aws'; import { azureEntraToken } from 'dbtoken/azure'; import { gcpCloudSqlToken } from 'dbtoken/gcp';${body}`
        : `const { ConfigError } = require('dbtoken'); const { awsDsqlToken } = require('dbtoken/aws'); const { azureEntraToken } = require('dbtoken/azure'); const { gcpCloudSqlToken } = require('dbtoken/gcp');
          (async () => {${body} })();`;
    };

    it.each(['ESM', 'CJS'] as const)("%s: each cloud's provider without its SDK fails its fetch with a ConfigError naming the package to install", async (system) => {
      const args = system === 'ESM' ? ['--input-type=module', '-e', missingSdk(system)] : ['-e', missingSdk(system)];
      const r = await runNode(args, { cwd: app, env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) } });
      expect(r.stderr).toBe('');
      const got = JSON.parse(r.stdout) as [boolean, string, string][];
      expect(got.map(([isConfig]) => isConfig)).toEqual([true, true, true]);
      expect(got.map(([, field]) => field)).toEqual(['awsDsqlToken', 'credential', 'auth']);
      expect(got[0]![2]).toBe('awsDsqlToken: signs with the @aws-sdk/dsql-signer package, which is not installed; npm install @aws-sdk/dsql-signer');
      expect(got[1]![2]).toBe('credential: defaults to DefaultAzureCredential from the @azure/identity package, which is not installed; npm install @azure/identity, or pass a credential');
      expect(got[2]![2]).toBe('auth: needs the google-auth-library package, which is not installed; npm install google-auth-library, or pass auth');
    });

    it("createIamPool({ driver: 'pg' }) in a strict layout (pnpm's): pg's own dependencies, pg-connection-string among them, are pg's alone; without a connection string, the pool opens", async () => {
      const store = join(app, 'node_modules/.store/pg/node_modules');
      mkdirSync(store, { recursive: true });
      const pgDeps = ['pg', 'pg-connection-string', 'pg-pool', 'pg-protocol', 'pg-types', 'pgpass', 'pg-int8', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval', 'xtend', 'split2'];
      for (const dep of pgDeps) cpSync(join(root, 'node_modules', dep), join(store, dep), { recursive: true });
      // dbtoken sees its peer pg, and pg sees its own dependencies; dbtoken does not see pg-connection-string.
      mkdirSync(join(app, 'node_modules/dbtoken/node_modules'), { recursive: true });
      symlinkSync(join(store, 'pg'), join(app, 'node_modules/dbtoken/node_modules/pg'));
      try {
        const r = await runNode(['--input-type=module', '-e', `import { createIamPool } from 'dbtoken'; import { staticToken } from 'dbtoken/testing';
          const pool = await createIamPool({ driver: 'pg', token: staticToken('x', { user: 'app', host: '127.0.0.1', port: 1 }), ssl: true });
          console.log(typeof pool.query); await pool.end();
          const e = await createIamPool({ driver: 'pg', token: staticToken('x'), connectionString: 'postgresql://app@127.0.0.1:1/db?sslmode=verify-full' }).catch((e) => e);
          console.log(e.field, e.message);`], { cwd: app });
        expect(r.stderr).toBe('');
        const [opened, refused] = r.stdout.trim().split('\n');
        expect(opened).toBe('function');
        expect(refused).toMatch(/^driver .*pg-connection-string/);
      } finally {
        rmSync(join(app, 'node_modules/dbtoken/node_modules'), { recursive: true, force: true });
        rmSync(join(app, 'node_modules/.store'), { recursive: true, force: true });
      }
    });

    it('the dbtoken command runs from node_modules/.bin: help and the SQL builders need no SDK; a missing SDK is named on one line', async () => {
      const bin = join(app, 'node_modules/.bin/dbtoken');
      const help = await runNode([bin, '--help'], { cwd: app });
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/^Usage: dbtoken <command>/);
      const sql = await runNode([bin, 'sql', 'rds-postgres', '--user', 'app'], { cwd: app });
      expect(sql).toMatchObject({ code: 0, stderr: '', stdout: 'CREATE USER "app" WITH LOGIN;\nGRANT rds_iam TO "app";\n' });
      const token = await runNode([bin, 'token', 'aws', '--host', 'db.example.com', '--port', '5432', '--user', 'app', '--region', 'us-east-1'], { cwd: app });
      expect(token.code).not.toBe(0);
      expect(token.stdout).toBe('');
      expect(token.stderr.trim().split('\n')).toHaveLength(1);
      expect(token.stderr).toContain('npm install @aws-sdk/rds-signer');
    });
  });
});
