import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt, root, runNode } from '../helpers/dist.js';

/** docs/testing.md's example of the Oracle Database emulator: the TypeScript block after the startOracleDbEmulator entry. */
function oracleEmulatorExample(): string {
  const text = readFileSync(join(root, 'docs/testing.md'), 'utf8');
  const start = text.indexOf('- `startOracleDbEmulator(');
  const block = start < 0 ? null : /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(start));
  if (!block) throw new Error('docs/testing.md has no example after its startOracleDbEmulator entry');
  return block[1]!;
}

beforeAll(() => ensureBuilt());

it("docs/testing.md's Oracle emulator example defines every name it uses, logs in with an OCI IAM db-token, and its process exits by itself", async () => {
  const code = oracleEmulatorExample();
  expect(code).toContain('startOracleDbEmulator');
  // Plain JavaScript as written (the example has no type annotations), run as a module against the built package.
  const r = await runNode(['--input-type=module', '-e', code], { cwd: root, timeoutMs: 150_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe("[ [ 'APP' ] ]");
}, 180_000);
