import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every folder made by {@link tempDir} in this test file; test/setup.ts removes them after the file. */
const made = new Set<string>();

/** A new folder under the system temp dir, removed (with any key or token in it) when the test file ends. */
export function tempDir(prefix = 'dbtoken-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made so far. */
export function removeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}
