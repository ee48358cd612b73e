import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt, root, runNode } from '../helpers/dist.js';

/** The README's "### Test kit" example, run as it is shown, against the built package. */
function testKitExample(): string {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const start = text.indexOf('\n### Test kit\n');
  const end = text.indexOf('\n### ', start + 1);
  if (start < 0 || end < 0) throw new Error('README.md has no "### Test kit" section');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(start, end));
  if (!block) throw new Error('the Test kit section has no ts block');
  return block[1]!;
}

beforeAll(() => ensureBuilt());

it('the README test-kit example logs in to a verifying PostgreSQL with a token, and its process exits by itself', async () => {
  const code = testKitExample();
  expect(code).toContain('startVerifyingPostgres');
  const r = await runNode(['--input-type=module', '-e', code], { timeoutMs: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^\{ user: 'app', ok: true, at: \d{4}-\d\d-\d\dT[\d:.]+Z \}$/m);
}, 180_000);
