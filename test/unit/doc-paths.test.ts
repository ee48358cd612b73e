import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from '../helpers/dist.js';

// The folders a document may point into; a path under one of them must exist.
const tops = ['adapters', 'bench', 'bin', 'demo', 'examples', 'scripts', 'src', 'test'];
const pathIn = new RegExp(`(?<![\\w./@-])((?:${tops.join('|')})/[\\w./-]*[\\w/])`, 'g');

function tracked(pattern: string): string[] {
  return execFileSync('git', ['ls-files', pattern], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
}

it('every repository path that the docs and the test config name exists', () => {
  const files = [...tracked('*.md'), 'vitest.config.ts'];
  expect(files).toContain('examples/lambda-rds-postgres/README.md');
  const named: string[] = [];
  const stale: string[] = [];
  for (const file of files) {
    for (const [, path] of readFileSync(join(root, file), 'utf8').matchAll(pathIn)) {
      named.push(path!);
      if (!existsSync(join(root, path!))) stale.push(`${file}: ${path}`);
    }
  }
  expect(named).toContain('test/integration/bundle.test.ts');
  expect(stale).toEqual([]);
});
