import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/ when a test needs the published shape and it is missing. */
export function ensureBuilt(): void {
  if (!existsSync(`${root}/dist/esm/src/index.js`) || !existsSync(`${root}/dist/cjs/src/index.js`)) {
    execFileSync(process.execPath, [`${root}/scripts/build.mjs`], { cwd: root, stdio: 'pipe' });
  }
}

/** Runs a script in a child node process; resolves with its exit code and output, or 'timeout'. */
export function runNode(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<{ code: number | null | 'timeout'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd ?? root, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'timeout', stdout, stderr });
    }, opts.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
