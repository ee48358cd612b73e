import { expect, it } from 'vitest';
import { root, runNode } from '../helpers/dist.js';

it('typedoc builds the API docs with no warnings (every export documented, every link resolves)', async () => {
  const typedoc = `${root}/node_modules/typedoc/bin/typedoc`;
  const r = await runNode([typedoc, '--emit', 'none', '--logLevel', 'Warn'], { timeoutMs: 120_000 });
  expect(r.stdout + r.stderr).not.toMatch(/warning|error/i);
  expect(r.code).toBe(0);
}, 120_000);
