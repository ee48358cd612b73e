import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, runNode } from '../helpers/dist.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';

const scratch = join(root, '.tmp');
const madeScratch = !existsSync(scratch);
let out: string | undefined;
let db: IamMariadb | undefined;

// Both builds, compiled as the build script compiles them, into a folder of
// this test's own: rebuilding dist/ would pull it from under other test files.
beforeAll(async () => {
  // Inside the package, so that the builds resolve mysql2 from its node_modules.
  mkdirSync(scratch, { recursive: true });
  out = mkdtempSync(join(scratch, 'builds-'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const [project, dir, type] of [
    ['tsconfig.json', 'esm', 'module'],
    ['tsconfig.cjs.json', 'cjs', 'commonjs'],
  ] as const) {
    execFileSync(process.execPath, [tsc, '-p', join(root, project), '--outDir', join(out, dir)], { cwd: root, stdio: 'pipe' });
    writeFileSync(join(out, dir, 'package.json'), `{ "type": "${type}" }\n`);
  }
  db = await startIamMariadb();
});
afterAll(async () => {
  await db?.stop();
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
  if (madeScratch && existsSync(scratch) && readdirSync(scratch).length === 0) rmSync(scratch, { recursive: true });
});

describe('both builds in one process', () => {
  it("a CJS-built provider in an ESM-built mysql2 pool: the caller gets the provider's own error, not AUTH_SWITCH_PLUGIN_ERROR", async () => {
    const script = `
      import { createRequire } from 'node:module';
      const env = process.env;
      const cjs = createRequire(env.CJS_INDEX)(env.CJS_INDEX);
      const esm = await import(env.ESM_INDEX);
      const { createMysql2Pool } = await import(env.ESM_MYSQL2);
      const provider = cjs.tokenProvider(async () => { throw new Error('STS unreachable'); }, { retry: { attempts: 1 } });
      const pool = createMysql2Pool({ token: provider, host: env.DB_HOST, port: Number(env.DB_PORT), user: 'iam_alice', ssl: { ca: env.DB_CA } });
      const seen = {};
      for (const how of ['query', 'execute', 'getConnection']) {
        const err = await (how === 'getConnection' ? pool.getConnection() : pool[how]('SELECT 1')).then(() => undefined, (e) => e);
        seen[how] = {
          code: err?.code,
          esm: err instanceof esm.TokenUnavailableError,
          esmBase: err instanceof esm.DbTokenError && esm.isDbTokenError(err),
          cjs: err instanceof cjs.TokenUnavailableError,
          cause: err?.cause?.message,
        };
      }
      await pool.end();
      provider.close();
      console.log(JSON.stringify(seen));
    `;
    const r = await runNode(['--input-type=module', '-e', script], {
      env: {
        CJS_INDEX: join(out!, 'cjs/src/index.js'),
        ESM_INDEX: pathToFileURL(join(out!, 'esm/src/index.js')).href,
        ESM_MYSQL2: pathToFileURL(join(out!, 'esm/adapters/subpath/mysql2.js')).href,
        DB_HOST: db!.host,
        DB_PORT: String(db!.port),
        DB_CA: db!.ca,
      },
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    const expected = { code: 'ERR_DBTOKEN_UNAVAILABLE', esm: true, esmBase: true, cjs: true, cause: 'STS unreachable' };
    expect(JSON.parse(r.stdout)).toEqual({ query: expected, execute: expected, getConnection: expected });
  });
});
