import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './dist.js';
import { tempDir } from './temp.js';

/** How an example's process ended, and what it printed. */
export interface ExampleRun {
  code: number | null | 'timeout';
  stdout: string;
  stderr: string;
}

/**
 * Runs examples/<name>/index.mjs with only PATH, HOME (a folder of its own unless given) and `env`, as a
 * shell would. It must exit by itself: no timer or socket may keep it alive.
 */
export function runExample(name: string, env: Record<string, string>, home = tempDir('dbtoken-home-')): Promise<ExampleRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'examples', name, 'index.mjs')], {
      cwd: join(root, 'examples', name),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Only a guard against a hang: the assertions are on the exit code.
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code: signal === 'SIGKILL' ? 'timeout' : code, stdout, stderr });
    });
  });
}
