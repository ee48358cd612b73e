import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/dist.js';

// The README ships in the package and is for users: short, and complete
// about what the package exports. Contributor material lives in
// CONTRIBUTING.md and docs/.

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };

/** The package's entry points, as an application imports them: `dbtoken`, `dbtoken/aws`, ... */
const entryPoints = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'dbtoken' : `dbtoken/${k.slice(2)}`));

/** The "What is in the box" row of an entry point: the names in backquotes after its own. */
function boxRow(entry: string): Set<string> {
  const start = readme.indexOf('\n## What is in the box\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const row = section.split('\n').find((line) => line.startsWith(`| \`${entry}\` |`));
  return new Set([...(row ?? '').matchAll(/`([\w$]+)`/g)].map((m) => m[1]!));
}

describe('README.md', () => {
  it('is at most 500 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(500);
  });

  it('"What is in the box" names every export of every entry point, in that entry point\'s row', async () => {
    expect(entryPoints).toContain('dbtoken/testing');
    const missing: string[] = [];
    for (const entry of entryPoints) {
      const exported = Object.keys(await import(entry)).filter((name) => name !== 'default');
      expect(exported.length, entry).toBeGreaterThan(0);
      const row = boxRow(entry);
      for (const name of exported) if (!row.has(name)) missing.push(`${entry}: ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('it and the documents it ships link only to files the package ships, so that the links work from node_modules too', () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as { files: { path: string }[] }[];
    const shipped = new Set(packed[0]!.files.map((f) => f.path));
    const linked: string[] = [];
    for (const file of [...shipped].filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
        if (!/^[a-z]+:/i.test(target!)) linked.push(join(dirname(file), target!));
      }
    }
    expect(linked).toContain('docs/providers.md');
    expect(linked).toContain('examples/knex-rds-postgres/README.md');
    expect(linked.filter((path) => !shipped.has(path))).toEqual([]);
  });

  it('has no contributor material: the test and bench commands, the layout and the live-test variables are in CONTRIBUTING.md', () => {
    for (const text of ['npm test', 'npm run bench', '## Layout', 'DBTOKEN_LIVE_OCI_']) {
      expect(readme, text).not.toContain(text);
      expect(readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8'), text).toContain(text);
    }
  });
});

it('every relative link of the Markdown files points at a file of the repository, and every #anchor at a heading of it', () => {
  const files = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(files).toContain('docs/adapters.md');
  const broken: string[] = [];
  const slug = (heading: string): string =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-');
  const anchors = (file: string): Set<string> =>
    new Set([...readFileSync(join(root, file), 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!)));
  for (const file of files.filter((f) => existsSync(join(root, f)))) {
    const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split('#');
      const resolved = path === '' ? file : join(dirname(file), path!);
      if (!existsSync(join(root, resolved))) broken.push(`${file}: ${target}`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});
