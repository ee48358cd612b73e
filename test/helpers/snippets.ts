/**
 * The pg adapter's code examples, as the docs show them: the TypeScript
 * blocks of docs/adapters.md's pg sections and the `@example` blocks of the pg
 * adapter's doc comments. Each becomes a module that the types test
 * compiles under `strict` (test/fixtures/types/orm) and that
 * test/integration/pg-snippets.test.ts runs against the verifying PostgreSQL.
 *
 * The examples share a few names the text around them defines; each module
 * takes them as the parameters of its `run()`:
 * - `token`, `provider`: a TokenProvider for the database user `app`;
 * - `rdsCaBundle`, `ca`: the PEM of the server's CA;
 * - `host`, `port`: the server's endpoint.
 * dbtoken's and pg's names that an example uses without importing are
 * imported for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './dist.js';

export interface Snippet {
  /** Where it is: `docs/adapters.md#3`, `adapters/pg.ts:141`. */
  readonly where: string;
  /** Its code, as the docs show it. */
  readonly code: string;
  /** It builds a client of the test server (pg, TypeORM, knex, MikroORM, Sequelize) and makes no token of its own, so it can run. */
  readonly runnable: boolean;
}

/** The TypeScript blocks of docs/adapters.md from `## The pg adapter` to the next `## ` section (the ORM recipes included). */
export function adaptersDocSnippets(): Snippet[] {
  const file = 'docs/adapters.md';
  const text = readFileSync(join(root, file), 'utf8');
  const start = text.indexOf('\n## The pg adapter\n');
  const end = text.indexOf('\n## ', start + 1);
  if (start < 0 || end < 0) throw new Error(`${file} has no "## The pg adapter" section`);
  const section = text.slice(start, end);
  return [...section.matchAll(/^( *)```ts\n([\s\S]*?)^\1```$/gm)].map((m, i) => snippet(`${file}#${i + 1}`, dedent(m[2]!, m[1]!.length)));
}

/** The `@example` blocks of the pg adapter's doc comments (adapters/pg.ts and adapters/subpath/pg.ts). */
export function docSnippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const file of ['adapters/pg.ts', 'adapters/subpath/pg.ts']) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\* ```ts\s*$/.test(lines[i]!)) continue;
      const code: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*\* ```\s*$/.test(lines[j]!); j++) code.push(lines[j]!.replace(/^\s*\* ?/, ''));
      out.push(snippet(`${file}:${i + 2}`, code.join('\n') + '\n'));
      i = j;
    }
  }
  return out;
}

function dedent(code: string, by: number): string {
  return code
    .split('\n')
    .map((l) => l.slice(Math.min(by, l.length - l.trimStart().length)))
    .join('\n');
}

const CLIENTS = /new pg\.Pool\(|new DataSource\(|\bknex\(|MikroORM\.init\(|new Sequelize\(|createPgPool\(|createIamPool\(/;
const OWN_TOKENS = /awsRdsToken\(|ociDbToken\(|staticToken\(|readFileSync\(/;

function snippet(where: string, code: string): Snippet {
  return { where, code, runnable: CLIENTS.test(code) && !OWN_TOKENS.test(code) };
}

/** What an example may use without importing it, and where it comes from. */
const AMBIENT: Record<string, string> = {
  createPgPool: "import { createPgPool } from 'dbtoken/pg';",
  pgConnection: "import { pgConnection } from 'dbtoken/pg';",
  pgPassword: "import { pgPassword } from 'dbtoken/pg';",
  pgUsesTls: "import { pgUsesTls } from 'dbtoken/pg';",
  sequelizeBeforeConnect: "import { sequelizeBeforeConnect } from 'dbtoken/pg';",
  PgPool: "import type { PgPool } from 'dbtoken/pg';",
  PgIamPoolConfig: "import type { PgIamPoolConfig } from 'dbtoken/pg';",
  PgPasswordOptions: "import type { PgPasswordOptions } from 'dbtoken/pg';",
  PgConnectionConfig: "import type { PgConnectionConfig } from 'dbtoken/pg';",
  PgConnectionOptions: "import type { PgConnectionOptions } from 'dbtoken/pg';",
  PgConnectionSsl: "import type { PgConnectionSsl } from 'dbtoken/pg';",
  SequelizeConnectConfig: "import type { SequelizeConnectConfig } from 'dbtoken/pg';",
  createIamPool: "import { createIamPool } from 'dbtoken';",
  awsRdsToken: "import { awsRdsToken } from 'dbtoken/aws';",
  staticToken: "import { staticToken } from 'dbtoken/testing';",
  pg: "import pg from 'pg';",
};

/** The names an import line binds. */
function imported(line: string): string[] {
  const m = /^import\s+(?:type\s+)?(.*?)\s+from\s/.exec(line);
  if (!m) return [];
  return m[1]!
    .replace(/[{}]/g, ',')
    .split(',')
    .map((s) => s.trim().replace(/^type\s+/, ''))
    .filter(Boolean)
    .map((s) => s.split(/\s+as\s+/).pop()!.replace(/^\*\s+as\s+/, ''));
}

/**
 * The example as a module: its imports (and those it leaves to the text
 * around it) at the top, its statements in `run()`, which returns what its
 * top-level `const`s hold, so that the caller can use and close them.
 */
export function snippetModule(s: Snippet): string {
  const lines = s.code.split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l));
  const bound = new Set(imports.flatMap(imported));
  const bodyText = body.join('\n');
  const declared = new Set([...bodyText.matchAll(/^const\s+(?:\{([^}]*)\}|(\w+))/gm)].flatMap((m) => (m[2] ? [m[2]] : m[1]!.split(',').map((n) => n.split(':').pop()!.trim()).filter(Boolean))));
  const ambient = Object.entries(AMBIENT)
    .filter(([name]) => !bound.has(name) && !declared.has(name) && new RegExp(`\\b${name}\\b(?!['"])`).test(bodyText.replace(/'[^'\n]*'/g, "''")))
    .map(([, line]) => line);
  return [
    `// ${s.where}`,
    ...imports,
    ...ambient,
    "import type { TokenProvider as SnippetTokenProvider } from 'dbtoken';",
    'export async function run(token: SnippetTokenProvider, provider: SnippetTokenProvider, rdsCaBundle: string, ca: string, host: string, port: number): Promise<Record<string, unknown>> {',
    '  {',
    ...body.map((l) => (l ? `    ${l}` : l)),
    `    return { ${[...declared].join(', ')} };`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The module's file name for `s`. */
export function snippetFile(s: Snippet): string {
  return `${s.where.replace(/[^a-z0-9]+/gi, '-')}.ts`;
}
