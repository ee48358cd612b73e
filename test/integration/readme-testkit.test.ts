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

/** The README's DSQL cluster example (an indented block in the same section), which goes on from the first. */
function dsqlExample(): string {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const start = text.indexOf('\n### Test kit\n');
  const block = /^ {2}```ts\n([\s\S]*?)^ {2}```$/m.exec(text.slice(start, text.indexOf('\n### ', start + 1)));
  if (!block) throw new Error('the Test kit section has no indented ts block for DSQL');
  return block[1]!.replace(/^ {2}/gm, '');
}

it('the README DSQL cluster example: a role granted with AWS IAM GRANT logs in with a DSQL token, and its process exits by itself', async () => {
  const code = dsqlExample();
  expect(code).toContain('dsql: true');
  const script = `${testKitExample()}\n${code}\nconsole.log('dsql', (await sql\`select session_user as u\`)[0].u, cluster.logins.at(-1).ok);\nawait sql.end();\ndsqlToken.close();\nawait cluster.close();\n`;
  const r = await runNode(['--input-type=module', '-e', script], { timeoutMs: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^dsql app true$/m);
}, 180_000);
