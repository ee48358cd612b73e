import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { root, runNode } from '../helpers/dist.js';
import { npmInstall, packDbtoken, pinned } from '../helpers/packed-app.js';
import { docSnippets, adaptersDocSnippets, snippetFile, snippetModule } from '../helpers/snippets.js';
import { tempDir } from '../helpers/temp.js';

const fixtures = join(root, 'test/fixtures/types');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let tarball: string;

beforeAll(() => {
  tarball = packDbtoken(tempDir('dbtoken-types-'));
}, 120_000);

const installed = new Map<string, string>();

/** A copy of the fixture app outside the repository, with dbtoken from its tarball and the fixture's own dependencies. */
function installFixture(driver: string): string {
  const done = installed.get(driver);
  if (done !== undefined) return done;
  const app = join(tempDir(`dbtoken-types-${driver}-`), driver);
  cpSync(join(fixtures, driver), app, { recursive: true });
  cpSync(join(fixtures, 'equal.ts'), join(app, 'equal.ts'));
  npmInstall(app, [tarball]);
  installed.set(driver, app);
  return app;
}

describe.each(['pg', 'postgres', 'mysql2', 'oracledb'])('an app with only %s installed, type-checked with skipLibCheck: false', (driver) => {
  let app: string;
  beforeAll(() => {
    app = installFixture(driver);
  }, 300_000);

  it('pins its packages at the versions this repository tests with', () => {
    const deps = (JSON.parse(readFileSync(join(fixtures, driver, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    for (const [name, version] of Object.entries(deps)) expect(`${name}@${version}`).toBe(pinned(name));
    const others = ['pg', 'postgres', 'mysql2', 'oracledb'].filter((d) => d !== driver);
    expect(Object.keys(deps).filter((d) => others.includes(d))).toEqual([]);
  });

  it("compiles, and createIamPool's pool is exactly the driver's own pool type", async () => {
    const r = await runNode([tsc, '-p', 'tsconfig.json'], { cwd: app, timeoutMs: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);
});

describe('a misspelt option', () => {
  it("gets from createIamPool the diagnostic createPgPool gives: the option's name, in the pg options' type", async () => {
    const r = await runNode([tsc, '-p', 'tsconfig.misspelt.json'], { cwd: installFixture('pg'), timeoutMs: 120_000 });
    expect(r.code).not.toBe(0);
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    const known = (type: string): RegExp =>
      new RegExp(`^misspelt\\.ts\\(\\d+,\\d+\\): error TS2561: Object literal may only specify known properties, but 'databse' does not exist in type '${type}'\\. Did you mean to write 'database'\\?$`);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(known('PgIamPoolOptions & \\{ driver: "pg"; \\}'));
    expect(errors[1]).toMatch(known('PgIamPoolConfig'));
  }, 300_000);
});

describe('a project with exactOptionalPropertyTypes (and noUncheckedIndexedAccess)', () => {
  it("compiles the examples' own patterns: options read from the environment, which may be undefined, and listeners typed per event", async () => {
    const app = installFixture('strict');
    const r = await runNode([tsc, '-p', 'tsconfig.json'], { cwd: app, timeoutMs: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);
});

describe('an app with pg and the ORMs built on it (TypeORM, knex, MikroORM, Sequelize), type-checked with strict', () => {
  let app: string;
  beforeAll(() => {
    app = installFixture('orm');
    // Every example of docs/adapters.md's pg sections and of dbtoken/pg's doc comments, as a module.
    mkdirSync(join(app, 'snippets'), { recursive: true });
    for (const s of [...adaptersDocSnippets(), ...docSnippets()]) writeFileSync(join(app, 'snippets', snippetFile(s)), snippetModule(s));
  }, 300_000);

  it('pins its packages at the versions this repository tests with', () => {
    const deps = (JSON.parse(readFileSync(join(fixtures, 'orm', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    for (const [name, version] of Object.entries(deps)) expect(`${name}@${version}`).toBe(pinned(name));
  });

  it("compiles: pgConnection()'s object goes to each ORM as it is, and every pg example of the docs compiles", async () => {
    const r = await runNode([tsc, '-p', 'tsconfig.json'], { cwd: app, timeoutMs: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);
});

/** The TypeScript blocks of the README and docs/fleet.md, each as a module: the names the text around a block defines are declared for it. */
function readmeBlocks(): { file: string; code: string }[] {
  return [...docBlocks('README.md', 'readme'), ...docBlocks('docs/fleet.md', 'fleet')];
}

/** One document's TypeScript blocks, as files `<prefix>-<n>.ts`. */
function docBlocks(doc: string, prefix: string): { file: string; code: string }[] {
  const text = readFileSync(join(root, doc), 'utf8');
  const ambient: Record<string, string> = {
    rdsCaBundle: 'declare const rdsCaBundle: string;',
    ca: 'declare const ca: string;',
    token: "declare const token: import('dbtoken').TokenProvider;",
    fetchMyToken: 'declare function fetchMyToken(signal: AbortSignal): Promise<{ token: string; expiresAt: Date }>;',
  };
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m, i) => {
    const code = m[1]!;
    const declared = Object.entries(ambient)
      .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code) && !new RegExp(`\\b(const|let|function) ${name}\\b`).test(code))
      .map(([, d]) => d);
    return { file: `${prefix}-${i + 1}.ts`, code: `${declared.join('\n')}\n${code}\nexport {};\n` };
  });
}

describe("the TypeScript blocks of the README and docs/fleet.md", () => {
  it('are compiled against the packages this repository tests with', () => {
    const deps = (JSON.parse(readFileSync(join(fixtures, 'readme', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    expect(Object.keys(deps).length).toBeGreaterThan(0);
    for (const [name, version] of Object.entries(deps)) expect(`${name}@${version}`).toBe(pinned(name));
  });

  it('compile under strict, in an app with every driver and the AWS signer installed', async () => {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(blocks.filter((b) => b.file.startsWith('fleet-')).length).toBeGreaterThanOrEqual(8);
    const app = installFixture('readme');
    mkdirSync(join(app, 'blocks'), { recursive: true });
    for (const b of blocks) writeFileSync(join(app, 'blocks', b.file), b.code);
    const r = await runNode([tsc, '-p', 'tsconfig.json'], { cwd: app, timeoutMs: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);
});
