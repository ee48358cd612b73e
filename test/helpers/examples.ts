import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root, runNode } from './dist.js';
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

/** The first TypeScript block of docs/testing.md after `heading` (a whole `## ...` line). */
export function docsTestingExample(heading: string): string {
  const text = readFileSync(join(root, 'docs/testing.md'), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  const block = start < 0 ? null : /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(start));
  if (!block) throw new Error(`docs/testing.md has no example in its "${heading}" section`);
  return block[1]!;
}

/**
 * Runs docs/testing.md's example under `heading` as written, in a process of its own: bundled with
 * esbuild against the sources (`dbtoken/testing` is src/testing), installed packages left to Node.
 * The example must exit by itself.
 */
export async function runDocsTestingExample(heading: string): Promise<ExampleRun> {
  const { build } = await import('esbuild');
  const out = await build({
    stdin: { contents: docsTestingExample(heading), resolveDir: root, loader: 'ts', sourcefile: 'docs-testing-example.ts' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'dbtoken-sources',
        setup(b) {
          b.onResolve({ filter: /^dbtoken\/testing$/ }, () => ({ path: join(root, 'src/testing/index.ts') }));
          b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('dbtoken') ? undefined : { path: a.path, external: true }));
        },
      },
    ],
  });
  return runNode(['--input-type=module', '-e', out.outputFiles[0]!.text], { cwd: root, timeoutMs: 120_000 });
}
