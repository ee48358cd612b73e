import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root, runNode } from '../helpers/dist.js';
import { docSnippets, adaptersDocSnippets } from '../helpers/snippets.js';

interface Comment {
  blockTags?: { tag: string }[];
}

interface Reflection {
  name: string;
  comment?: Comment;
  signatures?: { comment?: Comment }[];
  children?: Reflection[];
}

/** The export's own comment, or its first signature's (functions keep theirs there). */
function hasExample(r: Reflection): boolean {
  const c = r.comment ?? r.signatures?.[0]?.comment;
  return (c?.blockTags ?? []).some((t) => t.tag === '@example');
}

it('every public export has an @example in its doc comment', async () => {
  const typedoc = `${root}/node_modules/typedoc/bin/typedoc`;
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-docs-'));
  try {
    const json = join(dir, 'api.json');
    const r = await runNode([typedoc, '--json', json, '--logLevel', 'Error', '--treatWarningsAsErrors'], { timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const api = JSON.parse(readFileSync(json, 'utf8')) as Reflection;
    const modules = api.children ?? [];
    expect(modules.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const mod of modules) {
      for (const r of mod.children ?? []) if (!hasExample(r)) missing.push(`${mod.name}.${r.name}`);
    }
    expect(missing, `exports without an @example:\n${missing.join('\n')}`).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

it("every @example of dbtoken/pg, and every TypeScript block of docs/adapters.md's pg sections, is one the snippet tests compile (types test) and, when it builds a client, run (pg-snippets test)", () => {
  const docs = docSnippets();
  for (const file of ['adapters/pg.ts', 'adapters/subpath/pg.ts']) {
    const examples = readFileSync(join(root, file), 'utf8').match(/@example/g)?.length ?? 0;
    expect(docs.filter((s) => s.where.startsWith(`${file}:`)), `${file}: each @example holds one \`\`\`ts block`).toHaveLength(examples);
  }
  const readme = adaptersDocSnippets();
  expect(readme.length).toBeGreaterThan(5);
  const runnable = [...readme, ...docs].filter((s) => s.runnable).map((s) => s.code);
  for (const orm of ['new pg.Pool(', 'new DataSource(', 'knex(', 'MikroORM.init(', 'new Sequelize(']) {
    expect(runnable.some((code) => code.includes(orm)), orm).toBe(true);
  }
});
